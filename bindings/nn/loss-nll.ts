// The negative log-likelihood of class-index targets, shared by nll_loss and cross_entropy:
// PyTorch 1.13's checks of nll_loss_nd (in its order and words) and the loss as a composite.
// Targets are int32 tensors (wasmgrad's index dtype, where PyTorch uses int64).

import { Tensor } from "../tensor.js";
import { fail, formatShape, sameShape } from "../shape.js";
import { scalarTypeName } from "../dtype.js";
import type { Reduction } from "./loss-reduction.js";
import "../index-ops.js"; // gather, index_select, masked_fill
import "../shape-ops.js"; // movedim

/** Throws PyTorch's message unless target is an int32 tensor. */
export function checkClassTargets(op: string, target: Tensor): void {
  if (target.dtype !== "int32") fail(op, `expected scalar type Int but found ${scalarTypeName(target.dtype)}`);
}

/** The number of classes of an nll_loss input, after PyTorch's shape checks of input, target and weight. */
export function checkNllShapes(op: string, input: Tensor, target: Tensor, weight: Tensor | null): number {
  const shape = input.shape, tshape = target.shape;
  if (input.ndim < 1) fail(op, `Expected 1 or more dimensions (got ${input.ndim})`);
  if (input.ndim !== 1 && target.ndim >= 1 && shape[0] !== tshape[0]) {
    fail(op, `Expected input batch_size (${shape[0]}) to match target batch_size (${tshape[0]}).`);
  }
  const classes = shape[input.ndim === 1 ? 0 : 1];
  if (input.ndim <= 2) {
    if (target.ndim > 1) fail(op, "0D or 1D target tensor expected, multi-target not supported");
    const unbatched = input.ndim === 1 && target.ndim === 0;
    if (!unbatched && (target.ndim === 0 || shape[0] !== tshape[0])) {
      fail(op, `size mismatch (got input: ${formatShape(shape)}, target: ${formatShape(tshape)})`);
    }
    if (weight !== null && (weight.ndim !== 1 || weight.numel() !== classes)) {
      fail(op, `weight tensor should be defined either for all ${classes} classes or no classes but got weight ` +
        `tensor of shape: ${formatShape(weight.shape)}`);
    }
    return classes;
  }
  if (input.ndim === 4) {
    if (target.ndim !== 3) {
      fail(op, `only batches of spatial targets supported (3D tensors) but got targets of dimension: ${target.ndim}`);
    }
    if (!sameShape(tshape, [shape[0], shape[2], shape[3]])) {
      // PyTorch's message, with its stray space and unclosed parenthesis
      fail(op, `size mismatch (got input: ${formatShape(shape)} , target: ${formatShape(tshape)}`);
    }
  } else {
    const expected = [shape[0], ...shape.slice(2)];
    if (!sameShape(tshape, expected)) fail(op, `Expected target size ${formatShape(expected)}, got ${formatShape(tshape)}`);
  }
  if (weight !== null && weight.numel() !== classes) fail(op, "weight tensor should be defined either for all or no classes");
  return classes;
}

/** Throws PyTorch's IndexError (a RangeError) for the first target outside [0, classes) that is not ignore_index. */
export function checkTargetRange(op: string, target: Tensor, classes: number, ignore_index: number): void {
  const values = target._valuesForChecks();
  for (const v of values) {
    if (v !== ignore_index && (v < 0 || v >= classes)) throw new RangeError(`${op}(): Target ${v} is out of bounds.`);
  }
}

/** Whether each target is ignore_index (bool, target's shape). */
export const ignoredOf = (target: Tensor, ignore_index: number): Tensor => target.eq(ignore_index);

/**
 * Each target's weight: weight[target] (1 without weights), 0 where ignored, in dtype's
 * floating type. mean divides by their sum, as PyTorch.
 */
export function targetWeights(target: Tensor, ignored: Tensor, weight: Tensor | null, like: Tensor): Tensor {
  const keep = ignored.logical_not();
  if (weight === null) return keep.to(like.dtype);
  const safe = target.masked_fill(ignored, 0);
  return weight.index_select(0, safe.reshape([-1])).reshape(target.shape).where(keep, 0);
}

/**
 * -logp[target] weighted and reduced, logp being log-probabilities with the classes in dim 1
 * (dim 0 when 1-D). Call inside a scope, after the checks.
 */
export function nll(logp: Tensor, target: Tensor, weight: Tensor | null, ignore_index: number, reduction: Reduction): Tensor {
  const ignored = ignoredOf(target, ignore_index);
  // the classes last, so that one gather along the last dim picks each target's entry
  const byClass = logp.ndim === 1 ? logp.unsqueeze(0) : logp.movedim(1, -1);
  const safe = target.masked_fill(ignored, 0).reshape(byClass.shape.slice(0, -1));
  const picked = byClass.gather(-1, safe.unsqueeze(-1)).reshape(target.shape);
  const weights = targetWeights(target, ignored, weight, logp);
  // where, not a product alone: an ignored target's entry may be -inf (its weight 0 would make NaN)
  const losses = picked.neg().mul(weights).where(ignored.logical_not(), 0);
  if (reduction === "none") return losses;
  if (reduction === "sum") return losses.sum();
  return losses.sum().div(weights.sum()); // 0 / 0 = NaN when every target is ignored, as PyTorch
}
