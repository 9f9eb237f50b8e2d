// mm, bmm, mv and outer: the matrix product with PyTorch's shape checks for each form (the
// product itself is matmul's, so are the gradients), and outer as a broadcast product (as
// PyTorch's, MulBackward). Added to the Tensor class here.

import { Tensor } from "./tensor.js";
import { describe, fail } from "./shape.js";

declare module "./tensor.js" {
  interface Tensor {
    /** The product of two matrices. */
    mm(mat2: Tensor): Tensor;
    /** The products of two batches of matrices of the same batch size (no broadcasting). */
    bmm(mat2: Tensor): Tensor;
    /** The product of a matrix and a vector. */
    mv(vec: Tensor): Tensor;
    /** The outer product of two vectors. */
    outer(vec2: Tensor): Tensor;
  }
}

function tensorArg(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}(): argument '${name}' must be a Tensor, got ${describe(x)}`);
  return x;
}

Tensor.prototype.mm = function mm(this: Tensor, mat2) {
  tensorArg("mm", "mat2", mat2);
  if (this.ndim !== 2) fail("mm", "self must be a matrix");
  if (mat2.ndim !== 2) fail("mm", "mat2 must be a matrix");
  return this.matmul(mat2);
};

Tensor.prototype.bmm = function bmm(this: Tensor, mat2) {
  tensorArg("bmm", "mat2", mat2);
  if (this.ndim !== 3) fail("bmm", "batch1 must be a 3D tensor");
  if (mat2.ndim !== 3) fail("bmm", "batch2 must be a 3D tensor");
  const [b, , k] = this.shape;
  if (mat2.shape[0] !== b || mat2.shape[1] !== k) {
    fail("bmm", `Expected size for first two dimensions of batch2 tensor to be: [${b}, ${k}] but got: [${mat2.shape[0]}, ${mat2.shape[1]}].`);
  }
  return this.matmul(mat2);
};

Tensor.prototype.mv = function mv(this: Tensor, vec) {
  tensorArg("mv", "vec", vec);
  if (this.ndim !== 2 || vec.ndim !== 1) {
    fail("mv", `vector + matrix @ vector expected, got ${this.ndim}, ${vec.ndim}`);
  }
  if (this.shape[1] !== vec.shape[0]) fail("mv", `size mismatch, got ${this.shape[0]}, ${this.shape[0]}x${this.shape[1]},${vec.shape[0]}`);
  return this.matmul(vec);
};

Tensor.prototype.outer = function outer(this: Tensor, vec2) {
  tensorArg("outer", "vec2", vec2);
  if (this.ndim !== 1) fail("outer", `Expected 1-D argument self, but got ${this.ndim}-D`);
  if (vec2.ndim !== 1) fail("outer", `Expected 1-D argument vec2, but got ${vec2.ndim}-D`);
  return this.unsqueeze(1).mul(vec2);
};
