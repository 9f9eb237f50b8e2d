// torch.nn.functional's layer functions, as PyTorch 1.13 defines them, written as composites
// of tensor ops so that autograd differentiates them: linear maps, dropout, embeddings,
// normalizations, distances, attention, and the activations that wasmgrad's tensors lack.
// Arguments are checked before any kernel runs; each function runs in a scope, so that only
// its result (and, for batch_norm, the running stats it updates) outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { no_grad } from "../autograd.js";
import { arange, rand } from "../create.js";
import { checkOptions } from "../options.js";
import { broadcastShapes, describe, fail, formatShape, normalizeDim, sameShape } from "../shape.js";
import { isFloating, resultType, scalarTypeName, torchName } from "../dtype.js";
import { OPTIONAL_TENSOR, warn } from "./loss-reduction.js";
import "../index-ops.js"; // index_select, index_copy_, masked_fill
import "../inplace-ops.js"; // mul_, add_ on the running stats
import "../reduce-ops.js"; // var
import "../sort-ops.js"; // norm
import "../order-ops.js"; // unique
import "../join-ops.js"; // chunk

const optionalTensor = (op: string, name: string, x: unknown): Tensor | null => {
  if (x === undefined || x === null) return null;
  return tensorArg(op, name, x);
};

// ---- linear maps ---------------------------------------------------------------------------

/** input @ weight.T + bias: weight (out_features, in_features), or (in_features) for one output without its dim. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = "linear";
  const x = tensorArg(op, "input", input), w = tensorArg(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  x._live(op);
  w._live(op);
  if (x.ndim === 0 || w.ndim === 0) {
    fail(op, `both arguments to matmul need to be at least 1D, but they are ${x.ndim}D and ${w.ndim}D`);
  }
  if (w.ndim > 2) fail(op, `weight must be 1-D or 2-D, got a ${w.ndim}-D tensor of shape ${formatShape(w.shape)}`);
  const inFeatures = x.shape[x.ndim - 1], rows = x.numel() / Math.max(inFeatures, 1);
  const wIn = w.shape[w.ndim - 1];
  if (inFeatures !== wIn) {
    fail(op, `mat1 and mat2 shapes cannot be multiplied (${x.ndim === 1 ? 1 : rows}x${inFeatures} and ` +
      `${wIn}x${w.ndim === 2 ? w.shape[0] : 1})`);
  }
  if (b !== null) {
    if (w.ndim === 1) fail(op, "mat2 must be a matrix, got 1-D tensor");
    const outShape = [...x.shape.slice(0, -1), w.shape[0]];
    // bias is expanded to the output's shape, as PyTorch's addmm does: it may not grow it
    const lead = outShape.length - b.ndim;
    const bad = b.shape.findIndex((s, d) => s !== 1 && s !== outShape[lead + d]);
    if (lead < 0 || bad >= 0) {
      const d = lead < 0 ? 0 : lead + bad;
      fail(op, `The expanded size of the tensor (${outShape[d]}) must match the existing size (${b.shape[d - lead]}) at ` +
        `non-singleton dimension ${d}.  Target sizes: ${formatShape(outShape)}.  Tensor sizes: ${formatShape(b.shape)}`);
    }
  }
  return scope(() => {
    const out = x.matmul(w.ndim === 2 ? w.t() : w);
    return b === null ? out : out.add(b);
  });
}

/** y_o = x1ᵀ A_o x2 + b_o over the last dims: weight (out, in1, in2); the leading dims of x1 and x2 must agree. */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = "bilinear";
  const x1 = tensorArg(op, "input1", input1), x2 = tensorArg(op, "input2", input2);
  const w = tensorArg(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  if (x1.ndim !== x2.ndim) fail(op, `bilinear(): input dimensions do not match: got ${x1.ndim} and ${x2.ndim}`);
  for (let d = 0; d < x1.ndim - 1; d++) {
    if (x1.shape[d] !== x2.shape[d]) {
      fail(op, `bilinear(): input batch dimensions do not match at dim ${d}: got ${x1.shape[d]} and ${x2.shape[d]}`);
    }
  }
  if (w.ndim !== 3) fail(op, `weight must be 3-D (out_features, in1_features, in2_features), got shape ${formatShape(w.shape)}`);
  const [out, in1, in2] = w.shape;
  const n1 = x1.shape[x1.ndim - 1], n2 = x2.shape[x2.ndim - 1];
  if (n1 !== in1) fail(op, `bilinear(): input1 size does not match weight size: got ${n1} but expected ${in1}`);
  if (n2 !== in2) fail(op, `bilinear(): input2 size does not match weight size: got ${n2} but expected ${in2}`);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== out)) {
    fail(op, `bilinear(): bias size does not match weight size: got ${b.shape[b.ndim - 1]} but expected ${out}`);
  }
  return scope(() => {
    const a = x1.reshape([-1, in1]), c = x2.reshape([-1, in2]);
    // (rows, in1) @ (in1, out * in2): each row's x1ᵀ A_o for every o, then the dot with x2
    const left = a.matmul(w.permute([1, 0, 2]).reshape([in1, out * in2])).reshape([-1, out, in2]);
    let y = left.mul(c.unsqueeze(1)).sum(-1).reshape([...x1.shape.slice(0, -1), out]);
    if (b !== null) y = y.add(b);
    return y;
  });
}

// ---- dropout -------------------------------------------------------------------------------

export interface DropoutOptions { p?: number; training?: boolean; inplace?: boolean }
const DROPOUT_OPTIONS = { p: "number", training: "boolean", inplace: "boolean" } as const;

function dropoutArgs(op: string, input: unknown, options: DropoutOptions) {
  checkOptions(op, options, DROPOUT_OPTIONS);
  const x = tensorArg(op, "input", input);
  x._live(op);
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) fail(op, `dropout probability has to be between 0 and 1, but got ${p}`);
  if (!isFloating(x.dtype)) fail(op, `result type Float can't be cast to the desired output type ${scalarTypeName(x.dtype)}`);
  return { x, p, training: options.training ?? true, inplace: options.inplace ?? false };
}

// input times noise: a Bernoulli(1 - p) mask of maskShape (broadcast over the rest) scaled by
// 1 / (1 - p), so that the gradient is exactly the noise; all zeros for p = 1.
function dropNoise(x: Tensor, p: number, training: boolean, inplace: boolean, maskShape: number[]): Tensor {
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

/** Zeroes each element with probability p and scales the others by 1 / (1 - p) while training. */
export function dropout(input: Tensor, options: DropoutOptions = {}): Tensor {
  const { x, p, training, inplace } = dropoutArgs("dropout", input, options);
  return dropNoise(x, p, training, inplace, x.shape);
}

// Channel dropout: one draw per element of the first `kept` dims, shared over the rest.
const channelMask = (x: Tensor, kept: number) => x.shape.map((s, d) => (d < kept ? s : 1));

/** Zeroes whole channels (dim 1 of (N, C, L), dim 0 of (C, L)) with probability p. */
export function dropout1d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const op = "dropout1d";
  const { x, p, training, inplace } = dropoutArgs(op, input, options);
  if (x.ndim !== 2 && x.ndim !== 3) {
    fail(op, `dropout1d: Expected 2D or 3D input, but received a ${x.ndim}D input. Note that dropout1d exists to provide ` +
      "channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension " +
      "(i.e. 2D or 3D inputs).");
  }
  return dropNoise(x, p, training, inplace, channelMask(x, x.ndim === 3 ? 2 : 1));
}

/** Zeroes whole channels (dim 1 of (N, C, H, W)) with probability p; a 3-D input is taken as (N, C, L), as PyTorch 1.13 does. */
export function dropout2d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const op = "dropout2d";
  const { x, p, training, inplace } = dropoutArgs(op, input, options);
  if (x.ndim !== 3 && x.ndim !== 4) {
    warn(op, `dropout2d: Received a ${x.ndim}-D input to dropout2d, which is deprecated and will result in an error in a ` +
      "future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d " +
      "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional " +
      "batch dimension (i.e. 3D or 4D inputs).");
  }
  if (x.ndim === 3) {
    warn(op, "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - " +
      "input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release " +
      "to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise " +
      "dropout behavior, please switch to using dropout1d instead.");
  }
  if (x.ndim < 2) fail(op, `Feature dropout requires at least 2 dimensions in the input, got ${x.ndim}`);
  return dropNoise(x, p, training, inplace, channelMask(x, 2));
}

/** Zeroes whole channels (dim 1 of (N, C, D, H, W), dim 0 of (C, D, H, W)) with probability p. */
export function dropout3d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const op = "dropout3d";
  const { x, p, training, inplace } = dropoutArgs(op, input, options);
  if (x.ndim !== 4 && x.ndim !== 5) {
    warn(op, `dropout3d: Received a ${x.ndim}-D input to dropout3d, which is deprecated and will result in an error in a ` +
      "future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout3d " +
      "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and an optional " +
      "batch dimension (i.e. 4D or 5D inputs).");
  }
  if (x.ndim < 1) fail(op, "Feature dropout requires at least 2 dimensions in the input, got 1");
  return dropNoise(x, p, training, inplace, channelMask(x, x.ndim === 5 ? 2 : 1));
}

// ---- embeddings and one-hot ----------------------------------------------------------------

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


// ---- normalization -------------------------------------------------------------------------

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

// weight and bias (per channel) viewed along dim 1 of a tensor of rank `rank`.
const perChannel = (t: Tensor, rank: number) => t.reshape([t.numel(), ...Array(Math.max(rank - 2, 0)).fill(1)]);

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

// ---- distances -----------------------------------------------------------------------------

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

// ---- attention -----------------------------------------------------------------------------

export interface AttentionOptions { attn_mask?: Tensor | null; dropout_p?: number; is_causal?: boolean; scale?: number | null }

/**
 * softmax(q kᵀ · scale + mask) v over the last two dims, scale 1/sqrt(E) by default:
 * query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). attn_mask broadcasts
 * to (..., L, S): a bool one tells which positions take part (true) and a float one is added.
 * is_causal lets position i see positions up to i. dropout_p drops attention weights.
 */
export function scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
  const op = "scaled_dot_product_attention";
  checkOptions(op, options, {
    attn_mask: OPTIONAL_TENSOR, dropout_p: "number", is_causal: "boolean",
    scale: { expected: "a number or null", test: (v) => v === null || typeof v === "number" },
  });
  const q = tensorArg(op, "query", query), k = tensorArg(op, "key", key), v = tensorArg(op, "value", value);
  const mask = options.attn_mask ?? null;
  for (const t of [q, k, v]) {
    t._live(op);
    if (t.ndim < 2) fail(op, `expected query, key and value of at least 2 dims, got shapes ${formatShape(q.shape)}, ${formatShape(k.shape)} and ${formatShape(v.shape)}`);
  }
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E) fail(op, `query and key must have the same embedding size, got ${formatShape(q.shape)} and ${formatShape(k.shape)}`);
  if (v.shape[v.ndim - 2] !== S) fail(op, `key and value must have the same sequence length, got ${formatShape(k.shape)} and ${formatShape(v.shape)}`);
  broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2));
  if (mask !== null) {
    if (options.is_causal) fail(op, "Explicit attn_mask should not be set when is_causal=True");
    if (mask.dtype !== "bool" && !isFloating(mask.dtype)) {
      fail(op, `attn_mask must be a bool or floating tensor, got ${mask.dtype}`);
    }
    broadcastShapes(op, mask.shape, [...q.shape.slice(0, -2), L, S]);
  }
  const dropP = options.dropout_p ?? 0;
  if (!(dropP >= 0 && dropP <= 1)) fail(op, `dropout probability has to be between 0 and 1, but got ${dropP}`);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  return scope(() => {
    let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
    const allowed = options.is_causal ? arange(L).unsqueeze(1).ge(arange(S)) : mask?.dtype === "bool" ? mask : null;
    if (allowed !== null) scores = scores.masked_fill(allowed.logical_not(), -Infinity);
    else if (mask !== null) scores = scores.add(mask);
    const weights = dropNoise(scores.softmax(-1), dropP, true, false, scores.shape);
    return weights.matmul(v);
  });
}

// ---- activations that Tensor lacks ---------------------------------------------------------

const floatingInput = (op: string, x: unknown): Tensor => {
  const t = tensorArg(op, "input", x);
  t._live(op);
  if (!isFloating(t.dtype)) fail(op, `not implemented for '${scalarTypeName(t.dtype)}'; convert the input with .float() first`);
  return t;
};

/** x tanh(softplus(x)). */
export function mish(input: Tensor): Tensor {
  const x = floatingInput("mish", input);
  return scope(() => x.mul(x.softplus().tanh()));
}

/** x relu6(x + 3) / 6. */
export function hardswish(input: Tensor): Tensor {
  const x = floatingInput("hardswish", input);
  return scope(() => x.mul(x.add(3).relu6()).div(6));
}

/** relu6(x + 3) / 6. */
export function hardsigmoid(input: Tensor): Tensor {
  const x = floatingInput("hardsigmoid", input);
  return scope(() => x.add(3).relu6().div(6));
}

/** log(sigmoid(x)), as -logaddexp(0, -x): finite for any finite x. */
export function logsigmoid(input: Tensor): Tensor {
  const x = floatingInput("logsigmoid", input);
  return scope(() => x.neg().logaddexp(0).neg());
}

/** x / (1 + |x|). */
export function softsign(input: Tensor): Tensor {
  const x = tensorArg("softsign", "input", input);
  return scope(() => x.div(x.abs().add(1)));
}

/** x - tanh(x). */
export function tanhshrink(input: Tensor): Tensor {
  const x = tensorArg("tanhshrink", "input", input);
  return scope(() => x.sub(x.tanh()));
}

/** softmax(-x) along dim (PyTorch's implicit dim, with its warning, when dim is not given). */
export function softmin(input: Tensor, dim?: number | null): Tensor {
  const op = "softmin";
  const x = tensorArg(op, "input", input);
  x._live(op);
  let d = dim ?? null;
  if (d === null) {
    warn(op, "Implicit dimension choice for softmin has been deprecated. Change the call to include dim=X as an argument.");
    d = x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
  }
  const along = normalizeDim(op, d, x.ndim);
  return scope(() => x.neg().softmax(along));
}

/** a sigmoid(b), a and b the halves of input along dim. */
export function glu(input: Tensor, dim = -1): Tensor {
  const op = "glu";
  const x = tensorArg(op, "input", input);
  x._live(op);
  if (x.ndim === 0) fail(op, "glu does not support scalars because halving size must be even");
  const d = normalizeDim(op, dim, x.ndim);
  if (x.shape[d] % 2 !== 0) fail(op, `Halving dimension must be even, but dimension ${d} is size ${x.shape[d]}`);
  return scope(() => {
    const [a, b] = x.chunk(2, d);
    return a.mul(b.sigmoid());
  });
}

/** x where x > 0, else alpha (e^(x / alpha) - 1). */
export function celu(input: Tensor, alpha = 1): Tensor {
  const x = floatingInput("celu", input);
  if (alpha === 0) fail("celu", "ZeroDivisionError: alpha cannot be 0 for CELU");
  return scope(() => x.div(alpha).elu(1).mul(alpha));
}

/** x where |x| > lambd, else 0. */
export function hardshrink(input: Tensor, lambd = 0.5): Tensor {
  const x = floatingInput("hardshrink", input);
  return scope(() => x.where(x.abs().gt(lambd), 0));
}

/** x - lambd above lambd, x + lambd below -lambd, else 0. */
export function softshrink(input: Tensor, lambd = 0.5): Tensor {
  const x = floatingInput("softshrink", input);
  if (!(lambd >= 0)) fail("softshrink", `lambda must be greater or equal to 0, but found to be ${lambd}.`);
  return scope(() => x.sub(x.clamp(-lambd, lambd)));
}

/** x where x > threshold, else value. */
export function threshold(input: Tensor, threshold: number, value: number): Tensor {
  const x = tensorArg("threshold", "input", input);
  return scope(() => x.where(x.gt(threshold), value));
}

/** x where x > 0, else weight x: weight has one element, or one per channel (dim 1). */
export function prelu(input: Tensor, weight: Tensor): Tensor {
  const op = "prelu";
  const x = floatingInput(op, input), w = tensorArg(op, "weight", weight);
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  if (w.numel() !== 1 && w.numel() !== channels) {
    fail(op, `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${w.numel()} and channel size = ${channels}.`);
  }
  return scope(() => {
    const slope = w.numel() === 1 ? w.reshape([]) : perChannel(w, x.ndim);
    return x.where(x.gt(0), x.mul(slope));
  });
}

/**
 * leaky_relu with a random slope for each element from U(lower, upper) while training, and
 * the mean slope (lower + upper) / 2 otherwise (training false, the default).
 */
export function rrelu(input: Tensor, options: { lower?: number; upper?: number; training?: boolean } = {}): Tensor {
  const op = "rrelu";
  checkOptions(op, options, { lower: "number", upper: "number", training: "boolean" });
  const x = floatingInput(op, input);
  const lower = options.lower ?? 1 / 8, upper = options.upper ?? 1 / 3;
  if (!(lower <= upper)) fail(op, `Lower bound should be less than or equal to the upper bound, got ${lower} and ${upper}`);
  if (!options.training) return x.leaky_relu((lower + upper) / 2);
  return scope(() => x.where(x.gt(0), x.mul(rand(x.shape, { dtype: x.dtype }).mul(upper - lower).add(lower))));
}

