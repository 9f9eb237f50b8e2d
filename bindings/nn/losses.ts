// torch.nn.functional's losses, as PyTorch 1.13 defines them, written as composites of tensor
// ops so that autograd differentiates them (in the input, the target and the weights alike).
// Every argument is checked before any kernel runs; each loss runs in a scope, so that only
// its result outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { broadcastShapes, fail, formatShape, sameShape } from "../shape.js";
import { isFloating, scalarTypeName } from "../dtype.js";
import {
  OPTIONAL_TENSOR, REDUCTION, type Reduction, floatingArg, reduce, reductionOf, warn, warnIfShapesDiffer,
} from "./loss-reduction.js";
import { checkClassTargets, checkNllShapes, checkTargetRange, ignoredOf, nll, targetWeights } from "./loss-nll.js";
import "../index-ops.js"; // masked_fill

export type { Reduction } from "./loss-reduction.js";

export interface ReductionOptions { reduction?: Reduction }
export interface NllLossOptions extends ReductionOptions { weight?: Tensor | null; ignore_index?: number }
export interface CrossEntropyOptions extends NllLossOptions { label_smoothing?: number }
export interface BinaryCrossEntropyOptions extends ReductionOptions { weight?: Tensor | null }
export interface BceWithLogitsOptions extends BinaryCrossEntropyOptions { pos_weight?: Tensor | null }
export type KlDivReduction = Reduction | "batchmean";
export interface KlDivOptions { reduction?: KlDivReduction; log_target?: boolean }

const REDUCTION_ONLY = { reduction: REDUCTION } as const;

// ---- regression losses ---------------------------------------------------------------------

// input and target (broadcast, with PyTorch's warning when their shapes differ) and the reduction.
function pointwise(op: string, input: unknown, target: unknown, options: { reduction?: unknown }) {
  const x = floatingArg(op, "input", input);
  const y = tensorArg(op, "target", target);
  y._live(op);
  const reduction = reductionOf(op, options.reduction);
  warnIfShapesDiffer(op, x, y);
  broadcastShapes(op, x.shape, y.shape);
  return { x, y, reduction };
}

/** The mean (or sum) of the squared differences. */
export function mse_loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  checkOptions("mse_loss", options, REDUCTION_ONLY);
  const { x, y, reduction } = pointwise("mse_loss", input, target, options);
  return scope(() => reduce(x.sub(y).square(), reduction));
}

/** The mean (or sum) of the absolute differences. */
export function l1_loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  checkOptions("l1_loss", options, REDUCTION_ONLY);
  const { x, y, reduction } = pointwise("l1_loss", input, target, options);
  return scope(() => reduce(x.sub(y).abs(), reduction));
}

/** 0.5 d² / beta where |d| < beta, else |d| - 0.5 beta; beta = 0 is l1_loss. */
export function smooth_l1_loss(input: Tensor, target: Tensor, options: ReductionOptions & { beta?: number } = {}): Tensor {
  checkOptions("smooth_l1_loss", options, { reduction: REDUCTION, beta: "number" });
  const beta = options.beta ?? 1;
  const { x, y, reduction } = pointwise("smooth_l1_loss", input, target, options);
  if (beta < 0) fail("smooth_l1_loss", "smooth_l1_loss does not support negative values for beta.");
  if (beta === 0) return l1_loss(x, y, { reduction });
  return scope(() => {
    const d = x.sub(y), size = d.abs();
    return reduce(d.square().mul(0.5 / beta).where(size.lt(beta), size.sub(0.5 * beta)), reduction);
  });
}

/** 0.5 d² where |d| < delta, else delta (|d| - 0.5 delta). */
export function huber_loss(input: Tensor, target: Tensor, options: ReductionOptions & { delta?: number } = {}): Tensor {
  checkOptions("huber_loss", options, { reduction: REDUCTION, delta: "number" });
  const delta = options.delta ?? 1;
  const { x, y, reduction } = pointwise("huber_loss", input, target, options);
  if (!(delta > 0)) fail("huber_loss", "huber_loss does not support non-positive values for delta.");
  return scope(() => {
    const d = x.sub(y), size = d.abs();
    return reduce(d.square().mul(0.5).where(size.lt(delta), size.sub(0.5 * delta).mul(delta)), reduction);
  });
}

// ---- classification losses -----------------------------------------------------------------

const NLL_OPTIONS = { weight: OPTIONAL_TENSOR, ignore_index: "number", reduction: REDUCTION } as const;

// The class weights, of input's dtype as PyTorch requires.
function classWeights(op: string, input: Tensor, weight: Tensor | null | undefined): Tensor | null {
  if (weight === undefined || weight === null) return null;
  weight._live(op);
  if (weight.dtype !== input.dtype) {
    fail(op, `expected scalar type ${scalarTypeName(input.dtype)} but found ${scalarTypeName(weight.dtype)}`);
  }
  return weight;
}

/**
 * The negative log-likelihood of class-index targets (int32) given log-probabilities with the
 * classes in dim 1 (input (C), (N, C) or (N, C, d1, ...)); targets equal to ignore_index
 * count for nothing, and 'mean' divides by the summed weights of the others.
 */
export function nll_loss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const op = "nll_loss";
  checkOptions(op, options, NLL_OPTIONS);
  const x = floatingArg(op, "input", input);
  const y = tensorArg(op, "target", target);
  const reduction = reductionOf(op, options.reduction);
  const ignore = options.ignore_index ?? -100;
  checkClassTargets(op, y);
  const weight = classWeights(op, x, options.weight);
  const classes = checkNllShapes(op, x, y, weight);
  checkTargetRange(op, y, classes, ignore);
  return scope(() => nll(x, y, weight, ignore, reduction));
}

/**
 * log_softmax over the classes (dim 1, or 0 for a 1-D input) and the negative log-likelihood
 * of the targets: class indices (int32, input's shape without the class dim), or class
 * probabilities (floating, input's shape). label_smoothing mixes in the uniform distribution.
 */
export function cross_entropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = "cross_entropy";
  checkOptions(op, options, { ...NLL_OPTIONS, label_smoothing: "number" });
  const x = floatingArg(op, "input", input);
  const y = tensorArg(op, "target", target);
  y._live(op);
  const reduction = reductionOf(op, options.reduction);
  const ignore = options.ignore_index ?? -100;
  const smoothing = options.label_smoothing ?? 0;
  if (x.ndim === 0) fail(op, "Expected 1 or more dimensions (got 0)");
  const classDim = x.ndim === 1 ? 0 : 1;
  const classes = x.shape[classDim];
  const checkSmoothing = () => {
    if (smoothing > 1) fail(op, `label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  };
  // PyTorch's rule: a target of input's shape holds probabilities
  if (sameShape(x.shape, y.shape)) {
    if (!isFloating(y.dtype)) {
      fail(op, `Expected floating point type for target with class probabilities, got ${scalarTypeName(y.dtype)}`);
    }
    if (ignore >= 0) fail(op, "ignore_index is not supported for floating point target");
    const weight = options.weight ?? null;
    if (weight !== null && (weight.ndim !== 1 || weight.numel() !== classes)) {
      fail(op, `weight tensor should be defined either for all ${classes} classes or no classes but got weight ` +
        `tensor of shape: ${formatShape(weight.shape)}`);
    }
    checkSmoothing();
    return scope(() => probabilityTargets(x, y, weight, smoothing, reduction));
  }
  checkClassTargets(op, y);
  const weight = classWeights(op, x, options.weight);
  checkNllShapes(op, x, y, weight);
  checkTargetRange(op, y, classes, ignore);
  checkSmoothing();
  return scope(() => {
    const logp = x.log_softmax(classDim);
    // as PyTorch, a negative label_smoothing is no smoothing
    if (!(smoothing > 0)) return nll(logp, y, weight, ignore, reduction);
    return smoothedClassTargets(logp, y, weight, ignore, smoothing, reduction);
  });
}

// weight viewed along dim 1 of an input of rank `rank` (dim 0 when 1-D), to broadcast.
function alongClasses(weight: Tensor, rank: number): Tensor {
  return rank <= 1 ? weight : weight.reshape([1, weight.numel(), ...Array(rank - 2).fill(1)]);
}

function probabilityTargets(x: Tensor, target: Tensor, weight: Tensor | null, smoothing: number, reduction: Reduction): Tensor {
  const classDim = x.ndim === 1 ? 0 : 1;
  const classes = x.shape[classDim];
  const logp = x.log_softmax(classDim);
  const p = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / classes) : target;
  let terms = logp.mul(p);
  if (weight !== null) terms = terms.mul(alongClasses(weight, x.ndim));
  if (reduction === "none") return terms.sum(classDim).neg();
  const total = terms.sum().neg();
  // PyTorch's mean is over the positions, not the classes (NaN for an empty batch)
  return reduction === "sum" ? total : total.div(x.numel() / classes);
}

// PyTorch's (1 - ε) nll + ε / C * (the loss against the uniform distribution), both over the
// targets that are not ignored, and weighted as nll_loss weights them.
function smoothedClassTargets(logp: Tensor, target: Tensor, weight: Tensor | null, ignore: number, smoothing: number,
  reduction: Reduction): Tensor {
  const classDim = logp.ndim === 1 ? 0 : 1;
  const classes = logp.shape[classDim];
  const ignored = ignoredOf(target, ignore);
  const weighted = weight === null ? logp : logp.mul(alongClasses(weight, logp.ndim));
  const uniform = weighted.sum(classDim).neg().masked_fill(ignored, 0);
  const reduced = reduction === "none" ? uniform
    : reduction === "sum" ? uniform.sum()
    : uniform.sum().div(targetWeights(target, ignored, weight, logp).sum());
  return nll(logp, target, weight, ignore, reduction).mul(1 - smoothing).add(reduced.mul(smoothing / classes));
}

// ---- binary losses -------------------------------------------------------------------------

// log(p) clamped at -100 as PyTorch's, with p = 0 kept out of log's gradient (which would be
// 0 * inf there): the gradient at p = 0 is 0, where PyTorch's is -1e12 times the target.
function clampedLog(p: Tensor): Tensor {
  const positive = p.gt(0);
  return p.where(positive, 1).log().where(positive, -100).clamp_min(-100);
}

// weight (or pos_weight) checked to broadcast to input's shape without growing it.
function elementWeights(op: string, input: Tensor, weight: Tensor | null | undefined, grow: boolean): Tensor | null {
  if (weight === undefined || weight === null) return null;
  weight._live(op);
  const shape = broadcastShapes(op, input.shape, weight.shape);
  if (!grow && !sameShape(shape, input.shape)) {
    fail(op, `output with shape ${formatShape(input.shape)} doesn't match the broadcast shape ${formatShape(shape)}`);
  }
  return weight;
}

// The two tensor arguments of a loss, checked live.
function inputAndTarget(op: string, input: unknown, target: unknown): [Tensor, Tensor] {
  const x = tensorArg(op, "input", input), y = tensorArg(op, "target", target);
  x._live(op);
  y._live(op);
  return [x, y];
}

/** -w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1], each log clamped at -100. */
export function binary_cross_entropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const op = "binary_cross_entropy";
  checkOptions(op, options, { weight: OPTIONAL_TENSOR, reduction: REDUCTION });
  const [x, y] = inputAndTarget(op, input, target);
  const reduction = reductionOf(op, options.reduction);
  if (!sameShape(x.shape, y.shape)) {
    fail(op, `Using a target size (${formatShape(y.shape)}) that is different to the input size ` +
      `(${formatShape(x.shape)}) is deprecated. Please ensure they have the same size.`);
  }
  if (x.dtype !== y.dtype) fail(op, `Found dtype ${scalarTypeName(y.dtype)} but expected ${scalarTypeName(x.dtype)}`);
  floatingArg(op, "input", x);
  const weight = elementWeights(op, x, options.weight, false);
  for (const v of x._valuesForChecks()) {
    if (!(v >= 0 && v <= 1)) fail(op, "all elements of input should be between 0 and 1");
  }
  return scope(() => {
    const one = y.neg().add(1);
    let loss = y.mul(clampedLog(x)).add(one.mul(clampedLog(x.neg().add(1)))).neg();
    if (weight !== null) loss = loss.mul(weight.to(x.dtype)); // PyTorch converts the weight to input's dtype
    return reduce(loss, reduction);
  });
}

/**
 * binary_cross_entropy of sigmoid(input), computed from the logits without overflow:
 * (1 - t) x + (1 + (pos_weight - 1) t) log(1 + e^-x), the log as logaddexp(0, -x).
 */
export function binary_cross_entropy_with_logits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = "binary_cross_entropy_with_logits";
  checkOptions(op, options, { weight: OPTIONAL_TENSOR, reduction: REDUCTION, pos_weight: OPTIONAL_TENSOR });
  const [x, y] = inputAndTarget(op, input, target);
  const reduction = reductionOf(op, options.reduction);
  if (!sameShape(x.shape, y.shape)) {
    fail(op, `Target size (${formatShape(y.shape)}) must be the same as input size (${formatShape(x.shape)})`);
  }
  for (const t of [x, y]) {
    if (!isFloating(t.dtype)) fail(op, `result type Float can't be cast to the desired output type ${scalarTypeName(t.dtype)}`);
  }
  const weight = elementWeights(op, x, options.weight, true);
  const posWeight = elementWeights(op, x, options.pos_weight, true);
  return scope(() => {
    const softplusNeg = x.neg().logaddexp(0); // log(1 + e^-x), finite with a finite gradient at any x
    const scale = posWeight === null ? null : posWeight.sub(1).mul(y).add(1);
    let loss = y.neg().add(1).mul(x).add(scale === null ? softplusNeg : scale.mul(softplusNeg));
    if (weight !== null) loss = loss.mul(weight);
    return reduce(loss, reduction);
  });
}

/**
 * The Kullback-Leibler divergence of input (log-probabilities) from target (probabilities,
 * or log-probabilities with log_target): target (log target - input), 0 where target is 0.
 * 'batchmean' divides the sum by the batch size (the definition); 'mean' by the element count.
 */
export function kl_div(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = "kl_div";
  checkOptions(op, options, { reduction: REDUCTION, log_target: "boolean" });
  const [x, y] = inputAndTarget(op, input, target);
  const reduction = reductionOf<KlDivReduction>(op, options.reduction, ["mean", "batchmean", "sum", "none"]);
  if (reduction === "mean") {
    warn(op, "reduction: 'mean' divides the total loss by both the batch size and the support size." +
      "'batchmean' divides only by the batch size, and aligns with the KL div math definition." +
      "'mean' will be changed to behave the same as 'batchmean' in the next major release.");
  }
  if (!isFloating(x.dtype) || !isFloating(y.dtype)) fail(op, "kl_div: Integral inputs not supported.");
  broadcastShapes(op, x.shape, y.shape);
  return scope(() => {
    const loss = options.log_target ? y.exp().mul(y.sub(x)) : y.xlogy(y).sub(y.mul(x));
    if (reduction !== "batchmean") return reduce(loss, reduction);
    return x.ndim === 0 ? loss.sum() : loss.sum().div(x.shape[0]);
  });
}
