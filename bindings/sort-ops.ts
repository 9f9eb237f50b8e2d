// Products, norms and orderings: prod, cumprod, norm (any p, over any dims), sort, argsort,
// topk and msort, as Tensor methods (added to the class here) and functions. Each is one
// op of the table (its kernel in the core) with the geometry checked and computed here.

import { Tensor, allocate, type MaxResult } from "./tensor.js";
import { ops, writeScratch } from "./core.js";
import { checkOptions } from "./options.js";
import { describe, fail, normalizeDim } from "./shape.js";
import { lift } from "./lift.js";
import { isFloating, scalarTypeName } from "./dtype.js";

declare module "./tensor.js" {
  interface Tensor {
    /** The product of all elements, or along dim; bools and integers multiply as int32. */
    prod(dim?: number | ProdOptions, keepdim?: boolean): Tensor;
    /** The running products along dim; bools and integers as int32. */
    cumprod(dim: number): Tensor;
    /** log(cumsum(exp(x))) along dim, computed without overflow (floating tensors). */
    logcumsumexp(dim: number): Tensor;
    /**
     * The p-norm (2 by default; also 1, Infinity, -Infinity, 0, "fro" or any other p) over dim
     * (an int or a list; all dims by default), with PyTorch's gradients.
     */
    norm(p?: NormOrder | NormOptions | null, dim?: number | number[] | null, keepdim?: boolean): Tensor;
    /**
     * The elements sorted along dim (the last by default), ascending unless `descending`,
     * with their positions (int32); NaN sorts as the largest value. Always stable.
     */
    sort(dim?: number | SortOptions, descending?: boolean, options?: { stable?: boolean }): SortResult;
    /** The positions (int32) that sort the elements along dim: sort(...).indices. */
    argsort(dim?: number | SortOptions, descending?: boolean, options?: { stable?: boolean }): Tensor;
    /** The k largest (or smallest) elements along dim (the last by default), in order, with their positions. */
    topk(k: number, dim?: number | TopkOptions, largest?: boolean, sorted?: boolean): SortResult;
    /** The elements sorted along dim 0: sort(0).values. */
    msort(): Tensor;
  }
}

export interface ProdOptions {
  dim?: number;
  keepdim?: boolean;
}

// PyTorch reduces bools and integers in int64; the widest integer here is int32.
function integerAsInt32(x: Tensor): Tensor {
  return x.dtype === "bool" ? x.int() : x;
}

function prodMethod(this: Tensor, dim?: number | ProdOptions, keepdim = false): Tensor {
  this._live("prod");
  if (typeof dim === "object" && dim !== null) {
    checkOptions("prod", dim, { dim: "number", keepdim: "boolean" });
    return this.prod(dim.dim, dim.keepdim ?? false);
  }
  if (typeof keepdim !== "boolean") throw new TypeError(`prod(): keepdim must be a boolean, got ${describe(keepdim)}`);
  const d = dim === undefined ? 0 : normalizeDim("prod", dim, this.ndim);
  const x = integerAsInt32(this);
  const flat = dim === undefined && this.ndim > 0 ? x.reshape([-1]) : x;
  const shape = dim === undefined ? [] : this.shape.flatMap((s, e) => (e !== d ? [s] : keepdim ? [1] : []));
  const out = productAlong(flat, d, shape);
  disposeTemporaries(this, x, flat);
  return out;
}

// Disposes the handles of the intermediates made from x (a graph keeps what it needs).
function disposeTemporaries(x: Tensor, ...made: Tensor[]): void {
  for (const t of new Set(made)) if (t !== x) t.dispose();
}
Tensor.prototype.prod = prodMethod;

function productAlong(x: Tensor, d: number, shape: number[]): Tensor {
  writeScratch(shape);
  return new Tensor(ops.opProd(x._live("prod"), d, shape.length), shape, x.dtype);
}

Tensor.prototype.cumprod = function cumprod(this: Tensor, dim: number) {
  this._live("cumprod");
  const d = normalizeDim("cumprod", dim, this.ndim);
  const x = integerAsInt32(this);
  const out = new Tensor(ops.opCumprod(x._live("cumprod"), d, 0), this.shape, x.dtype);
  disposeTemporaries(this, x);
  return out;
};

/** The values of a sort or topk and their positions along the dim (int32). */
export type SortResult = MaxResult;

export interface SortOptions {
  dim?: number;
  descending?: boolean;
  stable?: boolean;
}

export interface TopkOptions {
  dim?: number;
  largest?: boolean;
  sorted?: boolean;
}

const SORT_OPTIONS = { dim: "number", descending: "boolean", stable: "boolean" } as const;
const TOPK_OPTIONS = { dim: "number", largest: "boolean", sorted: "boolean" } as const;

function sortMethod(this: Tensor, dim: number | SortOptions = -1, descending = false, options?: { stable?: boolean }): SortResult {
  this._live("sort");
  if (typeof dim === "object" && dim !== null) {
    checkOptions("sort", dim, SORT_OPTIONS);
    return this.sort(dim.dim ?? -1, dim.descending ?? false);
  }
  checkOptions("sort", options, { stable: "boolean" }); // every sort here is stable
  if (typeof descending !== "boolean") throw new TypeError(`sort(): descending must be a boolean, got ${describe(descending)}`);
  const d = normalizeDim("sort", dim, this.ndim);
  return sorted("sort", ops.opSort, this, d, this.ndim === 0 ? 1 : this.shape[d], descending);
}
Tensor.prototype.sort = sortMethod;

Tensor.prototype.argsort = function argsort(this: Tensor, dim: number | SortOptions = -1, descending = false, options?: { stable?: boolean }) {
  const { values, indices } = this.sort(dim, descending, options);
  values.dispose();
  return indices;
};

function topkMethod(this: Tensor, k: number, dim: number | TopkOptions = -1, largest = true, sorted_ = true): SortResult {
  this._live("topk");
  if (typeof dim === "object" && dim !== null) {
    checkOptions("topk", dim, TOPK_OPTIONS);
    return this.topk(k, dim.dim ?? -1, dim.largest ?? true, dim.sorted ?? true);
  }
  if (typeof k !== "number" || !Number.isInteger(k)) throw new TypeError(`topk(): argument 'k' must be an integer, got ${describe(k)}`);
  if (typeof largest !== "boolean") throw new TypeError(`topk(): largest must be a boolean, got ${describe(largest)}`);
  if (typeof sorted_ !== "boolean") throw new TypeError(`topk(): sorted must be a boolean, got ${describe(sorted_)}`);
  if (this.dtype === "bool") fail("topk", `"topk_cpu" not implemented for 'Bool'`);
  const d = normalizeDim("topk", dim, this.ndim);
  const len = this.ndim === 0 ? 1 : this.shape[d];
  if (k < 0 || k > len) fail("topk", `selected index k out of range (k = ${k}, size ${len} along dim ${d} of shape [${this.shape.join(", ")}])`);
  // the values come in order whether or not `sorted` asks for it
  return sorted("topk", ops.opTopk, this, d, this.ndim === 0 ? 1 : k, largest);
}
Tensor.prototype.topk = topkMethod;

Tensor.prototype.msort = function msort(this: Tensor) {
  return this.sort(0).values;
};

// The first `count` elements of each row along d in order, and their positions; bools are
// ordered as integers (false < true).
function sorted(op: string, entry: (x: number, indices: number, d: number, descending: number) => number,
  x: Tensor, d: number, count: number, descending: boolean): SortResult {
  const shape = x.ndim === 0 ? [] : x.shape.map((s, e) => (e === d ? count : s));
  const keys = x.dtype === "bool" ? x.int() : x;
  const indices = new Tensor(allocate(shape, "int32"), shape, "int32");
  const values = new Tensor(entry(keys._live(op), indices._live(op), d, descending ? 1 : 0), shape, keys.dtype);
  if (x.dtype !== "bool") return { values, indices };
  const flags = values.bool();
  disposeTemporaries(x, keys, values);
  return { values: flags, indices };
}

export function sort(x: Tensor, dim: number | SortOptions = -1, descending = false, options?: { stable?: boolean }): SortResult {
  return lift("sort", x).sort(dim, descending, options);
}
export function argsort(x: Tensor, dim: number | SortOptions = -1, descending = false, options?: { stable?: boolean }): Tensor {
  return lift("argsort", x).argsort(dim, descending, options);
}
export function topk(x: Tensor, k: number, dim: number | TopkOptions = -1, largest = true, sorted_ = true): SortResult {
  return lift("topk", x).topk(k, dim, largest, sorted_);
}
export const msort = (x: Tensor): Tensor => lift("msort", x).msort();

export type NormOrder = number | "fro";

export interface NormOptions {
  p?: NormOrder | null;
  dim?: number | number[] | null;
  keepdim?: boolean;
}

const NORM_OPTIONS = {
  p: { expected: "a number or 'fro'", test: (v: unknown) => v === null || typeof v === "number" || v === "fro" },
  dim: { expected: "an integer or a list of integers", test: (v: unknown) => v === null || typeof v === "number" || Array.isArray(v) },
  keepdim: "boolean",
} as const;

function normMethod(this: Tensor, p?: NormOrder | NormOptions | null, dim?: number | number[] | null, keepdim = false): Tensor {
  this._live("norm");
  if (typeof p === "object" && p !== null) {
    checkOptions("norm", p, NORM_OPTIONS);
    return this.norm(p.p, p.dim, p.keepdim ?? false);
  }
  if (!isFloating(this.dtype)) {
    fail("norm", `input dtype should be either floating point or complex. Got ${scalarTypeName(this.dtype)} instead.`);
  }
  if (typeof keepdim !== "boolean") throw new TypeError(`norm(): keepdim must be a boolean, got ${describe(keepdim)}`);
  const dims = reducedDims("norm", this, dim);
  const order = normOrder(p ?? 2, dim);
  const kept = this.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  // the reduced dims last (a view), so that each output element is the norm of one row
  const moved = kept.every((d, i) => d === i) ? this : this.permute([...kept, ...dims]);
  const shape = this.shape.flatMap((s, d) => (!dims.includes(d) ? [s] : keepdim ? [1] : []));
  writeScratch(shape);
  const out = new Tensor(ops.opNorm(moved._live("norm"), order, kept.length, shape.length), shape, this.dtype);
  disposeTemporaries(this, moved);
  return out;
}
Tensor.prototype.norm = normMethod;

function normOrder(p: unknown, dim: unknown): number {
  if (p === "fro") {
    if (Array.isArray(dim) && dim.length > 2) {
      fail("norm", `Expected at most 2 dimensions, but got ${dim.length} dimensions instead.`);
    }
    return 2;
  }
  if (p === "nuc") fail("norm", "the nuclear norm is not supported; use p = 2 or another number");
  if (typeof p !== "number" || Number.isNaN(p)) throw new TypeError(`norm(): p must be a number or 'fro', got ${describe(p)}`);
  return p;
}

// The dims a reduction covers, ascending: all of them for undefined, null or [].
function reducedDims(op: string, x: Tensor, dim: unknown): number[] {
  const all = x.shape.map((_, d) => d);
  if (dim === undefined || dim === null) return all;
  const list = Array.isArray(dim) ? dim : [dim];
  if (list.length === 0) return all;
  const dims: number[] = [];
  for (const d of list) {
    const n = normalizeDim(op, d, x.ndim);
    if (dims.includes(n)) fail(op, `dim ${n} appears multiple times in the list of dims`);
    dims.push(n);
  }
  return x.ndim === 0 ? [] : dims.sort((a, b) => a - b);
}

export function norm(x: Tensor, p?: NormOrder | NormOptions | null, dim?: number | number[] | null, keepdim = false): Tensor {
  return lift("norm", x).norm(p, dim, keepdim);
}

Tensor.prototype.logcumsumexp = function logcumsumexp(this: Tensor, dim: number) {
  this._live("logcumsumexp");
  const d = normalizeDim("logcumsumexp", dim, this.ndim);
  if (!isFloating(this.dtype)) {
    fail("logcumsumexp", `"logcumsumexp_out_cpu" not implemented for '${scalarTypeName(this.dtype)}'`);
  }
  return new Tensor(ops.opLogcumsumexp(this._live("logcumsumexp"), d, 0), this.shape, this.dtype);
};

export function prod(x: Tensor, dim?: number | ProdOptions, keepdim = false): Tensor {
  return lift("prod", x).prod(dim, keepdim);
}
export const cumprod = (x: Tensor, dim: number): Tensor => lift("cumprod", x).cumprod(dim);
export const logcumsumexp = (x: Tensor, dim: number): Tensor => lift("logcumsumexp", x).logcumsumexp(dim);
