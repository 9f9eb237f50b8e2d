// save() and load() against PyTorch 1.13: files wasmgrad writes are read back by a small
// Python reader (test/fixtures/safetensors_io.py: the header parsed with json, each tensor
// rebuilt with torch.frombuffer), and files that reader's writer makes from torch tensors are
// loaded by wasmgrad. Needs /usr/bin/python3 with torch: without it the interop half is
// skipped loudly, or fails with REQUIRE_TORCH=1. Also: reading and writing paths in Node.
import { afterAll, describe, expect, test } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { arange, manual_seed, randn, tensor, type Tensor } from "../../bindings/index.js";
import { save, load, load_metadata } from "../../bindings/serialization.js";

const PYTHON = "/usr/bin/python3";
const script = resolve(import.meta.dirname, "safetensors_torch.py");
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
const requireTorch = process.env.REQUIRE_TORCH === "1";
if (!hasTorch) {
  const line = "=".repeat(78);
  console.warn(`\n${line}\nSKIPPED: safetensors interop with PyTorch (test/node/safetensors-torch.test.ts).\n` +
    `No torch importable by ${PYTHON}. Fix: apt-get install python3-torch.` +
    `${requireTorch ? "\nREQUIRE_TORCH=1: failing instead." : ""}\n${line}\n`);
}

const dir = mkdtempSync(join(tmpdir(), "wasmgrad-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const torch = (command: string, path: string) => execFileSync(PYTHON, [script, command, path], { encoding: "utf8" });

type Described = { dtype: string; shape: number[]; values: (number | string)[] };
const decode = (values: (number | string)[]) =>
  values.map((v) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number)));
const valuesOf = (t: Tensor) => Array.from(t.toTypedArray());

test.runIf(!hasTorch && requireTorch)("REQUIRE_TORCH=1: /usr/bin/python3 must import torch", () => {
  expect.fail(`REQUIRE_TORCH=1, but ${PYTHON} cannot import torch`);
});

describe.runIf(hasTorch)("interop with PyTorch 1.13", () => {
  test("PyTorch reads what save() writes: every dtype, 0-d, empty, views, unicode names, metadata", () => {
    manual_seed(7);
    const w = randn([3, 4]);
    w.index(0, 1).fill_(NaN);
    w.index(1, 2).fill_(-Infinity);
    w.index(2, 3).fill_(-0);
    const base = arange(12, { dtype: "float64" }).reshape(3, 4);
    const tensors: Record<string, Tensor> = {
      "encoder.weight": w,
      "encoder.bias": tensor(Float64Array.from([0.1, -1e308, 5e-324, Math.E])),
      steps: tensor(Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, -5]), { shape: [2, 2] }),
      mask: tensor([[true, false, true], [false, false, true]]),
      scalar: tensor(-3.25), "scalar.f64": tensor(1 / 3, { dtype: "float64" }),
      "scalar.i32": tensor(42, { dtype: "int32" }), "scalar.bool": tensor(false),
      empty: tensor(new Float32Array(0), { shape: [0, 3] }), "empty.i32": tensor(new Int32Array(0)),
      transposed: base.t(), stepped: base.index("::2", "1::2"), expanded: tensor([1, 2]).expand(3, 2),
      "naïve π 🧠": tensor([1.5]), "quote\"back\\slash": tensor([true]),
    };
    const metadata = { format: "pt", "ünïcode": "✓ yes" };
    const path = join(dir, "from-wasmgrad.safetensors");
    const bytes = save(tensors, path, { metadata });
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    const read = JSON.parse(torch("read", path)) as { header_length: number; metadata: unknown; tensors: Record<string, Described> };
    expect(read.header_length % 8).toBe(0);
    expect(read.metadata).toEqual(metadata);
    expect(Object.keys(read.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = read.tensors[name];
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(decode(got.values), name).toEqual(valuesOf(t));
    }
  });

  test("wasmgrad loads what PyTorch writes: float32, float64, int32, bool, int64, float16, bfloat16, uint8, int8, int16", () => {
    const path = join(dir, "from-torch.safetensors");
    const expected = JSON.parse(torch("write", path)) as { metadata: Record<string, string>; tensors: Record<string, Described> };
    const out = load(path);
    expect(Object.keys(out).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      expect(out[name].dtype, name).toBe(want.dtype);
      expect(out[name].shape, name).toEqual(want.shape);
      expect(valuesOf(out[name]), name).toEqual(decode(want.values));
    }
    expect(load_metadata(path)).toEqual(expected.metadata);
    expect(load(readFileSync(path)).count.item()).toBe(-7); // a Buffer is a Uint8Array
  });

  test("an int64 tensor beyond int32: a RangeError naming it and its value", () => {
    const path = join(dir, "wide.safetensors");
    torch("wide", path);
    expect(() => load(path)).toThrow(/load\(\): tensor "steps" \(I64\) holds 1099511627776 at flat index 1, outside the int32 range/);
  });
});

describe("paths in Node", () => {
  test("save writes the file it returns; load and load_metadata read it", () => {
    const path = join(dir, "plain.safetensors");
    const bytes = save({ a: tensor([1, 2]) }, path, { metadata: { k: "v" } });
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(valuesOf(load(path).a)).toEqual([1, 2]);
    expect(load_metadata(path)).toEqual({ k: "v" });
  });

  test("load_metadata of a path reads and checks the header only, but against the file's size", () => {
    const good = save({ a: tensor([1, 2, 3]) }, { metadata: { k: "v" } });
    const truncated = join(dir, "truncated.safetensors");
    writeFileSync(truncated, good.subarray(0, good.length - 4)); // the data is short: the header says so
    expect(() => load_metadata(truncated)).toThrow(/load_metadata\(\): not a valid safetensors file: the data of "a" \(bytes 0 to 12\) runs past the end/);
    for (const [n, message] of [[5, /it has 5 bytes/], [12, /the header length \(\d+ bytes\) runs past the end of the file \(12 bytes\)/]] as const) {
      writeFileSync(truncated, good.subarray(0, n));
      expect(() => load_metadata(truncated)).toThrow(message);
    }
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 50n, true);
    writeFileSync(truncated, huge);
    expect(() => load_metadata(truncated)).toThrow(/is larger than the 100000000 bytes allowed/);
  });

  test("a Node Buffer at an unaligned offset (Buffer's slice() does not copy)", () => {
    const bytes = save({ d: tensor(Float64Array.from([1.5, -2])), i: tensor(Int32Array.from([7])) });
    for (const shift of [1, 2, 3, 5]) {
      const buffer = Buffer.alloc(bytes.length + shift);
      buffer.set(bytes, shift);
      const out = load(buffer.subarray(shift));
      expect([valuesOf(out.d), valuesOf(out.i)], `shift ${shift}`).toEqual([[1.5, -2], [7]]);
    }
  });

  test("file-system errors name the call and the path", () => {
    const missing = join(dir, "missing", "x.safetensors");
    expect(() => load(missing)).toThrow(/load\(\): could not read ".*missing\/x\.safetensors": ENOENT/);
    expect(() => load_metadata(missing)).toThrow(/load_metadata\(\): could not read .*ENOENT/);
    expect(() => save({ a: tensor([1]) }, missing)).toThrow(/save\(\): could not write ".*x\.safetensors": ENOENT/);
  });
});
