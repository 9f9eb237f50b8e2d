// The random in-place fills of PyTorch's tensors: uniform_(from, to) and normal_(mean, std),
// as Tensor methods. They write as the other in-place ops (see
// Tensor._assign): refused on a leaf that requires grad outside no_grad.

import { Tensor } from "./tensor.js";
import { rand, randn } from "./create.js";
import { scope } from "./lifetime.js";
import { fail, describe } from "./shape.js";

declare module "./tensor.js" {
  interface Tensor {
    /** Fills with samples of U(from, to) (from the global generator). */
    uniform_(from?: number, to?: number): this;
    /** Fills with samples of N(mean, std²) (from the global generator). */
    normal_(mean?: number, std?: number): this;
  }
}

const checkNumber = (op: string, name: string, v: unknown) => {
  if (typeof v !== "number" || Number.isNaN(v)) fail(op, `${name} must be a number, got ${describe(v)}`);
};

Tensor.prototype.uniform_ = function uniform_(this: Tensor, from = 0, to = 1) {
  checkNumber("uniform_", "from", from);
  checkNumber("uniform_", "to", to);
  if (!(from <= to)) fail("uniform_", `expects to return a [from, to) range, but found from=${from} > to=${to}`);
  return this._assign("uniform_", null, (old) => scope(() => rand(old.shape, { dtype: old.dtype }).mul(to - from).add(from)));
};

Tensor.prototype.normal_ = function normal_(this: Tensor, mean = 0, std = 1) {
  checkNumber("normal_", "mean", mean);
  checkNumber("normal_", "std", std);
  if (!(std >= 0)) fail("normal_", `normal expects std >= 0.0, but found std ${std}`);
  return this._assign("normal_", null, (old) => scope(() => randn(old.shape, { dtype: old.dtype }).mul(std).add(mean)));
};
