// gelu, fmod, remainder, floor_divide, div's rounding modes, lerp, addcmul and addcdiv
// (ops of the table, whose kernels are in assembly/ops/math.ts) as Tensor methods (added to
// the class here) and functions: the argument checks, in PyTorch's words, and one call into
// the core each. erf and erfc are unary ops of the table, generated with the others.

import { Tensor, scalarId, tensorArg, type TensorLike } from "./tensor.js";
import { core, ops, writeScratch } from "./core.js";
import { checkOptions } from "./options.js";
import { broadcastShapes, describe, fail } from "./shape.js";
import { DTYPE_CODE, cTypeName, isFloating, resultType, scalarTypeName, type DType } from "./dtype.js";
import { lift, liftBeside } from "./lift.js";

export type GeluApproximation = "none" | "tanh";
export type RoundingMode = "trunc" | "floor";

declare module "./tensor.js" {
  interface Tensor {
    /** x Phi(x) (Phi the normal distribution function), or PyTorch's tanh approximation of it. */
    gelu(approximate?: GeluApproximation | { approximate?: GeluApproximation }): Tensor;
    /** The remainder of trunc division, with the sign of the dividend (C's fmod). */
    fmod(other: TensorLike): Tensor;
    /** The remainder of floor division, with the sign of the divisor (Python's %). */
    remainder(other: TensorLike): Tensor;
    /** floor(this / other), as Python's //: div(other, { rounding_mode: "floor" }). */
    floor_divide(other: TensorLike): Tensor;
    /** True division, or rounded toward zero ("trunc") or down ("floor") in the operands' dtype. */
    div(other: TensorLike, options?: { rounding_mode?: RoundingMode | null }): Tensor;
    /** this + weight (end - this), from the nearer end (PyTorch's formula, exact at weight 0 and 1). */
    lerp(end: Tensor, weight: TensorLike): Tensor;
    /** this + value tensor1 tensor2. */
    addcmul(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
    /** this + value tensor1 / tensor2. */
    addcdiv(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
  }
}

// ---- gelu ------------------------------------------------------------------------------

const APPROXIMATIONS: Record<GeluApproximation, number> = { none: 0, tanh: 1 };

Tensor.prototype.gelu = function gelu(this: Tensor, approximate = "none") {
  if (typeof approximate === "object" && approximate !== null) {
    checkOptions("gelu", approximate, { approximate: { expected: "'none' or 'tanh'", test: (v) => typeof v === "string" } });
    return this.gelu(approximate.approximate ?? "none");
  }
  if (!Object.hasOwn(APPROXIMATIONS, approximate as string)) {
    fail("gelu", `approximate argument must be either none or tanh (got ${describe(approximate)})`);
  }
  const id = this._live("gelu");
  if (!isFloating(this.dtype)) {
    fail("gelu", `"GeluKernelImpl" not implemented for '${scalarTypeName(this.dtype)}'; convert the ${this.dtype} ` +
      "tensor with .float() first");
  }
  return new Tensor(ops.opGelu(id, APPROXIMATIONS[approximate as GeluApproximation]), this.shape, this.dtype);
};

// ---- fmod, remainder and the rounding divisions -------------------------------------------

type Entry = (a: number, b: number) => number;

// The checks PyTorch makes before dividing, then the op through the table's binary path
// (promotion, broadcasting, numbers as 0-d operands).
function division(op: string, entry: Entry, self: Tensor, other: unknown): Tensor {
  self._live(op);
  if (!(other instanceof Tensor) && typeof other !== "number") {
    throw new TypeError(`${op}(): argument 'other' must be a Tensor or a number, got ${describe(other)}`);
  }
  const dtype = resultType(self, other);
  if (dtype === "bool") fail(op, "not implemented for 'Bool'; convert the operands with .int() first");
  if (dtype === "int32" && hasZero(other)) {
    fail(op, "ZeroDivisionError: integer division by zero (a divisor is 0); divide as floats to get inf or NaN there");
  }
  return self._binary(op, entry, other, "promote");
}

function hasZero(x: TensorLike): boolean {
  if (typeof x === "number") return x === 0;
  const zeros = x.eq(0);
  const found = zeros._valuesForChecks().some((v) => v !== 0); // under vmap, in any example
  zeros.dispose();
  return found;
}

Tensor.prototype.fmod = function fmod(this: Tensor, other) {
  return division("fmod", ops.opFmod, this, other);
};

Tensor.prototype.remainder = function remainder(this: Tensor, other) {
  return division("remainder", ops.opRemainder, this, other);
};

Tensor.prototype.floor_divide = function floorDivide(this: Tensor, other) {
  return division("floor_divide", ops.opFloorDivide, this, other);
};

const trueDivision = Tensor.prototype.div;

Tensor.prototype.div = function div(this: Tensor, other: TensorLike, options?: { rounding_mode?: RoundingMode | null }) {
  checkOptions("div", options, { rounding_mode: { expected: "null, 'trunc' or 'floor'", test: () => true } });
  const mode = options?.rounding_mode ?? null;
  if (mode === null) return trueDivision.call(this, other);
  if (mode === "trunc") return division("div", ops.opDivTrunc, this, other);
  if (mode === "floor") return division("div", ops.opFloorDivide, this, other);
  const found = typeof mode === "string" ? `'${mode}'` : describe(mode);
  return fail("div", `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found ${found}`);
};

// ---- lerp, addcmul, addcdiv ------------------------------------------------------------


// PyTorch's lerp (a table op): self + weight (end - self), from whichever end is nearer.
Tensor.prototype.lerp = function lerp(this: Tensor, end, weight) {
  const self = this._live("lerp");
  tensorArg("lerp", "end", end);
  if (!(weight instanceof Tensor) && typeof weight !== "number") {
    throw new TypeError(`lerp(): argument 'weight' must be a Tensor or a number, got ${describe(weight)}`);
  }
  const shape = broadcastShapes("lerp", broadcastShapes("lerp", this.shape, end.shape), weight instanceof Tensor ? weight.shape : []);
  if (!isFloating(this.dtype)) {
    fail("lerp", `"lerp_kernel_scalar" not implemented for '${scalarTypeName(this.dtype)}'; convert with .float() first`);
  }
  for (const [name, t] of [["end", end], ["weight", weight]] as const) {
    if (t instanceof Tensor && t.dtype !== this.dtype) {
      fail("lerp", `expected dtype ${cTypeName(this.dtype)} for \`${name}\` but got dtype ${cTypeName(t.dtype)}`);
    }
  }
  const w = typeof weight === "number" ? scalarId(weight, this.dtype) : weight._live("lerp");
  writeScratch(shape);
  const out = ops.opLerp(self, end._live("lerp"), w, shape.length);
  if (typeof weight === "number") core.releaseTensor(w);
  return new Tensor(out, shape, this.dtype);
};

const VALUE = { value: "number" } as const;

// self + value t1 (*|/) t2 (table ops), in the dtype all three promote to.
function addc(op: "addcmul" | "addcdiv", self: Tensor, t1: unknown, t2: unknown, options: { value?: number } | undefined): Tensor {
  self._live(op);
  const x1 = tensorArg(op, "tensor1", t1), x2 = tensorArg(op, "tensor2", t2);
  checkOptions(op, options, VALUE);
  const shape = broadcastShapes(op, broadcastShapes(op, self.shape, x1.shape), x2.shape);
  const value = options?.value ?? 1;
  if (op === "addcdiv" && !isFloating(x1.dtype) && !isFloating(x2.dtype)) {
    fail(op, "Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform " +
      "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as " +
      "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as " +
      "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter " +
      "implementation: (input + value * tensor1 / tensor2), for all dtypes.");
  }
  const dtype = resultType(self, x1, x2);
  if (!isFloating(dtype) && !Number.isInteger(value)) {
    fail(op, "For integral input tensors, argument value must not be a floating point number.");
  }
  const temporaries: number[] = [];
  const [a, b, c] = [self, x1, x2].map((t) => idIn(op, t, dtype, temporaries));
  writeScratch(shape);
  const out = (op === "addcmul" ? ops.opAddcmul : ops.opAddcdiv)(a, b, c, value, shape.length);
  temporaries.forEach((id) => core.releaseTensor(id));
  return new Tensor(out, shape, dtype);
}

// t's core id in dtype `dtype`: converted, if need be, by a recorded op (so that its
// gradient arrives in t's own dtype) whose id joins `temporaries`, released after the call.
function idIn(op: string, t: Tensor, dtype: DType, temporaries: number[]): number {
  const id = t._live(op);
  if (t.dtype === dtype) return id;
  const converted = ops.opTo(id, DTYPE_CODE[dtype]);
  temporaries.push(converted);
  return converted;
}

Tensor.prototype.addcmul = function addcmul(this: Tensor, tensor1, tensor2, options) {
  return addc("addcmul", this, tensor1, tensor2, options);
};

Tensor.prototype.addcdiv = function addcdiv(this: Tensor, tensor1, tensor2, options) {
  return addc("addcdiv", this, tensor1, tensor2, options);
};

/** PyTorch's short dtype names: float, double, int, bool. */

// ---- function forms --------------------------------------------------------------------

export const gelu = (input: Tensor, approximate?: GeluApproximation | { approximate?: GeluApproximation }): Tensor =>
  lift("gelu", input).gelu(approximate);
export const fmod = (input: TensorLike, other: TensorLike): Tensor => liftBeside("fmod", input, other).fmod(other);
export const remainder = (input: TensorLike, other: TensorLike): Tensor => liftBeside("remainder", input, other).remainder(other);
export const floor_divide = (input: TensorLike, other: TensorLike): Tensor =>
  liftBeside("floor_divide", input, other).floor_divide(other);
export const div = (input: TensorLike, other: TensorLike, options?: { rounding_mode?: RoundingMode | null }): Tensor =>
  liftBeside("div", input, other).div(other, options);
export const lerp = (input: Tensor, end: Tensor, weight: TensorLike): Tensor => lift("lerp", input).lerp(end, weight);
export const addcmul = (input: Tensor, tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor =>
  lift("addcmul", input).addcmul(tensor1, tensor2, options);
export const addcdiv = (input: Tensor, tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor =>
  lift("addcdiv", input).addcdiv(tensor1, tensor2, options);
