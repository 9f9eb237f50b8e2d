// Indexing along one dim, with PyTorch's checks and messages: gather, take_along_dim,
// index_select, scatter, scatter_add, index_add, index_copy, index_fill, masked_fill,
// masked_select, nonzero and index_put, out of place and in place (`_`), as Tensor methods
// (added to the class here). The core's take and put kernels (assembly/ops/index.ts) do the
// work; gradients flow to self and to the source. Index tensors are int32 (wasmgrad has no
// int64); arrays of integers are accepted too.

import { Tensor, tensorArg } from "./tensor.js";
import { core, ops } from "./core.js";
import { tensor, zeros, type NestedNumbers } from "./create.js";
import { scope } from "./lifetime.js";
import { no_grad } from "./autograd.js";
import { checkOptions } from "./options.js";
import { broadcastShapes, describe, fail, formatShape, normalizeDim } from "./shape.js";
import { torchName } from "./dtype.js";

/** scatter's `reduce` (PyTorch defines no gradient for it: the result is not differentiable). */
export interface ScatterOptions {
  reduce?: "add" | "multiply";
}

export type ScatterReduction = "sum" | "prod" | "mean" | "amax" | "amin";

// The core's reduce codes (assembly/ops/index.ts).
const REDUCTIONS: Record<ScatterReduction, number> = { sum: 1, prod: 2, mean: 3, amax: 4, amin: 5 };

/** An index: an int32 tensor, or an integer or (nested) array of integers. */
export type IndexLike = Tensor | NestedNumbers;

declare module "./tensor.js" {
  interface Tensor {
    /** out[i][j] = self[index[i][j]][j] (dim 0): values picked along dim, in index's shape. */
    gather(dim: number, index: IndexLike): Tensor;
    /** gather with index broadcast against self (all dims but dim); without dim, of the flattened tensor. */
    take_along_dim(indices: IndexLike, dim?: number | null): Tensor;
    /** The slices along dim at the positions in index (1-D), in that order. */
    index_select(dim: number, index: IndexLike): Tensor;
    /** A copy with src (or value) written at self[index[i][j]][j] (dim 0); repeated targets keep one write. */
    scatter(dim: number, index: IndexLike, src: Tensor | number, options?: ScatterOptions): Tensor;
    scatter_(dim: number, index: IndexLike, src: Tensor | number, options?: ScatterOptions): this;
    /**
     * A copy with each element of src reduced ("sum", "prod", "mean", "amax", "amin") into
     * self[index[i][j]][j] (dim 0), self's value taking part unless include_self is false.
     */
    scatter_reduce(dim: number, index: IndexLike, src: Tensor, reduce: ScatterReduction, options?: { include_self?: boolean }): Tensor;
    scatter_reduce_(dim: number, index: IndexLike, src: Tensor, reduce: ScatterReduction, options?: { include_self?: boolean }): this;
    /** A copy with src added at self[index[i][j]][j] (dim 0); repeated targets add up. */
    scatter_add(dim: number, index: IndexLike, src: Tensor): Tensor;
    scatter_add_(dim: number, index: IndexLike, src: Tensor): this;
    /** A copy with alpha * source's slices added at the positions in index along dim. */
    index_add(dim: number, index: IndexLike, source: Tensor, options?: { alpha?: number }): Tensor;
    index_add_(dim: number, index: IndexLike, source: Tensor, options?: { alpha?: number }): this;
    /** A copy with source's slices written at the positions in index along dim. */
    index_copy(dim: number, index: IndexLike, source: Tensor): Tensor;
    index_copy_(dim: number, index: IndexLike, source: Tensor): this;
    /** A copy with value written in the slices at the positions in index along dim. */
    index_fill(dim: number, index: IndexLike, value: Tensor | number): Tensor;
    index_fill_(dim: number, index: IndexLike, value: Tensor | number): this;
    /** value where mask (bool, broadcast) is true, self elsewhere. */
    masked_fill(mask: Tensor, value: Tensor | number): Tensor;
    masked_fill_(mask: Tensor, value: Tensor | number): this;
    /** The elements where mask (bool, broadcast with self) is true, as a 1-D tensor. */
    masked_select(mask: Tensor): Tensor;
    /** The coordinates of the nonzero elements, int32 [count, ndim]; or one 1-D tensor per dim. */
    nonzero(): Tensor;
    nonzero(options: { as_tuple: true }): Tensor[];
    nonzero(options: { as_tuple?: boolean }): Tensor | Tensor[];
    /** The elements at index (int32, any shape) of the flattened tensor, in index's shape. */
    take(index: IndexLike): Tensor;
    /** A copy with source written (or added) at index of the flattened tensor. */
    put(index: IndexLike, source: Tensor, accumulate?: boolean): Tensor;
    put_(index: IndexLike, source: Tensor, accumulate?: boolean): this;
    /** A copy with source's first elements written, in order, where mask (broadcast) is true. */
    masked_scatter(mask: Tensor, source: Tensor): Tensor;
    masked_scatter_(mask: Tensor, source: Tensor): this;
    /** A copy with values written (or added, with accumulate) at self[indices[0], indices[1], ...]. */
    index_put(indices: IndexLike[], values: Tensor | number, accumulate?: boolean): Tensor;
    index_put_(indices: IndexLike[], values: Tensor | number, accumulate?: boolean): this;
  }
}

// ---- arguments -----------------------------------------------------------------------------

function isIntegerArray(x: unknown): boolean {
  if (typeof x === "number") return Number.isInteger(x);
  return Array.isArray(x) && x.every(isIntegerArray);
}

/** index as an int32 tensor: itself, or a new tensor from integers (the caller's scope frees it). */
export function indexTensor(op: string, name: string, index: unknown): Tensor {
  if (index instanceof Tensor) {
    if (index.dtype !== "int32") {
      fail(op, `Expected dtype int32 for ${name} (wasmgrad's index dtype), but got ${torchName(index.dtype)}`);
    }
    return index;
  }
  if (isIntegerArray(index)) return tensor(index as NestedNumbers, { dtype: "int32" });
  throw new TypeError(`${op}(): argument '${name}' must be an int32 Tensor or an array of integers, got ${describe(index)}`);
}

/** Throws PyTorch's message unless every index lies in [-size, size) (in [0, size) without `negative`). */
export function checkRange(op: string, index: Tensor, size: number, d: number, negative: boolean): void {
  if (index.numel() > 0 && core.indexOutOfRange(index._live(op), negative ? -size : 0, size)) {
    throw new RangeError(`${op}(): index ${core.lastBadIndex()} is out of bounds for dimension ${d} with size ${size}`);
  }
}


function sameDtype(op: string, self: Tensor, other: Tensor, name: string): void {
  if (other.dtype !== self.dtype) {
    fail(op, `Expected self.dtype to be equal to ${name}.dtype (self is ${torchName(self.dtype)}, ` +
      `${name} is ${torchName(other.dtype)}); convert one with .to(dtype)`);
  }
}

const sizeAt = (t: Tensor, d: number) => (t.ndim === 0 ? 1 : t._shape[d]);

// ---- gather, take_along_dim --------------------------------------------------------------

Tensor.prototype.gather = function gather(this: Tensor, dim, index) {
  return scope(() => {
    const idx = indexTensor("gather", "index", index);
    const d = normalizeDim("gather", dim, this.ndim);
    if (idx.ndim !== this.ndim && !(idx.ndim <= 1 && this.ndim <= 1)) {
      fail("gather", `Index tensor must have the same number of dimensions as input tensor ` +
        `(index ${formatShape(idx._shape)}, input ${formatShape(this._shape)})`);
    }
    for (let e = 0; e < idx.ndim; e++) {
      if (e !== d && idx._shape[e] > sizeAt(this, e)) {
        fail("gather", `Size does not match at dimension ${e} expected index ${formatShape(idx._shape)} to be ` +
          `smaller than self ${formatShape(this._shape)} apart from dimension ${d}`);
      }
    }
    checkRange("gather", idx, sizeAt(this, d), d, false);
    const self = this.ndim < idx.ndim ? this.reshape(idx._shape.map(() => 1)) : this;
    return new Tensor(ops.opGather(self._live("gather"), idx._live("gather"), d), idx._shape, this.dtype);
  });
};

Tensor.prototype.take_along_dim = function take_along_dim(this: Tensor, indices, dim = null) {
  return scope(() => {
    const idx = indexTensor("take_along_dim", "indices", indices);
    if (dim === null) return this.reshape([-1]).gather(0, idx.reshape([-1]));
    const d = normalizeDim("take_along_dim", dim, this.ndim);
    if (idx.ndim !== this.ndim) {
      fail("take_along_dim", `input and indices should have the same number of dimensions, but got ` +
        `${this.ndim} dimensions for input, and ${idx.ndim} dimensions for indices`);
    }
    // Both broadcast over every dim but dim, as in PyTorch.
    const others = (t: Tensor) => t._shape.map((s, e) => (e === d ? 1 : s));
    const shape = broadcastShapes("take_along_dim", others(this), others(idx));
    const self = this.expand(shape.map((s, e) => (e === d ? sizeAt(this, d) : s)));
    return self.gather(d, idx.expand(shape.map((s, e) => (e === d ? sizeAt(idx, d) : s))));
  });
};

// ---- index_select --------------------------------------------------------------------------

// index as a vector (1-D or 0-d), checked against dim d of self.
function indexVector(op: string, self: Tensor, d: number, index: unknown, negative = false): Tensor {
  const idx = indexTensor(op, "index", index);
  if (idx.ndim > 1) fail(op, `Index is supposed to be a vector (got index of shape ${formatShape(idx._shape)})`);
  checkRange(op, idx, sizeAt(self, d), d, negative);
  return idx;
}

/** The slices of x along dim d (x has dims) at the checked positions of idx (1-D; negative ones count from the end). */
export function takeSlices(op: string, x: Tensor, d: number, idx: Tensor): Tensor {
  const shape = x._shape.slice();
  shape[d] = idx.numel();
  return new Tensor(ops.opIndexSelect(x._live(op), idx._live(op), d), shape, x.dtype);
}

Tensor.prototype.index_select = function index_select(this: Tensor, dim, index) {
  return scope(() => {
    const d = normalizeDim("index_select", dim, this.ndim);
    const idx = indexVector("index_select", this, d, index);
    if (this.ndim > 0) return takeSlices("index_select", this, d, idx);
    if (idx.numel() !== 1) fail("index_select", "index_select() on a 0-d tensor takes exactly one index");
    return this.clone();
  });
};

// ---- scatter, scatter_add ------------------------------------------------------------------

// src (cut to index's shape where it is larger: only that part is read) after PyTorch's checks.
function scatterSource(op: string, self: Tensor, d: number, idx: Tensor, src: Tensor): Tensor {
  if (idx.ndim !== self.ndim || src.ndim !== self.ndim) {
    fail(op, `Index tensor must have the same number of dimensions as self tensor and src tensor ` +
      `(self ${formatShape(self._shape)}, index ${formatShape(idx._shape)}, src ${formatShape(src._shape)})`);
  }
  for (let e = 0; e < idx.ndim; e++) {
    if ((e !== d && idx._shape[e] > self._shape[e]) || idx._shape[e] > src._shape[e]) {
      fail(op, `Expected index ${formatShape(idx._shape)} to be smaller than self ${formatShape(self._shape)} ` +
        `apart from dimension ${d} and to be smaller size than src ${formatShape(src._shape)}`);
    }
  }
  sameDtype(op, self, src, "src");
  let cut = src;
  for (let e = 0; e < idx.ndim; e++) if (cut._shape[e] !== idx._shape[e]) cut = cut.narrow(e, 0, idx._shape[e]);
  return cut;
}

function scattered(self: Tensor, op: "scatter" | "scatter_add", dim: number, index: unknown, src: unknown, options: ScatterOptions = {}): Tensor {
  checkOptions(op, options, { reduce: { expected: '"add" or "multiply"', test: (v) => typeof v === "string" } });
  if (options.reduce !== undefined) {
    if (options.reduce !== "add" && options.reduce !== "multiply") fail(op, "reduce argument must be either add or multiply."); // PyTorch's older reductions: no gradient, a number scattered as a tensor of it
    return no_grad(() => scope(() => {
      const given = typeof src === "number" ? tensor(src, { dtype: self.dtype }).expand(indexTensor(op, "index", index)._shape.slice()) : src;
      return reducedScatter(self.detach(), op, dim, index, given, options.reduce === "add" ? "sum" : "prod", true);
    }));
  }
  return scope(() => {
    const d = normalizeDim(op, dim, self.ndim);
    const idx = indexTensor(op, "index", index);
    // a number is a source of index's shape (checked as any source: the kernel trusts the shapes)
    const given = typeof src === "number" && op === "scatter"
      ? tensor(src, { dtype: self.dtype }).expand(idx._shape.slice())
      : tensorArg(op, "src", src);
    const source = scatterSource(op, self, d, idx, given);
    checkRange(op, idx, sizeAt(self, d), d, false);
    const entry = op === "scatter" ? ops.opScatter : ops.opScatterAdd;
    return new Tensor(entry(self._live(op), idx._live(op), source._live(op), d), self._shape, self.dtype);
  });
}

Tensor.prototype.scatter = function scatter(this: Tensor, dim, index, src, options = {}) {
  return scattered(this, "scatter", dim, index, src, options);
};
Tensor.prototype.scatter_ = function scatter_(this: Tensor, dim, index, src, options = {}) {
  return this._assign("scatter_", src, (old) => scattered(old, "scatter", dim, index, src, options));
};
Tensor.prototype.scatter_add = function scatter_add(this: Tensor, dim, index, src) {
  return scattered(this, "scatter_add", dim, index, src);
};
Tensor.prototype.scatter_add_ = function scatter_add_(this: Tensor, dim, index, src) {
  return this._assign("scatter_add_", src, (old) => scattered(old, "scatter_add", dim, index, src));
};

function reducedScatter(self: Tensor, op: string, dim: number, index: unknown, src: unknown, reduce: unknown, includeSelf: unknown): Tensor {
  if (typeof reduce !== "string" || !Object.hasOwn(REDUCTIONS, reduce)) {
    fail(op, "reduce argument must be either sum, prod, mean, amax or amin.");
  }
  if (typeof includeSelf !== "boolean") throw new TypeError(`${op}(): argument 'include_self' must be bool, not ${describe(includeSelf)}`);
  if (reduce === "mean" && self.dtype === "bool") fail(op, `"scatter_reduce" with reduce "mean" is not implemented for 'Bool'`);
  return scope(() => {
    const d = normalizeDim(op, dim, self.ndim);
    const idx = indexTensor(op, "index", index);
    const source = scatterSource(op, self, d, idx, tensorArg(op, "src", src));
    checkRange(op, idx, sizeAt(self, d), d, false);
    const code = REDUCTIONS[reduce as ScatterReduction];
    const out = ops.opScatterReduce(self._live(op), idx._live(op), source._live(op), d, code, includeSelf ? 1 : 0);
    return new Tensor(out, self._shape, self.dtype);
  });
}

Tensor.prototype.scatter_reduce = function scatter_reduce(this: Tensor, dim, index, src, reduce, options = {}) {
  checkOptions("scatter_reduce", options, { include_self: "boolean" });
  return reducedScatter(this, "scatter_reduce", dim, index, src, reduce, options.include_self ?? true);
};
Tensor.prototype.scatter_reduce_ = function scatter_reduce_(this: Tensor, dim, index, src, reduce, options = {}) {
  checkOptions("scatter_reduce_", options, { include_self: "boolean" });
  const includeSelf = options.include_self ?? true;
  return this._assign("scatter_reduce_", src, (old) => reducedScatter(old, "scatter_reduce_", dim, index, src, reduce, includeSelf));
};

// ---- index_add, index_copy, index_fill -----------------------------------------------------

function putSlices(self: Tensor, op: string, dim: number, index: unknown, source: unknown, alpha: number | null): Tensor {
  return scope(() => {
    const d = normalizeDim(op, dim, self.ndim);
    const src = tensorArg(op, "source", source);
    if (self.ndim === 0 && src.numel() === 1) { // a 0-d tensor takes its one slice as a 1-D one
      return putSlices(self.reshape([1]), op, d, index, src.reshape([1]), alpha).reshape([]);
    }
    const idx = indexVector(op, self, d, index);
    sameDtype(op, self, src, "source");
    const slices = src.ndim === 0 ? 1 : src._shape[d];
    if (idx.numel() !== slices) {
      fail(op, `Number of indices (${idx.numel()}) should be equal to source.size(dim) (${slices})`);
    }
    const fits = src.ndim === 0 ? self.ndim <= 1 : src.ndim === self.ndim && self._shape.every((s, e) => e === d || s === src._shape[e]);
    if (!fits) {
      fail(op, `source tensor shape must match self tensor shape, excluding the specified dimension. ` +
        `Got self.shape = ${formatShape(self._shape)} source.shape = ${formatShape(src._shape)}`);
    }
    return putSlicesAt(op, self, d, idx, src.ndim === self.ndim ? src : src.reshape(self._shape.map(() => 1)), alpha);
  });
}

/**
 * A copy of x with the slices of src along dim d written (alpha null) or added times alpha
 * at the checked positions of idx (1-D; negative ones count from the end).
 */
export function putSlicesAt(op: string, x: Tensor, d: number, idx: Tensor, src: Tensor, alpha: number | null): Tensor {
  const out = alpha === null
    ? ops.opIndexCopy(x._live(op), idx._live(op), src._live(op), d)
    : ops.opIndexAdd(x._live(op), idx._live(op), src._live(op), d, alpha);
  return new Tensor(out, x._shape, x.dtype);
}

function alphaOf(op: string, self: Tensor, options: { alpha?: number }): number {
  checkOptions(op, options, { alpha: "number" });
  const alpha = options.alpha ?? 1;
  if (self.dtype === "bool") fail(op, "not implemented for 'Bool'");
  if (self.dtype === "int32" && !Number.isInteger(alpha)) {
    fail(op, "For integral input tensors, argument alpha must not be a floating point number.");
  }
  return alpha;
}

Tensor.prototype.index_add = function index_add(this: Tensor, dim, index, source, options = {}) {
  return putSlices(this, "index_add", dim, index, source, alphaOf("index_add", this, options));
};
Tensor.prototype.index_add_ = function index_add_(this: Tensor, dim, index, source, options = {}) {
  const alpha = alphaOf("index_add_", this, options);
  return this._assign("index_add_", source, (old) => putSlices(old, "index_add_", dim, index, source, alpha));
};
Tensor.prototype.index_copy = function index_copy(this: Tensor, dim, index, source) {
  return putSlices(this, "index_copy", dim, index, source, null);
};
Tensor.prototype.index_copy_ = function index_copy_(this: Tensor, dim, index, source) {
  return this._assign("index_copy_", source, (old) => putSlices(old, "index_copy_", dim, index, source, null));
};

// value as a 0-d tensor of self's dtype (a tensor value keeps its graph).
function fillValue(op: string, self: Tensor, value: unknown): Tensor {
  if (typeof value === "number" || typeof value === "boolean") return tensor(Number(value), { dtype: self.dtype });
  const v = tensorArg(op, "value", value);
  if (v.ndim !== 0) {
    fail(op, `only supports a 0-dimensional value tensor, but got tensor with ${v.ndim} dimension(s).`);
  }
  return v.to(self.dtype);
}

function filledSlices(self: Tensor, op: string, dim: number, index: unknown, value: unknown): Tensor {
  return scope(() => {
    const d = normalizeDim(op, dim, self.ndim);
    if (self.ndim === 0) return filledSlices(self.reshape([1]), op, d, index, value).reshape([]);
    const idx = indexVector(op, self, d, index, true); // index_fill takes negative indices
    const shape = self._shape.slice();
    shape[d] = idx.numel();
    return putSlicesAt(op, self, d, idx, fillValue(op, self, value).expand(shape), null);
  });
}

Tensor.prototype.index_fill = function index_fill(this: Tensor, dim, index, value) {
  return filledSlices(this, "index_fill", dim, index, value);
};
Tensor.prototype.index_fill_ = function index_fill_(this: Tensor, dim, index, value) {
  return this._assign("index_fill_", value, (old) => filledSlices(old, "index_fill_", dim, index, value));
};

// ---- masks ---------------------------------------------------------------------------------

function boolMask(op: string, mask: unknown): Tensor {
  const m = tensorArg(op, "mask", mask);
  if (m.dtype !== "bool") fail(op, `only supports boolean masks, but got mask with dtype ${torchName(m.dtype)}`);
  return m;
}

// An in-place op's mask: it broadcasts to self, not self to it.
function maskOfSelf(op: string, self: Tensor, mask: unknown): Tensor {
  const m = boolMask(op, mask);
  const shape = broadcastShapes(op, self._shape, m._shape);
  if (shape.length !== self.ndim || shape.some((s, e) => s !== self._shape[e])) {
    fail(op, `the mask of shape ${formatShape(m._shape)} must be broadcastable to self ${formatShape(self._shape)}`);
  }
  return m;
}

function maskedFill(self: Tensor, op: string, mask: unknown, value: unknown): Tensor {
  return scope(() => self.where(boolMask(op, mask).logical_not(), fillValue(op, self, value)));
}

Tensor.prototype.masked_fill = function masked_fill(this: Tensor, mask, value) {
  return maskedFill(this, "masked_fill", mask, value);
};
Tensor.prototype.masked_fill_ = function masked_fill_(this: Tensor, mask, value) {
  const m = maskOfSelf("masked_fill_", this, mask);
  return this._assign("masked_fill_", value, (old) => maskedFill(old, "masked_fill_", m, value));
};

Tensor.prototype.masked_select = function masked_select(this: Tensor, mask) {
  return scope(() => {
    const m = boolMask("masked_select", mask);
    const shape = broadcastShapes("masked_select", this._shape, m._shape);
    const positions = m.expand(shape).reshape([-1]).nonzero().reshape([-1]);
    return this.expand(shape).reshape([-1]).index_select(0, positions);
  });
};

function nonzero(this: Tensor, options: { as_tuple?: boolean } = {}): Tensor | Tensor[] {
  checkOptions("nonzero", options, { as_tuple: "boolean" });
  const out = ops.opNonzero(this._live("nonzero"));
  const found = new Tensor(out, [core.dimOf(out, 0), this.ndim], "int32");
  if (!options.as_tuple) return found;
  if (this.ndim === 0) { // as PyTorch, a 0-d tensor counts as 1-D here
    const count = found._shape[0];
    found.dispose();
    return [zeros([count], { dtype: "int32" })];
  }
  return scope(() => found.unbind(1).map((column) => column.contiguous()));
}
Tensor.prototype.nonzero = nonzero as Tensor["nonzero"];

// ---- take, put, masked_scatter: the flattened tensor ----------------------------------------

Tensor.prototype.take = function take(this: Tensor, index) {
  return scope(() => {
    const idx = indexTensor("take", "index", index);
    checkRange("take", idx, this.numel(), 0, true);
    return takeSlices("take", this.reshape([-1]), 0, idx.reshape([-1])).reshape(idx._shape.slice());
  });
};

function putFlat(self: Tensor, op: string, index: unknown, source: unknown, accumulate: boolean): Tensor {
  return scope(() => {
    const idx = indexTensor(op, "index", index);
    const src = tensorArg(op, "source", source);
    sameDtype(op, self, src, "source");
    if (src.numel() !== idx.numel()) {
      fail(op, `Expected source and index to have the same number of elements, but got source.numel() = ` +
        `${src.numel()}, index.numel() = ${idx.numel()}`);
    }
    checkRange(op, idx, self.numel(), 0, true);
    const flat = self.reshape([-1]);
    return putSlicesAt(op, flat, 0, idx.reshape([-1]), src.reshape([-1]), accumulate ? 1 : null).reshape(self._shape.slice());
  });
}

Tensor.prototype.put = function put(this: Tensor, index, source, accumulate = false) {
  return putFlat(this, "put", index, source, accumulate);
};
Tensor.prototype.put_ = function put_(this: Tensor, index, source, accumulate = false) {
  return this._assign("put_", source, (old) => putFlat(old, "put_", index, source, accumulate));
};

function maskedScatter(self: Tensor, op: string, mask: unknown, source: unknown): Tensor {
  return scope(() => {
    const m = boolMask(op, mask);
    const src = tensorArg(op, "source", source);
    sameDtype(op, self, src, "source");
    const shape = broadcastShapes(op, self._shape, m._shape);
    const positions = m.expand(shape).reshape([-1]).nonzero().reshape([-1]);
    const n = positions.numel();
    if (src.numel() < n) fail(op, `Number of elements of source < number of ones in mask (${src.numel()} < ${n})`);
    const rows = src.reshape([-1]).narrow(0, 0, n);
    return putSlicesAt(op, self.expand(shape).reshape([-1]), 0, positions, rows, null).reshape(shape);
  });
}

Tensor.prototype.masked_scatter = function masked_scatter(this: Tensor, mask, source) {
  return maskedScatter(this, "masked_scatter", mask, source);
};
Tensor.prototype.masked_scatter_ = function masked_scatter_(this: Tensor, mask, source) {
  const m = maskOfSelf("masked_scatter_", this, mask);
  return this._assign("masked_scatter_", source, (old) => maskedScatter(old, "masked_scatter_", m, source));
};

// ---- index_put -------------------------------------------------------------------------------

function indexPut(self: Tensor, op: string, indices: unknown, values: unknown, accumulate: boolean): Tensor {
  if (!Array.isArray(indices)) {
    throw new TypeError(`${op}(): argument 'indices' must be an array of index tensors, got ${describe(indices)}`);
  }
  if (typeof accumulate !== "boolean") fail(op, `accumulate must be a boolean, got ${describe(accumulate)}`);
  if (indices.length === 0) fail(op, "indices must hold at least one index tensor");
  return scope(() => {
    const items = indices.map((i) => (i instanceof Tensor && i.dtype === "bool" ? i : indexTensor(op, "indices", i)));
    const v = typeof values === "number" ? tensor(values, { dtype: self.dtype }) : tensorArg(op, "values", values);
    sameDtype(op, self, v, "values");
    return putAt(self, op, items, v, accumulate);
  });
}

Tensor.prototype.index_put = function index_put(this: Tensor, indices, values, accumulate = false) {
  return indexPut(this, "index_put", indices, values, accumulate);
};
Tensor.prototype.index_put_ = function index_put_(this: Tensor, indices, values, accumulate = false) {
  return this._assign("index_put_", values, (old) => indexPut(old, "index_put_", indices, values, accumulate));
};

// ---- advanced indexing ----------------------------------------------------------------------

/**
 * The advanced indices `items` (int32 tensors, or bool masks each covering as many dims as
 * it has) of dims first, first + 1, ... of x, checked, as one int32 index tensor per dim
 * (a mask gives one per dim it covers, its nonzero coordinates), and those dims' sizes.
 */
export function indexColumns(op: string, x: Tensor, first: number, items: Tensor[]): { columns: Tensor[]; sizes: number[] } {
  const columns: Tensor[] = [];
  let d = first;
  for (const item of items) {
    if (item.dtype !== "bool") {
      if (d >= x.ndim) fail(op, `too many indices for tensor of dimension ${x.ndim}`);
      checkRange(op, item, x._shape[d], d, true);
      columns.push(item);
      d++;
      continue;
    }
    if (item.ndim === 0) fail(op, "indexing with a 0-d bool tensor is not supported; use where() or unsqueeze()");
    const covered = x._shape.slice(d, d + item.ndim);
    if (covered.length < item.ndim) fail(op, `too many indices for tensor of dimension ${x.ndim}`);
    item._shape.forEach((s, k) => {
      if (s !== covered[k]) {
        throw new RangeError(`${op}(): The shape of the mask ${formatShape(item._shape)} at index ${k} does not match ` +
          `the shape of the indexed tensor ${formatShape(x._shape)} at index ${d + k}`);
      }
    });
    const found = item.nonzero();
    for (let k = 0; k < item.ndim; k++) columns.push(found.select(1, k));
    d += item.ndim;
  }
  return { columns, sizes: x._shape.slice(first, d) };
}

/**
 * The row-major positions that index columns pick within dims of the given sizes, in the
 * columns' broadcast shape (one column is its own position: the kernels wrap negatives).
 */
export function positionsOf(op: string, columns: Tensor[], sizes: number[]): Tensor {
  let shape: readonly number[] = [];
  try {
    for (const c of columns) shape = broadcastShapes(op, shape, c._shape);
  } catch {
    fail(op, "shape mismatch: indexing tensors could not be broadcast together with shapes " +
      columns.map((c) => formatShape(c._shape)).join(", "));
  }
  if (columns.length === 1) return columns[0];
  let positions: Tensor | null = null;
  let stride = 1;
  for (let k = columns.length - 1; k >= 0; k--) {
    const c = columns[k];
    const wrapped = c.add(c.lt(0).int().mul(sizes[k]));
    const term = stride === 1 ? wrapped : wrapped.mul(stride);
    positions = positions === null ? term : positions.add(term);
    stride *= sizes[k];
  }
  return positions!.expand(shape.slice());
}

// A copy of x with v written (or added) at x[items], the items indexing the leading dims.
function putAt(x: Tensor, op: string, items: Tensor[], v: Tensor, accumulate: boolean): Tensor {
  const { columns, sizes } = indexColumns(op, x, 0, items);
  const positions = positionsOf(op, columns, sizes);
  const rest = x._shape.slice(sizes.length);
  const target = [...positions._shape, ...rest];
  const fits = v.ndim <= target.length &&
    v._shape.every((s, e) => s === 1 || s === target[target.length - v.ndim + e]);
  if (!fits) {
    fail(op, `shape mismatch: value tensor of shape ${formatShape(v._shape)} cannot be broadcast to indexing result ` +
      `of shape ${formatShape(target)}`);
  }
  const flat = x.reshape([sizes.reduce((a, b) => a * b, 1), ...rest]);
  const rows = v.expand(target).reshape([positions.numel(), ...rest]);
  const put = putSlicesAt(op, flat, 0, positions.reshape([-1]), rows, accumulate ? 1 : null);
  return put.reshape(x._shape.slice());
}
