// What every loss of nn/losses.ts shares: the `reduction` option, the reduced result, the
// argument checks before any kernel runs, and PyTorch's UserWarnings.

import { Tensor, tensorArg } from "../tensor.js";
import { type OptionCheck } from "../options.js";
import { fail, formatShape, sameShape } from "../shape.js";
import { isFloating, scalarTypeName } from "../dtype.js";

export type Reduction = "mean" | "sum" | "none";

/** A string, checked against the op's reductions by reductionOf (PyTorch's wording for a bad one). */
export const REDUCTION: OptionCheck = { expected: "'mean', 'sum' or 'none'", test: (v) => typeof v === "string" };

/** A Tensor, or null (or undefined) for none. */
export const OPTIONAL_TENSOR: OptionCheck = { expected: "a Tensor or null", test: (v) => v === null || v instanceof Tensor };

/** The reduction asked for ('mean' by default); throws PyTorch's ValueError for another string. */
export function reductionOf<R extends string = Reduction>(op: string, value: unknown, valid: readonly R[] = ["mean", "sum", "none"] as unknown as R[]): R {
  const reduction = (value ?? "mean") as R;
  if (!valid.includes(reduction)) fail(op, `${String(value)} is not a valid value for reduction`);
  return reduction;
}

/** loss reduced as asked: its mean, its sum, or itself. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  return reduction === "sum" ? loss.sum() : loss.mean();
}

/** x as the Tensor argument `name` of op, of a floating dtype. */
export function floatingArg(op: string, name: string, x: unknown): Tensor {
  const t = tensorArg(op, name, x);
  t._live(op);
  if (!isFloating(t.dtype)) {
    fail(op, `not implemented for '${scalarTypeName(t.dtype)}' (${name} is ${t.dtype}); convert it with .float() or .double() first`);
  }
  return t;
}

// Python shows each warning once per place it is raised from; here once per message, which
// names the shapes, so a training loop repeating one mistake warns once.
const warned = new Set<string>();

/** PyTorch's UserWarning, on the console once per distinct message. */
export function warn(op: string, message: string): void {
  const text = `${op}(): ${message}`;
  if (warned.has(text)) return;
  warned.add(text);
  console.warn(`UserWarning: ${text}`);
}

/** @internal Lets each test see the warnings it causes. */
export function _forgetWarnings(): void {
  warned.clear();
}

/** The warning of the elementwise regression losses when target's shape differs from input's (they broadcast). */
export function warnIfShapesDiffer(op: string, input: Tensor, target: Tensor): void {
  if (sameShape(input.shape, target.shape)) return;
  warn(op, `Using a target size (${formatShape(target.shape)}) that is different to the input size ` +
    `(${formatShape(input.shape)}). This will likely lead to incorrect results due to broadcasting. ` +
    "Please ensure they have the same size.");
}
