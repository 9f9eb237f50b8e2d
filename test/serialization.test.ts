// save() and load() (safetensors), in Node and in Chromium: round trips of every dtype and
// layout, the bytes written checked against the format by hand, a file written by PyTorch
// (test/fixtures/safetensors.json, from generate_safetensors.py), the narrower and wider
// dtypes of other writers, and every kind of malformed file refused with a clear Error.
import { describe, expect, test } from "vitest";
import { arange, memory, tensor, randn, manual_seed, scope, type Tensor } from "../bindings/index.js";
import { save, load, load_metadata } from "../bindings/serialization.js";
import fixture from "./fixtures/safetensors.json" with { type: "json" };

const encoder = new TextEncoder();

/** The file's header, parsed, and its raw JSON text. */
function headerOf(bytes: Uint8Array): { json: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>; text: string; n: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return { json: JSON.parse(text), text, n };
}

/** A file from a header (an object, or JSON text as it is) and data bytes. */
function file(header: object | string, data: ArrayLike<number> | number = 0, length?: bigint): Uint8Array {
  const text = encoder.encode(typeof header === "string" ? header : JSON.stringify(header));
  const body = typeof data === "number" ? new Uint8Array(data) : Uint8Array.from(data);
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

const f32 = (shape: number[], begin: number) => ({ dtype: "F32", shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] });
const decode = (values: (number | string)[]) =>
  values.map((v) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number)));
const valuesOf = (t: Tensor) => Array.from(t.toTypedArray());
const roundTrip = (tensors: Record<string, Tensor>) => load(save(tensors));

describe("round trips", () => {
  test("every dtype keeps its values bit for bit, specials and extremes included", () => {
    const special = [NaN, Infinity, -Infinity, -0, 0, 1.401298464324817e-45, 3.4028234663852886e38, -1.5];
    const tensors = {
      f32: tensor(Float32Array.from(special), { shape: [2, 4] }),
      f64: tensor(Float64Array.from([...special, 0.1, 5e-324, -1.7976931348623157e308, Math.PI])),
      i32: tensor(Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, -1, 7, 123456789]), { shape: [3, 2] }),
      bool: tensor([[true, false, false], [true, true, false]]),
    };
    const out = roundTrip(tensors);
    expect(Object.keys(out).sort()).toEqual(["bool", "f32", "f64", "i32"]);
    for (const [name, t] of Object.entries(tensors)) {
      expect(out[name].dtype, name).toBe(t.dtype);
      expect(out[name].shape, name).toEqual(t.shape);
      expect(valuesOf(out[name]), name).toEqual(valuesOf(t)); // toEqual tells -0 from 0 and matches NaN
      expect(out[name].requires_grad).toBe(false);
    }
  });

  test("0-d and empty tensors of every dtype", () => {
    const tensors: Record<string, Tensor> = {
      s32: tensor(2.5), s64: tensor(-1e300, { dtype: "float64" }), sint: tensor(-9, { dtype: "int32" }), sbool: tensor(true),
      e1: tensor([]), e2: tensor(new Float64Array(0), { shape: [2, 0, 3] }), e3: tensor(new Int32Array(0), { shape: [0] }),
      e4: tensor(new Uint8Array(0), { shape: [0, 1], dtype: "bool" }),
    };
    const out = roundTrip(tensors);
    for (const [name, t] of Object.entries(tensors)) {
      expect([out[name].dtype, out[name].shape, valuesOf(out[name])], name).toEqual([t.dtype, t.shape, valuesOf(t)]);
    }
    expect(out.s64.item()).toBe(-1e300);
  });

  test("views and non-contiguous tensors are saved by value, row-major", () => {
    const base = arange(24).reshape(2, 3, 4);
    const views = {
      transposed: base.transpose(0, 2),
      narrowed: base.transpose(1, 2).narrow(1, 1, 2),
      stepped: base.index(":", "::2", "1::2"),
      expanded: tensor([1, 2, 3]).expand(4, 3),
      selected: base.select(2, 3),
      offset: base.reshape(-1).narrow(0, 5, 7),
    };
    const out = roundTrip(views);
    for (const [name, v] of Object.entries(views)) {
      expect(out[name].shape, name).toEqual(v.shape);
      expect(out[name].tolist(), name).toEqual(v.tolist());
      expect(out[name].is_contiguous(), name).toBe(true);
    }
    // by value: the loaded tensor does not follow its source
    base.fill_(0);
    expect(out.transposed.sum().item()).toBe(276);
  });

  test("tensors in a graph save their values, without grad", () => {
    const w = tensor([1, 2, 3], { requires_grad: true });
    const y = w.mul(2);
    y.sum().backward();
    const out = roundTrip({ w, y });
    expect(valuesOf(out.w)).toEqual([1, 2, 3]);
    expect(valuesOf(out.y)).toEqual([2, 4, 6]);
    expect(out.w.requires_grad || out.y.requires_grad).toBe(false);
    expect(out.w.grad).toBeNull();
  });

  test("any names, unicode and JSON's special characters included", () => {
    const names = ["π", "naïve", "🧠.weight", "", "__proto__", "a \"quoted\" \\ name", "tab\tnew\nline", "constructor", "0", "layers.0.bias"];
    const tensors: Record<string, Tensor> = {};
    names.forEach((n, i) => Object.defineProperty(tensors, n, { value: tensor([i]), enumerable: true }));
    const bytes = save(tensors);
    const out = load(bytes);
    expect(Object.keys(out).sort()).toEqual([...names].sort());
    names.forEach((n, i) => expect(Object.getOwnPropertyDescriptor(out, n)?.value.item(), n).toBe(i));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(headerOf(bytes).json).sort()).toEqual([...names].sort());
  });

  test("a Map is saved like an object", () => {
    const a = tensor([1, 2]), b = tensor([3], { dtype: "int32" });
    expect(save(new Map([["a", a], ["b", b]]))).toEqual(save({ b, a }));
    expect(valuesOf(load(save(new Map([["a", a]]))).a)).toEqual([1, 2]);
  });

  test("metadata: saved with save(..., { metadata }), read by load_metadata; null without", () => {
    const metadata = { format: "pt", "clé": "välue ✓", empty: "" };
    const withMeta = save({ x: tensor([1]) }, { metadata });
    expect(load_metadata(withMeta)).toEqual(metadata);
    expect(load_metadata(withMeta.buffer.slice(0))).toEqual(metadata);
    expect(headerOf(withMeta).json.__metadata__).toEqual(metadata);
    expect(Object.keys(load(withMeta))).toEqual(["x"]);
    expect(load_metadata(save({ x: tensor([1]) }))).toBeNull();
    expect(load_metadata(save({}, { metadata: {} }))).toEqual({});
    expect(save({ x: tensor([1]) }, null, { metadata })).toEqual(withMeta);
  });

  test("load takes an ArrayBuffer, and a Uint8Array at any offset (unaligned data is copied)", () => {
    const bytes = save({ d: tensor(Float64Array.from([1.5, -2])), f: tensor([3]) });
    for (const shift of [0, 1, 3, 4]) {
      const buffer = new Uint8Array(bytes.length + shift);
      buffer.set(bytes, shift);
      const out = load(buffer.subarray(shift));
      expect([valuesOf(out.d), valuesOf(out.f)]).toEqual([[1.5, -2], [3]]);
    }
    expect(valuesOf(load(bytes.buffer).d)).toEqual([1.5, -2]);
  });

  test("an empty file of tensors", () => {
    expect(load(save({}))).toEqual({});
  });
});

describe("the bytes save() writes", () => {
  test("one tensor: the length, the JSON header padded with spaces to 8 bytes, the data", () => {
    const bytes = save({ a: tensor([1, -2]) });
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + " ".repeat((8 - (json.length % 8)) % 8);
    expect(padded.length % 8).toBe(0);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([padded.length, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
    expect(Array.from(new Float32Array(bytes.slice(8 + padded.length).buffer))).toEqual([1, -2]);
    expect(bytes.length).toBe(8 + padded.length + 8);
  });

  test("the layout: widest dtypes first, then by name; every tensor aligned; no holes", () => {
    manual_seed(1);
    const tensors = {
      zb: tensor([true]), a64: tensor(Float64Array.from([1])), m32: tensor([1, 2, 3]), b32: tensor([1, 2, 3]),
      i: tensor(Int32Array.from([1])), b: tensor([false, true, true]), z64: tensor(Float64Array.from([2, 3])), r: randn([2, 2]),
    };
    const bytes = save(tensors);
    const { json, n } = headerOf(bytes);
    expect(n % 8).toBe(0);
    const order = Object.keys(json);
    expect(order).toEqual(["a64", "z64", "b32", "m32", "r", "i", "b", "zb"]);
    let cursor = 0;
    for (const name of order) {
      const { dtype, data_offsets: [begin, end] } = json[name];
      expect(begin, name).toBe(cursor);
      expect((8 + n + begin) % { F64: 8, F32: 4, I32: 4, BOOL: 1 }[dtype]!, name).toBe(0);
      cursor = end;
    }
    expect(8 + n + cursor).toBe(bytes.length);
  });

  test("deterministic: the same tensors and metadata give the same bytes, in any insertion order", () => {
    const a = tensor([1]), b = tensor([2], { dtype: "float64" }), c = tensor([true]);
    const one = save({ a, b, c }, { metadata: { x: "1", y: "2" } });
    const two = save({ c, b, a }, { metadata: { y: "2", x: "1" } });
    expect(two).toEqual(one);
  });

  test("names sort by code point (UTF-8 byte order), not by UTF-16 unit", () => {
    const bytes = save({ "\uffff": tensor([1]), "\u{1F600}": tensor([2]), a: tensor([3]) });
    expect(Object.keys(headerOf(bytes).json)).toEqual(["a", "\uffff", "\u{1F600}"]);
  });
});

describe("a file written by PyTorch 1.13 (test/fixtures/safetensors.json)", () => {
  const bytes = Uint8Array.from(atob(fixture.base64), (c) => c.charCodeAt(0));
  const expected = fixture.tensors as Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;

  test("every tensor loads with PyTorch's values, int64 and the narrower types as int32, float16 and bfloat16 as float32", () => {
    const out = load(bytes);
    expect(Object.keys(out).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      expect(out[name].dtype, name).toBe(want.dtype);
      expect(out[name].shape, name).toEqual(want.shape);
      expect(valuesOf(out[name]), name).toEqual(decode(want.values));
    }
  });

  test("its metadata", () => {
    expect(load_metadata(bytes)).toEqual(fixture.metadata);
  });

  test("saved again by wasmgrad and loaded, it is unchanged", () => {
    const first = load(bytes);
    const again = roundTrip(first);
    for (const name of Object.keys(first)) expect(valuesOf(again[name]), name).toEqual(valuesOf(first[name]));
  });
});

describe("the dtypes of other writers", () => {
  const one = (dtype: string, shape: number[], data: number[]) => load(file({ x: { dtype, shape, data_offsets: [0, data.length] } }, data)).x;
  const le16 = (...words: number[]) => words.flatMap((w) => [w & 0xff, w >>> 8]);
  const le32 = (...words: number[]) => words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, (w >>> 24) & 0xff]);

  test("F16 -> float32, exactly: normals, subnormals, infinities, NaN, -0", () => {
    const x = one("F16", [9], le16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x8000));
    expect(x.dtype).toBe("float32");
    expect(valuesOf(x)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, NaN, -0]);
  });

  test("BF16 -> float32, exactly", () => {
    const x = one("BF16", [5], le16(0x3f80, 0xc0a0, 0x7f80, 0x0001, 0x8000));
    expect(valuesOf(x)).toEqual([1, -5, Infinity, 2 ** -133, -0]);
  });

  test("F8_E4M3 and F8_E5M2 -> float32, exactly", () => {
    expect(valuesOf(one("F8_E4M3", [7], [0x38, 0x7e, 0x7f, 0x01, 0x80, 0xb8, 0x08]))).toEqual([1, 448, NaN, 2 ** -9, -0, -1, 2 ** -6]);
    expect(valuesOf(one("F8_E5M2", [5], [0x3c, 0x7b, 0x7c, 0x01, 0xfe]))).toEqual([1, 57344, Infinity, 2 ** -16, NaN]);
  });

  test("U8, I8, I16, U16 -> int32", () => {
    expect([one("U8", [3], [0, 7, 255]).dtype, valuesOf(one("U8", [3], [0, 7, 255]))]).toEqual(["int32", [0, 7, 255]]);
    expect(valuesOf(one("I8", [3], [0x80, 0x7f, 0xff]))).toEqual([-128, 127, -1]);
    expect(valuesOf(one("I16", [3], le16(0x8000, 0x7fff, 0xffff)))).toEqual([-32768, 32767, -1]);
    expect(valuesOf(one("U16", [2], le16(0xffff, 1)))).toEqual([65535, 1]);
  });

  test("I64, U64, U32 -> int32 when every value fits", () => {
    expect(valuesOf(one("I64", [4], le32(5, 0, 0xffffffff, 0xffffffff, 0x7fffffff, 0, 0x80000000, 0xffffffff))))
      .toEqual([5, -1, 2 ** 31 - 1, -(2 ** 31)]);
    expect(valuesOf(one("U64", [2], le32(7, 0, 0x7fffffff, 0)))).toEqual([7, 2 ** 31 - 1]);
    expect(valuesOf(one("U32", [2], le32(9, 0x7fffffff)))).toEqual([9, 2 ** 31 - 1]);
    expect(valuesOf(one("I64", [], le32(0xfffffff9, 0xffffffff)))).toEqual([-7]);
  });

  test("I64, U64, U32 values beyond int32: a RangeError naming the tensor, the value and the fix", () => {
    expect(() => one("I64", [2], le32(1, 0, 0x80000000, 0))).toThrow(/load\(\): tensor "x" \(I64\) holds 2147483648 at flat index 1, outside the int32 range.*torch\.int32/);
    expect(() => one("I64", [1], le32(0x7fffffff, 0xffffffff))).toThrow(/holds -2147483649 at flat index 0/);
    expect(() => one("I64", [1], le32(0, 1))).toThrow(/holds 4294967296/);
    expect(() => one("U64", [1], le32(0, 0x80000000))).toThrow(/\(U64\) holds 9223372036854775808/);
    expect(() => one("U32", [1], le32(0x80000000))).toThrow(/\(U32\) holds 2147483648/);
    expect(() => one("I64", [1], le32(0, 1))).toThrow(RangeError);
  });

  test("a failed load leaves no tensor behind", () => {
    const bytes = file({ a: f32([4], 0), z: { dtype: "I64", shape: [1], data_offsets: [16, 24] } }, [...new Array(16).fill(0), 0, 0, 0, 0, 1, 0, 0, 0]);
    const before = memory().tensors;
    expect(() => load(bytes)).toThrow(/tensor "z"/);
    expect(memory().tensors).toBe(before);
  });

  test("dtypes wasmgrad cannot hold: an Error naming the tensor and the dtype; load_metadata still reads the file", () => {
    for (const [dtype, bytes] of [["C64", 8], ["F8_E8M0", 1], ["F4", 1], ["F6_E2M3", 3]] as const) {
      const shape = dtype === "F4" ? [2] : dtype === "F6_E2M3" ? [4] : [1];
      const f = file({ __metadata__: { k: "v" }, w: { dtype, shape, data_offsets: [0, bytes] } }, bytes);
      expect(() => load(f), dtype).toThrow(new RegExp(`load\\(\\): tensor "w" has dtype ${dtype}, which wasmgrad cannot load`));
      expect(load_metadata(f)).toEqual({ k: "v" });
    }
  });
});

describe("malformed files: a clear Error, never a crash or garbage", () => {
  const invalid = (bytes: Uint8Array, message: RegExp) => {
    expect(() => load(bytes)).toThrow(message);
    expect(() => load(bytes)).toThrow(/^load\(\): not a valid safetensors file: /);
    expect(() => load_metadata(bytes)).toThrow(/^load_metadata\(\): not a valid safetensors file: /);
  };

  test("shorter than the 8 bytes of the header length", () => {
    for (const n of [0, 1, 7]) invalid(new Uint8Array(n), new RegExp(`it has ${n} bytes, fewer than the 8`));
  });

  test("a header length beyond the file, or absurdly large", () => {
    invalid(file("{}", 0, 100n), /the header length \(100 bytes\) runs past the end of the file \(10 bytes\)/);
    invalid(file("{}", 0, 2n ** 40n), /the header length \(1099511627776 bytes\) is larger than the 100000000 bytes allowed/);
    invalid(file("{}", 0, 2n ** 64n - 1n), /is larger than the 100000000 bytes allowed/);
    invalid(file("{}", 0, 100_000_001n), /is larger than/);
  });

  test("a header that is not UTF-8 JSON, or not an object", () => {
    const badUtf8 = file("{} ", 0);
    badUtf8[10] = 0xc3; // a lead byte without its continuation
    invalid(badUtf8, /the header is not valid UTF-8/);
    invalid(file("{\"a\": ", 0), /the header is not valid JSON/);
    invalid(file("{}\0\0\0\0\0\0", 0), /the header is not valid JSON/); // NUL padding is not whitespace
    invalid(file("[1, 2]", 0), /must be a JSON object, starting with '\{'/);
    invalid(file("null", 0), /must be a JSON object/);
    invalid(file(" {}", 0), /must be a JSON object, starting with '\{'/);
    invalid(file("", 0), /must be a JSON object/);
  });

  test("padding with spaces, tabs or newlines is accepted", () => {
    expect(Object.keys(load(file(`{"a":${JSON.stringify(f32([1], 0))}}   \n\t `, 4)))).toEqual(["a"]);
  });

  test("entries with missing or invalid fields", () => {
    invalid(file({ a: 3 }), /the entry of tensor "a" must be an object/);
    invalid(file({ a: [1] }), /the entry of tensor "a" must be an object/);
    invalid(file({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /the dtype of tensor "a" is missing or not a string/);
    invalid(file({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4), /the dtype of tensor "a" is missing or not a string/);
    for (const shape of [undefined, "3", [-1], [1.5], [null], [2 ** 60]]) {
      invalid(file({ a: { dtype: "F32", shape, data_offsets: [0, 4] } }, 4), /the shape of tensor "a" must be an array of non-negative integers/);
    }
    for (const offsets of [undefined, [0], [0, 4, 8], [4, 0], ["0", "4"], [-4, 0], [0.5, 4], {}]) {
      invalid(file({ a: { dtype: "F32", shape: [1], data_offsets: offsets } }, 4), /data_offsets of tensor "a" must be \[begin, end\]/);
    }
    invalid(file({ __metadata__: { n: 1 } }), /__metadata__ must be an object of strings, but "n" is 1/);
    invalid(file({ __metadata__: ["x"] }), /__metadata__ must be an object of strings/);
    invalid(file({ __metadata__: "x" }), /__metadata__ must be an object of strings/);
  });

  test("an unknown dtype", () => {
    invalid(file({ a: { dtype: "F33", shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype "F33" of tensor "a"; the format defines BOOL, U8/);
    invalid(file({ a: { dtype: "float32", shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype "float32"/);
    invalid(file({ a: { dtype: "toString", shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype "toString"/);
  });

  test("shape times element size unequal to the offsets' span", () => {
    invalid(file({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4),
      /tensor "a" of shape \[2\] and dtype F32 needs 8 bytes, but its data_offsets \[0, 4\] span 4/);
    invalid(file({ a: { dtype: "F64", shape: [], data_offsets: [0, 4] } }, 4), /needs 8 bytes/);
    invalid(file({ a: { dtype: "BOOL", shape: [0], data_offsets: [0, 1] } }, 1), /needs 0 bytes/);
    invalid(file({ a: { dtype: "F32", shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, 4), /needs more than 2\^53 bytes/);
  });

  test("offsets out of range, overlapping, or leaving holes", () => {
    invalid(file({ a: f32([2], 0) }, 4), /the data of "a" \(bytes 0 to 8\) runs past the end of the file \(4 bytes of data\)/);
    invalid(file({ a: f32([2], 0), b: f32([2], 4) }, 12), /the data of "b" overlaps that of "a"/);
    invalid(file({ a: f32([1], 0), b: f32([1], 0) }, 4), /overlaps/);
    invalid(file({ a: f32([1], 0), b: f32([1], 8) }, 12), /no tensor holds bytes 4 to 8 of the data \(after "a"\)/);
    invalid(file({ a: f32([1], 4) }, 8), /no tensor holds bytes 0 to 4 of the data$/);
    invalid(file({ a: f32([1], 0) }, 8), /the tensors hold 4 bytes of data, but the file has 8 after the header/);
    invalid(file({}, 1), /the tensors hold 0 bytes of data, but the file has 1/);
    // zero-sized tensors may sit anywhere, even where another one starts
    const ok = load(file({ b: f32([1], 0), e: { dtype: "F32", shape: [0], data_offsets: [0, 0] }, z: { dtype: "I32", shape: [0, 3], data_offsets: [4, 4] } }, 4));
    expect(ok.e.shape).toEqual([0]);
    expect(ok.z.shape).toEqual([0, 3]);
  });

  test("duplicate names, and duplicate keys in an entry (JSON.parse would keep the last silently)", () => {
    const a = JSON.stringify(f32([1], 0)), b = JSON.stringify(f32([1], 4));
    invalid(file(`{"a":${a},"a":${b}}`, 8), /the name "a" appears twice in the header/);
    invalid(file(`{"a":${a},"\\u0061":${b}}`, 8), /the name "a" appears twice/);
    invalid(file(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), /the key "dtype" appears twice in the entry of "a"/);
    invalid(file(`{"__metadata__":{"k":"1","k":"2"},"a":${a}}`, 4), /the key "k" appears twice in the entry of "__metadata__"/);
    // not duplicates: the same key in different entries, and key-like strings as values
    const c = `{"dtype":"F32","shape":[1],"data_offsets":[4,8]}`;
    expect(Object.keys(load(file(`{"__metadata__":{"a":"a","x\\"y":"dtype"},"a":${a},"b":${c}}`, 8)))).toEqual(["a", "b"]);
  });

  test("more dims than wasmgrad holds", () => {
    expect(() => load(file({ a: f32([1, 1, 1, 1, 1, 1, 1, 1, 1], 0) }, 4))).toThrow(/load\(\): tensor "a" has 9 dims; wasmgrad supports at most 8/);
  });

  test("every truncation of a valid file is refused clearly", () => {
    const bytes = save({ a: tensor([1, 2, 3]), b: tensor([true, false]) }, { metadata: { m: "x" } });
    for (let n = 0; n < bytes.length; n++) {
      expect(() => load(bytes.subarray(0, n)), `first ${n} bytes`).toThrow(/^load\(\): not a valid safetensors file: /);
    }
  });

  test("random corruption of the header: a clear Error or a valid load, never anything else", () => {
    const bytes = save({ w: tensor([[1, 2], [3, 4]]), i: tensor(Int32Array.from([5, 6, 7])), b: tensor([true]) });
    const n = headerOf(bytes).n;
    let seed = 12345, refused = 0;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let k = 0; k < 400; k++) {
      const copy = bytes.slice();
      for (let m = 0; m <= k % 3; m++) copy[next() % (8 + n)] = next() & 0xff;
      let out: Record<string, Tensor> | null = null;
      try {
        out = load(copy);
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/^load\(\): /);
        refused++;
        continue;
      }
      for (const t of Object.values(out)) expect(t.numel()).toBeLessThanOrEqual(6);
    }
    expect(refused).toBeGreaterThan(300);
  });
});

describe("save() and load() refuse bad arguments clearly", () => {
  test("save", () => {
    expect(() => save([tensor([1])] as never)).toThrow(/save\(\): expected tensors by name \(an object or a Map of Tensors\), got an array/);
    expect(() => save(tensor([1]) as never)).toThrow(/expected tensors by name/);
    expect(() => save(null as never)).toThrow(/expected tensors by name/);
    expect(() => save({ a: [1, 2] } as never)).toThrow(/save\(\): "a" is an array, expected a Tensor/);
    expect(() => save(new Map([[1, tensor([1])]]) as never)).toThrow(/save\(\): names must be strings, got number 1/);
    expect(() => save({ __metadata__: tensor([1]) })).toThrow(/the name "__metadata__" is reserved for metadata/);
    const gone = tensor([1]);
    gone.dispose();
    expect(() => save({ gone })).toThrow(/save\(\): tensor "gone" was disposed/);
    expect(() => save({ a: tensor([1]) }, { metadata: { n: 1 as never } })).toThrow(/save\(\): metadata values must be strings, but "n" is number 1/);
    expect(() => save({ a: tensor([1]) }, { metdata: {} } as never)).toThrow(/save\(\): unexpected option 'metdata' \(did you mean 'metadata'\?\)/);
    expect(() => save({ a: tensor([1]) }, 3 as never)).toThrow(/save\(\): path must be a string, got number 3/);
  });

  test("load", () => {
    expect(() => load(3 as never)).toThrow(/load\(\): expected the file's bytes \(a Uint8Array or an ArrayBuffer\) or a path, got number 3/);
    expect(() => load([1, 2] as never)).toThrow(/got an array/);
    expect(() => load_metadata({} as never)).toThrow(/load_metadata\(\): expected the file's bytes/);
  });

  const hasFiles = typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule === "function";
  test.runIf(!hasFiles)("without Node's file system, a path is refused with what to do instead", () => {
    expect(() => save({ a: tensor([1]) }, "model.safetensors")).toThrow(/save\(\): a path needs Node 20.16 or later.*write the bytes it returns yourself/);
    expect(() => load("model.safetensors")).toThrow(/load\(\): a path needs Node 20.16 or later.*pass its bytes/);
    expect(() => load_metadata("model.safetensors")).toThrow(/load_metadata\(\): a path needs Node 20.16/);
  });
});

describe("memory", () => {
  test("loading and saving inside scope() leaves nothing behind", () => {
    const bytes = save({ a: randn([64, 64]), b: arange(10).reshape(2, 5).t() });
    const before = memory().tensors;
    for (let i = 0; i < 20; i++) scope(() => save(load(bytes)));
    expect(memory().tensors).toBe(before);
    const kept = scope(() => load(bytes)); // the returned object's tensors survive
    expect(memory().tensors).toBe(before + 2);
    expect(kept.a.shape).toEqual([64, 64]);
  });
});
