// Functions accept a number wherever a tensor is accepted: it becomes a 0-d tensor.

import { Tensor } from "./tensor.js";
import { describe } from "./shape.js";
import { fromValues } from "./create.js";
import { resultType } from "./dtype.js";

export function lift(op: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") return fromValues([], [x]);
  throw new TypeError(`${op}(): argument 'input' must be a Tensor or a number, got ${describe(x)}`);
}

/**
 * The first operand of a binary function as a tensor. A number beside a tensor becomes a
 * 0-d tensor of the dtype the two promote to, so that wg.sub(2, t) promotes as t.sub(2).
 */
export function liftBeside(op: string, x: unknown, other: unknown): Tensor {
  if (typeof x === "number" && other instanceof Tensor) return fromValues([], [x], { dtype: resultType(other, x) });
  return lift(op, x);
}
