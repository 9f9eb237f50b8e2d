// Helpers of the contractions (matmul above rank 3, tensordot, einsum): matmul of operands
// of rank 4 or more, through the core's product of rank 3 (a batch of
// matrices, where a batch of one matrix broadcasts): the batch dims are merged into one, by
// views where the strides allow. Broadcasting is not materialised where the layout lets it
// be avoided: the batch dims that only a has (b's are 1 there) are folded into a's rows,
// so one GEMM per remaining batch serves all of them (as PyTorch folds a batch against a
// matrix). Only what is left, a batch broadcast in part that no fold absorbs, is expanded
// into a copy, as PyTorch expands it. The result is contiguous, as PyTorch's.

import type { Tensor } from "./tensor.js";
import { broadcastShapes, checkSize, numelOf } from "./shape.js";
import { viewStrides } from "./views.js";

// permute() and reshape() that return t itself when they would change nothing, so that
// operands already laid out add no view nodes to the graph.
export const permuted = (t: Tensor, order: number[]): Tensor => (order.every((d, i) => d === i) ? t : t.permute(order));
export const reshaped = (t: Tensor, shape: number[]): Tensor =>
  (shape.length === t.ndim && shape.every((n, d) => n === t._shape[d]) ? t : t.reshape(shape));

/** a @ b for a and b of rank >= 2, one of them of rank 4 or more. */
export function batchedProduct(a: Tensor, b: Tensor): Tensor {
  const m = a._shape[a.ndim - 2], k = a._shape[a.ndim - 1], n = b._shape[b.ndim - 1];
  const batch = broadcastShapes("matmul", a._shape.slice(0, -2), b._shape.slice(0, -2)).slice();
  checkSize("matmul", [...batch, m, n]);
  return foldedProduct(a, b, batch, m, k, n) ?? expandedProduct(a, b, batch, m, n);
}

// The batch dims of t, padded with leading 1s to `rank`.
const paddedBatch = (t: Tensor, rank: number) => [...new Array<number>(rank + 2 - t.ndim).fill(1), ...t._shape.slice(0, -2)];

// The batch dims only a has fold into its rows, the rest (shared: those b has) stay a batch:
// a seen as [shared, only-a x m, k] and b as [shared, k, n]. Possible when a's shared dims
// are all b's (or a has none of them: a single matrix then, broadcast) and a's dims regroup
// so by a view; otherwise null.
function foldedProduct(a: Tensor, b: Tensor, batch: number[], m: number, k: number, n: number): Tensor | null {
  const rank = batch.length;
  const batchA = paddedBatch(a, rank), batchB = paddedBatch(b, rank);
  const dims = batch.map((_, d) => d);
  const onlyA = dims.filter((d) => batchA[d] !== 1 && batchB[d] === 1);
  const shared = dims.filter((d) => batchB[d] !== 1);
  const ones = dims.filter((d) => batchA[d] === 1 && batchB[d] === 1);
  const common = shared.filter((d) => batchA[d] !== 1);
  if (onlyA.length === 0 || (common.length > 0 && common.length < shared.length)) return null;
  const order = [...ones, ...shared, ...onlyA, rank, rank + 1];
  const lead = common.length > 0 ? [numelOf(shared.map((d) => batch[d]))] : []; // none: a single matrix
  const aFull = permuted(reshaped(a, [...batchA, m, k]), order);
  const rows = [...lead, numelOf(onlyA.map((d) => batch[d])) * m, k];
  if (viewStrides(aFull._shape, aFull._strides(), rows) === null) return null;
  const bRows = shared.length > 0 ? [numelOf(shared.map((d) => batch[d])), k, n] : [k, n];
  const product = reshaped(aFull, rows)._product(reshaped(permuted(reshaped(b, [...batchB, k, n]), order), bRows));
  // [shared, only-a, m, n] back into the batch's order of dims
  const grouped = product.view([...shared.map((d) => batch[d]), ...onlyA.map((d) => batch[d]), m, n]);
  const placed = [...shared, ...onlyA];
  const back = [...dims.filter((d) => placed.includes(d)).map((d) => placed.indexOf(d)), placed.length, placed.length + 1];
  // PyTorch's result is contiguous (a view of it may be asked for): one copy of the output
  // where the batch dims came out of order, in place of the expanded copies of the inputs
  const ordered = permuted(grouped, back);
  return reshaped(ordered.is_contiguous() ? ordered : ordered.contiguous(), [...batch, m, n]);
}

// Each operand as a batch of matrices of rank 3, expanded to the full batch if its batch
// is broadcast in part, then one batched product.
function expandedProduct(a: Tensor, b: Tensor, batch: number[], m: number, n: number): Tensor {
  const size = numelOf(batch);
  return asBatch(a, batch, size)._product(asBatch(b, batch, size)).view([...batch, m, n]);
}

// t (rank >= 2) as a batch of matrices of rank 3: of one matrix when t's batch dims hold
// one, else of `size` matrices, t's batch broadcast to `batch` first if it is smaller.
function asBatch(t: Tensor, batch: readonly number[], size: number): Tensor {
  const matrix = t._shape.slice(-2);
  const own = numelOf(t._shape.slice(0, -2));
  if (own === 1) return t.reshape([1, ...matrix]);
  const full = own === size ? t : t.expand([...batch, ...matrix]);
  return full.reshape([size, ...matrix]);
}
