// Shape arithmetic and argument checks. Every error a user can cause is thrown here,
// before the core is called, naming the op and the shapes; wording follows PyTorch's.

export type Shape = readonly number[];

export const MAX_DIMS = 8;

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fail(op: string, message: string): never {
  throw new Error(`${op}(): ${message}`);
}

/** Largest tensor the core can hold: the wasm allocator's blocks are just under 1 GiB. */
export const MAX_NUMEL = 2 ** 28 - 4;

/** Refuses shapes whose data would not fit in wasm memory, before anything is allocated. */
export function checkSize(op: string, shape: Shape): void {
  const n = numelOf(shape);
  if (n > MAX_NUMEL) {
    fail(op, `cannot allocate a tensor of shape ${formatShape(shape)}: ${n * 4} bytes requested, ` +
      `more than the ${MAX_NUMEL * 4} bytes that one tensor can hold in wasm memory`);
  }
}

export function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  if (a === b) return a; // shapes are never mutated: the common case costs nothing
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let d = 0; d < rank; d++) {
    const da = d - (rank - a.length), db = d - (rank - b.length);
    const sa = da >= 0 ? a[da] : 1, sb = db >= 0 ? b[db] : 1;
    if (sa !== sb && sa !== 1 && sb !== 1) {
      fail(op, `The size of tensor a (${sa}) must match the size of tensor b (${sb}) at ` +
        `non-singleton dimension ${d}; shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    }
    out[d] = sa === 1 ? sb : sa;
  }
  checkSize(op, out);
  return out;
}

/** A dim in [-rank, rank) made non-negative. A 0-d tensor accepts 0 and -1, as in PyTorch. */
export function normalizeDim(op: string, dim: unknown, rank: number): number {
  if (typeof dim !== "number" || !Number.isInteger(dim)) {
    fail(op, `dim must be an integer, got ${describe(dim)}`);
  }
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) {
    throw new RangeError(`${op}(): Dimension out of range (expected to be in range of ` +
      `[${-r}, ${r - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + r : dim;
}

export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) fail(op, `shape must be an array of non-negative integers, got ${describe(shape)}`);
  if (shape.length > MAX_DIMS) fail(op, `at most ${MAX_DIMS} dimensions are supported, got ${shape.length}`);
  for (const s of shape) {
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0) {
      fail(op, `shape must be an array of non-negative integers, got ${formatValue(shape)}`);
    }
  }
  checkSize(op, shape);
  return shape.slice();
}

/** The shape for reshape/view, with one -1 inferred. */
export function inferShape(op: string, requested: unknown, numel: number): number[] {
  if (!Array.isArray(requested)) fail(op, `shape must be an array of integers, got ${describe(requested)}`);
  let inferAt = -1;
  let known = 1;
  requested.forEach((s, i) => {
    if (typeof s !== "number" || !Number.isInteger(s) || s < -1) {
      fail(op, `shape must be integers >= -1, got ${formatValue(requested)}`);
    }
    if (s === -1) {
      if (inferAt >= 0) fail(op, "only one dimension can be inferred");
      inferAt = i;
    } else known *= s;
  });
  const shape = requested.slice() as number[];
  if (inferAt >= 0 && known !== 0 && numel % known === 0) shape[inferAt] = numel / known;
  if (shape.length > MAX_DIMS) fail(op, `at most ${MAX_DIMS} dimensions are supported, got ${shape.length}`);
  if (inferAt >= 0 ? shape[inferAt] === -1 : known !== numel) {
    fail(op, `shape '${formatShape(requested as number[])}' is invalid for input of size ${numel}`);
  }
  return shape;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function formatValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
