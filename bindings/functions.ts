// The function forms of the Tensor methods that are written by hand (torch.sum(x),
// torch.matmul(a, b), ...); those of the unary and binary ops are generated from the op
// table (generated/functions.ts).

import type { Tensor, MaxResult } from "./tensor.js";
import type { IndexLike, ScatterOptions, ScatterReduction } from "./index-ops.js";
import { lift, liftBeside } from "./lift.js";

export const sum = (x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor => lift("sum", x).sum(dim, keepdim);
export const mean = (x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor => lift("mean", x).mean(dim, keepdim);
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): MaxResult;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | MaxResult {
  return dim === undefined ? lift("max", x).max() : lift("max", x).max(dim, keepdim);
}

export const dot = (a: Tensor, b: Tensor): Tensor => lift("dot", a).dot(b);
export const matmul = (a: Tensor, b: Tensor): Tensor => lift("matmul", a).matmul(b);
export const cumsum = (x: Tensor, dim: number): Tensor => lift("cumsum", x).cumsum(dim);
export const mm = (a: Tensor, b: Tensor): Tensor => lift("mm", a).mm(b);
export const bmm = (a: Tensor, b: Tensor): Tensor => lift("bmm", a).bmm(b);
export const mv = (a: Tensor, v: Tensor): Tensor => lift("mv", a).mv(v);
export const outer = (a: Tensor, b: Tensor): Tensor => lift("outer", a).outer(b);
export const logical_and = (a: Tensor, b: Tensor | number): Tensor => lift("logical_and", a).logical_and(b);
export const logical_or = (a: Tensor, b: Tensor | number): Tensor => lift("logical_or", a).logical_or(b);
export const logical_xor = (a: Tensor, b: Tensor | number): Tensor => lift("logical_xor", a).logical_xor(b);
export const logical_not = (x: Tensor): Tensor => lift("logical_not", x).logical_not();
export const isnan = (x: Tensor): Tensor => lift("isnan", x).isnan();
export const isinf = (x: Tensor): Tensor => lift("isinf", x).isinf();
export const isfinite = (x: Tensor): Tensor => lift("isfinite", x).isfinite();
export const leaky_relu = (x: Tensor, negative_slope = 0.01): Tensor => lift("leaky_relu", x).leaky_relu(negative_slope);
export const elu = (x: Tensor, alpha = 1): Tensor => lift("elu", x).elu(alpha);
export const selu = (x: Tensor): Tensor => lift("selu", x).selu();
export const hardtanh = (x: Tensor, min_val = -1, max_val = 1): Tensor => lift("hardtanh", x).hardtanh(min_val, max_val);
export const relu6 = (x: Tensor): Tensor => lift("relu6", x).relu6();
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => lift("softplus", x).softplus(beta, threshold);

type Bound = Tensor | number | null;
export const clamp = (x: Tensor, min?: Bound | { min?: Bound; max?: Bound }, max?: Bound): Tensor => lift("clamp", x).clamp(min, max);
export const clip = clamp;
export const clamp_min = (x: Tensor, min: Tensor | number): Tensor => lift("clamp_min", x).clamp_min(min);
export const clamp_max = (x: Tensor, max: Tensor | number): Tensor => lift("clamp_max", x).clamp_max(max);
/** torch.where(condition, input, other); input and other may be numbers. */
export const where = (condition: Tensor, input: Tensor | number, other: Tensor | number): Tensor =>
  liftBeside("where", input, other).where(condition, other);

export const reshape = (x: Tensor, shape: number[]): Tensor => lift("reshape", x).reshape(shape);
export const transpose = (x: Tensor, d0: number, d1: number): Tensor => lift("transpose", x).transpose(d0, d1);
export const unsqueeze = (x: Tensor, dim: number): Tensor => lift("unsqueeze", x).unsqueeze(dim);
export const squeeze = (x: Tensor, dim?: number | number[]): Tensor => lift("squeeze", x).squeeze(dim);
export const softmax = (x: Tensor, dim: number): Tensor => lift("softmax", x).softmax(dim);
export const log_softmax = (x: Tensor, dim: number): Tensor => lift("log_softmax", x).log_softmax(dim);

// torch.f(x, ...args) for the methods whose function form passes its arguments on unchanged.
type FunctionOf<K extends keyof Tensor & string> = Tensor[K] extends (...args: infer A) => infer R ? (input: Tensor | number, ...args: A) => R : never;
function functionOf<K extends keyof Tensor & string>(name: K): FunctionOf<K> {
  return ((x: Tensor | number, ...args: unknown[]) => (lift(name, x)[name] as (...a: unknown[]) => unknown)(...args)) as FunctionOf<K>;
}

export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): MaxResult;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | MaxResult {
  return dim === undefined ? lift("min", x).min() : lift("min", x).min(dim, keepdim);
}
export const amax = functionOf("amax");
export const amin = functionOf("amin");
export const argmax = functionOf("argmax");
export const argmin = functionOf("argmin");
export const all = functionOf("all");
export const any = functionOf("any");
export const count_nonzero = functionOf("count_nonzero");
export const logsumexp = functionOf("logsumexp");
export const std = functionOf("std");
// exported as `var` (a reserved word for a binding, not for an export): wg.var(x)
export const var_ = functionOf("var");
export const nansum = functionOf("nansum");
export const nanmean = functionOf("nanmean");
export const clone = functionOf("clone");
export const detach = functionOf("detach");
export const numel = functionOf("numel");
export const flatten = functionOf("flatten");
export const unflatten = functionOf("unflatten");
export const permute = functionOf("permute");
export const movedim = functionOf("movedim");
export const narrow = functionOf("narrow");
export const select = functionOf("select");
export const diagonal = functionOf("diagonal");
export const t = functionOf("t");
export const broadcast_to = functionOf("broadcast_to");
export const tile = functionOf("tile");
export const tril = functionOf("tril");
export const triu = functionOf("triu");
export const trace = functionOf("trace");
export const nan_to_num = functionOf("nan_to_num");
export const split = functionOf("split");
export const chunk = functionOf("chunk");
export const unbind = functionOf("unbind");

export const ravel = functionOf("ravel");
export const isin = functionOf("isin");
export const hsplit = functionOf("hsplit");
export const vsplit = functionOf("vsplit");
export const dsplit = functionOf("dsplit");
export const diagflat = functionOf("diagflat");
export const tensor_split = functionOf("tensor_split");
export const hypot = functionOf("hypot");
export const logit = functionOf("logit");
export const deg2rad = functionOf("deg2rad");
export const rad2deg = functionOf("rad2deg");
export const sinc = functionOf("sinc");
export const logaddexp2 = functionOf("logaddexp2");
export const copysign = functionOf("copysign");
export const heaviside = functionOf("heaviside");
export const float_power = functionOf("float_power");
export const signbit = functionOf("signbit");
export const isposinf = functionOf("isposinf");
export const isneginf = functionOf("isneginf");
export const addmm = functionOf("addmm");
export const addmv = functionOf("addmv");
export const addbmm = functionOf("addbmm");
export const baddbmm = functionOf("baddbmm");
export const inner = functionOf("inner");
export const vdot = functionOf("vdot");
export const dist = functionOf("dist");
export const aminmax = functionOf("aminmax");
export const var_mean = functionOf("var_mean");
export const std_mean = functionOf("std_mean");
export const isclose = functionOf("isclose");
export const allclose = functionOf("allclose");
export const equal = functionOf("equal");

// Indexing (bindings/index-ops.ts)
type Index = IndexLike;
export const gather = (x: Tensor, dim: number, index: Index): Tensor => lift("gather", x).gather(dim, index);
export const take_along_dim = (x: Tensor, indices: Index, dim?: number | null): Tensor =>
  lift("take_along_dim", x).take_along_dim(indices, dim);
export const index_select = (x: Tensor, dim: number, index: Index): Tensor => lift("index_select", x).index_select(dim, index);
export const scatter = (x: Tensor, dim: number, index: Index, src: Tensor | number, options?: ScatterOptions): Tensor =>
  lift("scatter", x).scatter(dim, index, src, options);
export const scatter_reduce = (x: Tensor, dim: number, index: Index, src: Tensor, reduce: ScatterReduction,
  options?: { include_self?: boolean }): Tensor => lift("scatter_reduce", x).scatter_reduce(dim, index, src, reduce, options);
export const scatter_add = (x: Tensor, dim: number, index: Index, src: Tensor): Tensor =>
  lift("scatter_add", x).scatter_add(dim, index, src);
export const index_add = (x: Tensor, dim: number, index: Index, source: Tensor, options?: { alpha?: number }): Tensor =>
  lift("index_add", x).index_add(dim, index, source, options);
export const index_copy = (x: Tensor, dim: number, index: Index, source: Tensor): Tensor =>
  lift("index_copy", x).index_copy(dim, index, source);
export const index_fill = (x: Tensor, dim: number, index: Index, value: Tensor | number): Tensor =>
  lift("index_fill", x).index_fill(dim, index, value);
export const masked_fill = (x: Tensor, mask: Tensor, value: Tensor | number): Tensor => lift("masked_fill", x).masked_fill(mask, value);
export const masked_select = (x: Tensor, mask: Tensor): Tensor => lift("masked_select", x).masked_select(mask);
export const index_put = (x: Tensor, indices: Index[], values: Tensor | number, accumulate = false): Tensor =>
  lift("index_put", x).index_put(indices, values, accumulate);
export const take = (x: Tensor, index: Index): Tensor => lift("take", x).take(index);
export const masked_scatter = (x: Tensor, mask: Tensor, source: Tensor): Tensor => lift("masked_scatter", x).masked_scatter(mask, source);
export function nonzero(x: Tensor): Tensor;
export function nonzero(x: Tensor, options: { as_tuple: true }): Tensor[];
export function nonzero(x: Tensor, options: { as_tuple?: boolean } = {}): Tensor | Tensor[] {
  return lift("nonzero", x).nonzero(options);
}
