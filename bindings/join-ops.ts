// Joining and splitting: cat, stack, hstack and vstack write each tensor into a slice of a
// new one, so the gradient flows back through in-place writes on views (CopySlices; PyTorch
// names it CatBackward); split, chunk and unbind return views, as PyTorch's do.

import { Tensor } from "./tensor.js";
import { zeros } from "./create.js";
import { core } from "./core.js";
import { batchedCopy, isBatched } from "./batching.js";
import { resultType } from "./dtype.js";
import { describe, fail, formatShape, normalizeDim } from "./shape.js";

declare module "./tensor.js" {
  interface Tensor {
    /** Pieces of `split_size` along dim (the last may be smaller), or of the given sizes: views. */
    split(split_size: number | number[], dim?: number): Tensor[];
    /** `chunks` pieces along dim, of size ceil(n / chunks) (the last smaller): views. */
    chunk(chunks: number, dim?: number): Tensor[];
    /** The slices along dim, each without it: views. */
    unbind(dim?: number): Tensor[];
  }
}

function tensorList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) fail(op, "expected a non-empty list of Tensors");
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}(): expected a list of Tensors, got ${describe(t)} at index ${i}`);
  });
  return tensors as Tensor[];
}

/** The tensors joined along an existing dim; their dtypes promote. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  const ts = tensorList("cat", tensors);
  const first = ts[0];
  ts.forEach((t, i) => {
    if (t.ndim === 0) fail("cat", `zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  const d = normalizeDim("cat", dim, first.ndim);
  ts.forEach((t, i) => {
    if (t.ndim !== first.ndim) {
      fail("cat", `Tensors must have same number of dimensions: got ${first.ndim} and ${t.ndim}`);
    }
    t.shape.forEach((n, e) => {
      if (e !== d && n !== first.shape[e]) {
        fail("cat", `Sizes of tensors must match except in dimension ${d}. Expected size ${first.shape[e]} but got ` +
          `size ${n} for tensor number ${i} in the list.`);
      }
    });
  });
  const shape = first.shape.slice();
  shape[d] = ts.reduce((acc, t) => acc + t.shape[d], 0);
  let out = zeros(shape, { dtype: resultType(...ts) });
  const levels = ts.reduce((bits, t) => bits | (isBatched(t._live("cat")) ? core.batchOf(t._live("cat")) : 0), 0);
  if (levels !== 0) out = new Tensor(batchedCopy(out._live("cat"), levels), shape, out.dtype); // under vmap: one per example
  let offset = 0;
  for (const t of ts) {
    const length = t.shape[d];
    if (length > 0) out.narrow(d, offset, length).copy_(t);
    offset += length;
  }
  return out;
}

/** The tensors (all of one shape) joined along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  const ts = tensorList("stack", tensors);
  ts.forEach((t, i) => {
    if (t.shape.join() !== ts[0].shape.join()) {
      fail("stack", `stack expects each tensor to be equal size, but got ${formatShape(ts[0].shape)} at entry 0 and ` +
        `${formatShape(t.shape)} at entry ${i}`);
    }
  });
  const d = normalizeDim("stack", dim, ts[0].ndim + 1);
  return cat(ts.map((t) => t.unsqueeze(d)), d);
}

/** cat along dim 1 (dim 0 for 1-D tensors). */
export function hstack(tensors: Tensor[]): Tensor {
  const ts = tensorList("hstack", tensors);
  return cat(ts, ts[0].ndim === 1 ? 0 : 1);
}

/** cat along dim 0, 1-D tensors taken as rows. */
export function vstack(tensors: Tensor[]): Tensor {
  return cat(tensorList("vstack", tensors).map((t) => (t.ndim < 2 ? t.reshape([1, -1]) : t)), 0);
}

Tensor.prototype.split = function split(this: Tensor, splitSize, dim = 0) {
  const d = normalizeDim("split", dim, this.ndim);
  const n = this.shape[d];
  let sizes: number[];
  if (Array.isArray(splitSize)) {
    if (splitSize.reduce((a, b) => a + b, 0) !== n || splitSize.some((s) => !Number.isInteger(s) || s < 0)) {
      fail("split", `split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), ` +
        `but got split_sizes=${formatShape(splitSize)}`);
    }
    sizes = splitSize;
  } else {
    if (!Number.isInteger(splitSize) || splitSize <= 0) fail("split", `split_size must be a positive integer, got ${splitSize}`);
    sizes = Array.from({ length: Math.max(Math.ceil(n / splitSize), 1) }, (_, k) => Math.min(splitSize, n - k * splitSize));
  }
  let offset = 0;
  return sizes.map((s) => {
    const piece = this.narrow(d, offset, s);
    offset += s;
    return piece;
  });
};

Tensor.prototype.chunk = function chunk(this: Tensor, chunks, dim = 0) {
  if (!Number.isInteger(chunks) || chunks <= 0) fail("chunk", `chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim("chunk", dim, this.ndim);
  return this.split(Math.max(Math.ceil(this.shape[d] / chunks), 1), d);
};

Tensor.prototype.unbind = function unbind(this: Tensor, dim = 0) {
  const d = normalizeDim("unbind", dim, this.ndim);
  return Array.from({ length: this.shape[d] }, (_, i) => this.select(d, i));
};
