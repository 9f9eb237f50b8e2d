// wg.autograd.forward_ad, as torch.autograd.forward_ad: forward-mode automatic
// differentiation with dual tensors. Inside dual_level(fn), a tensor made by make_dual
// carries a tangent, and every op's result carries the tangent its forward-mode rule gives
// (assembly/forward.ts): one pass computes a Jacobian-vector product J v alongside f(x).

import { Tensor } from "./tensor.js";
import { core } from "./core.js";
import { isFloating } from "./dtype.js";
import { describe, fail } from "./shape.js";
import { aligned, isBatched } from "./batching.js";

/**
 * Runs fn inside a dual level and returns its value. Leaving the level drops every tangent,
 * so read them (unpack_dual) inside fn. Levels do not nest, as in PyTorch.
 */
export function dual_level<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new TypeError(`dual_level(): expected a function, got ${describe(fn)}`);
  if (!core.enterDualLevel()) {
    fail("dual_level", "Nested forward mode AD is not supported at the moment: a dual level is already open " +
      "(run the inner code in the outer level)");
  }
  try {
    return fn();
  } finally {
    core.exitDualLevel();
  }
}

/** Whether a dual level is open (inside dual_level()). */
export function in_dual_level(): boolean {
  return core.inDualLevel() !== 0;
}

function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}(): ${name} must be a Tensor, got ${describe(t)}`);
}

/**
 * A tensor with the values of `tensor` and the tangent `tangent` (same shape and dtype),
 * differentiable in both for reverse mode. Its value and tangent are copies, so later
 * writes to either argument do not reach it.
 */
export function make_dual(tensor: Tensor, tangent: Tensor): Tensor {
  checkTensor("make_dual", "tensor", tensor);
  checkTensor("make_dual", "tangent", tangent);
  if (!in_dual_level()) {
    fail("make_dual", "Trying to create a dual Tensor for forward AD but no level exists, make sure to " +
      "call it inside dual_level(() => ...)");
  }
  if (!isFloating(tensor.dtype)) {
    fail("make_dual", `Expected primal to be floating point, but got: ${tensor.dtype} (convert it with .double() or .float())`);
  }
  const same = tensor.shape.length === tangent.shape.length && tensor.shape.every((s, d) => s === tangent.shape[d]);
  if (!same) {
    fail("make_dual", `Trying to set a forward gradient that has a different size than that of the original Tensor, ` +
      `this is not supported. Tensor is of size [${tensor.shape.join(", ")}] while the given forward gradient is of size ` +
      `[${tangent.shape.join(", ")}].`);
  }
  if (tangent.dtype !== tensor.dtype) {
    fail("make_dual", `Expected tangent to have the dtype of the primal (${tensor.dtype}), but got ${tangent.dtype}`);
  }
  const p = tensor._live("make_dual"), t = tangent._live("make_dual");
  const levels = core.batchOf(p) | core.batchOf(t); // under vmap: both laid out for the levels of either
  if (!isBatched(p) && !isBatched(t)) return new Tensor(core.makeDual(p, t), tensor.shape, tensor.dtype);
  const [lp, lt] = [aligned(p, levels, 0, true), aligned(t, levels, 0, true)];
  const id = core.makeDual(lp, lt);
  core.releaseTensor(lp);
  core.releaseTensor(lt);
  core.setBatch(id, levels);
  return new Tensor(id, tensor.shape, tensor.dtype);
}

export interface UnpackedDual {
  /** The tensor's values without the tangent: a view, differentiable for reverse mode. */
  primal: Tensor;
  /** Its tangent, or null when it has none (a zero tangent). */
  tangent: Tensor | null;
}

/** The primal and the tangent of a tensor inside a dual level (tangent null outside one). */
export function unpack_dual(tensor: Tensor): UnpackedDual {
  checkTensor("unpack_dual", "tensor", tensor);
  if (!in_dual_level()) return { primal: tensor, tangent: null };
  const id = tensor._live("unpack_dual");
  const primalId = core.primalOf(id);
  const t = core.tangentOf(id);
  for (const made of [primalId, t]) if (made !== 0) core.setBatch(made, core.batchOf(id)); // laid out as tensor
  const primal = new Tensor(primalId, tensor.shape, tensor.dtype, core.isContiguous(id) !== 0);
  const tangent = t === 0 ? null : new Tensor(t, tensor.shape, tensor.dtype, core.isContiguous(t) !== 0);
  return { primal, tangent };
}
