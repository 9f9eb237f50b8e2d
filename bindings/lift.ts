// Functions accept a number wherever a tensor is accepted: it becomes a 0-d tensor.

import { Tensor } from "./tensor.js";
import { describe } from "./shape.js";
import { fromValues } from "./create.js";

export function lift(op: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") return fromValues([], [x]);
  throw new TypeError(`${op}(): argument 'input' must be a Tensor or a number, got ${describe(x)}`);
}
