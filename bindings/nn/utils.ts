// nn.utils' gradient clipping, as PyTorch 1.13's: clip_grad_norm_ scales every gradient by
// max_norm / (total norm + 1e-6) when that is below 1, and clip_grad_value_ clamps each
// element. Both work in place under no_grad, on the parameters that have a gradient.

import { Tensor } from "../tensor.js";
import { no_grad } from "../autograd.js";
import { stack } from "../join-ops.js";
import { tensor } from "../create.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { fail } from "../shape.js";

const gradsOf = (parameters: Tensor | Tensor[]) =>
  (parameters instanceof Tensor ? [parameters] : parameters).map((p) => p.grad).filter((g): g is Tensor => g !== null);

/**
 * Scales the gradients together so that their norm (of type norm_type, over all of them as
 * one vector) is at most max_norm; returns that norm before clipping.
 */
export function clip_grad_norm_(parameters: Tensor | Tensor[], max_norm: number,
  options: { norm_type?: number; error_if_nonfinite?: boolean } = {}): Tensor {
  checkOptions("clip_grad_norm_", options, { norm_type: "number", error_if_nonfinite: "boolean" });
  const normType = options.norm_type ?? 2;
  const grads = gradsOf(parameters);
  if (grads.length === 0) return tensor(0);
  return no_grad(() => {
    const total = scope(() => (normType === Infinity
      ? stack(grads.map((g) => g.abs().amax().to(grads[0].dtype))).amax()
      : stack(grads.map((g) => g.norm(normType).to(grads[0].dtype))).norm(normType)));
    if (options.error_if_nonfinite && !Number.isFinite(total.item())) {
      fail("clip_grad_norm_", `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be ` +
        "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
    }
    scope(() => {
      const coef = total.add(1e-6).reciprocal().mul(max_norm).clamp(null, 1);
      for (const g of grads) g.mul_(coef.to(g.dtype));
    });
    return total;
  });
}

/** Clamps every gradient element to [-clip_value, clip_value]. */
export function clip_grad_value_(parameters: Tensor | Tensor[], clip_value: number): void {
  no_grad(() => { for (const g of gradsOf(parameters)) g.clamp_(-clip_value, clip_value); });
}

/** torch.nn.utils: the clipping functions, until wasmgrad/nn holds the rest of torch.nn. */
