// save() and load(): tensors to and from the bytes of a safetensors file, the format of
// Hugging Face's safetensors, which PyTorch, JAX, NumPy and the Hub read and write
// (https://github.com/huggingface/safetensors). It holds only tensors and string metadata,
// never code, so a file from anywhere is safe to load; torch.save's pickles are not read.
//
// Files are read and written only when a path is given, in Node >= 20.16, through
// process.getBuiltinModule: the module imports nothing from Node, so that it bundles for
// browsers as it is. Elsewhere save() and load() work on bytes (fetch, File, IndexedDB).

import { Tensor } from "./tensor.js";
import { tensor } from "./create.js";
import { DTYPES, ITEM_SIZE, type DType } from "./dtype.js";
import { MAX_DIMS, MAX_NUMEL, describe } from "./shape.js";
import { checkOptions } from "./options.js";
import { parseHeader, MAX_HEADER_BYTES, type Header } from "./safetensors-header.js";
import { FILE_DTYPE, READERS } from "./safetensors-dtypes.js";

/** Tensors by name, as a plain object or a Map (a state dict). */
export type StateDict = Record<string, Tensor> | Map<string, Tensor>;

export interface SaveOptions {
  /** Strings stored in the header's __metadata__; load_metadata() returns them. */
  metadata?: Record<string, string>;
}

const SAVE_OPTIONS = {
  metadata: { expected: "an object of strings", test: (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v) },
};

// The reference implementation's layout: the widest dtypes first, so that every tensor
// starts at a multiple of its element size (the header is padded to 8 bytes), then by name.
const LAYOUT_RANK: Readonly<Record<DType, number>> = { float64: 0, float32: 1, int32: 2, bool: 3 };

/**
 * The safetensors bytes of `tensors`, written to `path` too when one is given (Node only).
 * Views and non-contiguous tensors are saved by value, row-major; gradients and
 * requires_grad are not saved. The same tensors and metadata always give the same bytes.
 */
export function save(tensors: StateDict, path?: string | SaveOptions | null, options?: SaveOptions): Uint8Array<ArrayBuffer> {
  if (path !== null && typeof path === "object") [path, options] = [undefined, path];
  checkOptions("save", options, SAVE_OPTIONS);
  if (path !== undefined && path !== null && typeof path !== "string") {
    throw new TypeError(`save(): path must be a string, got ${describe(path)}`);
  }
  const items = namedTensors(tensors);
  items.sort((a, b) => LAYOUT_RANK[a.tensor.dtype] - LAYOUT_RANK[b.tensor.dtype] || compareCodePoints(a.name, b.name));
  const parts: string[] = [];
  if (options?.metadata !== undefined) parts.push(`"__metadata__":${metadataJson(options.metadata)}`);
  let offset = 0;
  const placed = items.map(({ name, tensor: t }) => {
    const begin = offset;
    offset += t.numel() * ITEM_SIZE[t.dtype];
    parts.push(`${JSON.stringify(name)}:{"dtype":"${FILE_DTYPE[t.dtype]}","shape":${JSON.stringify(t.shape)},` +
      `"data_offsets":[${begin},${offset}]}`);
    return { t, begin };
  });
  const header = new TextEncoder().encode(`{${parts.join(",")}}`);
  if (header.length > MAX_HEADER_BYTES) {
    throw new RangeError(`save(): the header would take ${header.length} bytes, more than the ${MAX_HEADER_BYTES} that readers accept`);
  }
  const padded = Math.ceil(header.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded + offset);
  new DataView(bytes.buffer).setUint32(0, padded, true); // the high half of the u64 stays 0
  bytes.set(header, 8);
  bytes.fill(0x20, 8 + header.length, 8 + padded);
  const dataStart = 8 + padded;
  for (const { t, begin } of placed) {
    const values = t.toTypedArray(); // row-major, whatever the strides
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataStart + begin);
  }
  if (typeof path === "string") writeFile(path, bytes);
  return bytes;
}

/**
 * The tensors of a safetensors file: its bytes, or a path to read (Node only). They are new
 * tensors that do not require grad, in the order of their data; F32, F64, I32 and BOOL load
 * as float32, float64, int32 and bool; U8, I8, I16, U16 as int32; F16, BF16, F8_E4M3 and
 * F8_E5M2 as float32 (exactly); I64, U64 and U32 as int32 when every value fits, else a
 * RangeError naming the tensor.
 */
export function load(source: Uint8Array | ArrayBuffer | string): Record<string, Tensor> {
  const bytes = sourceBytes("load", source);
  const header = parseHeader("load", bytes, bytes.length);
  for (const e of header.entries) checkLoadable(e.name, e.dtype, e.shape);
  const out: Record<string, Tensor> = {};
  try {
    for (const e of header.entries) {
      const reader = READERS[e.dtype];
      const values = reader.read(bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end), e.name, e.dtype);
      // defineProperty, so that a tensor named "__proto__" is an entry like any other
      Object.defineProperty(out, e.name, {
        value: tensor(values, { shape: e.shape, dtype: reader.dtype }), enumerable: true, writable: true, configurable: true,
      });
    }
  } catch (error) {
    for (const t of Object.values(out)) t.dispose();
    throw error;
  }
  return out;
}

/**
 * The __metadata__ strings of a safetensors file (bytes, or a path: only its header is read),
 * or null when it has none. The whole header is checked, as load() checks it.
 */
export function load_metadata(source: Uint8Array | ArrayBuffer | string): Record<string, string> | null {
  let header: Header;
  if (typeof source === "string") header = readFileHeader(source);
  else {
    const bytes = sourceBytes("load_metadata", source);
    header = parseHeader("load_metadata", bytes, bytes.length);
  }
  return header.metadata === null ? null : { ...header.metadata };
}

function namedTensors(tensors: unknown): { name: string; tensor: Tensor }[] {
  const entries = tensors instanceof Map ? [...tensors.entries()]
    : tensors !== null && typeof tensors === "object" && !Array.isArray(tensors) && !(tensors instanceof Tensor)
      ? Object.entries(tensors) : null;
  if (entries === null) {
    throw new TypeError(`save(): expected tensors by name (an object or a Map of Tensors), got ${describe(tensors)}`);
  }
  return entries.map(([name, t]) => {
    if (typeof name !== "string") throw new TypeError(`save(): names must be strings, got ${describe(name)}`);
    if (name === "__metadata__") throw new Error("save(): the name \"__metadata__\" is reserved for metadata; pass it as { metadata }");
    if (!(t instanceof Tensor)) throw new TypeError(`save(): ${JSON.stringify(name)} is ${describe(t)}, expected a Tensor`);
    if (t._id === 0 && t._evicted === null) throw new Error(`save(): tensor ${JSON.stringify(name)} was disposed`);
    return { name, tensor: t };
  });
}

function metadataJson(metadata: Record<string, string>): string {
  const keys = Object.keys(metadata).sort(compareCodePoints);
  for (const k of keys) {
    if (typeof metadata[k] !== "string") {
      throw new TypeError(`save(): metadata values must be strings, but ${JSON.stringify(k)} is ${describe(metadata[k])}`);
    }
  }
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`;
}

// The order of UTF-8 bytes (the reference implementation sorts names so), where < compares
// UTF-16 units and puts U+E000..U+FFFF after the surrogates of higher code points.
function compareCodePoints(a: string, b: string): number {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function checkLoadable(name: string, dtype: string, shape: number[]): void {
  const of = `tensor ${JSON.stringify(name)}`;
  if (!Object.hasOwn(READERS, dtype)) {
    throw new TypeError(`load(): ${of} has dtype ${dtype}, which wasmgrad cannot load; wasmgrad reads ` +
      `${Object.keys(READERS).join(", ")} (as ${DTYPES.join(", ")}): convert it before saving`);
  }
  if (shape.length > MAX_DIMS) throw new Error(`load(): ${of} has ${shape.length} dims; wasmgrad supports at most ${MAX_DIMS}`);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel > MAX_NUMEL) throw new RangeError(`load(): ${of} has ${numel} elements, more than the ${MAX_NUMEL} a wasmgrad tensor can hold`);
}

function sourceBytes(op: string, source: unknown): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === "string") return readFile(op, source);
  throw new TypeError(`${op}(): expected the file's bytes (a Uint8Array or an ArrayBuffer) or a path, got ${describe(source)}`);
}

// ---- files (Node) -----------------------------------------------------------------------

interface NodeFs {
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array): void;
  openSync(path: string, flags: string): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  fstatSync(fd: number): { size: number };
  closeSync(fd: number): void;
}

function nodeFs(op: string, instead: string): NodeFs {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = process?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
  if (fs === undefined) {
    throw new Error(`${op}(): a path needs Node 20.16 or later (process.getBuiltinModule), which this environment ` +
      `is not; ${instead}`);
  }
  return fs;
}

function withPath<T>(op: string, verb: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new Error(`${op}(): could not ${verb} ${JSON.stringify(path)}: ${(error as Error).message}`, { cause: error });
  }
}

function writeFile(path: string, bytes: Uint8Array): void {
  const fs = nodeFs("save", "call save(tensors) without a path and write the bytes it returns yourself");
  withPath("save", "write", path, () => fs.writeFileSync(path, bytes));
}

function readFile(op: string, path: string): Uint8Array {
  const fs = nodeFs(op, `read the file yourself and pass its bytes (a Uint8Array or an ArrayBuffer) to ${op}()`);
  return withPath(op, "read", path, () => fs.readFileSync(path));
}

// Only the header, so that the metadata of a large file costs little.
function readFileHeader(path: string): Header {
  const fs = nodeFs("load_metadata", "read the file yourself and pass its bytes to load_metadata()");
  const { head, size } = withPath("load_metadata", "read", path, () => {
    const fd = fs.openSync(path, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const prefix = new Uint8Array(Math.min(8, size));
      fs.readSync(fd, prefix, 0, prefix.length, 0);
      if (size < 8) return { head: prefix, size };
      const v = new DataView(prefix.buffer);
      const n = Math.min(v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32, MAX_HEADER_BYTES + 1, size - 8);
      const head = new Uint8Array(8 + n);
      head.set(prefix);
      fs.readSync(fd, head, 8, n, 8);
      return { head, size };
    } finally {
      fs.closeSync(fd);
    }
  });
  return parseHeader("load_metadata", head, size);
}
