// wasmgrad/nn/functional (PyTorch's torch.nn.functional, imported as F): the layers and
// losses of wasmgrad/nn as functions of their inputs and parameters.

export { relu, sigmoid, tanh, silu } from "../generated/functions.js";
export { softmax, log_softmax, leaky_relu, elu, selu, hardtanh, relu6, softplus } from "../functions.js";
export { gelu } from "../math-ops.js";
export * from "./losses.js";
export * from "./linear.js";
export * from "./dropout.js";
export * from "./embedding.js";
export * from "./normalization.js";
export * from "./distance.js";
export * from "./attention.js";
export * from "./activations.js";
export { conv1d, conv2d, conv_transpose1d, conv_transpose2d } from "./conv.js";
export type { ConvOptions, ConvTransposeOptions } from "./conv.js";
export { unfold, fold } from "./conv-unfold.js";
export {
  max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d,
  adaptive_max_pool1d, adaptive_max_pool2d,
} from "./pooling.js";
export type { MaxPoolOptions, AvgPoolOptions, AvgPool2dOptions } from "./pooling.js";
export { pad } from "./pad.js";
export type { PadMode, PadOptions } from "./pad.js";
