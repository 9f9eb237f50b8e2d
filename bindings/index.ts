// wasmgrad: reverse-mode automatic differentiation with PyTorch's API and a WebAssembly core.

export { Tensor } from "./tensor.js";
export type { TensorLike, MaxResult } from "./tensor.js";
export type { GradFn } from "./ops.js";
export {
  tensor, arange, linspace, zeros, ones, full, zeros_like, ones_like, rand, randn,
} from "./create.js";
export type { CreateOptions, TensorOptions, TensorData, NestedNumbers, NumericArray } from "./create.js";
import "./shape-ops.js"; // movedim, repeat, tril, ... as Tensor methods
import "./reduce-ops.js"; // min, argmax, all, ... as Tensor methods
import "./linalg-ops.js"; // mm, bmm, mv, outer as Tensor methods
export { cat, stack, hstack, vstack } from "./join-ops.js"; // and split, chunk, unbind as Tensor methods
export { gelu, fmod, remainder, floor_divide, div, lerp, addcmul, addcdiv } from "./math-ops.js"; // also as methods
export type { GeluApproximation, RoundingMode } from "./math-ops.js";
export { eye, empty, full_like, rand_like, randn_like, randint, randperm, logspace } from "./factories.js";
export { manual_seed } from "./random.js";
export { get_default_dtype, set_default_dtype } from "./dtype.js";
export type { DType } from "./dtype.js";
export { scope, memory } from "./lifetime.js";
export {
  no_grad, enable_grad, is_grad_enabled, set_grad_enabled, grad,
} from "./autograd.js";
export type { BackwardOptions, GradOptions } from "./autograd.js";
export { gradcheck, gradgradcheck, GradcheckError } from "./gradcheck.js";
export type { GradcheckOptions, GradgradcheckOptions } from "./gradcheck.js";
export { autograd } from "./autograd-namespace.js";
export * from "./generated/functions.js";
export {
  sum, mean, max, cumsum, dot, matmul, norm, mm, bmm, mv, outer, where, clamp, clip, clamp_min, clamp_max,
  leaky_relu, elu, selu, hardtanh, relu6, softplus, logical_and, logical_or, logical_xor, logical_not,
  isnan, isinf, isfinite, reshape, transpose, unsqueeze, squeeze, softmax, log_softmax,
} from "./functions.js";
