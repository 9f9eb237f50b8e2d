// The forward mode wg.func's transforms build on (forward_ad): tangents of tensors inside a
// dual level, and the level the forward-mode transforms run in. Levels do not nest, so a
// forward-mode transform inside another is refused; one called inside a level the user
// opened runs in that level, which is sound as long as f does not close over the user's
// dual tensors (their tangents would add to the transform's).

import { Tensor } from "./tensor.js";
import { core } from "./core.js";
import { dual_level, in_dual_level, make_dual, unpack_dual } from "./forward-ad.js";

let pushing = 0; // forward-mode transforms running

/** t's tangent, or null when it has none (or no dual level is open). */
export function tangentOf(t: Tensor): Tensor | null {
  return in_dual_level() && core.hasTangent(t._live("unpack_dual")) !== 0 ? unpack_dual(t).tangent : null;
}

/** t without its tangent (a view, in the graph). */
export function primalOf(t: Tensor): Tensor {
  return in_dual_level() ? unpack_dual(t).primal : t;
}

/** A copy of primal with the tangent `tangent`, differentiable in both (make_dual). */
export const withTangent = (primal: Tensor, tangent: Tensor): Tensor => make_dual(primal, tangent);

/** Whether a dual level is open: reverse mode then records its gradients, whose tangents may be asked for. */
export const inDualLevel = () => in_dual_level();

/**
 * Runs a forward-mode transform's fn in a dual level: a new one, or the one the user opened.
 * A forward-mode transform inside another is refused: its tangents and the outer one's
 * would be the same, and wasmgrad has one level.
 */
export function forwardPass<T>(api: string, fn: () => T): T {
  if (pushing > 0) {
    throw new Error(`${api}: forward-mode transforms do not nest yet (jvp or jacfwd inside jvp, jacfwd or hessian): ` +
      "that needs a dual level per transform, and wasmgrad has one. Compute one of the two derivatives by reverse " +
      "mode instead, e.g. jacfwd(jacrev(f)) or jacrev(jacfwd(f)) rather than jacfwd(jacfwd(f)).");
  }
  const run = () => {
    pushing++;
    try {
      return fn();
    } finally {
      pushing--;
    }
  };
  return in_dual_level() ? run() : dual_level(run);
}
