// torch.nn.functional's embedding (with padding_idx and max_norm's in-place renorm) and
// one_hot, as PyTorch 1.13 defines them, written as composites of tensor ops so that autograd
// differentiates them. Arguments are checked before any kernel runs; each function runs in a
// scope, so that only its result (and the rows max_norm rescales) outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { no_grad } from "../autograd.js";
import { arange } from "../create.js";
import { checkOptions } from "../options.js";
import { describe, fail } from "../shape.js";
import { torchName } from "../dtype.js";
import "../index-ops.js"; // index_select, index_copy_
import "../sort-ops.js"; // norm
import "../order-ops.js"; // unique

export interface EmbeddingOptions {
  padding_idx?: number | null; max_norm?: number | null; norm_type?: number; scale_grad_by_freq?: boolean; sparse?: boolean;
}

/**
 * The rows of weight at the indices of input (int32): shape input.shape + [embedding_dim].
 * padding_idx's row takes no gradient; with max_norm, the rows looked up whose norm exceeds it
 * are first scaled down in place (under no_grad), as PyTorch does.
 */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const op = "embedding";
  const nullableNumber = { expected: "a number or null", test: (v: unknown) => v === null || typeof v === "number" };
  checkOptions(op, options, {
    padding_idx: nullableNumber, max_norm: nullableNumber, norm_type: "number", scale_grad_by_freq: "boolean", sparse: "boolean",
  });
  const idx = tensorArg(op, "input", input), w = tensorArg(op, "weight", weight);
  idx._live(op);
  w._live(op);
  if (options.scale_grad_by_freq) fail(op, "scale_grad_by_freq is not supported");
  if (options.sparse) fail(op, "sparse gradients are not supported; use sparse: false (the default)");
  if (w.ndim !== 2) fail(op, "'weight' must be 2-D");
  const rows = w.shape[0];
  let pad = options.padding_idx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad >= rows || pad < -rows) fail(op, "Padding_idx must be within num_embeddings");
    if (pad < 0) pad += rows;
  }
  if (idx.dtype !== "int32") {
    fail(op, "Expected tensor for argument #1 'indices' to have one of the following scalar types: Int; but got " +
      `${torchName(idx.dtype)} instead (while checking arguments for embedding)`);
  }
  for (const v of idx._valuesForChecks()) if (v < 0 || v >= rows) throw new RangeError(`${op}(): index out of range in self`);
  if (options.max_norm !== undefined && options.max_norm !== null) renorm(w, idx, options.max_norm, options.norm_type ?? 2);
  return scope(() => {
    const flatIdx = idx.reshape([-1]);
    const shape = [...idx.shape, w.shape[1]];
    const looked = w.index_select(0, flatIdx).reshape(shape);
    if (pad === null) return looked;
    // the padding rows read from outside the graph: the same values, no gradient
    const frozen = w.detach().index_select(0, flatIdx).reshape(shape);
    return looked.where(idx.ne(pad).unsqueeze(-1), frozen);
  });
}

// PyTorch's embedding_renorm_: each row looked up with a norm above max_norm is scaled by max_norm / (norm + 1e-7).
function renorm(weight: Tensor, indices: Tensor, maxNorm: number, normType: number): void {
  no_grad(() => scope(() => {
    const unique = indices.reshape([-1]).unique();
    const rows = weight.index_select(0, unique);
    const norms = rows.norm(normType, 1, true);
    const scale = norms.add(1e-7).reciprocal().mul(maxNorm).where(norms.gt(maxNorm), 1);
    weight.index_copy_(0, unique, rows.mul(scale));
  }));
}

/** Each index as a row of num_classes (max + 1 by default) int32 zeros with a 1 at the index. */
export function one_hot(tensor: Tensor, num_classes = -1): Tensor {
  const op = "one_hot";
  const t = tensorArg(op, "tensor", tensor);
  t._live(op);
  if (t.dtype !== "int32") fail(op, "one_hot is only applicable to index tensor.");
  if (!Number.isInteger(num_classes)) throw new TypeError(`${op}(): num_classes must be an integer, got ${describe(num_classes)}`);
  const values = t._valuesForChecks();
  let max = -1;
  for (const v of values) {
    if (v < 0) fail(op, "Class values must be non-negative.");
    max = Math.max(max, v);
  }
  let n = num_classes;
  if (n === -1) {
    if (values.length === 0) fail(op, "Can not infer total number of classes from empty tensor.");
    n = max + 1;
  } else if (n <= max || n < 0) {
    fail(op, "Class values must be smaller than num_classes.");
  }
  return scope(() => t.unsqueeze(-1).eq(arange(n, { dtype: "int32" })).to("int32"));
}
