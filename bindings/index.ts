// wasmgrad: reverse-mode automatic differentiation with PyTorch's API and a WebAssembly core.

export { Tensor } from "./tensor.js";
export type { TensorLike, MaxResult } from "./tensor.js";
export type { GradFn } from "./graph-nodes.js";
export { Node, AccumulateGrad } from "./graph-nodes.js";
export * as graph from "./graph.js"; // graph.to_dot(root, { params, show_saved })
export {
  tensor, arange, linspace, zeros, ones, full, zeros_like, ones_like, rand, randn,
} from "./create.js";
export type { CreateOptions, TensorOptions, TensorData, NestedNumbers, NumericArray } from "./create.js";
import "./shape-ops.js"; // movedim, repeat, tril, ... as Tensor methods
import "./reduce-ops.js"; // min, argmax, all, ... as Tensor methods
import "./linalg-ops.js"; // mm, bmm, mv, outer as Tensor methods
import "./index-ops.js"; // gather, scatter, index_select, masked_fill, ... as Tensor methods
import "./inplace-ops.js"; // exp_, div_, clamp_, addcdiv_, ... as Tensor methods
import "./fill-ops.js"; // uniform_, normal_ as Tensor methods
import "./hooks.js"; // x.register_hook(fn)
export type { TensorHook, HookHandle } from "./hooks.js";
export { slice, Slice } from "./indexing.js"; // and x.index(...items)
export type { IndexItem } from "./indexing.js";
export type { IndexLike, ScatterOptions, ScatterReduction } from "./index-ops.js";
export * from "./aliases.js"; // multiply, divide, swapaxes, concat, ... as methods and functions
export * as optim from "./optim.js"; // also the subpath wasmgrad/optim
export * as nn from "./nn/index.js"; // also the subpaths wasmgrad/nn and wasmgrad/nn/functional
export { prod, cumprod, logcumsumexp, norm, sort, argsort, topk, msort } from "./sort-ops.js"; // and as Tensor methods
export type { SortResult, SortOptions, TopkOptions, ProdOptions, NormOptions, NormOrder } from "./sort-ops.js";
export { median, nanmedian, kthvalue, mode, cummax, cummin, unique, unique_consecutive } from "./order-ops.js"; // and as Tensor methods
export type { OrderResult, OrderOptions, UniqueOptions } from "./order-ops.js";
export { tensordot, einsum, cross } from "./linalg-ops.js";
export { flip, fliplr, flipud, roll, diag, diag_embed, meshgrid } from "./rearrange-ops.js"; // also as Tensor methods
export { searchsorted, bucketize, bincount, histc, diff, rot90, cartesian_prod, block_diag, kron, cdist } from "./misc-ops.js"; // also as Tensor methods
export type { SearchsortedOptions, DiffOptions } from "./misc-ops.js";
export { cat, stack, hstack, vstack } from "./join-ops.js"; // and split, chunk, unbind as Tensor methods
export { gelu, fmod, remainder, floor_divide, div, lerp, addcmul, addcdiv } from "./math-ops.js"; // also as methods
export type { GeluApproximation, RoundingMode } from "./math-ops.js";
export { eye, empty, full_like, rand_like, randn_like, randint, randperm, logspace } from "./factories.js";
export { manual_seed } from "./random.js";
export { Generator } from "./generator.js";
export { save, load, load_metadata } from "./serialization.js"; // safetensors files
export type { StateDict, SaveOptions } from "./serialization.js";
export { get_default_dtype, set_default_dtype } from "./dtype.js";
export type { DType } from "./dtype.js";
export { scope, keep, memory } from "./lifetime.js";
export {
  no_grad, enable_grad, is_grad_enabled, set_grad_enabled, grad,
} from "./autograd.js";
export type { BackwardOptions, GradOptions } from "./autograd.js";
export { gradcheck, gradgradcheck, GradcheckError } from "./gradcheck.js";
export type { GradcheckOptions, GradgradcheckOptions } from "./gradcheck.js";
export { autograd } from "./autograd-namespace.js"; // autograd.grad, gradcheck, Function, ...
export * as func from "./func.js"; // func.grad, vjp, jvp, jacrev, jacfwd, hessian, as torch.func
export type { FunctionCtx } from "./custom-function.js";
export * from "./generated/functions.js";
export {
  sum, mean, max, cumsum, dot, matmul, mm, bmm, mv, outer, where, clamp, clip, clamp_min, clamp_max,
  leaky_relu, elu, selu, hardtanh, relu6, softplus, logical_and, logical_or, logical_xor, logical_not,
  isnan, isinf, isfinite, reshape, transpose, unsqueeze, squeeze, softmax, log_softmax,
  gather, take_along_dim, index_select, scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill, masked_fill,
  masked_select, index_put, nonzero, take, masked_scatter, min, amax, amin, argmax, argmin, all, any, count_nonzero, logsumexp, std,
  var_ as var, nansum, nanmean, clone, detach, numel, flatten, unflatten, permute, movedim, narrow, select, diagonal, t, broadcast_to,
  tile, tril, triu, trace, nan_to_num, split, chunk, unbind, ravel, tensor_split, hypot, logit, deg2rad, rad2deg,
  sinc, logaddexp2, copysign, heaviside, float_power, signbit, isposinf, isneginf, addmm, addmv, addbmm, baddbmm,
  inner, vdot, dist, aminmax, var_mean, std_mean, isclose, allclose, equal, isin, hsplit, vsplit, dsplit, diagflat,
} from "./functions.js";
export {
  atleast_1d, atleast_2d, atleast_3d, dstack, column_stack, row_stack, tril_indices, triu_indices, empty_like,
} from "./composite-ops.js"; // and methods
export type { CloseOptions } from "./composite-ops.js";
