// Searching, counting and rearranging: searchsorted and bucketize (a binary search in the
// core, assembly/ops/sort.ts), bincount and histc (counts scattered with scatter_add),
// diff (narrow and sub), rot90 (flip and transpose), cartesian_prod (meshgrid and stack),
// block_diag (blocks copied into zeros), kron (a broadcast product) and cdist (norms of
// broadcast differences), as Tensor methods (added to the class here) and functions.
// PyTorch's int64 results are int32 here. As in PyTorch, searchsorted, bucketize, cdist,
// cartesian_prod and block_diag are functions only.

import { Tensor, tensorArg } from "./tensor.js";
import { ops } from "./core.js";
import { tensor, zeros, ones } from "./create.js";
import { cat, stack } from "./join-ops.js";
import { meshgrid } from "./rearrange-ops.js";
import { scope } from "./lifetime.js";
import { checkOptions } from "./options.js";
import { isFloating, resultType, scalarTypeName, type DType } from "./dtype.js";
import { describe, fail, formatShape, normalizeDim } from "./shape.js";

const tensorOption = { expected: "a Tensor", test: (v: unknown) => v instanceof Tensor || v === null };
const integerOption = { expected: "an integer", test: (v: unknown) => Number.isInteger(v) };

export interface SearchsortedOptions {
  /** The last fitting position (values equal to an element go after it) instead of the first. */
  right?: boolean;
  /** "right" as right: true; "left" (the default) as right: false. */
  side?: "left" | "right";
  /** Accepted for PyTorch's signature: the result is int32 either way. */
  out_int32?: boolean;
}

export interface DiffOptions {
  prepend?: Tensor;
  append?: Tensor;
}

declare module "./tensor.js" {
  interface Tensor {
    /** How often each value of a 1-D non-negative int32 tensor occurs (int32), or the sums of its weights. */
    bincount(options?: { weights?: Tensor | null; minlength?: number }): Tensor;
    /** The histogram of the elements in `bins` equal bins over [min, max] (the data's range when both are 0). */
    histc(options?: { bins?: number; min?: number; max?: number }): Tensor;
    /** The n-th forward difference along dim (the last by default), after prepend and append are joined on. */
    diff(n?: number | DiffOptions, dim?: number, options?: DiffOptions): Tensor;
    /** The tensor rotated by 90 degrees k times in the plane of dims, from the first towards the second. */
    rot90(k?: number, dims?: number[]): Tensor;
    /** The Kronecker product: every element of self times the whole of other, in blocks. */
    kron(other: Tensor): Tensor;
  }
}

// ---- searchsorted, bucketize ---------------------------------------------------------------

function rightOf(op: string, options: SearchsortedOptions): boolean {
  checkOptions(op, options, {
    right: "boolean", out_int32: "boolean",
    side: { expected: '"left" or "right"', test: (v) => v === "left" || v === "right" },
  });
  const { right = false, side } = options;
  if (side === "left" && right) {
    fail(op, "side and right can't be set to opposites, got side of left while right was True");
  }
  return right || side === "right";
}

/**
 * For each of values, the position in the sorted last dim of sorted_sequence where it would
 * be inserted to keep it sorted (int32). sorted_sequence is 1-D, or its leading dims are
 * values' leading dims.
 */
export function searchsorted(sorted_sequence: Tensor, values: Tensor | number, options: SearchsortedOptions = {}): Tensor {
  const op = "torch.searchsorted";
  const right = rightOf("searchsorted", options);
  const seq = tensorArg("searchsorted", "sorted_sequence", sorted_sequence);
  return scope(() => {
    const v = typeof values === "number" ? tensor(values, { dtype: seq.dtype }) : tensorArg("searchsorted", "values", values);
    if (seq.ndim === 0) fail(op, "boundaries tensor should have positive dimension, but got 0 dimension");
    const leading = (t: Tensor) => t._shape.slice(0, -1);
    if (seq.ndim !== 1 && (v.ndim !== seq.ndim || leading(seq).some((s, e) => s !== v._shape[e]))) {
      fail(op, `boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and ` +
        `input value tensor must match, but we got boundaries tensor ${formatShape(seq._shape)} and input value ` +
        `tensor ${formatShape(v._shape)}`);
    }
    if (seq.dtype === "bool" || v.dtype === "bool") fail(op, `"searchsorted_cpu" not implemented for 'Bool'`);
    const dtype = resultType(seq, v);
    const s = seq.to(dtype), w = v.to(dtype);
    return new Tensor(ops.opSearchsorted(s._live("searchsorted"), w._live("searchsorted"), right ? 1 : 0), v._shape, "int32");
  });
}

/** The index of each element's bucket among the 1-D sorted boundaries (int32). */
export function bucketize(input: Tensor | number, boundaries: Tensor, options: { right?: boolean; out_int32?: boolean } = {}): Tensor {
  checkOptions("bucketize", options, { right: "boolean", out_int32: "boolean" });
  const b = tensorArg("bucketize", "boundaries", boundaries);
  if (b.ndim !== 1) fail("bucketize", `boundaries tensor must be 1 dimension, but got dim(${b.ndim})`);
  return searchsorted(b, input, { right: options.right ?? false });
}

// ---- bincount, histc -------------------------------------------------------------------------

/** How often each value of input (1-D, non-negative, int32) occurs, or the sums of weights at those positions. */
export function bincount(input: Tensor, options: { weights?: Tensor | null; minlength?: number } = {}): Tensor {
  checkOptions("bincount", options, { weights: tensorOption, minlength: integerOption });
  const x = tensorArg("bincount", "input", input);
  const { weights = null, minlength = 0 } = options;
  if (x.dtype !== "int32" && x.dtype !== "bool") fail("bincount", `"bincount_cpu" not implemented for '${scalarTypeName(x.dtype)}'`);
  if (minlength < 0) fail("bincount", "minlength should be >= 0");
  return scope(() => {
    const values = x.int();
    if (x.ndim !== 1 || (x.numel() > 0 && values.min().item() < 0)) {
      fail("bincount", "bincount only supports 1-d non-negative integral inputs.");
    }
    if (weights !== null && (weights.ndim !== 1 || weights.numel() !== x.numel())) {
      fail("bincount", "weights should be 1-d and have the same length as input");
    }
    const size = Math.max(minlength, x.numel() > 0 ? values.max().item() + 1 : 0);
    // PyTorch defines no gradient for the weights: they are taken as constants
    const dtype: DType = weights === null ? "int32" : isFloating(weights.dtype) ? weights.dtype : "float64";
    const added = weights === null ? ones([x.numel()], { dtype }) : weights.detach().to(dtype);
    return zeros([size], { dtype }).scatter_add(0, values, added);
  });
}

/** The histogram of input's elements in `bins` equal bins between min and max; elements outside are left out. */
export function histc(input: Tensor, options: { bins?: number; min?: number; max?: number } = {}): Tensor {
  checkOptions("histc", options, { bins: integerOption, min: "number", max: "number" });
  const x = tensorArg("histc", "input", input);
  let { bins = 100, min = 0, max = 0 } = options;
  if (!isFloating(x.dtype)) fail("histc", `"histogram_cpu" not implemented for '${scalarTypeName(x.dtype)}'`);
  if (bins <= 0) fail("histc", `torch.histogram(): bins must be > 0, but got ${bins} for dimension 0`);
  return scope(() => {
    const flat = x.detach().reshape([-1]);
    if (min === max && flat.numel() > 0) { min = flat.min().item(); max = flat.max().item(); }
    if (min === max) { min -= 1; max += 1; }
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      fail("histc", `torch.histc: range of [${min}, ${max}] is not finite`);
    }
    if (min > max) fail("histc", "torch.histc: max must be larger than min");
    // the bin of each element in [min, max] by linear interpolation, as PyTorch (max goes in
    // the last bin); PyTorch counts NaN in the first bin
    const inside = flat.ge(min).logical_and(flat.le(max));
    const kept = inside.logical_or(flat.isnan());
    const position = flat.where(inside, min).sub(min).mul(bins).div(max - min).floor().int().clamp_max(bins - 1);
    return zeros([bins], { dtype: x.dtype }).scatter_add(0, position, kept.to(x.dtype));
  });
}

Tensor.prototype.bincount = function (this: Tensor, options = {}) {
  return bincount(this, options);
};
Tensor.prototype.histc = function (this: Tensor, options = {}) {
  return histc(this, options);
};

// ---- diff, rot90 -------------------------------------------------------------------------------

/** The n-th forward difference along dim: out[i] = x[i + 1] - x[i], n times (bools: x[i + 1] != x[i]). */
export function diff(input: Tensor, n: number | DiffOptions = 1, dim = -1, options: DiffOptions = {}): Tensor {
  if (typeof n === "object") return diff(input, 1, dim, n);
  checkOptions("diff", options, { prepend: tensorOption, append: tensorOption });
  const x = tensorArg("diff", "input", input);
  if (!Number.isInteger(n)) throw new TypeError(`diff(): argument 'n' must be an integer, got ${describe(n)}`);
  if (x.ndim === 0) fail("diff", "diff expects input to be at least one-dimensional");
  const d = normalizeDim("diff", dim, x.ndim);
  const ends = [options.prepend, options.append].filter((t): t is Tensor => t !== undefined);
  if (ends.some((t) => t.ndim !== x.ndim)) fail("diff", "diff expects prepend or append to be the same dimension as input");
  return scope(() => {
    let out = ends.length === 0 ? x : cat([...(options.prepend ? [options.prepend] : []), x, ...(options.append ? [options.append] : [])], d);
    for (let k = 0; k < n && out._shape[d] > 0; k++) {
      const len = out._shape[d] - 1;
      const later = out.narrow(d, 1, len), earlier = out.narrow(d, 0, len);
      out = out.dtype === "bool" ? later.ne(earlier) : later.sub(earlier);
    }
    return out === x ? x.clone() : out;
  });
}

/** input rotated by 90 degrees k times in the plane of dims (from dims[0] towards dims[1]). */
export function rot90(input: Tensor, k = 1, dims: number[] = [0, 1]): Tensor {
  const x = tensorArg("rot90", "input", input);
  if (!Number.isInteger(k)) throw new TypeError(`rot90(): argument 'k' must be an integer, got ${describe(k)}`);
  if (!Array.isArray(dims) || dims.length !== 2) {
    fail("rot90", `expected total rotation dims == 2, but got dims = ${Array.isArray(dims) ? dims.length : describe(dims)}`);
  }
  const rank = x.ndim;
  if (rank < 2) fail("rot90", `expected total dims >= 2, but got total dims = ${rank}`);
  const [d0, d1] = dims;
  if (d0 === d1 || Math.abs(d0 - d1) === rank) {
    fail("rot90", `expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`);
  }
  if (!(d0 < rank && d0 >= -rank)) throw new RangeError(`rot90(): Rotation dim0 out of range, dim0 = ${d0}`);
  if (!(d1 < rank && d1 >= -rank)) throw new RangeError(`rot90(): Rotation dim1 out of range, dim1 = ${d1}`);
  switch (((k % 4) + 4) % 4) {
    case 1: return scope(() => x.flip(d1).transpose(d0, d1));
    case 2: return x.flip(d0, d1);
    case 3: return scope(() => x.flip(d0).transpose(d0, d1));
    default: return x.clone();
  }
}

Tensor.prototype.diff = function (this: Tensor, n = 1, dim = -1, options = {}) {
  return diff(this, n, dim, options);
};
Tensor.prototype.rot90 = function (this: Tensor, k = 1, dims = [0, 1]) {
  return rot90(this, k, dims);
};

// ---- cartesian_prod, block_diag, kron, cdist ----------------------------------------------------

function tensorsOf(op: string, tensors: unknown[]): Tensor[] {
  const list = tensors.length === 1 && Array.isArray(tensors[0]) ? tensors[0] : tensors;
  return list.map((t, k) => tensorArg(op, `tensors[${k}]`, t));
}

/** Every combination of one element of each 1-D tensor, one per row (in row-major order). */
export function cartesian_prod(...tensors: Tensor[] | [Tensor[]]): Tensor {
  const ts = tensorsOf("cartesian_prod", tensors);
  for (const t of ts) if (t.ndim !== 1) fail("cartesian_prod", `Expect a 1D vector, but got shape ${formatShape(t._shape)}`);
  if (ts.length === 1) return ts[0].clone();
  return scope(() => stack(meshgrid(ts).map((grid) => grid.reshape([-1])), 1));
}

/** The tensors (0-, 1- or 2-D; a vector is one row) as the blocks of a block diagonal matrix; dtypes promote. */
export function block_diag(...tensors: Tensor[] | [Tensor[]]): Tensor {
  const ts = tensorsOf("block_diag", tensors);
  ts.forEach((t, k) => {
    if (t.ndim > 2) {
      fail("block_diag", `torch.block_diag: Input tensors must have 2 or fewer dimensions. Input ${k} has ${t.ndim} dimensions`);
    }
  });
  return scope(() => {
    const blocks = ts.map((t) => (t.ndim === 2 ? t : t.reshape([1, -1])));
    const rows = blocks.reduce((n, b) => n + b._shape[0], 0), cols = blocks.reduce((n, b) => n + b._shape[1], 0);
    const out = zeros([blocks.length === 0 ? 1 : rows, cols], { dtype: blocks.length === 0 ? undefined : resultType(...blocks) });
    let r = 0, c = 0;
    for (const b of blocks) { // written into views of out: the gradient is read back from them
      const [h, w] = b._shape;
      out.narrow(0, r, h).narrow(1, c, w).copy_(b);
      r += h; c += w;
    }
    return out;
  });
}

/** The Kronecker product of input and other (the one with fewer dims padded with leading 1s). */
export function kron(input: Tensor, other: Tensor): Tensor {
  const a = tensorArg("kron", "input", input), b = tensorArg("kron", "other", other);
  const rank = Math.max(a.ndim, b.ndim);
  const padded = (t: Tensor) => [...Array(rank - t.ndim).fill(1), ...t._shape];
  const sa = padded(a), sb = padded(b);
  return scope(() => {
    // a's dims interleaved with b's: out[i * nb + j] = a[i] * b[j] along each dim
    const ai = a.reshape(sa.flatMap((s) => [s, 1])), bi = b.reshape(sb.flatMap((s) => [1, s]));
    return ai.mul(bi).reshape(sa.map((s, d) => s * sb[d]));
  });
}

Tensor.prototype.kron = function (this: Tensor, other) {
  return kron(this, other);
};

/** The p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R], batch dims broadcast. */
export function cdist(x1: Tensor, x2: Tensor, p = 2): Tensor {
  const a = tensorArg("cdist", "x1", x1), b = tensorArg("cdist", "x2", x2);
  if (a.ndim < 2) fail("cdist", `cdist only supports at least 2D tensors, X1 got: ${a.ndim}D`);
  if (b.ndim < 2) fail("cdist", `cdist only supports at least 2D tensors, X2 got: ${b.ndim}D`);
  const m1 = a._shape[a.ndim - 1], m2 = b._shape[b.ndim - 1];
  if (m1 !== m2) fail("cdist", `X1 and X2 must have the same number of columns. X1: ${m1} X2: ${m2}`);
  if (!isFloating(a.dtype)) fail("cdist", `cdist only supports floating-point dtypes, X1 got: ${scalarTypeName(a.dtype)}`);
  if (!isFloating(b.dtype)) fail("cdist", `cdist only supports floating-point dtypes, X2 got: ${scalarTypeName(b.dtype)}`);
  if (a.dtype !== b.dtype) fail("cdist", `expected scalar type ${scalarTypeName(a.dtype)} but found ${scalarTypeName(b.dtype)}`);
  if (typeof p !== "number" || !(p >= 0)) fail("cdist", "cdist only supports non-negative p values");
  return scope(() => a.unsqueeze(-2).sub(b.unsqueeze(-3)).norm(p, -1));
}
