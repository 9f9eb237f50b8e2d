// Helpers that several of torch.nn.functional's layer files share (linear, dropout,
// normalization, attention, activations): an optional tensor argument, the per-channel view
// of a weight, and dropout's noise. Internal: nn/functional does not re-export them.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { rand } from "../create.js";

export const optionalTensor = (op: string, name: string, x: unknown): Tensor | null => {
  if (x === undefined || x === null) return null;
  return tensorArg(op, name, x);
};

// input times noise: a Bernoulli(1 - p) mask of maskShape (broadcast over the rest) scaled by
// 1 / (1 - p), so that the gradient is exactly the noise; all zeros for p = 1.
export function dropNoise(x: Tensor, p: number, training: boolean, inplace: boolean, maskShape: number[]): Tensor {
  if (!training || p === 0) return x;
  const noise = scope(() => (p === 1
    ? rand(maskShape, { dtype: x.dtype }).mul(0)
    : rand(maskShape, { dtype: x.dtype }).lt(1 - p).to(x.dtype).div(1 - p)));
  if (inplace) {
    x.mul_(noise);
    noise.dispose();
    return x;
  }
  const out = x.mul(noise);
  noise.dispose();
  return out;
}

// weight and bias (per channel) viewed along dim 1 of a tensor of rank `rank`.
export const perChannel = (t: Tensor, rank: number) => t.reshape([t.numel(), ...Array(Math.max(rank - 2, 0)).fill(1)]);
