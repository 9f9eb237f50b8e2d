// Ops built from views and where(): movedim, broadcast_to, unflatten, repeat, tile, tril,
// triu, trace and nan_to_num, as Tensor methods (added to the class here, to keep
// tensor.ts to the ops of the table). Their gradients are those of the views and ops they
// are made of, so their grad_fn names are those parts' (ExpandBackward, WhereBackward, ...).

import { Tensor } from "./tensor.js";
import { fail, formatShape, normalizeDim } from "./shape.js";
import { arange } from "./create.js";

declare module "./tensor.js" {
  interface Tensor {
    /** Dims `source` moved to positions `destination`, the others in order: a view. */
    movedim(source: number | number[], destination: number | number[]): Tensor;
    /** expand() to `shape`. */
    broadcast_to(shape: number[]): Tensor;
    /** Dim `dim` split into `sizes` (one may be -1). */
    unflatten(dim: number, sizes: number[]): Tensor;
    /** The tensor repeated along each dim (`sizes` may add leading dims): a copy. */
    repeat(...sizes: number[] | [number[]]): Tensor;
    /** repeat(), with `dims` padded with leading 1s to the tensor's rank. */
    tile(dims: number[]): Tensor;
    /** The lower triangle of the last two dims (j <= i + diagonal), zeros elsewhere. */
    tril(diagonal?: number): Tensor;
    /** The upper triangle of the last two dims (j >= i + diagonal), zeros elsewhere. */
    triu(diagonal?: number): Tensor;
    /** The sum of a matrix's diagonal. */
    trace(): Tensor;
    /** NaN, +inf and -inf replaced (by 0 and the dtype's largest and lowest finite values by default). */
    nan_to_num(nan?: number, posinf?: number | null, neginf?: number | null): Tensor;
  }
}

const list = (x: number | number[]) => (Array.isArray(x) ? x : [x]);

Tensor.prototype.movedim = function movedim(this: Tensor, source, destination) {
  const src = list(source).map((d) => normalizeDim("movedim", d, this.ndim));
  const dst = list(destination).map((d) => normalizeDim("movedim", d, this.ndim));
  if (src.length !== dst.length) {
    fail("movedim", `Invalid source or destination dims: source (${formatShape(src)} dims) should contain the same ` +
      `number of dims as destination (${formatShape(dst)} dims)`);
  }
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) fail("movedim", "repeated dim in source or destination");
  const order = new Array<number>(this.ndim).fill(-1);
  src.forEach((d, i) => { order[dst[i]] = d; });
  const rest = Array.from({ length: this.ndim }, (_, d) => d).filter((d) => !src.includes(d));
  for (let d = 0, k = 0; d < this.ndim; d++) if (order[d] < 0) order[d] = rest[k++];
  return this.permute(order);
};

Tensor.prototype.broadcast_to = function broadcastTo(this: Tensor, shape) {
  return this.expand(shape);
};

Tensor.prototype.unflatten = function unflatten(this: Tensor, dim, sizes) {
  const d = normalizeDim("unflatten", dim, this.ndim);
  const known = sizes.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
  const filled = sizes.map((s) => (s === -1 ? this.shape[d] / known : s));
  if (filled.reduce((a, b) => a * b, 1) !== this.shape[d] || !filled.every(Number.isInteger)) {
    fail("unflatten", `Provided sizes ${formatShape(sizes)} don't multiply up to the size of dim ${dim} (${this.shape[d]}) in the input tensor`);
  }
  return this.reshape([...this.shape.slice(0, d), ...filled, ...this.shape.slice(d + 1)]);
};

Tensor.prototype.repeat = function repeat(this: Tensor, ...args) {
  const sizes = (Array.isArray(args[0]) ? args[0] : args) as number[];
  if (sizes.length < this.ndim) {
    fail("repeat", "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  }
  const shape = [...new Array<number>(sizes.length - this.ndim).fill(1), ...this.shape];
  // each dim d of size n becomes (sizes[d], n), expanded, then merged
  const spread = this.reshape(shape.flatMap((n) => [1, n]));
  const expanded = spread.expand(shape.flatMap((n, d) => [sizes[d], n]));
  return expanded.reshape(shape.map((n, d) => n * sizes[d]));
};

Tensor.prototype.tile = function tile(this: Tensor, dims) {
  const padded = [...new Array<number>(Math.max(this.ndim - dims.length, 0)).fill(1), ...dims];
  return this.repeat(padded);
};

// where(keep(i, j), x, 0) over the last two dims; the mask broadcasts over the batch.
function triangle(x: Tensor, op: string, keep: (i: Tensor, j: Tensor) => Tensor): Tensor {
  if (x.ndim < 2) fail(op, `${op}: input tensor must have at least 2 dimensions`);
  const [rows, cols] = x.shape.slice(-2);
  const i = arange(rows, { dtype: "int32" }).unsqueeze(1), j = arange(cols, { dtype: "int32" }).unsqueeze(0);
  return x.where(keep(i, j), 0);
}

Tensor.prototype.tril = function tril(this: Tensor, diagonal = 0) {
  return triangle(this, "tril", (i, j) => j.le(i.add(diagonal)));
};

Tensor.prototype.triu = function triu(this: Tensor, diagonal = 0) {
  return triangle(this, "triu", (i, j) => j.ge(i.add(diagonal)));
};

Tensor.prototype.trace = function trace(this: Tensor) {
  if (this.ndim !== 2) fail("trace", `trace: expected a matrix, but got tensor with dim ${this.ndim}`);
  return this.diagonal().sum();
};

Tensor.prototype.nan_to_num = function nanToNum(this: Tensor, nan = 0, posinf?: number | null, neginf?: number | null) {
  if (this.dtype !== "float32" && this.dtype !== "float64") return this.clone(); // nothing to replace
  const largest = this.dtype === "float32" ? 3.4028234663852886e38 : Number.MAX_VALUE;
  const high = posinf ?? largest, low = neginf ?? -largest;
  // the gradient passes where x is finite, as PyTorch's
  return this.where(this.isnan().logical_not(), nan).where(this.ne(Infinity), high).where(this.ne(-Infinity), low);
};
