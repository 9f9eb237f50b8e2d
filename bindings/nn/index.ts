// wasmgrad/nn: PyTorch's torch.nn. Module and Parameter, the layers, the losses, and the
// namespaces functional (F), init and utils.

export { Module } from "./modules/module.js";
export type { ForwardHook, ForwardPreHook, RemovableHandle, LoadResult } from "./modules/module.js";
export { Parameter } from "./parameter.js";
export { Sequential, ModuleList, ModuleDict } from "./modules/container.js";
export { Identity, Linear, Bilinear } from "./modules/linear.js";
export type { FactoryOptions } from "./modules/linear.js";
export { Flatten, Unflatten } from "./modules/flatten.js";
export { Conv1d, Conv2d } from "./modules/conv.js";
export type { ConvLayerOptions, PaddingMode } from "./modules/conv.js";
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d } from "./modules/pooling.js";
export {
  ReLU, ReLU6, LeakyReLU, ELU, SELU, GELU, SiLU, Tanh, Sigmoid, Softplus, Hardtanh, Softmax, LogSoftmax,
} from "./modules/activation.js";
export { Dropout, Dropout1d, Dropout2d, Dropout3d } from "./modules/dropout.js";
export { LayerNorm, GroupNorm, BatchNorm1d, BatchNorm2d } from "./modules/normalization.js";
export type { LayerNormOptions, BatchNormOptions } from "./modules/normalization.js";
export { Embedding } from "./modules/sparse.js";
export { MultiheadAttention } from "./modules/attention.js";
export type { MultiheadAttentionOptions, AttentionCallOptions } from "./modules/attention.js";
export type { EmbeddingLayerOptions } from "./modules/sparse.js";
export {
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,
} from "./modules/loss.js";
export * as functional from "./functional.js";
export * as init from "./init.js";
export * as utils from "./utils.js";
