// Rearranging ops: flip (a strided copy of the core, its own adjoint), fliplr and flipud;
// roll as narrow + cat; diag and diag_embed as zeros whose diagonal is written in place (so
// their gradient is read back from that diagonal); meshgrid as expanded views. Added to the
// Tensor class here; the function forms are exported too.

import { Tensor } from "./tensor.js";
import { ops } from "./core.js";
import { zeros } from "./create.js";
import { cat } from "./join-ops.js";
import { checkOptions } from "./options.js";
import { describe, fail, formatShape, normalizeDim } from "./shape.js";

declare module "./tensor.js" {
  interface Tensor {
    /** A copy with the order of the elements reversed along each of `dims`. */
    flip(...dims: number[] | [number[]]): Tensor;
    /** flip(1): the columns in reverse order (at least 2 dims). */
    fliplr(): Tensor;
    /** flip(0): the rows in reverse order (at least 1 dim). */
    flipud(): Tensor;
    /**
     * The elements shifted along each of `dims` by the matching shift, those pushed past the
     * end coming back at the start; without dims, over the flattened tensor. A copy.
     */
    roll(shifts: number | number[], dims?: number | number[] | null): Tensor;
    /**
     * A 1-D tensor as the given diagonal of a square matrix (zeros elsewhere); of a matrix,
     * its given diagonal (a copy).
     */
    diag(diagonal?: number): Tensor;
    /** The last dim as diagonals (`offset`) of new dims dim1 and dim2, zeros elsewhere. */
    diag_embed(offset?: number, dim1?: number, dim2?: number): Tensor;
  }
}

const asList = (x: number | number[]) => (Array.isArray(x) ? x : [x]);

Tensor.prototype.flip = function flip(this: Tensor, ...dims) {
  const list = (Array.isArray(dims[0]) ? dims[0] : dims) as number[];
  let mask = 0;
  for (const dim of list) {
    const d = normalizeDim("flip", dim, this.ndim);
    if (mask & (1 << d)) fail("flip", `dim ${d} appears multiple times in the list of dims`);
    mask |= 1 << d;
  }
  if (this.ndim === 0) mask = 0; // a 0-d tensor's dim 0 or -1: nothing to reverse
  return new Tensor(ops.opFlip(this._live("flip"), mask), this.shape, this.dtype);
};

Tensor.prototype.fliplr = function fliplr(this: Tensor) {
  if (this.ndim < 2) fail("fliplr", "Input must be >= 2-d.");
  return this.flip(1);
};

Tensor.prototype.flipud = function flipud(this: Tensor) {
  if (this.ndim < 1) fail("flipud", "Input must be >= 1-d.");
  return this.flip(0);
};

Tensor.prototype.roll = function roll(this: Tensor, shifts, dims = null) {
  const shiftList = asList(shifts);
  shiftList.forEach((s) => {
    if (!Number.isInteger(s)) fail("roll", `shifts must be integers, got ${describe(s)}`);
  });
  if (dims === null || dims === undefined) {
    if (shiftList.length !== 1) fail("roll", `shifts and dimensions must align. shifts: ${shiftList.length}, dims:0`);
    return this.flatten().roll(shiftList[0], 0).view(this.shape);
  }
  const dimList = asList(dims);
  if (shiftList.length !== dimList.length) {
    fail("roll", `shifts and dimensions must align. shifts: ${shiftList.length}, dims:${dimList.length}`);
  }
  if (this.ndim === 0) throw new RangeError(`roll(): Dimension specified as ${dimList[0]} but tensor has no dimensions`);
  const ds = dimList.map((d) => normalizeDim("roll", d, this.ndim));
  let out: Tensor = this;
  ds.forEach((d, i) => {
    const n = this.shape[d];
    const s = n === 0 ? 0 : ((shiftList[i] % n) + n) % n;
    if (s !== 0) out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d);
  });
  return out === this ? this.clone() : out;
};

Tensor.prototype.diag = function diag(this: Tensor, diagonal = 0) {
  if (!Number.isInteger(diagonal)) fail("diag", `diagonal must be an integer, got ${describe(diagonal)}`);
  if (this.ndim === 1) return this.diag_embed(diagonal, 0, 1);
  if (this.ndim !== 2) fail("diag", `matrix or a vector expected (got a ${this.ndim}-D tensor of shape ${formatShape(this.shape)})`);
  return this.diagonal(diagonal).clone();
};

Tensor.prototype.diag_embed = function diagEmbed(this: Tensor, offset = 0, dim1 = -2, dim2 = -1) {
  if (!Number.isInteger(offset)) fail("diag_embed", `offset must be an integer, got ${describe(offset)}`);
  const rank = this.ndim + 1;
  const d1 = normalizeDim("diag_embed", dim1, rank), d2 = normalizeDim("diag_embed", dim2, rank);
  if (d1 === d2) fail("diag_embed", `diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const n = (this.ndim === 0 ? 1 : this.shape[this.ndim - 1]) + Math.abs(offset);
  // the new dims in increasing order, each of size n, between the batch dims
  const shape = this.shape.slice(0, -1);
  for (const d of [Math.min(d1, d2), Math.max(d1, d2)]) shape.splice(d, 0, n);
  const out = zeros(shape, { dtype: this.dtype });
  out.diagonal(offset, d1, d2).copy_(this);
  return out;
};

/** The coordinate grids of 1-D (or 0-d) tensors, as views that expand each along its own dim. */
export function meshgrid(...args: (Tensor | Tensor[] | { indexing?: "ij" | "xy" })[]): Tensor[] {
  let indexing: "ij" | "xy" = "ij";
  const last = args[args.length - 1];
  if (last !== undefined && !(last instanceof Tensor) && !Array.isArray(last)) {
    checkOptions("meshgrid", last, { indexing: { expected: '"ij" or "xy"', test: (v) => v === "ij" || v === "xy" } });
    indexing = last.indexing ?? "ij";
    args = args.slice(0, -1);
  }
  const tensors = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as Tensor[];
  if (tensors.length === 0) fail("meshgrid", "meshgrid expects a non-empty TensorList");
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`meshgrid(): expected a list of Tensors, got ${describe(t)} at index ${i}`);
    if (t.ndim > 1) {
      fail("meshgrid", `torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a ${t.ndim}-D tensor ` +
        `of shape ${formatShape(t.shape)} at index ${i}`);
    }
    if (t.dtype !== tensors[0].dtype) fail("meshgrid", "meshgrid expects all tensors to have the same dtype");
  });
  const sizes = tensors.map((t) => t.numel());
  // "xy": the first two tensors' dims swapped (x along columns, y along rows)
  const place = tensors.map((_, i) => (indexing === "xy" && i < 2 && tensors.length > 1 ? 1 - i : i));
  const shape = tensors.map((_, d) => sizes[place.indexOf(d)]);
  return tensors.map((t, i) => {
    const along = shape.map((_, d) => (d === place[i] ? sizes[i] : 1));
    return t.reshape(along).expand(shape);
  });
}

export const flip = (input: Tensor, dims: number | number[]): Tensor => input.flip(asList(dims));
export const fliplr = (input: Tensor): Tensor => input.fliplr();
export const flipud = (input: Tensor): Tensor => input.flipud();
export const roll = (input: Tensor, shifts: number | number[], dims?: number | number[] | null): Tensor => input.roll(shifts, dims);
export const diag = (input: Tensor, diagonal = 0): Tensor => input.diag(diagonal);
export const diag_embed = (input: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor => input.diag_embed(offset, dim1, dim2);
