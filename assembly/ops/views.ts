// View ops: their outputs share their input's data (its root's storage), described by a
// shape, strides and an offset that the bindings compute (as PyTorch does), and written
// by in-place ops through the view. Contiguous is the one strided copy every other op
// relies on: kernels read contiguous data, and the bindings hand them a contiguous copy
// of a strided view. Each view's backward rule is the reverse view, or a scatter of the
// gradient into zeros for the views that select part of their input.

import {
  newTensor, newView, dataPtr, numel, ndim, dim, shapePtr, release, retain, dtypeOf, strideOf, offsetOf,
  elementShift, rootOf, geti, seti, slot, isStrided, MAX_DIMS, AUX, REWRITES, STRIDES, OFFSET, F64, holdHistory,
  FLAGS, FLAG_NO_TANGENT,
} from "../tensors";
import { at, put } from "../memory";
import { record1, record2, input, needsGrad as needsGradOf, paramI, setParamI, setGrad, gradEnabled, setGradEnabled, argAt, tangentAt } from "../graph";
import { zeroWhere, constant, addBoth } from "./elementwise";
import { Op } from "../generated/table";
import { scratch } from "../scratch";
import { sumToLike } from "./reduce";

// Geometry of views made inside the core (by backward rules); the bindings pass theirs in
// scratch: the shape at scratch, the strides MAX_DIMS ints later.
const viewShape = heap.alloc(MAX_DIMS << 2);
const viewStrides = heap.alloc(MAX_DIMS << 2);

function makeView(op: i32, x: i32, rank: i32, shape: usize, strides: usize, offset: i32, p0: i32, p1: i32, p2: i32): i32 {
  const out = newView(x, rank, shape, strides, offset);
  setParamI(out, 0, p0);
  setParamI(out, 1, p1);
  setParamI(out, 2, p2);
  record1(out, op, x);
  return out;
}

/**
 * A view of x (any of the view ops): `rank` dims whose shape and strides are in scratch,
 * starting at element `offset` of x's root. p0..p2 are the op's own parameters, kept for
 * its backward rule.
 */
export function viewForward(op: i32, x: i32, rank: i32, offset: i32, p0: i32 = 0, p1: i32 = 0, p2: i32 = 0): i32 {
  return makeView(op, x, rank, scratch, scratch + (<usize>MAX_DIMS << 2), offset, p0, p1, p2);
}

// ---- views made by the rules --------------------------------------------------------

// x's strides into viewStrides, with dims d0 and d1 swapped (d0 == d1: as they are).
function transposedOf(x: i32, d0: i32, d1: i32): void {
  for (let d = 0; d < ndim(x); d++) {
    const e = d == d0 ? d1 : d == d1 ? d0 : d;
    put(viewShape, d, dim(x, e));
    put(viewStrides, d, strideOf(x, e));
  }
}

function transposeView(x: i32, d0: i32, d1: i32): i32 {
  transposedOf(x, d0, d1);
  return makeView(Op.Transpose, x, ndim(x), viewShape, viewStrides, offsetOf(x), d0, d1, 0);
}

// Permutation dims are packed four bits each: dim d of the output is dim ((p >> 4d) & 15).
@inline function permuted(packed: i32, d: i32): i32 {
  return (packed >> (d << 2)) & 15;
}

function permuteView(x: i32, packed: i32): i32 {
  for (let d = 0; d < ndim(x); d++) {
    put(viewShape, d, dim(x, permuted(packed, d)));
    put(viewStrides, d, strideOf(x, permuted(packed, d)));
  }
  return makeView(Op.Permute, x, ndim(x), viewShape, viewStrides, offsetOf(x), packed, 0, 0);
}

/** g (contiguous) seen with the shape of `like`: a view. */
export function reshapeViewLike(g: i32, like: i32): i32 {
  const rank = ndim(like);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    put(viewShape, d, dim(like, d));
    put(viewStrides, d, stride);
    stride *= dim(like, d);
  }
  return makeView(Op.View, g, rank, viewShape, viewStrides, offsetOf(g), 0, 0, 0);
}

/** x's elements start, start + step, ... (length of them) along dim d: a slice. */
function narrowView(x: i32, d: i32, start: i32, length: i32, step: i32): i32 {
  for (let e = 0; e < ndim(x); e++) {
    put(viewShape, e, e == d ? length : dim(x, e));
    put(viewStrides, e, e == d ? strideOf(x, e) * step : strideOf(x, e));
  }
  return makeView(Op.Narrow, x, ndim(x), viewShape, viewStrides, offsetOf(x) + start * strideOf(x, d), d, start, step);
}

// ---- the strided copy ----------------------------------------------------------------

const counter = heap.alloc(MAX_DIMS << 2);
const srcStrides = heap.alloc(MAX_DIMS << 2);
const dstStrides = heap.alloc(MAX_DIMS << 2);

// Copies elements of E (the bytes of any dtype) from src to dst over `shape` (rank dims),
// each side walking its own strides (in elements; 0 repeats along a dim).
function copyWalk<E>(dst: usize, src: usize, shape: usize, rank: i32, n: i32): void {
  const size = sizeof<E>();
  if (n == 0) return;
  if (rank == 0) { store<E>(dst, load<E>(src)); return; }
  const row = at(shape, rank - 1), ss = at(srcStrides, rank - 1), ds = at(dstStrides, rank - 1);
  for (let d = 0; d < rank; d++) put(counter, d, 0);
  let offS = 0, offD = 0;
  for (let r = 0, rows = n / row; r < rows; r++) {
    const ps = src + <usize>offS * size, pd = dst + <usize>offD * size;
    if (ss == 1 && ds == 1) memory.copy(pd, ps, <usize>row * size);
    else if (ss == -1 && ds == 1) reverseRow<E>(pd, ps, row); // flip() of the last dim
    else for (let j = 0; j < row; j++) store<E>(pd + <usize>(j * ds) * size, load<E>(ps + <usize>(j * ss) * size));
    for (let d = rank - 2; d >= 0; d--) {
      const c = at(counter, d) + 1;
      offS += at(srcStrides, d);
      offD += at(dstStrides, d);
      if (c < at(shape, d)) { put(counter, d, c); break; }
      put(counter, d, 0);
      offS -= at(srcStrides, d) * c;
      offD -= at(dstStrides, d) * c;
    }
  }
}

// dst[j] = src[-j] for j < n (a row read backwards), a vector of lanes at a time.
function reverseRow<E>(dst: usize, src: usize, n: i32): void {
  const size = sizeof<E>(), lanes = 16 / <i32>size;
  let j = 0;
  for (; j + lanes <= n; j += lanes) {
    const v = v128.load(src - <usize>(j + lanes - 1) * size);
    let r: v128;
    if (size == 8) r = v128.shuffle<u64>(v, v, 1, 0);
    else if (size == 4) r = v128.shuffle<u32>(v, v, 3, 2, 1, 0);
    else r = v128.shuffle<u8>(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    v128.store(dst + <usize>j * size, r);
  }
  for (; j < n; j++) store<E>(dst + <usize>j * size, load<E>(src - <usize>j * size));
}

function copyElements(dst: usize, src: usize, shape: usize, rank: i32, n: i32, shift: i32): void {
  if (shift == 3) copyWalk<u64>(dst, src, shape, rank, n);
  else if (shift == 2) copyWalk<u32>(dst, src, shape, rank, n);
  else copyWalk<u8>(dst, src, shape, rank, n);
}

/**
 * Writes src into the view (or tensor) dst, src broadcast to dst's shape: each side's
 * elements walked with its own strides. Same dtype. Not recorded.
 */
export function copyInto(dst: i32, src: i32): void {
  const rank = ndim(dst), offset = rank - ndim(src);
  for (let d = 0; d < rank; d++) {
    put(dstStrides, d, strideOf(dst, d));
    const sd = d - offset;
    put(srcStrides, d, sd < 0 || dim(src, sd) == 1 ? 0 : strideOf(src, sd));
  }
  copyElements(dataPtr(dst), dataPtr(src), shapePtr(dst), rank, numel(dst), elementShift(dtypeOf(dst)));
}

// dst[i] += src[i] through dst's strides (src contiguous, floating), one element at a time
// so that elements a view shows more than once receive every addition.
function addWalk<T>(dst: usize, src: usize, shape: usize, rank: i32, n: i32): void {
  if (rank == 0) { store<T>(dst, load<T>(dst) + load<T>(src)); return; }
  for (let d = 0; d < rank; d++) put(counter, d, 0);
  let offD = 0;
  const row = at(shape, rank - 1), ds = at(dstStrides, rank - 1);
  for (let r = 0, rows = n / row; r < rows; r++) {
    const pd = dst + <usize>offD * sizeof<T>(), ps = src + <usize>(r * row) * sizeof<T>();
    for (let j = 0; j < row; j++) {
      const at_ = pd + <usize>(j * ds) * sizeof<T>();
      store<T>(at_, load<T>(at_) + load<T>(ps + <usize>j * sizeof<T>()));
    }
    for (let d = rank - 2; d >= 0; d--) {
      const c = at(counter, d) + 1;
      offD += at(dstStrides, d);
      if (c < at(shape, d)) { put(counter, d, c); break; }
      put(counter, d, 0);
      offD -= at(dstStrides, d) * c;
    }
  }
}

function addThrough(dst: i32, src: i32): void {
  const rank = ndim(dst);
  for (let d = 0; d < rank; d++) put(dstStrides, d, strideOf(dst, d));
  if (numel(dst) == 0) return;
  if (dtypeOf(dst) == F64) addWalk<f64>(dataPtr(dst), dataPtr(src), shapePtr(dst), rank, numel(dst));
  else addWalk<f32>(dataPtr(dst), dataPtr(src), shapePtr(dst), rank, numel(dst));
}

function contiguousCopy(x: i32): i32 {
  const out = newTensor(ndim(x), shapePtr(x), dtypeOf(x));
  copyInto(out, x);
  return out;
}

/** A contiguous copy of x, recorded (its gradient passes straight through). */
export function contiguousForward(op: i32, x: i32): i32 {
  const out = contiguousCopy(x);
  record1(out, op, x);
  return out;
}

// x's own shape and strides into viewShape and viewStrides.
function geometryOf(x: i32): void {
  for (let d = 0; d < ndim(x); d++) {
    put(viewShape, d, dim(x, d));
    put(viewStrides, d, strideOf(x, d));
  }
}

function withoutTangent(view: i32): i32 {
  seti(view, FLAGS, geti(view, FLAGS) | FLAG_NO_TANGENT);
  return view;
}

/** x seen without its tangent, in the graph (forward_ad.unpack_dual's primal). */
export function primalView(x: i32): i32 {
  geometryOf(x);
  return withoutTangent(makeView(Op.View, x, ndim(x), viewShape, viewStrides, offsetOf(x), 0, 0, 0));
}

/** A view that shares x's data with no graph and no tangent: detach(). */
export function aliasForward(op: i32, x: i32): i32 {
  geometryOf(x);
  return withoutTangent(newView(x, ndim(x), viewShape, viewStrides, offsetOf(x)));
}

/**
 * x itself when contiguous, else a contiguous copy outside the graph: how the kernels that
 * read whole rows (reductions, softmax, dot, conversion) take a strided view. The caller
 * releases the copy (`if (src != x) release(src)`); the op still records x itself.
 */
export function gathered(x: i32): i32 {
  return isStrided(x) ? contiguousCopy(x) : x;
}

/** A transposed view of x, recorded (Transpose), for rules whose products read it in place. */
export function transposed(x: i32, d0: i32, d1: i32): i32 {
  return transposeView(x, d0, d1);
}

/**
 * A contiguous copy of x with the dims in `mask` (bit d: dim d) reversed, recorded: the
 * strided copy reads them from their last element with negated strides. The walk's offsets
 * are then negative; wasm's 32-bit address arithmetic wraps, so they still land on x's data.
 */
export function flipForward(op: i32, x: i32, mask: i32): i32 {
  const rank = ndim(x);
  const out = newTensor(rank, shapePtr(x), dtypeOf(x));
  let last = 0;
  for (let d = 0; d < rank; d++) {
    const stride = strideOf(x, d);
    const reversed = (mask >> d) & 1;
    put(dstStrides, d, strideOf(out, d));
    put(srcStrides, d, reversed ? -stride : stride);
    if (reversed && dim(x, d) > 0) last += (dim(x, d) - 1) * stride;
  }
  const shift = elementShift(dtypeOf(x));
  copyElements(dataPtr(out), dataPtr(x) + (<usize>last << shift), shapePtr(out), rank, numel(out), shift);
  setParamI(out, 0, mask);
  record1(out, op, x);
  return out;
}

export function flipBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, flipForward(Op.Flip, g, paramI(t, 0)));
}

// Zeros of the shape of `like`, with g written along dim d from `start` every `step`:
// narrow's (a slice's) adjoint.
const scatterShape = heap.alloc(MAX_DIMS << 2);

function narrowScatter(g: i32, like: i32, d: i32, start: i32, step: i32): i32 {
  for (let e = 0; e < ndim(like); e++) put(scatterShape, e, dim(like, e));
  return narrowScatterForward(Op.NarrowScatter, g, d, start, step, ndim(like));
}

/** Zeros of the shape in scatterShape (rank `rank`), with g written along dim d from start, every step. */
export function narrowScatterForward(op: i32, g: i32, d: i32, start: i32, step: i32, rank: i32): i32 {
  const out = newTensor(rank, scatterShape, dtypeOf(g));
  memory.fill(dataPtr(out), 0, <usize>numel(out) << elementShift(dtypeOf(g)));
  const region = narrowView(out, d, start, dim(g, d), step);
  copyInto(region, g);
  release(region);
  setParamI(out, 0, d);
  setParamI(out, 1, start);
  setParamI(out, 2, step);
  record1(out, op, g);
  return out;
}

// ---- backward rules -------------------------------------------------------------------

export function viewBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, reshapeViewLike(g, input(t, 0)));
}

export function transposeBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, transposeView(g, paramI(t, 0), paramI(t, 1)));
}

export function permuteBackward(t: i32, g: i32, grads: usize): void {
  const packed = paramI(t, 0);
  let inverse = 0;
  for (let d = 0; d < ndim(t); d++) inverse |= d << (permuted(packed, d) << 2);
  setGrad(grads, 0, permuteView(g, inverse));
}

export function expandBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, sumToLike(g, input(t, 0)));
}

export function narrowBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, narrowScatter(g, input(t, 0), paramI(t, 0), paramI(t, 1), paramI(t, 2)));
}

export function selectBackward(t: i32, g: i32, grads: usize): void {
  // g with the selected dim back, of size 1, then scattered like a narrow of length 1
  const x = input(t, 0), d = paramI(t, 0);
  for (let e = 0, f = 0; e < ndim(x); e++) {
    put(viewShape, e, e == d ? 1 : dim(g, f));
    put(viewStrides, e, e == d ? 1 : strideOf(g, f));
    if (e != d) f++;
  }
  const widened = makeView(Op.View, g, ndim(x), viewShape, viewStrides, offsetOf(g), 0, 0, 0);
  setGrad(grads, 0, narrowScatter(widened, x, d, paramI(t, 1), 1));
  release(widened);
}

export function contiguousBackward(t: i32, g: i32, grads: usize): void {
  retain(g);
  setGrad(grads, 0, g);
}

export function narrowScatterBackward(t: i32, g: i32, grads: usize): void {
  const d = paramI(t, 0);
  setGrad(grads, 0, narrowView(g, d, paramI(t, 1), dim(input(t, 0), d), paramI(t, 2)));
}

// ---- in-place ops through views ------------------------------------------------------
//
// An in-place op in the graph on a view v of a base b (or on a b that has views) is
// recorded as PyTorch records it: the new values r of v are written into the shared data,
// b's history becomes CopySlices(b's old history, r), whose gradient goes to r inside v's
// region and to the old history outside it, and v's becomes a Region of the new b. Views
// of b taken before that keep an out-of-date history (they are "stale", and the bindings
// refuse to differentiate through them).

// Region: a view of x with the shape and strides of `tmpl`, at tmpl's offset from x's
// start. Its rule scatters the gradient into zeros of x's shape at the same place.
function region(x: i32, tmpl: i32): i32 {
  geometryOf(tmpl);
  return makeView(Op.Region, x, ndim(tmpl), viewShape, viewStrides, offsetOf(x) + offsetOf(tmpl), 0, 0, 0);
}

/** Region's entry point: x seen through the geometry of view `tmpl`. */
export function regionForward(op: i32, x: i32, tmpl: i32): i32 {
  return region(x, tmpl);
}

// Also the rule of diagonal and unfold, views whose geometry the bindings compute: their
// gradient is scattered back (and added up where unfold's windows overlap).
export function regionBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  if (!isStrided(x)) {
    setGrad(grads, 0, scatterRegion(g, x, t));
    return;
  }
  // t's strides step through the root's data, not through a contiguous x: scatter g over
  // the whole (contiguous) root, then read x's own region of that.
  const whole = scatterRegion(g, rootOf(x), t);
  setGrad(grads, 0, region(whole, x));
  release(whole);
}


// Zeros of the shape of `like` with g written through the strides of view `tmpl`, at
// tmpl's offset relative to like's. The geometry is kept in the output's own (unused)
// stride and offset fields, for its rule.
function scatterRegion(g: i32, like: i32, tmpl: i32): i32 {
  for (let e = 0; e < ndim(like); e++) put(scatterShape, e, dim(like, e));
  for (let d = 0; d < ndim(g); d++) put(scatterStrides, d, strideOf(tmpl, d));
  return scatterThrough(g, ndim(like), offsetOf(tmpl) - offsetOf(like));
}

const scatterStrides = heap.alloc(MAX_DIMS << 2);

// Zeros of the shape in scatterShape (rank `rank`) with g written through the strides in
// scatterStrides from element `offset`, recorded as ScatterRegion.
function scatterThrough(g: i32, rank: i32, offset: i32): i32 {
  const out = newTensor(rank, scatterShape, dtypeOf(g));
  memory.fill(dataPtr(out), 0, <usize>numel(out) << elementShift(dtypeOf(g)));
  for (let d = 0; d < ndim(g); d++) store<i32>(slot(out) + <usize>(STRIDES + (d << 2)), at(scatterStrides, d));
  seti(out, OFFSET, offset);
  for (let d = 0; d < ndim(g); d++) {
    put(viewShape, d, dim(g, d));
    put(viewStrides, d, at(scatterStrides, d));
  }
  const target = newView(out, ndim(g), viewShape, viewStrides, offset);
  const values = isStrided(g) ? contiguousCopy(g) : g;
  addThrough(target, values); // adds: where a view overlaps itself (unfold), gradients accumulate
  if (values != g) release(values);
  release(target);
  record1(out, Op.ScatterRegion, g);
  return out;
}

/** ScatterRegion's entry point (used by rules; the bindings never call it). */
export function scatterRegionForward(op: i32, g: i32, like: i32, tmpl: i32): i32 {
  return scatterRegion(g, like, tmpl);
}

export function scatterRegionBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  for (let d = 0; d < ndim(x); d++) {
    put(viewShape, d, dim(x, d));
    put(viewStrides, d, load<i32>(slot(t) + <usize>(STRIDES + (d << 2))));
  }
  setGrad(grads, 0, makeView(Op.Region, g, ndim(x), viewShape, viewStrides, offsetOf(g) + geti(t, OFFSET), 0, 0, 0));
}

// A tensor shaped like `like`, nonzero exactly at the elements view `place` shows: the
// number of times it shows each. A constant, outside the graph.
function writtenMask(like: i32, place: i32): i32 {
  const enabled = gradEnabled;
  setGradEnabled(false);
  const ones = newTensor(ndim(place), shapePtr(place), dtypeOf(like));
  const one = constant(1, dtypeOf(like));
  copyInto(ones, one);
  release(one);
  const mask = scatterRegion(ones, like, place);
  release(ones);
  setGradEnabled(enabled);
  return mask;
}

/**
 * base (a root) with the elements view `place` of it shows replaced by value (of place's
 * shape and base's dtype), made of recorded ops: an in-place write as a function.
 */
export function withRegionReplaced(base: i32, value: i32, place: i32): i32 {
  const written = writtenMask(base, place);
  const kept = zeroWhere(base, written);
  const moved = scatterRegion(value, base, place);
  const out = addBoth(kept, moved);
  release(written);
  return out;
}

/**
 * The new history of base b after r was written into its view v: a view of b's data
 * recorded as CopySlices(b, r), keeping v's geometry (an unrecorded alias of v) for its
 * rule. Counts a rewrite of the root, so that older views are known to be stale.
 */
export function copySlicesForward(op: i32, b: i32, r: i32, v: i32): i32 {
  const root = rootOf(b);
  seti(root, REWRITES, geti(root, REWRITES) + 1);
  geometryOf(b);
  const out = newView(b, ndim(b), viewShape, viewStrides, offsetOf(b));
  seti(out, AUX, aliasForward(Op.Alias, v));
  record2(out, op, b, r);
  holdHistory(root, out);
  return out;
}

export function copySlicesBackward(t: i32, g: i32, grads: usize): void {
  // The place written is given within the root's layout, which t has (contiguous, from the
  // root's first element): g is read in that layout, wherever its own data starts.
  const laid = isStrided(g) ? contiguousForward(Op.Contiguous, g) : g;
  const place = geti(t, AUX);
  const inside = region(laid, place); // the gradient of r
  if (needsGradOf(t, 0)) {
    // the old history keeps the gradient of what was not overwritten: g with the written
    // elements zeroed (counted, not subtracted, so that overlapping views zero them once)
    const written = writtenMask(t, place);
    setGrad(grads, 0, zeroWhere(g, written));
    release(written);
  }
  if (needsGradOf(t, 1)) setGrad(grads, 1, inside);
  else release(inside);
  if (laid != g) release(laid);
}

// ---- forward-mode rules ------------------------------------------------------------------
// The copies and scatters of this family are linear: each applied to the tangent.

export function contiguousJvp(out: i32, args: usize, tangents: usize): i32 {
  return contiguousForward(Op.Contiguous, tangentAt(tangents, 0));
}

export function flipJvp(out: i32, args: usize, tangents: usize): i32 {
  return flipForward(Op.Flip, tangentAt(tangents, 0), paramI(out, 0));
}

export function narrowScatterJvp(out: i32, args: usize, tangents: usize): i32 {
  for (let e = 0; e < ndim(out); e++) put(scatterShape, e, dim(out, e));
  return narrowScatterForward(Op.NarrowScatter, tangentAt(tangents, 0), paramI(out, 0), paramI(out, 1), paramI(out, 2), ndim(out));
}

// The tangent is written through the geometry the output keeps (see scatterRegion).
export function scatterRegionJvp(out: i32, args: usize, tangents: usize): i32 {
  const t = tangentAt(tangents, 0);
  for (let e = 0; e < ndim(out); e++) put(scatterShape, e, dim(out, e));
  for (let d = 0; d < ndim(t); d++) put(scatterStrides, d, load<i32>(slot(out) + <usize>(STRIDES + (d << 2))));
  return scatterThrough(t, ndim(out), geti(out, OFFSET));
}
