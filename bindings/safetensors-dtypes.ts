// The dtypes of a safetensors file as wasmgrad's. Each conversion is exact: narrower integers
// widen to int32, F16, BF16 and the 8-bit floats widen to float32, and 64-bit integers (I64
// is PyTorch's default integer type) narrow to int32 only when every value fits.

import type { DType } from "./dtype.js";

/** The file's name of each wasmgrad dtype, which save() writes. */
export const FILE_DTYPE: Readonly<Record<DType, string>> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };

export type Values = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array;
type Reader = (bytes: Uint8Array, name: string, fileDtype: string) => Values;

/** Each readable file dtype: the dtype it loads as, and how its bytes become values. */
export const READERS: Readonly<Record<string, { dtype: DType; read: Reader }>> = {
  F32: { dtype: "float32", read: (b) => view(b, Float32Array) },
  F64: { dtype: "float64", read: (b) => view(b, Float64Array) },
  I32: { dtype: "int32", read: (b) => view(b, Int32Array) },
  BOOL: { dtype: "bool", read: (b) => b }, // a nonzero byte is true
  U8: { dtype: "int32", read: (b) => b },
  I8: { dtype: "int32", read: (b) => view(b, Int8Array) },
  I16: { dtype: "int32", read: (b) => view(b, Int16Array) },
  U16: { dtype: "int32", read: (b) => view(b, Uint16Array) },
  U32: { dtype: "int32", read: (b, name, d) => narrowWords(b, name, d, false) },
  I64: { dtype: "int32", read: (b, name, d) => narrowWords(b, name, d, true) },
  U64: { dtype: "int32", read: (b, name, d) => narrowWords(b, name, d, false) },
  F16: { dtype: "float32", read: (b) => Float32Array.from(view(b, Uint16Array), halfToNumber) },
  BF16: { dtype: "float32", read: (b) => bfloat16(view(b, Uint16Array)) },
  F8_E5M2: { dtype: "float32", read: (b) => Float32Array.from(b, (x) => halfToNumber(x << 8)) },
  F8_E4M3: { dtype: "float32", read: (b) => Float32Array.from(b, e4m3ToNumber) },
};

type ArrayOf<T> = { new (buffer: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

// Typed arrays read the platform's byte order, and wasm memory is little-endian whatever the
// platform: wasmgrad's data moves between the two as typed arrays everywhere, so the
// platform is little-endian wherever it runs, and the file's bytes can be viewed directly.
function view<T>(bytes: Uint8Array, Array: ArrayOf<T>): T {
  const size = Array.BYTES_PER_ELEMENT;
  // new Uint8Array(bytes) copies to offset 0, where a Node Buffer's slice() would not copy
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  return new Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
}

// 32- or 64-bit integers (words of two 32-bit halves, low first) into int32, or a clear error
// at the first value that does not fit.
function narrowWords(bytes: Uint8Array, name: string, fileDtype: string, signed: boolean): Int32Array {
  const words = view(bytes, Int32Array);
  const step = fileDtype === "U32" ? 1 : 2;
  const out = new Int32Array(words.length / step);
  for (let i = 0; i < out.length; i++) {
    const low = words[i * step], high = step === 2 ? words[i * step + 1] : 0;
    const fits = signed ? high === low >> 31 : high === 0 && low >= 0;
    if (!fits) {
      const value = step === 1 ? BigInt(low >>> 0)
        : (BigInt(signed ? high : high >>> 0) << 32n) + BigInt(low >>> 0);
      throw new RangeError(`load(): tensor ${JSON.stringify(name)} (${fileDtype}) holds ${value} at flat index ${i}, ` +
        `outside the int32 range that wasmgrad's integers have; convert it before saving ` +
        `(in PyTorch, t.to(torch.int32)) or keep its values within [-2^31, 2^31)`);
    }
    out[i] = low;
  }
  return out;
}

function halfToNumber(h: number): number {
  const exponent = (h >>> 10) & 0x1f, mantissa = h & 0x3ff, sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (exponent === 0 ? mantissa * 2 ** -24 : (1024 + mantissa) * 2 ** (exponent - 25));
}

// bfloat16 is the upper half of a float32: the bits move over, NaN payloads included.
function bfloat16(halves: Uint16Array): Float32Array {
  const words = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) words[i] = halves[i] << 16;
  return new Float32Array(words.buffer);
}

// float8 e4m3fn: bias 7, no infinities, NaN when all exponent and mantissa bits are set.
function e4m3ToNumber(x: number): number {
  const exponent = (x >>> 3) & 0xf, mantissa = x & 7, sign = x & 0x80 ? -1 : 1;
  if (exponent === 0xf && mantissa === 7) return NaN;
  return sign * (exponent === 0 ? mantissa * 2 ** -9 : (8 + mantissa) * 2 ** (exponent - 10));
}
