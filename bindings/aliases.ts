// PyTorch's other names for ops wasmgrad has (torch.multiply is torch.mul, swapaxes is
// transpose, ...), as Tensor methods and functions, so ported code keeps its spelling. Each
// is the op itself: same results, gradients and grad_fn.

import { Tensor, type TensorLike } from "./tensor.js";
import { cat } from "./join-ops.js";

declare module "./tensor.js" {
  interface Tensor {
    /** mul */ multiply(other: TensorLike): Tensor;
    /** div */ divide(other: TensorLike): Tensor;
    /** div */ true_divide(other: TensorLike): Tensor;
    /** sub */ subtract(other: TensorLike): Tensor;
    /** neg */ negative(): Tensor;
    /** abs */ absolute(): Tensor;
    /** trunc */ fix(): Tensor;
    /** gt */ greater(other: TensorLike): Tensor;
    /** ge */ greater_equal(other: TensorLike): Tensor;
    /** lt */ less(other: TensorLike): Tensor;
    /** le */ less_equal(other: TensorLike): Tensor;
    /** ne */ not_equal(other: TensorLike): Tensor;
    /** transpose */ swapaxes(axis0: number, axis1: number): Tensor;
    /** transpose */ swapdims(dim0: number, dim1: number): Tensor;
    /** movedim */ moveaxis(source: number | number[], destination: number | number[]): Tensor;
    /** nonzero */ argwhere(): Tensor;
  }
}

const proto = Tensor.prototype;
proto.multiply = proto.mul;
proto.divide = proto.div;
proto.true_divide = proto.div;
proto.subtract = proto.sub;
proto.negative = proto.neg;
proto.absolute = proto.abs;
proto.fix = proto.trunc;
proto.greater = proto.gt;
proto.greater_equal = proto.ge;
proto.less = proto.lt;
proto.less_equal = proto.le;
proto.not_equal = proto.ne;
proto.swapaxes = proto.transpose;
proto.swapdims = proto.transpose;
proto.moveaxis = proto.movedim;
proto.argwhere = function argwhere(this: Tensor) { return this.nonzero(); };

export {
  mul as multiply, div as divide, div as true_divide, sub as subtract, neg as negative, abs as absolute,
  trunc as fix, gt as greater, ge as greater_equal, lt as less, le as less_equal, ne as not_equal,
} from "./generated/functions.js";
export { transpose as swapaxes, transpose as swapdims } from "./functions.js";
export { movedim as moveaxis, nonzero as argwhere } from "./functions.js";
/** cat */
export const concat = cat;
/** cat */
export const concatenate = cat;
