// wasmgrad/nn/functional (PyTorch's torch.nn.functional, imported as F): the layers and
// losses of wasmgrad/nn as functions of their inputs and parameters.

export { relu, sigmoid, tanh, silu } from "../generated/functions.js";
export { softmax, log_softmax, leaky_relu, elu, selu, hardtanh, relu6, softplus } from "../functions.js";
export { gelu } from "../math-ops.js";
export * from "./losses.js";
export * from "./functional-layers.js";
