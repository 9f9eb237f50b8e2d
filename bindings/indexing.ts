// x.index(...items), PyTorch's x[items], added to the Tensor class here. Basic items
// (integers, slices, null, "...") make a view, as in PyTorch: selects, strided slices and
// new axes. Advanced items (integer arrays, int32 tensors, bool masks) then pick a copy
// through the take kernel, their dims placed as NumPy and PyTorch place them.

import { Tensor } from "./tensor.js";
import { ops } from "./core.js";
import { scope } from "./lifetime.js";
import { describe, fail } from "./shape.js";
import { tensor } from "./create.js";
import { indexColumns, indexTensor, positionsOf, takeSlices, type IndexLike } from "./index-ops.js";

/** A slice with computed bounds, as Python's slice(start, stop, step); null is the default. */
export class Slice {
  constructor(readonly start: number | null, readonly stop: number | null, readonly step: number | null) {}
}

/** slice(stop), slice(start, stop) or slice(start, stop, step), as Python's. */
export function slice(start: number | null = null, stop?: number | null, step: number | null = null): Slice {
  return stop === undefined ? new Slice(null, start, step) : new Slice(start, stop, step);
}

/** An item of x.index(...): integer, slice ("1:3", "::2" or slice()), null (new axis), "..." or an advanced index. */
export type IndexItem = number | string | Slice | null | IndexLike;

declare module "./tensor.js" {
  interface Tensor {
    /**
     * x[items] of PyTorch: integers, slices ("1:3", "::2", "-3:", or slice(a, b, c)), null for a
     * new axis, "..." and advanced indices (integer arrays, int32 tensors, bool masks).
     * Without advanced indices the result is a view.
     */
    index(...items: IndexItem[]): Tensor;
  }
}

const SLICE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

function parseSlice(text: string): Slice {
  const m = SLICE.exec(text);
  if (m === null) {
    fail("index", `cannot read ${JSON.stringify(text)} as a slice: write "start:stop:step" with integers, e.g. "1:3" or "::2"`);
  }
  const part = (s: string | undefined) => (s === undefined ? null : Number(s));
  return new Slice(part(m[1]), part(m[2]), part(m[3]));
}

// The first element, the count and the step of a slice of a dim of `size`, clamped as Python's.
function sliceBounds(s: Slice, size: number): [number, number, number] {
  for (const v of [s.start, s.stop, s.step]) {
    if (v !== null && !Number.isInteger(v)) fail("index", `slice bounds must be integers or null, got ${describe(v)}`);
  }
  const step = s.step ?? 1;
  if (step === 0) fail("index", "slice step cannot be zero");
  if (step < 0) fail("index", "step must be greater than zero");
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const start = s.start === null ? 0 : clamp(s.start);
  const stop = s.stop === null ? size : clamp(s.stop);
  return [start, Math.max(0, Math.ceil((stop - start) / step)), step];
}

function sliced(x: Tensor, d: number, s: Slice): Tensor {
  const [start, length, step] = sliceBounds(s, x._shape[d]);
  const shape = x._shape.slice(), strides = x._strides();
  shape[d] = length;
  const offset = x.storage_offset() + start * strides[d];
  strides[d] *= step;
  return x._view(ops.opNarrow, shape, strides, offset, d, start, step);
}

type Advanced = { dim: number; item: Tensor };

function isAdvanced(item: unknown): boolean {
  return item instanceof Tensor || Array.isArray(item);
}

// How many dims of the tensor the item consumes (a 0-d bool tensor, like null, none).
function dimsOf(item: IndexItem): number {
  if (item === null || item === "...") return 0;
  return item instanceof Tensor && item.dtype === "bool" ? item.ndim : 1;
}

const isScalarIndex = (item: unknown): item is Tensor => item instanceof Tensor && item.ndim === 0;

Tensor.prototype.index = function index(this: Tensor, ...items: IndexItem[]) {
  return scope(() => {
    const consumed = items.reduce<number>((n, item) => n + dimsOf(item), 0);
    if (items.filter((item) => item === "...").length > 1) fail("index", "an index can only have a single ellipsis ('...')");
    const lone = items[0];
    if (this.ndim === 0 && items.length === 1 && (typeof lone === "number" || (isScalarIndex(lone) && lone.dtype === "int32"))) {
      fail("index", "invalid index of a 0-dim tensor. Use `tensor.item()` to convert a 0-dim tensor to a number");
    }
    if (consumed > this.ndim) fail("index", `too many indices for tensor of dimension ${this.ndim}`);
    let x = this.view(this._shape.slice()); // x[...] is a view too
    let d = 0;
    const advanced: Advanced[] = [];
    for (let item of items) {
      // a 0-d int32 tensor is an integer (a view, as in PyTorch); a 0-d bool tensor adds a
      // dim of size 1 that it indexes with [0] when true, [] when false (a copy)
      if (isScalarIndex(item) && item.dtype === "int32") item = item.item();
      if (isScalarIndex(item) && item.dtype === "bool") {
        x = x.unsqueeze(d);
        advanced.push({ dim: d++, item: tensor(item.item() ? [0] : [], { dtype: "int32" }) });
        continue;
      }
      if (item === "...") {
        d += this.ndim - consumed;
      } else if (item === null) {
        x = x.unsqueeze(d++);
      } else if (typeof item === "number") {
        const size = x._shape[d];
        if (!Number.isInteger(item)) fail("index", `an integer index must be an integer, got ${item}`);
        if (item < -size || item >= size) {
          throw new RangeError(`index(): index ${item} is out of bounds for dimension ${d} with size ${size}`);
        }
        x = x.select(d, item);
      } else if (typeof item === "string" || item instanceof Slice) {
        x = sliced(x, d++, typeof item === "string" ? parseSlice(item) : item);
      } else if (isAdvanced(item)) {
        const t = item instanceof Tensor && item.dtype === "bool" ? item : indexTensor("index", "index", item);
        advanced.push({ dim: d, item: t });
        d += dimsOf(t);
      } else {
        throw new TypeError(`index(): an index must be an integer, a slice string, slice(), null, "...", an integer ` +
          `array or a tensor, got ${describe(item)}`);
      }
    }
    return advanced.length === 0 ? x : pick(x, advanced);
  });
};

// x[advanced]: the indexed dims replaced by the indices' broadcast shape, in their place when
// they are adjacent, else first (NumPy's rule, which PyTorch follows).
function pick(x: Tensor, advanced: Advanced[]): Tensor {
  const first = advanced[0].dim;
  const span = advanced.reduce((n, a) => n + (a.item.dtype === "bool" ? a.item.ndim : 1), 0);
  const adjacent = advanced.every((a, k) => k === 0 || a.dim === advanced[k - 1].dim + dimsOf(advanced[k - 1].item));
  // the indexed dims in front, in order, then the others
  const indexed = new Set<number>();
  for (const a of advanced) for (let k = 0; k < dimsOf(a.item); k++) indexed.add(a.dim + k);
  const order = [...indexed, ...x._shape.map((_, e) => e).filter((e) => !indexed.has(e))];
  const front = order.every((e, k) => e === k) ? x : x.permute(order);
  const { columns, sizes } = indexColumns("index", front, 0, advanced.map((a) => a.item));
  const positions = positionsOf("index", columns, sizes);
  const rest = front._shape.slice(span);
  const flat = span === 1 ? front : front.reshape([sizes.reduce((a, b) => a * b, 1), ...rest]);
  const taken = takeSlices("index", flat, 0, positions.reshape([-1])).reshape([...positions._shape, ...rest]);
  if (!adjacent || first === 0) return taken;
  // move the indices' dims back to where the first indexed dim was
  const b = positions.ndim;
  const back = [...Array.from({ length: first }, (_, k) => b + k), ...Array.from({ length: b }, (_, k) => k),
    ...Array.from({ length: rest.length - first }, (_, k) => b + first + k)];
  return taken.permute(back).contiguous();
}
