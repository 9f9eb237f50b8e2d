// A plain-array model of tensor storage and view geometry, written from PyTorch 1.13's rules
// (c10/aten: computeStride, inferExpandGeometry, narrow/select/diagonal/unfold, is_contiguous,
// has_internal_overlap, result_type, canCast) and independent of bindings/views.ts. Used by
// test/views-fuzz.test.ts: a handle is a storage (a JS array) plus shape, strides and offset.

export type ModelDtype = "float32" | "float64" | "int32";

export interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

export interface Storage {
  dtype: ModelDtype;
  data: number[];
  /** PyTorch's version counter: one per in-place op through any handle of the storage. */
  version: number;
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export const isFloat = (d: ModelDtype) => d !== "int32";

/** PyTorch's contiguous strides (a size 0 counts as 1, as in c10's contiguous_strides). */
export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= Math.max(shape[d], 1);
  }
  return st;
}

export const contiguousGeometry = (shape: readonly number[]): Geometry =>
  ({ shape: shape.slice(), strides: contiguousStrides(shape), offset: 0 });

/** TensorImpl::compute_contiguous: size-1 dims may have any stride; no elements is contiguous. */
export function isContiguous(g: Geometry): boolean {
  if (numel(g.shape) === 0) return true;
  let expected = 1;
  for (let d = g.shape.length - 1; d >= 0; d--) {
    if (g.shape[d] === 1) continue;
    if (g.strides[d] !== expected) return false;
    expected *= g.shape[d];
  }
  return true;
}

/** The multi-index of the i-th element in row-major order. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** The storage index of every element, in row-major order of the shape. */
export function addresses(g: Geometry): number[] {
  const n = numel(g.shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, g.shape);
    let a = g.offset;
    for (let d = 0; d < idx.length; d++) a += idx[d] * g.strides[d];
    out[i] = a;
  }
  return out;
}

export const read = (st: { data: readonly number[] }, g: Geometry): number[] => addresses(g).map((a) => st.data[a]);

/** Nested arrays of the shape (a number for 0-d), like tolist(). */
export function nest(shape: readonly number[], flat: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  let k = 0;
  const build = (d: number): unknown[] => {
    const out = new Array(shape[d]);
    for (let i = 0; i < shape[d]; i++) out[i] = d === shape.length - 1 ? flat[k++] : build(d + 1);
    return out;
  };
  return build(0);
}

/** A value stored in a tensor of dtype: rounded to float32, or truncated to int32. */
export function cast(dtype: ModelDtype, v: number): number {
  if (dtype === "float32") return Math.fround(v);
  if (dtype === "int32") return Math.trunc(v) | 0;
  return v;
}

// ---- geometry of the view ops (PyTorch's) ------------------------------------------------

/** maybe_wrap_dim; a 0-d tensor accepts dims 0 and -1. Null when out of range. */
export function wrapDim(d: number, rank: number): number | null {
  const r = Math.max(rank, 1);
  if (d < -r || d >= r) return null;
  return d < 0 ? d + r : d;
}

/** at::detail::computeStride: the strides of a view with newShape, or null if there is none. */
export function computeStride(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (oldShape.length === 0) return newShape.map(() => 1);
  const n = numel(oldShape);
  if (n === 0 && oldShape.length === newShape.length && oldShape.every((s, d) => s === newShape[d])) return oldStrides.slice();
  const result = new Array<number>(newShape.length);
  if (n === 0) {
    for (let d = newShape.length - 1; d >= 0; d--) {
      result[d] = d === newShape.length - 1 ? 1 : Math.max(newShape[d + 1], 1) * result[d + 1];
    }
    return result;
  }
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1, viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        result[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? result : null;
}

export function transposeGeo(g: Geometry, d0: number, d1: number): Geometry {
  if (g.shape.length === 0) return { ...g, shape: [], strides: [] };
  const shape = g.shape.slice(), strides = g.strides.slice();
  [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
  [strides[d0], strides[d1]] = [strides[d1], strides[d0]];
  return { shape, strides, offset: g.offset };
}

export const permuteGeo = (g: Geometry, dims: number[]): Geometry =>
  ({ shape: dims.map((d) => g.shape[d]), strides: dims.map((d) => g.strides[d]), offset: g.offset });

/** inferUnsqueezeGeometry: the new dim's stride is that of the dim it precedes times its size. */
export function unsqueezeGeo(g: Geometry, d: number): Geometry {
  const shape = g.shape.slice(), strides = g.strides.slice();
  strides.splice(d, 0, d >= g.shape.length ? 1 : shape[d] * strides[d]);
  shape.splice(d, 0, 1);
  return { shape, strides, offset: g.offset };
}

export function squeezeGeo(g: Geometry, d?: number): Geometry {
  const keep = g.shape.map((s, e) => s !== 1 || (d !== undefined && e !== d));
  return { shape: g.shape.filter((_, e) => keep[e]), strides: g.strides.filter((_, e) => keep[e]), offset: g.offset };
}

/** inferExpandGeometry; null where PyTorch throws. */
export function expandGeo(g: Geometry, sizes: readonly number[]): Geometry | null {
  const n = sizes.length, rank = g.shape.length;
  if (n < rank) return null;
  const shape = new Array<number>(n), strides = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const dim = rank - (n - i);
    let size = dim >= 0 ? g.shape[dim] : 1;
    // a new leading dim continues the one after it (out of range after a 0-d tensor: 0)
    let stride = dim >= 0 ? g.strides[dim] : i + 1 < n ? shape[i + 1] * strides[i + 1] : 0;
    let target = sizes[i];
    if (target === -1) {
      if (dim < 0) return null;
      target = size;
    }
    if (size !== target) {
      if (size !== 1) return null;
      size = target;
      stride = 0;
    }
    shape[i] = size;
    strides[i] = stride;
  }
  return { shape, strides, offset: g.offset };
}

export function narrowGeo(g: Geometry, d: number, start: number, length: number): Geometry {
  const shape = g.shape.slice();
  shape[d] = length;
  return { shape, strides: g.strides.slice(), offset: g.offset + start * g.strides[d] };
}

export const selectGeo = (g: Geometry, d: number, i: number): Geometry => ({
  shape: g.shape.filter((_, e) => e !== d), strides: g.strides.filter((_, e) => e !== d), offset: g.offset + i * g.strides[d],
});

export function diagonalGeo(g: Geometry, off: number, d1: number, d2: number): Geometry {
  const s1 = g.shape[d1], s2 = g.shape[d2];
  const length = Math.max(off >= 0 ? Math.min(s1, s2 - off) : Math.min(s1 + off, s2), 0);
  let offset = g.offset;
  if (length > 0) offset += off >= 0 ? off * g.strides[d2] : -off * g.strides[d1];
  const keep = (_: number, e: number) => e !== d1 && e !== d2;
  return {
    shape: [...g.shape.filter(keep), length],
    strides: [...g.strides.filter(keep), g.strides[d1] + g.strides[d2]],
    offset,
  };
}

export function unfoldGeo(g: Geometry, d: number, size: number, step: number): Geometry {
  if (g.shape.length === 0) return { shape: [size], strides: [1], offset: g.offset };
  const shape = g.shape.slice(), strides = g.strides.slice();
  shape[d] = Math.floor((g.shape[d] - size) / step) + 1;
  strides[d] = g.strides[d] * step;
  return { shape: [...shape, size], strides: [...strides, g.strides[d]], offset: g.offset };
}

// ---- writes ------------------------------------------------------------------------------

/**
 * has_internal_overlap: "yes" when a dim of size > 1 has stride 0 (in-place arithmetic and
 * copy_ refuse it, fill_ and zero_ do not); "other" when elements repeat otherwise (unfold
 * with overlapping windows: PyTorch leaves the result implementation-defined); else "none".
 */
export function internalOverlap(g: Geometry): "none" | "yes" | "other" {
  if (numel(g.shape) === 0) return "none";
  if (g.shape.some((s, d) => s > 1 && g.strides[d] === 0)) return "yes";
  const a = addresses(g);
  return new Set(a).size === a.length ? "none" : "other";
}

/** Whether shape src broadcasts to exactly dst (what an in-place op's operand must do). */
export function broadcastsTo(src: readonly number[], dst: readonly number[]): boolean {
  if (src.length > dst.length) return false;
  const lead = dst.length - src.length;
  return src.every((s, d) => s === 1 || s === dst[d + lead]);
}

/** Whether two shapes broadcast together at all. */
export function broadcastable(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** src's geometry broadcast to shape dst (size-1 and missing dims get stride 0). */
export function broadcastGeo(src: Geometry, dst: readonly number[]): Geometry {
  const lead = dst.length - src.shape.length;
  return {
    shape: dst.slice(),
    strides: dst.map((_, d) => (d < lead || src.shape[d - lead] === 1 ? 0 : src.strides[d - lead])),
    offset: src.offset,
  };
}

// ---- dtypes --------------------------------------------------------------------------------

/** An operand as torch.result_type sees it: a tensor of some rank, or a JS number. */
export type Operand = { dtype: ModelDtype; rank: number } | number;

function promote(a: ModelDtype | null, b: ModelDtype | null): ModelDtype | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  return "float32"; // float32 with int32
}

// c10's combine_categories: the higher-priority group wins unless the lower one is floating.
function combine(higher: ModelDtype | null, lower: ModelDtype | null): ModelDtype | null {
  if (higher !== null && isFloat(higher)) return higher;
  if (lower !== null && isFloat(lower)) return promote(higher, lower);
  return higher ?? lower;
}

/** torch.result_type with the default dtype float32 (an integral JS number is an int scalar). */
export function resultType(...ops: Operand[]): ModelDtype {
  let dims: ModelDtype | null = null, zero: ModelDtype | null = null, wrapped: ModelDtype | null = null;
  for (const x of ops) {
    if (typeof x === "number") wrapped = promote(wrapped, Number.isInteger(x) ? "int32" : "float32");
    else if (x.rank > 0) dims = promote(dims, x.dtype);
    else zero = promote(zero, x.dtype);
  }
  return combine(dims, combine(zero, wrapped)) ?? "float32";
}

/** canCast for in-place results: floating into an integer tensor is refused. */
export const canCast = (from: ModelDtype, to: ModelDtype) => !(isFloat(from) && !isFloat(to));

/** PyTorch's capitalised names in "result type Float can't be cast to ..." messages. */
export const torchTypeName = (d: ModelDtype) => ({ float32: "Float", float64: "Double", int32: "Int" })[d];
