// torch.nn.functional's normalizations, normalize, layer_norm, batch_norm and group_norm, as
// PyTorch 1.13 defines them, written as composites of tensor ops so that autograd
// differentiates them. Arguments are checked before any kernel runs; each function runs in a
// scope, so that only its result (and, for batch_norm, the running stats it updates) outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { no_grad } from "../autograd.js";
import { checkOptions } from "../options.js";
import { describe, fail, formatShape, normalizeDim, sameShape } from "../shape.js";
import { isFloating, scalarTypeName } from "../dtype.js";
import { optionalTensor, perChannel } from "./layer-helpers.js";
import "../inplace-ops.js"; // mul_, add_ on the running stats
import "../reduce-ops.js"; // var
import "../sort-ops.js"; // norm

/** input divided by its p-norm over dim, the norm clamped below at eps. */
export function normalize(input: Tensor, options: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const op = "normalize";
  checkOptions(op, options, { p: "number", dim: "number", eps: "number" });
  const x = tensorArg(op, "input", input);
  x._live(op);
  const dim = normalizeDim(op, options.dim ?? 1, x.ndim);
  if (!isFloating(x.dtype)) fail(op, `norm(): input dtype should be either floating point or complex. Got ${scalarTypeName(x.dtype)} instead.`);
  return scope(() => x.div(x.norm(options.p ?? 2, dim, true).clamp_min(options.eps ?? 1e-12)));
}

// (x - mean) / sqrt(var + eps) over dims, the variance biased, as every normalization layer uses.
function standardized(x: Tensor, dims: number[], eps: number): Tensor {
  const centered = x.sub(x.mean(dims, true));
  return centered.mul(centered.square().mean(dims, true).add(eps).rsqrt());
}

function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null, view: (t: Tensor) => Tensor): Tensor {
  let out = y;
  if (weight !== null) out = out.mul(view(weight));
  if (bias !== null) out = out.add(view(bias));
  return out;
}

/** Standardizes over the last dims (normalized_shape), then weight * y + bias (both of normalized_shape). */
export function layer_norm(input: Tensor, normalized_shape: number[], weight?: Tensor | null, bias?: Tensor | null,
  options: { eps?: number } = {}): Tensor {
  const op = "layer_norm";
  checkOptions(op, options, { eps: "number" });
  const x = tensorArg(op, "input", input), w = optionalTensor(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  x._live(op);
  const shape = normalized_shape;
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s))) {
    throw new TypeError(`${op}(): normalized_shape must be an array of integers, got ${describe(shape)}`);
  }
  if (shape.length === 0) {
    fail(op, "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []");
  }
  for (const [name, t] of [["weight", w], ["bias", b]] as const) {
    if (t !== null && !sameShape(t.shape, shape)) {
      fail(op, `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${formatShape(t.shape)} and ` +
        `normalized_shape = ${formatShape(shape)}`);
    }
  }
  if (x.ndim < shape.length || !sameShape(x.shape.slice(x.ndim - shape.length), shape)) {
    fail(op, `Given normalized_shape=${formatShape(shape)}, expected input with shape [*, ${shape.join(", ")}], but got input ` +
      `of size${formatShape(x.shape)}`);
  }
  if (!isFloating(x.dtype)) fail(op, `not implemented for '${scalarTypeName(x.dtype)}'; convert the input with .float() first`);
  const dims = shape.map((_, i) => x.ndim - shape.length + i);
  return scope(() => affine(standardized(x, dims, options.eps ?? 1e-5), w, b, (t) => t));
}

export interface BatchNormOptions { training?: boolean; momentum?: number; eps?: number }

/**
 * Standardizes each channel (dim 1) over the batch and the other dims, then weight * y + bias.
 * While training, with the batch's statistics, and the running ones (when given) updated in
 * place without gradient: running = (1 - momentum) running + momentum batch, the variance
 * unbiased, as PyTorch. In evaluation (training false, the default), with the running ones.
 */
export function batch_norm(input: Tensor, running_mean: Tensor | null, running_var: Tensor | null,
  weight?: Tensor | null, bias?: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const op = "batch_norm";
  checkOptions(op, options, { training: "boolean", momentum: "number", eps: "number" });
  const x = tensorArg(op, "input", input);
  const mean = optionalTensor(op, "running_mean", running_mean), variance = optionalTensor(op, "running_var", running_var);
  const w = optionalTensor(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  x._live(op);
  const training = options.training ?? false, momentum = options.momentum ?? 0.1, eps = options.eps ?? 1e-5;
  if (x.ndim < 2) fail(op, `Expected 2D or higher input (N, C, ...), got ${x.ndim}D input of shape ${formatShape(x.shape)}`);
  const channels = x.shape[1];
  if (training && x.numel() / channels <= 1) {
    fail(op, `Expected more than 1 value per channel when training, got input size ${formatShape(x.shape)}`);
  }
  for (const [name, t] of [["running_mean", mean], ["running_var", variance], ["weight", w], ["bias", b]] as const) {
    if (t !== null && t.numel() !== channels) fail(op, `${name} should contain ${channels} elements not ${t.numel()}`);
  }
  if (!training && (mean === null || variance === null)) {
    fail(op, `${mean === null ? "running_mean" : "running_var"} must be defined in evaluation mode`);
  }
  if (!isFloating(x.dtype)) fail(op, `not implemented for '${scalarTypeName(x.dtype)}'; convert the input with .float() first`);
  const view = (t: Tensor) => perChannel(t, x.ndim);
  if (!training) {
    return scope(() => affine(x.sub(view(mean!)).mul(view(variance!).add(eps).rsqrt()), w, b, view));
  }
  const dims = x.shape.map((_, d) => d).filter((d) => d !== 1);
  if (mean !== null || variance !== null) {
    const count = x.numel() / channels;
    no_grad(() => scope(() => {
      if (mean !== null) mean.mul_(1 - momentum).add_(x.mean(dims).mul(momentum).to(mean.dtype));
      if (variance !== null) {
        variance.mul_(1 - momentum).add_(x.var(dims, { correction: 0 }).mul(momentum * count / (count - 1)).to(variance.dtype));
      }
    }));
  }
  return scope(() => affine(standardized(x, dims, eps), w, b, view));
}

/** Standardizes each of num_groups groups of channels (dim 1) over the group and the other dims, then per-channel weight and bias. */
export function group_norm(input: Tensor, num_groups: number, weight?: Tensor | null, bias?: Tensor | null,
  options: { eps?: number } = {}): Tensor {
  const op = "group_norm";
  checkOptions(op, options, { eps: "number" });
  const x = tensorArg(op, "input", input), w = optionalTensor(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  x._live(op);
  if (x.ndim < 2) fail(op, `Expected at least 2 dimensions for input tensor but received ${x.ndim}`);
  const channels = x.shape[1];
  if (!Number.isInteger(num_groups) || num_groups <= 0 || channels % num_groups !== 0) {
    fail(op, `Expected number of channels in input to be divisible by num_groups, but got input of shape ${formatShape(x.shape)} ` +
      `and num_groups=${num_groups}`);
  }
  for (const [name, t] of [["weight", w], ["bias", b]] as const) {
    if (t !== null && (t.ndim !== 1 || t.numel() !== channels)) {
      fail(op, `Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ` +
        `${formatShape(t.shape)} and input of shape ${formatShape(x.shape)}`);
    }
  }
  if (!isFloating(x.dtype)) fail(op, `not implemented for '${scalarTypeName(x.dtype)}'; convert the input with .float() first`);
  return scope(() => {
    const grouped = x.reshape([x.shape[0], num_groups, -1]);
    const y = standardized(grouped, [2], options.eps ?? 1e-5).reshape(x.shape);
    return affine(y, w, b, (t) => perChannel(t, x.ndim));
  });
}
