// The function forms of the Tensor methods (torch.add(a, b), torch.exp(x), ...). A number
// is accepted wherever a tensor is, as in the methods.

import { Tensor, type TensorLike, type MaxResult } from "./tensor.js";
import { describe } from "./shape.js";
import { fromValues } from "./create.js";

function lift(op: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") return fromValues([], [x]);
  throw new TypeError(`${op}(): argument 'input' must be a Tensor or a number, got ${describe(x)}`);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => lift("add", a).add(b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => lift("sub", a).sub(b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => lift("mul", a).mul(b);
export const div = (a: TensorLike, b: TensorLike): Tensor => lift("div", a).div(b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => lift("pow", a).pow(b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => lift("gt", a).gt(b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => lift("lt", a).lt(b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => lift("ge", a).ge(b);
export const le = (a: TensorLike, b: TensorLike): Tensor => lift("le", a).le(b);
export const eq = (a: TensorLike, b: TensorLike): Tensor => lift("eq", a).eq(b);

export const neg = (x: TensorLike): Tensor => lift("neg", x).neg();
export const exp = (x: TensorLike): Tensor => lift("exp", x).exp();
export const log = (x: TensorLike): Tensor => lift("log", x).log();
export const sqrt = (x: TensorLike): Tensor => lift("sqrt", x).sqrt();
export const abs = (x: TensorLike): Tensor => lift("abs", x).abs();
export const sin = (x: TensorLike): Tensor => lift("sin", x).sin();
export const cos = (x: TensorLike): Tensor => lift("cos", x).cos();
export const tanh = (x: TensorLike): Tensor => lift("tanh", x).tanh();
export const sigmoid = (x: TensorLike): Tensor => lift("sigmoid", x).sigmoid();
export const relu = (x: TensorLike): Tensor => lift("relu", x).relu();

export const sum = (x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor => lift("sum", x).sum(dim, keepdim);
export const mean = (x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor => lift("mean", x).mean(dim, keepdim);
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): MaxResult;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | MaxResult {
  return dim === undefined ? lift("max", x).max() : lift("max", x).max(dim, keepdim);
}

export const dot = (a: Tensor, b: Tensor): Tensor => lift("dot", a).dot(b);
export const matmul = (a: Tensor, b: Tensor): Tensor => lift("matmul", a).matmul(b);
export const norm = (x: Tensor): Tensor => lift("norm", x).norm();

export const reshape = (x: Tensor, shape: number[]): Tensor => lift("reshape", x).reshape(shape);
export const transpose = (x: Tensor, d0: number, d1: number): Tensor => lift("transpose", x).transpose(d0, d1);
export const unsqueeze = (x: Tensor, dim: number): Tensor => lift("unsqueeze", x).unsqueeze(dim);
export const squeeze = (x: Tensor, dim?: number): Tensor => lift("squeeze", x).squeeze(dim);
export const softmax = (x: Tensor, dim: number): Tensor => lift("softmax", x).softmax(dim);
export const log_softmax = (x: Tensor, dim: number): Tensor => lift("log_softmax", x).log_softmax(dim);
