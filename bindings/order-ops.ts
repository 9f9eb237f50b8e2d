// Order statistics: median, nanmedian, kthvalue, mode, cummax, cummin, unique and
// unique_consecutive, as Tensor methods (added to the class here) and functions. The
// selections along a dim and the running extremes are ops of the table (their kernels in
// the core: the sort kernel's keys and radix sort, and PyTorch's quickselect for kthvalue);
// median() of all elements and unique are built here from recorded ops.

import { Tensor, allocate, type MaxResult } from "./tensor.js";
import { core, ops, writeScratch } from "./core.js";
import { isBatched } from "./batching.js";
import { checkOptions } from "./options.js";
import { describe, fail, normalizeDim } from "./shape.js";
import { lift } from "./lift.js";
import { scalarTypeName } from "./dtype.js";
import { zeros, ones_like, full, arange } from "./create.js";
import { cat } from "./join-ops.js";

declare module "./tensor.js" {
  interface Tensor {
    /**
     * The lower median of all elements (NaN when there is a NaN), its gradient shared
     * between the elements equal to it; or along dim, with its position (int32).
     */
    median(): Tensor;
    median(dim: number | OrderOptions, keepdim?: boolean): OrderResult;
    /** median, ignoring NaN (NaN only where every element is NaN). */
    nanmedian(): Tensor;
    nanmedian(dim: number | OrderOptions, keepdim?: boolean): OrderResult;
    /** The k-th smallest element along dim (the last by default; k from 1), with its position. */
    kthvalue(k: number, dim?: number | OrderOptions, keepdim?: boolean): OrderResult;
    /** The most frequent value along dim (the smallest of the most frequent), with its last position. */
    mode(dim?: number | OrderOptions, keepdim?: boolean): OrderResult;
    /** The running max along dim, with the position where each was last reached. */
    cummax(dim: number | { dim: number }): OrderResult;
    /** The running min along dim, with the position where each was last reached. */
    cummin(dim: number | { dim: number }): OrderResult;
    /**
     * The distinct elements, ascending, with (when asked, in this order) the inverse indices
     * (int32, the input's shape: where each element is in the result) and the counts (int32).
     */
    unique(options?: UniqueOptions & { return_inverse?: false; return_counts?: false }): Tensor;
    unique(options: UniqueOptions): Tensor | Tensor[];
    /** unique of each run of equal consecutive elements, in their order. */
    unique_consecutive(options?: UniqueOptions & { return_inverse?: false; return_counts?: false }): Tensor;
    unique_consecutive(options: UniqueOptions): Tensor | Tensor[];
  }
}

/** The values chosen along a dim and their positions along it (int32). */
export type OrderResult = MaxResult;

export interface OrderOptions {
  dim?: number;
  keepdim?: boolean;
}

export interface UniqueOptions {
  sorted?: boolean;
  return_inverse?: boolean;
  return_counts?: boolean;
  dim?: number | null;
}

const ORDER_OPTIONS = { dim: "number", keepdim: "boolean" } as const;

// The core's selection kinds (assembly/ops/sort.ts, pickForward).
const KTH = 0, MEDIAN = 1, NANMEDIAN = 2, MODE = 3;
type Entry = (x: number, indices: number, d: number, k: number, kind: number, rank: number) => number;

// The element `kind` picks from each row along d (the k-th smallest, k from 0, for KTH),
// and its position; bools are ordered as integers.
function selectAlong(op: string, entry: Entry, x: Tensor, d: number, k: number, kind: number, keepdim: boolean): OrderResult {
  const len = x.ndim === 0 ? 1 : x.shape[d];
  if (len === 0) fail(op, `Expected reduction dim ${d} to have non-zero size.`);
  const kept = x.ndim === 0 ? [] : x.shape.map((s, e) => (e === d ? 1 : s));
  const shape = keepdim || x.ndim === 0 ? kept : x.shape.filter((_, e) => e !== d);
  const keys = x.dtype === "bool" ? x.int() : x;
  const positions = new Tensor(allocate(kept, "int32"), kept, "int32");
  writeScratch(shape);
  const values = new Tensor(entry(keys._live(op), positions._live(op), d, k, kind, shape.length), shape, keys.dtype);
  if (keys !== x) keys.dispose();
  const indices = shape.length === kept.length ? positions : positions.squeeze(d);
  if (indices !== positions) positions.dispose();
  if (x.dtype !== "bool") return { values, indices };
  const flags = values.bool();
  values.dispose();
  return { values: flags, indices };
}

function refuseBool(op: string, x: Tensor, kernel: string): void {
  if (x.dtype === "bool") fail(op, `"${kernel}" not implemented for '${scalarTypeName(x.dtype)}'`);
}

// The (dim, keepdim) of a selection along one dim, from positionals or an options object.
function dimArgs(op: string, x: Tensor, dim: number | OrderOptions | undefined, keepdim: unknown): [number, boolean] {
  if (typeof dim === "object" && dim !== null) {
    checkOptions(op, dim, ORDER_OPTIONS);
    return dimArgs(op, x, dim.dim ?? -1, dim.keepdim ?? false);
  }
  if (typeof keepdim !== "boolean") throw new TypeError(`${op}(): keepdim must be a boolean, got ${describe(keepdim)}`);
  return [normalizeDim(op, dim ?? -1, x.ndim), keepdim];
}

function medianMethod(op: "median" | "nanmedian", kind: number, entry: Entry) {
  return function (this: Tensor, dim?: number | OrderOptions, keepdim: boolean = false): Tensor | OrderResult {
    this._live(op);
    refuseBool(op, this, dim === undefined ? "median_cpu" : "median_out"); // PyTorch's names, for both
    if (dim === undefined) return medianOfAll(op, this, kind, entry);
    const [d, keep] = dimArgs(op, this, dim, keepdim);
    return selectAlong(op, entry, this, d, 0, kind, keep);
  };
}

// The median of every element. Its gradient is shared evenly between the elements equal to
// it (the NaNs, when it is NaN), as PyTorch's evenly_distribute_backward does: those
// elements are selected and their amax (which shares its gradient so) is the result.
function medianOfAll(op: string, x: Tensor, kind: number, entry: Entry): Tensor {
  const flat = x.reshape([-1]);
  if (isBatched(flat._live(op))) { // under vmap each example has its own median: the one along the dim
    const { values, indices } = selectAlong(op, entry, flat, 0, 0, kind, false);
    indices.dispose();
    flat.dispose();
    return values;
  }
  if (flat.shape[0] === 0) {
    // no elements: NaN, or for integers the lowest value, as PyTorch gives (its int64's)
    const none = x.dtype === "int32" ? full([], -(2 ** 31), { dtype: "int32" }) : flat.sum().mul(NaN);
    flat.dispose();
    return none;
  }
  const { values, indices } = selectAlong(op, entry, flat.detach(), 0, 0, kind, false);
  indices.dispose();
  if (!x.requires_grad && !core.hasTangent(x._live(op))) { flat.dispose(); return values; } // nothing to differentiate
  const value = values.item();
  values.dispose();
  const mask = Number.isNaN(value) ? flat.isnan() : flat.eq(value);
  const chosen = flat.masked_select(mask);
  const median = chosen.amax();
  for (const t of [flat, mask, chosen]) t.dispose();
  return median;
}

Tensor.prototype.median = medianMethod("median", MEDIAN, ops.opMedianDim) as Tensor["median"];
Tensor.prototype.nanmedian = medianMethod("nanmedian", NANMEDIAN, ops.opNanmedianDim) as Tensor["nanmedian"];

Tensor.prototype.kthvalue = function kthvalue(this: Tensor, k: number, dim?: number | OrderOptions, keepdim = false) {
  this._live("kthvalue");
  if (typeof k !== "number" || !Number.isInteger(k)) throw new TypeError(`kthvalue(): argument 'k' must be an integer, got ${describe(k)}`);
  refuseBool("kthvalue", this, "kthvalue_cpu");
  const [d, keep] = dimArgs("kthvalue", this, dim, keepdim);
  const len = this.ndim === 0 ? 1 : this.shape[d];
  if (len > 0 && (k < 1 || k > len)) {
    fail("kthvalue", `selected number k out of range for dimension ${d} (k = ${k}, size ${len} of shape [${this.shape.join(", ")}])`);
  }
  return selectAlong("kthvalue", ops.opKthvalue, this, d, k - 1, KTH, keep);
};

Tensor.prototype.mode = function mode(this: Tensor, dim?: number | OrderOptions, keepdim = false) {
  this._live("mode");
  const [d, keep] = dimArgs("mode", this, dim, keepdim);
  return selectAlong("mode", ops.opMode, this, d, 0, MODE, keep);
};

function cumExtreme(op: "cummax" | "cummin", x: Tensor, dim: number | { dim: number }, minimum: number): OrderResult {
  x._live(op);
  if (typeof dim === "object" && dim !== null) {
    checkOptions(op, dim, { dim: "number" });
    return cumExtreme(op, x, dim.dim, minimum);
  }
  const d = normalizeDim(op, dim, x.ndim);
  const keys = x.dtype === "bool" ? x.int() : x;
  const indices = new Tensor(allocate(x.shape, "int32"), x.shape, "int32");
  const entry = minimum ? ops.opCummin : ops.opCummax;
  const values = new Tensor(entry(keys._live(op), indices._live(op), d, minimum), x.shape, keys.dtype);
  if (keys === x) return { values, indices };
  keys.dispose();
  const flags = values.bool();
  values.dispose();
  return { values: flags, indices };
}

Tensor.prototype.cummax = function cummax(this: Tensor, dim: number | { dim: number }) {
  return cumExtreme("cummax", this, dim, 0);
};
Tensor.prototype.cummin = function cummin(this: Tensor, dim: number | { dim: number }) {
  return cumExtreme("cummin", this, dim, 1);
};

const UNIQUE_OPTIONS = {
  sorted: "boolean", return_inverse: "boolean", return_counts: "boolean",
  dim: { expected: "an integer or null", test: (v: unknown) => v === null || typeof v === "number" },
} as const;

// The distinct elements of x (of its runs of equal neighbours when `consecutive`), or its
// distinct slices along `dim`, with the inverse indices and counts asked for. The flattened elements are sorted (unless
// consecutive); each differing from the one before starts a group, whose number is the
// running count of starts; the groups' values, counts and each element's group are then
// scatters. Not differentiable, as in PyTorch.
function distinct(op: string, x: Tensor, options: UniqueOptions | undefined, consecutive: boolean): Tensor | Tensor[] {
  x._live(op);
  checkOptions(op, options, UNIQUE_OPTIONS);
  const { return_inverse = false, return_counts = false, dim = null } = options ?? {};
  if (dim !== null) return distinctAlong(op, x, dim, return_inverse, return_counts, consecutive);
  const flat = (x.dtype === "bool" ? x.int() : x).detach().reshape([-1]);
  const n = flat.shape[0];
  const { values: ordered, indices: order } = consecutive ? { values: flat, indices: null } : flat.sort();
  const groups = n === 0 ? zeros([0], { dtype: "int32" }) : groupNumbers(ordered, n);
  const count = n === 0 ? 0 : groups.narrow(0, n - 1, 1).item() + 1;
  const values = zeros([count], { dtype: flat.dtype }).scatter(0, groups, ordered);
  const out = [x.dtype === "bool" ? values.bool() : values];
  if (return_inverse) {
    const inverse = order === null ? groups : zeros([n], { dtype: "int32" }).scatter(0, order, groups);
    out.push(inverse.reshape(x.shape));
  }
  if (return_counts) out.push(zeros([count], { dtype: "int32" }).scatter_add(0, groups, ones_like(groups)));
  return out.length === 1 ? out[0] : out;
}

// The group of each of the n (> 0) ordered elements: 0 for the first, one more at each
// element that differs from the one before it (NaN differs from everything).
function groupNumbers(ordered: Tensor, n: number): Tensor {
  const starts = ordered.narrow(0, 1, n - 1).ne(ordered.narrow(0, 0, n - 1)).int();
  return cat([zeros([1], { dtype: "int32" }), starts]).cumsum(0);
}

// The distinct slices of x along dim (of its runs of equal neighbouring slices when
// `consecutive`), ordered lexicographically, as PyTorch's unique_dim: the slices as rows
// [n, m] are put in order by a stable sort on each column from the last to the first (a
// radix sort over the columns), and then grouped as the elements of a flattened unique.
function distinctAlong(op: string, x: Tensor, dim: number, returnInverse: boolean, returnCounts: boolean, consecutive: boolean): Tensor | Tensor[] {
  if (x.ndim === 0) fail(op, `Dimension specified as ${dim} but tensor has no dimensions`);
  const d = normalizeDim(op, dim, x.ndim);
  const n = x.shape[d], rest = x.shape.filter((_, e) => e !== d);
  if (rest.some((s) => s === 0)) fail(op, "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
  const m = rest.reduce((a, b) => a * b, 1);
  const rows = (x.dtype === "bool" ? x.int() : x).detach().movedim(d, 0).reshape([n, m]);
  let order = arange(n, { dtype: "int32" });
  for (let j = m - 1; j >= 0 && !consecutive; j--) {
    const column = rows.select(1, j).index_select(0, order), sorting = column.argsort();
    const next = order.index_select(0, sorting);
    for (const t of [column, sorting, order]) t.dispose();
    order = next;
  }
  const ordered = rows.index_select(0, order);
  const groups = n === 0 ? zeros([0], { dtype: "int32" }) : rowGroups(ordered, n);
  const count = n === 0 ? 0 : groups.narrow(0, n - 1, 1).item() + 1;
  const spread = groups.unsqueeze(1).expand([n, m]);
  const slices = zeros([count, m], { dtype: rows.dtype }).scatter(0, spread, ordered).reshape([count, ...rest]).movedim(0, d);
  const out = [x.dtype === "bool" ? slices.bool() : slices];
  if (returnInverse) out.push(zeros([n], { dtype: "int32" }).scatter(0, order, groups));
  if (returnCounts) out.push(zeros([count], { dtype: "int32" }).scatter_add(0, groups, ones_like(groups)));
  return out.length === 1 ? out[0] : out;
}

// The group of each of the n (> 0) ordered rows: one more at each row that differs from
// the one before it in any column.
function rowGroups(ordered: Tensor, n: number): Tensor {
  const starts = ordered.narrow(0, 1, n - 1).ne(ordered.narrow(0, 0, n - 1)).any(1).int();
  return cat([zeros([1], { dtype: "int32" }), starts]).cumsum(0);
}

Tensor.prototype.unique = function unique(this: Tensor, options?: UniqueOptions) {
  return distinct("unique", this, options, false);
} as Tensor["unique"];
Tensor.prototype.unique_consecutive = function unique_consecutive(this: Tensor, options?: UniqueOptions) {
  return distinct("unique_consecutive", this, options, true);
} as Tensor["unique_consecutive"];

export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number | OrderOptions, keepdim?: boolean): OrderResult;
export function median(x: Tensor, dim?: number | OrderOptions, keepdim = false): Tensor | OrderResult {
  const t = lift("median", x);
  return dim === undefined ? t.median() : t.median(dim, keepdim);
}
export function nanmedian(x: Tensor): Tensor;
export function nanmedian(x: Tensor, dim: number | OrderOptions, keepdim?: boolean): OrderResult;
export function nanmedian(x: Tensor, dim?: number | OrderOptions, keepdim = false): Tensor | OrderResult {
  const t = lift("nanmedian", x);
  return dim === undefined ? t.nanmedian() : t.nanmedian(dim, keepdim);
}
export const kthvalue = (x: Tensor, k: number, dim?: number | OrderOptions, keepdim = false): OrderResult =>
  lift("kthvalue", x).kthvalue(k, dim, keepdim);
export const mode = (x: Tensor, dim?: number | OrderOptions, keepdim = false): OrderResult => lift("mode", x).mode(dim, keepdim);
export const cummax = (x: Tensor, dim: number | { dim: number }): OrderResult => lift("cummax", x).cummax(dim);
export const cummin = (x: Tensor, dim: number | { dim: number }): OrderResult => lift("cummin", x).cummin(dim);
export function unique(x: Tensor, options?: UniqueOptions & { return_inverse?: false; return_counts?: false }): Tensor;
export function unique(x: Tensor, options: UniqueOptions): Tensor | Tensor[];
export function unique(x: Tensor, options?: UniqueOptions): Tensor | Tensor[] {
  return lift("unique", x).unique(options ?? {});
}
export function unique_consecutive(x: Tensor, options?: UniqueOptions & { return_inverse?: false; return_counts?: false }): Tensor;
export function unique_consecutive(x: Tensor, options: UniqueOptions): Tensor | Tensor[];
export function unique_consecutive(x: Tensor, options?: UniqueOptions): Tensor | Tensor[] {
  return lift("unique_consecutive", x).unique_consecutive(options ?? {});
}
