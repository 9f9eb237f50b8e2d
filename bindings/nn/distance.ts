// torch.nn.functional's distances, cosine_similarity and pairwise_distance, as PyTorch 1.13
// defines them, written as composites of tensor ops so that autograd differentiates them.
// Arguments are checked before any kernel runs; each function runs in a scope, so that only
// its result outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { broadcastShapes, fail, normalizeDim } from "../shape.js";
import { isFloating, resultType, scalarTypeName } from "../dtype.js";
import "../shape-ops.js"; // broadcast_to
import "../sort-ops.js"; // norm

function floatingPair(op: string, x1: unknown, x2: unknown): [Tensor, Tensor] {
  const a = tensorArg(op, "x1", x1), b = tensorArg(op, "x2", x2);
  a._live(op);
  b._live(op);
  const dtype = resultType(a, b);
  if (!isFloating(dtype)) fail(op, `expected common dtype to be floating point, yet common dtype is ${scalarTypeName(dtype)}`);
  return [a, b];
}

/**
 * The cosine of the angle between x1 and x2 (broadcast) along dim, each divided by its norm
 * first; each squared norm is raised to at least eps², as PyTorch 1.13 does.
 */
export function cosine_similarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}): Tensor {
  const op = "cosine_similarity";
  checkOptions(op, options, { dim: "number", eps: "number" });
  const [a, b] = floatingPair(op, x1, x2);
  const shape = broadcastShapes(op, a.shape, b.shape).slice();
  const dim = normalizeDim(op, options.dim ?? 1, shape.length);
  const eps = options.eps ?? 1e-8;
  return scope(() => {
    const unit = (t: Tensor) => {
      const squared = t.square().sum(dim, true);
      // PyTorch clamps the squared norm in place under no_grad: the clamped value, with the
      // gradient of the unclamped one (s - s is exactly 0, so the value is the clamped one)
      const floored = squared.sub(squared.detach()).add(squared.detach().clamp_min(eps * eps));
      return t.div(floored.sqrt());
    };
    return unit(a.broadcast_to(shape)).mul(unit(b.broadcast_to(shape))).sum(dim);
  });
}

/** The p-norm of x1 - x2 + eps along the last dim. */
export function pairwise_distance(x1: Tensor, x2: Tensor, options: { p?: number; eps?: number; keepdim?: boolean } = {}): Tensor {
  const op = "pairwise_distance";
  checkOptions(op, options, { p: "number", eps: "number", keepdim: "boolean" });
  const [a, b] = floatingPair(op, x1, x2);
  broadcastShapes(op, a.shape, b.shape);
  return scope(() => a.sub(b).add(options.eps ?? 1e-6).norm(options.p ?? 2, -1, options.keepdim ?? false));
}
