// Products, norms and orderings: prod, cumprod, norm (any p, over any dims), sort, argsort,
// topk and msort, as Tensor methods (added to the class here) and functions. Each is one
// op of the table (its kernel in the core) with the geometry checked and computed here.

import { Tensor } from "./tensor.js";
import { ops, writeScratch } from "./core.js";
import { checkOptions } from "./options.js";
import { describe, fail, normalizeDim } from "./shape.js";
import { lift } from "./lift.js";

declare module "./tensor.js" {
  interface Tensor {
    /** The product of all elements, or along dim; bools and integers multiply as int32. */
    prod(dim?: number | ProdOptions, keepdim?: boolean): Tensor;
    /** The running products along dim; bools and integers as int32. */
    cumprod(dim: number): Tensor;
    /**
     * The p-norm (2 by default; also 1, Infinity, -Infinity, 0, "fro" or any p > 0) over dim
     * (an int or a list; all dims by default), with PyTorch's gradients.
     */
    norm(p?: NormOrder | NormOptions | null, dim?: number | number[] | null, keepdim?: boolean): Tensor;
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
  const x = integerAsInt32(this);
  if (dim === undefined) return productAlong(this.ndim === 0 ? x : x.reshape([-1]), 0, []);
  const d = normalizeDim("prod", dim, this.ndim);
  const shape = this.shape.flatMap((s, e) => (e !== d ? [s] : keepdim ? [1] : []));
  return productAlong(x, d, shape);
}
Tensor.prototype.prod = prodMethod;

function productAlong(x: Tensor, d: number, shape: number[]): Tensor {
  writeScratch(shape);
  return new Tensor(ops.opProd(x._live("prod"), d, shape.length), shape, x.dtype);
}

Tensor.prototype.cumprod = function cumprod(this: Tensor, dim: number) {
  this._live("cumprod");
  const d = this.ndim === 0 ? normalizeDim("cumprod", dim, 0) : normalizeDim("cumprod", dim, this.ndim);
  const x = integerAsInt32(this);
  return new Tensor(ops.opCumprod(x._live("cumprod"), d, 0), this.shape, x.dtype);
};

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

const TORCH_DTYPE_NAMES: Record<string, string> = { int32: "Int", bool: "Bool", float32: "Float", float64: "Double" };

function normMethod(this: Tensor, p?: NormOrder | NormOptions | null, dim?: number | number[] | null, keepdim = false): Tensor {
  this._live("norm");
  if (typeof p === "object" && p !== null) {
    checkOptions("norm", p, NORM_OPTIONS);
    return this.norm(p.p, p.dim, p.keepdim ?? false);
  }
  if (this.dtype !== "float32" && this.dtype !== "float64") {
    fail("norm", `input dtype should be either floating point or complex. Got ${TORCH_DTYPE_NAMES[this.dtype]} instead.`);
  }
  if (typeof keepdim !== "boolean") throw new TypeError(`norm(): keepdim must be a boolean, got ${describe(keepdim)}`);
  const dims = reducedDims("norm", this, dim);
  const order = normOrder(p ?? 2, dims, dim);
  const kept = this.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  // the reduced dims last (a view), so that each output element is the norm of one row
  const moved = kept.every((d, i) => d === i) ? this : this.permute([...kept, ...dims]);
  const shape = this.shape.flatMap((s, d) => (!dims.includes(d) ? [s] : keepdim ? [1] : []));
  writeScratch(shape);
  return new Tensor(ops.opNorm(moved._live("norm"), order, kept.length, shape.length), shape, this.dtype);
}
Tensor.prototype.norm = normMethod;

function normOrder(p: unknown, dims: number[], dim: unknown): number {
  if (p === "fro") {
    if (Array.isArray(dim) && dim.length > 2) {
      fail("norm", `Expected at most 2 dimensions, but got ${dim.length} dimensions instead.`);
    }
    return 2;
  }
  if (p === "nuc") fail("norm", "the nuclear norm is not supported; use p = 2 or another number");
  if (typeof p !== "number" || Number.isNaN(p)) throw new TypeError(`norm(): p must be a number or 'fro', got ${describe(p)}`);
  if (p < 0 && p !== -Infinity) fail("norm", `p must be positive, 0, Infinity or -Infinity, got ${p}`);
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

export function prod(x: Tensor, dim?: number | ProdOptions, keepdim = false): Tensor {
  return lift("prod", x).prod(dim, keepdim);
}
export const cumprod = (x: Tensor, dim: number): Tensor => lift("cumprod", x).cumprod(dim);
