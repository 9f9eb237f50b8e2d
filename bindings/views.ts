// The geometry of views, computed as PyTorch computes it: shape, strides (in elements) and
// the offset of the first element within the root's data. The core makes the view from it.

import { fail, formatShape, type Shape } from "./shape.js";

export interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

/** Row-major strides; a size 0 counts as 1, as in PyTorch. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= Math.max(shape[d], 1);
  }
  return strides;
}

/** Whether the layout is row-major contiguous (size-1 dims may have any stride, as in PyTorch). */
export function isContiguousLayout(shape: Shape, strides: readonly number[]): boolean {
  if (shape.includes(0)) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * The strides that show a tensor of `shape` and `strides` with `newShape` without copying,
 * or null when its dims cannot be regrouped so (PyTorch's computeStride).
 */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  if (shape.length === 0) return newShape.map(() => 1);
  if (newShape.reduce((a, b) => a * b, 1) === 0) { // as PyTorch: the same shape keeps its strides
    return shape.length === newShape.length && shape.every((s, d) => s === newShape[d]) ? strides.slice() : contiguousStrides(newShape);
  }
  const result = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1, viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    // a chunk ends where the next dim does not continue this one
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        result[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? result : null;
}

export function transposed(shape: Shape, strides: readonly number[], d0: number, d1: number): [number[], number[]] {
  const s = shape.slice(), st = strides.slice();
  [s[d0], s[d1]] = [s[d1], s[d0]];
  [st[d0], st[d1]] = [st[d1], st[d0]];
  return [s, st];
}

/** PyTorch's expand: -1 keeps a size, a size-1 dim (or a new leading one) repeats with stride 0. */
export function expanded(op: string, shape: Shape, strides: readonly number[], sizes: readonly number[]): [number[], number[]] {
  if (sizes.length < shape.length) {
    fail(op, `the number of sizes provided (${sizes.length}) must be greater or equal to the number of ` +
      `dimensions in the tensor (${shape.length})`);
  }
  const lead = sizes.length - shape.length;
  const outShape = new Array<number>(sizes.length), outStrides = new Array<number>(sizes.length);
  // From the last dim back, as PyTorch's inferExpandGeometry: a new leading dim of size 1
  // continues the dim after it; an expanded one gets stride 0.
  for (let d = sizes.length - 1; d >= 0; d--) {
    const own = d - lead, size = sizes[d];
    if (own < 0) {
      if (size === -1) fail(op, `The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${d}`);
      outShape[d] = size;
      outStrides[d] = size !== 1 || d === sizes.length - 1 ? 0 : outShape[d + 1] * outStrides[d + 1];
      continue;
    }
    const current = shape[own];
    if (size === -1 || size === current) {
      outShape[d] = current;
      outStrides[d] = strides[own];
    } else if (current === 1) {
      outShape[d] = size;
      outStrides[d] = 0;
    } else {
      fail(op, `The expanded size of the tensor (${size}) must match the existing size (${current}) at ` +
        `non-singleton dimension ${d}.  Target sizes: ${formatShape(sizes)}.  Tensor sizes: ${formatShape(shape)}`);
    }
  }
  return [outShape, outStrides];
}

/**
 * Whether two indices of the geometry name one element. Quick when, with the dims of more
 * than one element sorted by stride, each stride clears the extent of the smaller ones (an
 * expanded dim's stride 0 never does); otherwise the addresses are counted (up to 2^22
 * elements; a larger geometry counts as overlapping).
 */
export function overlaps(shape: Shape, strides: readonly number[]): boolean {
  if (shape.includes(0)) return false;
  const dims = shape.map((size, d) => [size, strides[d]]).filter(([size]) => size > 1).sort((a, b) => a[1] - b[1]);
  let extent = 1, sorted = true;
  for (const [size, stride] of dims) {
    if (stride < extent) sorted = false;
    extent += (size - 1) * stride;
  }
  if (sorted) return false;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > 1 << 22) return true;
  const seen = new Set<number>();
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    const at = index.reduce((acc, v, d) => acc + v * strides[d], 0);
    if (seen.has(at)) return true;
    seen.add(at);
    for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
  }
  return false;
}
