// The header of a safetensors file, checked as the format's specification requires
// (https://github.com/huggingface/safetensors#format), before any tensor is made: so that a
// truncated, corrupt or hostile file is a clear Error naming what is wrong, never a crash,
// a huge allocation or tensors holding garbage.
//
//   8 bytes     N, the header's length: an unsigned little-endian 64-bit integer
//   N bytes     a UTF-8 JSON object: { name: { dtype, shape, data_offsets: [begin, end] },
//               ..., "__metadata__"?: { string: string } }, maybe padded with spaces
//   the rest    the tensors' bytes: offsets count from here, and the tensors must cover it
//               exactly, without overlaps or holes

/** Larger headers are refused (the limit of the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bits per element of every dtype the format defines. */
export const FILE_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32,
  F64: 64, I64: 64, U64: 64, C64: 64, F8_E4M3: 8, F8_E5M2: 8, F8_E8M0: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte offsets into the data, which starts at Header.dataStart in the file. */
  begin: number;
  end: number;
}

export interface Header {
  /** In the order of their data. */
  entries: HeaderEntry[];
  metadata: Record<string, string> | null;
  dataStart: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks the header of a file of `fileLength` bytes, whose first bytes are `head` (all of
 * them, or at least 8 + N).
 */
export function parseHeader(op: string, head: Uint8Array, fileLength: number): Header {
  const bad = (message: string): never => {
    throw new Error(`${op}(): not a valid safetensors file: ${message}`);
  };
  if (fileLength < 8) bad(`it has ${fileLength} bytes, fewer than the 8 of the header length`);
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const low = view.getUint32(0, true), high = view.getUint32(4, true);
  const n = high * 2 ** 32 + low;
  if (n > MAX_HEADER_BYTES) bad(`the header length (${n} bytes) is larger than the ${MAX_HEADER_BYTES} bytes allowed`);
  if (8 + n > fileLength) bad(`the header length (${n} bytes) runs past the end of the file (${fileLength} bytes)`);
  let text: string;
  try {
    text = decoder.decode(head.subarray(8, 8 + n));
  } catch {
    return bad("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) bad("the header must be a JSON object, starting with '{'");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return bad(`the header is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== null) {
    bad(duplicate.within === null ? `the name ${quote(duplicate.key)} appears twice in the header`
      : `the key ${quote(duplicate.key)} appears twice in the entry of ${quote(duplicate.within)}`);
  }
  const dataStart = 8 + n, dataLength = fileLength - dataStart;
  let metadata: Record<string, string> | null = null;
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json as object)) {
    if (name === "__metadata__") metadata = checkMetadata(value, bad);
    else entries.push(checkEntry(name, value, bad));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0, previous: HeaderEntry | null = null;
  for (const e of entries) {
    if (e.begin < cursor) bad(`the data of ${quote(e.name)} overlaps that of ${quote(previous!.name)}`);
    if (e.begin > cursor) {
      bad(`no tensor holds bytes ${cursor} to ${e.begin} of the data` + (previous ? ` (after ${quote(previous.name)})` : ""));
    }
    if (e.end > dataLength) {
      bad(`the data of ${quote(e.name)} (bytes ${e.begin} to ${e.end}) runs past the end of the file (${dataLength} bytes of data)`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) bad(`the tensors hold ${cursor} bytes of data, but the file has ${dataLength} after the header`);
  return { entries, metadata, dataStart };
}

function checkMetadata(value: unknown, bad: (message: string) => never): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) bad("__metadata__ must be an object of strings");
  for (const [key, v] of Object.entries(value as object)) {
    if (typeof v !== "string") bad(`__metadata__ must be an object of strings, but ${quote(key)} is ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

function checkEntry(name: string, value: unknown, bad: (message: string) => never): HeaderEntry {
  const of = `of tensor ${quote(name)}`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) bad(`the entry ${of} must be an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string") bad(`the dtype ${of} is missing or not a string`);
  const bits = Object.hasOwn(FILE_DTYPE_BITS, dtype as string) ? FILE_DTYPE_BITS[dtype as string] : undefined;
  if (bits === undefined) {
    bad(`unknown dtype ${JSON.stringify(dtype)} ${of}; the format defines ${Object.keys(FILE_DTYPE_BITS).join(", ")}`);
  }
  const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) bad(`the shape ${of} must be an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    bad(`data_offsets ${of} must be [begin, end], two integers with 0 <= begin <= end`);
  }
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const bytes = (numel * bits) / 8;
  const [begin, end] = offsets as number[];
  if (bytes !== end - begin) {
    bad(`tensor ${quote(name)} of shape [${(shape as number[]).join(", ")}] and dtype ${dtype} needs ` +
      `${Number.isSafeInteger(bytes) ? bytes : "more than 2^53"} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype: dtype as string, shape: (shape as number[]).slice(), begin, end };
}

function quote(name: string): string {
  return JSON.stringify(name);
}

/**
 * The first key that appears twice in one object of `text` (valid JSON), with the key of the
 * entry it is in (null at the top level). JSON.parse keeps the last silently, where the
 * format requires names to be unique.
 */
function duplicateKey(text: string): { key: string; within: string | null } | null {
  // One frame per open object (its keys so far, and the key it is the value of) or array (null).
  const stack: ({ keys: Set<string>; within: string | null } | null)[] = [];
  let expectKey = false, lastKey: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { key, within: top.within };
        top.keys.add(key);
        lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push({ keys: new Set(), within: stack.length === 0 ? null : lastKey });
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return null;
}
