// The forward mode wg.func's transforms build on (wg.autograd.forward_ad): tangents of
// tensors inside a dual level. Looked up when used, so that everything else works where
// forward mode is missing.

import { Tensor } from "./tensor.js";
import { autograd } from "./autograd-namespace.js";

interface ForwardAD {
  dual_level<T>(fn: () => T): T;
  make_dual(primal: Tensor, tangent: Tensor): Tensor;
  unpack_dual(t: Tensor): { primal: Tensor; tangent: Tensor | null };
}

const forward = (): ForwardAD | undefined => (autograd as { forward_ad?: ForwardAD }).forward_ad;

let open = false; // whether a dual level opened here is active

/** t's tangent, or null when it has none (or forward mode is missing, or no level is open). */
export function tangentOf(t: Tensor): Tensor | null {
  return open ? forward()!.unpack_dual(t).tangent : null;
}

/** t without its tangent. */
export function primalOf(t: Tensor): Tensor {
  return open ? forward()!.unpack_dual(t).primal : t;
}

/** primal with the tangent `tangent` (make_dual). */
export function withTangent(primal: Tensor, tangent: Tensor): Tensor {
  return forward()!.make_dual(primal, tangent);
}

/** Whether a dual level opened by dualLevel is active. */
export const inDualLevel = () => open;

/** Runs fn inside a new dual level (levels do not nest). */
export function dualLevel<T>(op: string, fn: () => T): T {
  const ad = forward();
  if (ad === undefined) throw new Error(`${op}: forward-mode AD (autograd.forward_ad) is not available in this build`);
  if (open) throw new Error(`${op}: a dual level is already open`);
  return ad.dual_level(() => {
    open = true;
    try {
      return fn();
    } finally {
      open = false;
    }
  });
}
