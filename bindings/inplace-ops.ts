// The in-place forms PyTorch has of the elementwise ops (x.exp_(), x.div_(y), x.clamp_(0, 1),
// x.addcdiv_(a, b, { value }), ...), as Tensor methods (added to the class here). Each runs
// its op and writes the result into the tensor as the other in-place ops write (see
// Tensor._assign): recorded inside the graph, refused on a leaf that requires grad, and
// refused, before anything is written, when the result's dtype cannot be cast to the
// tensor's (`result type Float can't be cast to the desired output type Int`).

import { Tensor, type TensorLike } from "./tensor.js";
import { OPS, type OpName } from "./generated/ops.js";
import { canCast, floating, resultType, scalarTypeName, type DType } from "./dtype.js";
import { fail } from "./shape.js";

type Ops = typeof OPS;
type MethodOf<B extends string> = { [K in OpName]: Ops[K]["binding"] extends B ? Ops[K]["method"] : never }[OpName];
// Left out: add_, sub_ and mul_ (the Tensor class has them, with alpha), and the ops
// PyTorch has no in-place method for.
const LEFT_OUT = ["add", "sub", "mul", "silu", "maximum", "minimum", "fmax", "fmin", "logaddexp"] as const;
type Unary = Exclude<MethodOf<"unary">, (typeof LEFT_OUT)[number]>;
type Binary = Exclude<MethodOf<"binary">, (typeof LEFT_OUT)[number]>;
type Bound = TensorLike | null;

type UnaryInPlace = { [K in Unary as `${K}_`]: () => Tensor };
type BinaryInPlace = { [K in Binary as `${K}_`]: (other: TensorLike) => Tensor };

declare module "./tensor.js" {
  interface Tensor extends UnaryInPlace, BinaryInPlace {
    clamp_(min?: Bound | { min?: Bound; max?: Bound }, max?: Bound): this;
    clamp_min_(min: TensorLike): this;
    clamp_max_(max: TensorLike): this;
    clip_(min?: Bound | { min?: Bound; max?: Bound }, max?: Bound): this;
    fmod_(other: TensorLike): this;
    remainder_(other: TensorLike): this;
    floor_divide_(other: TensorLike): this;
    lerp_(end: Tensor, weight: TensorLike): this;
    addcmul_(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): this;
    addcdiv_(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): this;
    nan_to_num_(nan?: number, posinf?: number | null, neginf?: number | null): this;
    leaky_relu_(negative_slope?: number): this;
    hardtanh_(min_val?: number, max_val?: number): this;
    elu_(alpha?: number): this;
    tril_(diagonal?: number): this;
    triu_(diagonal?: number): this;
  }
}

// Writes compute(old) into self, its result's dtype (`result`) checked first and the value
// converted to self's dtype; `src` is the tensor operand that may record the op.
function inPlace(self: Tensor, op: string, result: DType, src: unknown, compute: (old: Tensor) => Tensor): Tensor {
  if (self.dtype === "bool") fail(op, "not supported for bool tensors; convert it first, e.g. with .int()");
  if (!canCast(result, self.dtype)) {
    fail(op, `result type ${scalarTypeName(result)} can't be cast to the desired output type ${scalarTypeName(self.dtype)}`);
  }
  return self._assign(op, src, (old) => {
    const value = compute(old);
    if (value.dtype === self.dtype) return value;
    const converted = value.to(self.dtype);
    value.dispose();
    return converted;
  });
}

const proto = Tensor.prototype as unknown as Record<string, (this: Tensor, ...args: unknown[]) => Tensor>;
const tensors = (args: unknown[]) => args.find((a) => a instanceof Tensor) ?? null;
const operands = (args: unknown[]) => args.filter((a): a is Tensor | number => a instanceof Tensor || typeof a === "number");

for (const info of Object.values(OPS)) {
  const method = info.method;
  if (method === null || (info.binding !== "unary" && info.binding !== "binary")) continue;
  if ((LEFT_OUT as readonly string[]).includes(method)) continue;
  const rule = info.dtype;
  proto[`${method}_`] = function (this: Tensor, ...args: unknown[]) {
    const common = resultType(this, ...operands(args));
    const result = rule === "float" ? floating(common) : rule === "bool" ? "bool" : common;
    return inPlace(this, `${method}_`, result, tensors(args), (old) =>
      (old as unknown as Record<string, (...a: unknown[]) => Tensor>)[method](...args));
  };
}

// The ops written by hand: each with the dtype rule of its out-of-place form.
const CUSTOM: Record<string, "promote" | "float" | "same"> = {
  clamp: "promote", clamp_min: "promote", clamp_max: "promote", clip: "promote", fmod: "promote",
  remainder: "promote", floor_divide: "promote", lerp: "same", addcmul: "promote", addcdiv: "float",
  nan_to_num: "same", leaky_relu: "float", hardtanh: "float", elu: "float", tril: "same", triu: "same",
};

for (const [method, rule] of Object.entries(CUSTOM)) {
  proto[`${method}_`] = function (this: Tensor, ...args: unknown[]) {
    // clamp's bounds may come as an options object
    const given = args.length === 1 && args[0] !== null && typeof args[0] === "object" && !(args[0] instanceof Tensor)
      ? Object.values(args[0] as Record<string, unknown>) : args;
    const common = rule === "same" ? this.dtype : resultType(this, ...operands(given));
    const result = rule === "float" ? floating(common) : common;
    return inPlace(this, `${method}_`, result, tensors(given), (old) =>
      (old as unknown as Record<string, (...a: unknown[]) => Tensor>)[method](...args));
  };
}
