// nn.Parameter: a tensor that a Module counts among its parameters (parameters(),
// state_dict(), optimizers). Like PyTorch's, it is a Tensor (every op takes it, and ops on
// it give plain Tensors) and a leaf that requires grad unless told otherwise.

import { Tensor } from "../tensor.js";
import { ops } from "../core.js";
import { describe } from "../shape.js";
import { isFloating } from "../dtype.js";
import { keep } from "../lifetime.js";

export class Parameter extends Tensor {
  /**
   * A parameter holding `data`'s values. Unlike PyTorch's, it holds its own copy rather than
   * sharing data's memory: an optimizer's in-place updates then never write through a view.
   */
  constructor(data: Tensor, requires_grad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter(): data must be a Tensor, got ${describe(data)}`);
    if (typeof requires_grad !== "boolean") {
      throw new TypeError(`Parameter(): requires_grad must be a boolean, got ${describe(requires_grad)}`);
    }
    if (requires_grad && !isFloating(data.dtype)) {
      throw new TypeError(`Parameter(): only Tensors of floating point dtype can require gradients (this one is ${data.dtype})`);
    }
    const detached = data.detach();
    super(ops.opContiguous(detached._live("Parameter")), data._shape, data._dtype);
    detached.dispose();
    if (requires_grad) this.requires_grad_(true);
    keep(this); // a model's state: made inside a scope, it outlives it

  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
