// Reductions built from max and sum: min (full, or over a dim with indices), amin, argmax,
// argmin, all, any, count_nonzero, logsumexp, var and std, as Tensor methods (added to the
// class here). A
// minimum is the maximum of the order-reversed tensor: -x for floats (so gradients flow,
// ties shared as in amax), ~x = -x - 1 for int32 (no overflow at the extremes) and not x
// for bools.

import { Tensor, type MaxResult } from "./tensor.js";
import { checkOptions } from "./options.js";
import { fail, normalizeDim } from "./shape.js";
import { scope } from "./lifetime.js";

declare module "./tensor.js" {
  interface Tensor {
    /** The smallest element; or over a dim, { values, indices } (the gradient to the first arg-min). */
    min(): Tensor;
    min(dim: number, keepdim?: boolean): MaxResult;
    /** The min over dim (an int or a list; all by default), the gradient shared between tied minima (PyTorch's amin). */
    amin(dim?: number | number[] | null, keepdim?: boolean): Tensor;
    /** Index (int32) of the first maximum, over all elements (flattened) or along dim. */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /** Index (int32) of the first minimum, over all elements (flattened) or along dim. */
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** Whether every element (or every one along dims) is nonzero: bool. */
    all(dim?: number | number[], keepdim?: boolean): Tensor;
    /** Whether some element (or some along dims) is nonzero: bool. */
    any(dim?: number | number[], keepdim?: boolean): Tensor;
    /** The number of nonzero elements (int32), in all or along dims. */
    count_nonzero(dim?: number | number[]): Tensor;
    /** log(sum(exp(x))) along dims, computed without overflow; its gradient is the softmax. */
    logsumexp(dim: number | number[], keepdim?: boolean): Tensor;
    /** The sum over dims (all by default) with NaN counted as zero. */
    nansum(dim?: number | number[] | null, keepdim?: boolean): Tensor;
    /** The mean over dims (all by default) of the elements that are not NaN. */
    nanmean(dim?: number | number[] | null, keepdim?: boolean): Tensor;
    /** The variance over dims (all by default), divided by N - correction (1: unbiased). */
    var(dim?: number | number[] | null, options?: { correction?: number; keepdim?: boolean }): Tensor;
    /** The standard deviation: sqrt(var(dim, options)). */
    std(dim?: number | number[] | null, options?: { correction?: number; keepdim?: boolean }): Tensor;
  }
}

// x with its order reversed, and the inverse of that on a result.
function reversed(x: Tensor): Tensor {
  if (x.dtype === "bool") return x.logical_not();
  return x.dtype === "int32" ? x.neg().sub(1) : x.neg();
}

function min(this: Tensor, dim?: number, keepdim = false): Tensor | MaxResult {
  const r = reversed(this);
  if (dim === undefined) return reversed(r.max());
  const { values, indices } = r.max(dim, keepdim);
  return { values: reversed(values), indices };
}
Tensor.prototype.min = min as Tensor["min"];

Tensor.prototype.amin = function amin(this: Tensor, dim: number | number[] | null = null, keepdim = false) {
  return reversed(reversed(this).amax(dim, keepdim));
};

Tensor.prototype.argmax = function argmax(this: Tensor, dim?: number, keepdim = false) {
  if (dim === undefined) return this.flatten().max(0).indices;
  return this.max(dim, keepdim).indices;
};

Tensor.prototype.argmin = function argmin(this: Tensor, dim?: number, keepdim = false) {
  return reversed(this).argmax(dim, keepdim);
};

Tensor.prototype.all = function all(this: Tensor, dim?: number | number[], keepdim = false) {
  return this.eq(0).sum(dim, keepdim).eq(0);
};

Tensor.prototype.any = function any(this: Tensor, dim?: number | number[], keepdim = false) {
  return this.ne(0).sum(dim, keepdim).gt(0);
};

Tensor.prototype.count_nonzero = function countNonzero(this: Tensor, dim?: number | number[]) {
  return this.ne(0).sum(dim);
};

Tensor.prototype.logsumexp = function logsumexp(this: Tensor, dim: number | number[], keepdim = false) {
  const x = this.dtype === "float32" || this.dtype === "float64" ? this : this.float();
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim("logsumexp", d, x.ndim));
  // the shift m (the max, or 0 where it is infinite) is a constant: the gradient is exp(x - lse)
  let m = x.detach();
  for (const d of [...dims].sort((a, b) => b - a)) m = m.amax(d, true);
  m = m.where(m.isfinite(), 0);
  const out = x.sub(m).exp().sum(dims, true).log().add(m);
  return keepdim ? out : out.reshape(reducedShape(x.shape, dims));
};

function reducedShape(shape: number[], dims: number[]): number[] {
  return shape.filter((_, d) => !dims.includes(d));
}

const VAR_OPTIONS = { correction: "number", keepdim: "boolean" } as const;

Tensor.prototype.var = function variance(this: Tensor, dim?: number | number[] | null, options = {}) {
  checkOptions("var", options, VAR_OPTIONS);
  const correction = options.correction ?? 1, keepdim = options.keepdim ?? false;
  if (this.dtype !== "float32" && this.dtype !== "float64") fail("var", "var only supports floating-point dtypes");
  const dims = dim === undefined || dim === null ? this.shape.map((_, d) => d)
    : (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim("var", d, this.ndim));
  const n = dims.reduce((acc, d) => acc * this.shape[d], 1);
  const centred = this.sub(this.mean(dims, true));
  return centred.mul(centred).sum(dims, keepdim).div(Math.max(n - correction, 0));
};

Tensor.prototype.std = function std(this: Tensor, dim?: number | number[] | null, options = {}) {
  return this.var(dim, options).sqrt();
};

// NaN elements are left out through where, so they take no gradient, as in PyTorch.
Tensor.prototype.nansum = function nansum(this: Tensor, dim = null, keepdim = false) {
  if (!this.is_floating_point) return this.sum(dim, keepdim);
  return scope(() => this.where(this.isnan().logical_not(), 0).sum(dim, keepdim));
};

Tensor.prototype.nanmean = function nanmean(this: Tensor, dim = null, keepdim = false) {
  if (!this.is_floating_point) fail("nanmean", `expected input to have floating point dtype but got ${this.dtype}`);
  return scope(() => {
    const kept = this.isnan().logical_not();
    return this.where(kept, 0).sum(dim, keepdim).div(kept.sum(dim, keepdim));
  });
};
