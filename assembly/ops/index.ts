// Indexing along one dim. The take ops read self at given indices: gather (an index per
// output element) and index_select (one index per slice). The put ops write a source into a
// copy of self at given indices: scatter, scatter_add and scatter_reduce (an index per
// source element, one walk for all three), index_copy and index_add (one per slice). Each
// family is the other's backward rule.
// Index tensors are int32; a negative index counts from the end. The kernels trust their
// arguments: the bindings have checked the shapes (an index fits its tensor and source, as
// PyTorch requires) and every index against its dim (indexOutOfRange) before any of these run.
// Adding into bools is a logical or, multiplying a logical and, as in PyTorch.

import {
  newTensor, newZeros, dataPtr, numel, ndim, dim, shapePtr, release, retain, dtypeOf, strideOf,
  elementShift, MAX_DIMS, F64, I32, BOOL, sizeBefore, sizeAfter, zerosLike,
} from "../tensors";
import { at, put, allocBuffer, freeBuffer, copyBytes } from "../memory";
import { recordN, input, needsGrad, paramI, paramF, setParamI, setParamF, setGrad, argAt, tangentAt } from "../graph";
import { Op } from "../generated/table";
import { gathered, copyInto } from "./views";
import { add, sub, mul, div, constant, addBoth, mulBoth, onesLike, tangentOrZeros } from "./elementwise";

// ---- walking an index tensor -----------------------------------------------------------
//
// The element-wise ops (gather, scatter) walk the index in row-major order with three
// cursors: into the indexed tensor (its strides, 0 along the indexed dim), into the index,
// and into the other side (gather's output, scatter's source).

const counter = heap.alloc(MAX_DIMS << 2);
const stridesA = heap.alloc(MAX_DIMS << 2);
const stridesI = heap.alloc(MAX_DIMS << 2);
const stridesS = heap.alloc(MAX_DIMS << 2);
let atA = 0, atI = 0, atS = 0;

// Cursor A over `indexed` (whose dim d is indexed), I over `index`, S over `other`.
function startWalk(indexed: i32, index: i32, other: i32, d: i32): void {
  for (let e = 0; e < ndim(index); e++) {
    put(counter, e, 0);
    put(stridesA, e, e == d ? 0 : strideOf(indexed, e));
    put(stridesI, e, strideOf(index, e));
    put(stridesS, e, strideOf(other, e));
  }
  atA = 0; atI = 0; atS = 0;
}

@inline function advance(shape: usize, rank: i32): void {
  for (let e = rank - 1; e >= 0; e--) {
    const c = at(counter, e) + 1;
    atA += at(stridesA, e); atI += at(stridesI, e); atS += at(stridesS, e);
    if (c < at(shape, e)) { put(counter, e, c); return; }
    put(counter, e, 0);
    atA -= at(stridesA, e) * c; atI -= at(stridesI, e) * c; atS -= at(stridesS, e) * c;
  }
}

@inline function wrapped(i: i32, size: i32): i32 {
  return i < 0 ? i + size : i;
}

let badIndex: i32 = 0;

/** The index found by the last failing indexOutOfRange. */
export function lastBadIndex(): i32 {
  return badIndex;
}

/** Whether some index of `index` lies outside [lo, hi) (the first one is kept for lastBadIndex). */
export function indexOutOfRange(index: i32, lo: i32, hi: i32): bool {
  const src = gathered(index);
  const p = dataPtr(src);
  let bad = false;
  for (let k = 0, n = numel(src); k < n; k++) {
    const v = load<i32>(p + (<usize>k << 2));
    if (v < lo || v >= hi) { badIndex = v; bad = true; break; }
  }
  if (src != index) release(src);
  return bad;
}

// ---- take: gather, index_select ----------------------------------------------------------

function gatherInto<T>(self: i32, index: i32, out: i32, d: i32): void {
  startWalk(self, index, out, d);
  const size = ndim(self) == 0 ? 1 : dim(self, d), step = ndim(self) == 0 ? 0 : strideOf(self, d);
  const ps = dataPtr(self), pi = dataPtr(index), po = dataPtr(out), width = <usize>sizeof<T>();
  for (let k = 0, n = numel(index); k < n; k++) {
    const i = wrapped(load<i32>(pi + (<usize>atI << 2)), size);
    store<T>(po + <usize>atS * width, load<T>(ps + <usize>(atA + i * step) * width));
    advance(shapePtr(index), ndim(index));
  }
}

/** out[..., j, ...] = self[..., index[..., j, ...], ...] along dim d: index's shape. */
export function gatherForward(op: i32, self: i32, index: i32, d: i32): i32 {
  const out = newTensor(ndim(index), shapePtr(index), dtypeOf(self));
  const shift = elementShift(dtypeOf(self)); // elements are moved as bytes of their width
  if (shift == 3) gatherInto<u64>(self, index, out, d);
  else if (shift == 2) gatherInto<u32>(self, index, out, d);
  else gatherInto<u8>(self, index, out, d);
  record(out, op, self, index, 0, d);
  return out;
}

/** The slices of self at index (1-D or 0-d) along dim d, in index's order. */
// out[o, j] = src[o, index[j]] for rows of `size` elements of type T.
function takeElements<T>(ps: usize, pi: usize, po: usize, outer: i32, size: i32, n: i32): void {
  const width = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const from = ps + <usize>o * <usize>size * width, to = po + <usize>o * <usize>n * width;
    for (let j = 0; j < n; j++) {
      const i = wrapped(load<i32>(pi + (<usize>j << 2)), size);
      store<T>(to + <usize>j * width, load<T>(from + <usize>i * width));
    }
  }
}

export function indexSelectForward(op: i32, self: i32, index: i32, d: i32): i32 {
  const rank = ndim(self);
  const n = numel(index);
  for (let e = 0; e < rank; e++) put(counter, e, e == d ? n : dim(self, e));
  const out = newTensor(rank, counter, dtypeOf(self));
  if (numel(out) > 0) {
    const src = gathered(self), idx = gathered(index);
    const size = rank == 0 ? 1 : dim(self, d);
    const outer = sizeBefore(self, d), inner = sizeAfter(self, d);
    const row = <usize>inner << elementShift(dtypeOf(self));
    const ps = dataPtr(src), pi = dataPtr(idx), po = dataPtr(out);
    // along the last dim each slice is one element (im2col's gather): typed moves, not copies
    if (inner == 1 && row == 4) takeElements<u32>(ps, pi, po, outer, size, n);
    else if (inner == 1 && row == 8) takeElements<u64>(ps, pi, po, outer, size, n);
    else {
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < n; j++) {
          const i = wrapped(load<i32>(pi + (<usize>j << 2)), size);
          copyBytes(po + <usize>(o * n + j) * row, ps + <usize>(o * size + i) * row, row);
        }
      }
    }
    if (src != self) release(src);
    if (idx != index) release(idx);
  }
  record(out, op, self, index, 0, d);
  return out;
}

// ---- put: scatter, scatter_add, index_copy, index_add ------------------------------------

// a + b, or for bools (u8) a or b.
@inline function added<T>(a: T, b: T): T {
  if (isInteger<T>() && sizeof<T>() == 1) return <T>(a | b);
  return a + b;
}

// How scatterInto combines a source element with its target: scatter writes, scatter_add
// adds, scatter_reduce's modes (the reduce codes the bindings pass) reduce. MEAN adds, and
// the sums are divided by their counts afterwards. AMAX and AMIN propagate NaN, as PyTorch.
export const SET = 0, ADD = 1, MUL = 2, MEAN = 3, AMAX = 4, AMIN = 5;

@inline function combined<T>(mode: i32, a: T, b: T): T {
  if (mode == ADD || mode == MEAN) return added<T>(a, b);
  if (mode == MUL) return isInteger<T>() && sizeof<T>() == 1 ? <T>(a & b) : a * b;
  if (mode == AMAX) return b != b ? b : a < b ? b : a;
  if (mode == AMIN) return b != b ? b : b < a ? b : a;
  return b;
}

// The value a target starts from when self is left out (include_self false).
@inline function identityOf<T>(mode: i32): T {
  if (mode == MUL) return <T>1;
  if (mode == AMAX) return isInteger<T>() ? <T>i32.MIN_VALUE : <T>-Infinity;
  if (mode == AMIN) return sizeof<T>() == 1 ? <T>1 : isInteger<T>() ? <T>i32.MAX_VALUE : <T>Infinity;
  return <T>0;
}

// out is a fresh contiguous copy of self, so a target's offset is its element number; counts
// (MEAN) holds an i32 per element of out.
function scatterInto<T>(out: i32, index: i32, src: i32, d: i32, mode: i32, includeSelf: bool = true, counts: usize = 0): void {
  const size = ndim(out) == 0 ? 1 : dim(out, d), step = ndim(out) == 0 ? 0 : strideOf(out, d);
  const po = dataPtr(out), pi = dataPtr(index), ps = dataPtr(src), width = <usize>sizeof<T>();
  const n = numel(index);
  if (!includeSelf) {
    startWalk(out, index, src, d);
    for (let k = 0; k < n; k++) {
      store<T>(po + <usize>(atA + wrapped(load<i32>(pi + (<usize>atI << 2)), size) * step) * width, identityOf<T>(mode));
      advance(shapePtr(index), ndim(index));
    }
  }
  startWalk(out, index, src, d);
  for (let k = 0; k < n; k++) {
    const offset = atA + wrapped(load<i32>(pi + (<usize>atI << 2)), size) * step;
    const target = po + <usize>offset * width;
    store<T>(target, combined<T>(mode, load<T>(target), load<T>(ps + <usize>atS * width)));
    if (counts != 0) store<i32>(counts + (<usize>offset << 2), load<i32>(counts + (<usize>offset << 2)) + 1);
    advance(shapePtr(index), ndim(index));
  }
}

// The sums of MEAN divided by their counts (a count of 0 taken as 1; integers rounded down).
function meanOf<T>(out: i32, counts: usize): void {
  const po = dataPtr(out), width = <usize>sizeof<T>();
  for (let k = 0, n = numel(out); k < n; k++) {
    const c = load<i32>(counts + (<usize>k << 2));
    if (c <= 1) continue;
    const p = po + <usize>k * width, v = load<T>(p);
    if (isInteger<T>()) store<T>(p, <T>Math.floor(<f64>v / <f64>c));
    else store<T>(p, v / <T>c);
  }
}

function copyOf(self: i32): i32 {
  const out = newTensor(ndim(self), shapePtr(self), dtypeOf(self));
  copyInto(out, self);
  return out;
}

/**
 * A copy of self with src[..., j, ...] written (Scatter) or added (ScatterAdd) at
 * [..., index[..., j, ...], ...] along dim d, for every element of index (src has index's
 * shape). With repeated indices Scatter keeps the last write.
 */
export function scatterForward(op: i32, self: i32, index: i32, src: i32, d: i32): i32 {
  const out = copyOf(self);
  const mode = op == Op.ScatterAdd ? ADD : SET;
  const dtype = dtypeOf(self);
  if (dtype == F64) scatterInto<f64>(out, index, src, d, mode);
  else if (dtype == I32) scatterInto<i32>(out, index, src, d, mode);
  else if (dtype == BOOL) scatterInto<u8>(out, index, src, d, mode);
  else scatterInto<f32>(out, index, src, d, mode);
  record(out, op, self, index, src, d);
  return out;
}

/**
 * A copy of self with each src[..., j, ...] reduced into [..., index[..., j, ...], ...] along
 * dim d (src has index's shape): sum, prod, mean, amax or amin (the codes above), self's
 * value included or not (`includeSelf`). A target no index names keeps self's value.
 */
export function scatterReduceForward(op: i32, self: i32, index: i32, src: i32, d: i32, reduce: i32, includeSelf: i32): i32 {
  const out = copyOf(self);
  const dtype = dtypeOf(self), n = numel(out);
  const counts = reduce == MEAN ? allocBuffer(<usize>n << 2) : 0;
  if (counts != 0) memory.fill(counts, 0, <usize>n << 2);
  if (counts != 0 && includeSelf != 0) for (let k = 0; k < n; k++) store<i32>(counts + (<usize>k << 2), 1);
  if (dtype == F64) scatterInto<f64>(out, index, src, d, reduce, includeSelf != 0, counts);
  else if (dtype == I32) scatterInto<i32>(out, index, src, d, reduce, includeSelf != 0, counts);
  else if (dtype == BOOL) scatterInto<u8>(out, index, src, d, reduce, includeSelf != 0, counts); // no mean: refused
  else scatterInto<f32>(out, index, src, d, reduce, includeSelf != 0, counts);
  if (counts != 0) {
    if (dtype == F64) meanOf<f64>(out, counts);
    else if (dtype == I32) meanOf<i32>(out, counts);
    else meanOf<f32>(out, counts);
    freeBuffer(counts, <usize>n << 2);
  }
  setParamI(out, 1, reduce);
  setParamI(out, 2, includeSelf);
  record(out, op, self, index, src, d);
  return out;
}

function putRows<T>(out: i32, index: i32, source: i32, d: i32, accumulate: bool, alpha: T): void {
  const rank = ndim(out), n = numel(index);
  const size = rank == 0 ? 1 : dim(out, d);
  const outer = sizeBefore(out, d), inner = sizeAfter(out, d);
  const width = <usize>sizeof<T>();
  const po = dataPtr(out), pi = dataPtr(index), ps = dataPtr(source);
  if (inner == 1 && accumulate) { // along the last dim (col2im's sum): one element per slice
    for (let o = 0; o < outer; o++) {
      const to = po + <usize>o * <usize>size * width, from = ps + <usize>o * <usize>n * width;
      for (let j = 0; j < n; j++) {
        const at_ = to + <usize>wrapped(load<i32>(pi + (<usize>j << 2)), size) * width;
        store<T>(at_, added<T>(load<T>(at_), alpha * load<T>(from + <usize>j * width)));
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const i = wrapped(load<i32>(pi + (<usize>j << 2)), size);
      const to = po + <usize>((o * size + i) * inner) * width, from = ps + <usize>((o * n + j) * inner) * width;
      if (!accumulate) { copyBytes(to, from, <usize>inner * width); continue; }
      for (let k = 0; k < inner; k++) {
        const at_ = to + <usize>k * width;
        store<T>(at_, added<T>(load<T>(at_), alpha * load<T>(from + <usize>k * width)));
      }
    }
  }
}

/**
 * A copy of self with the slices of source copied (IndexCopy) or added, times alpha
 * (IndexAdd), at the positions index (1-D or 0-d) gives along dim d.
 */
export function indexPutForward(op: i32, self: i32, index: i32, source: i32, d: i32, alpha: f64 = 1): i32 { // IndexCopy has no alpha
  const out = copyOf(self);
  if (numel(out) > 0) {
    const src = gathered(source), idx = gathered(index);
    const accumulate = op == Op.IndexAdd;
    const dtype = dtypeOf(self);
    if (dtype == F64) putRows<f64>(out, idx, src, d, accumulate, alpha);
    else if (dtype == I32) putRows<i32>(out, idx, src, d, accumulate, <i32>alpha);
    else if (dtype == BOOL) putRows<u8>(out, idx, src, d, accumulate, 1);
    else putRows<f32>(out, idx, src, d, accumulate, <f32>alpha);
    if (src != source) release(src);
    if (idx != index) release(idx);
  }
  setParamF(out, 1, alpha);
  record(out, op, self, index, source, d);
  return out;
}

const inputs = heap.alloc(12);

function record(out: i32, op: i32, self: i32, index: i32, src: i32, d: i32): bool {
  store<i32>(inputs, self);
  store<i32>(inputs, index, 4);
  store<i32>(inputs, src, 8);
  setParamI(out, 0, d);
  return recordN(out, op, inputs, src == 0 ? 2 : 3);
}

// ---- backward rules ------------------------------------------------------------------------

// The gradient of what was taken goes back to where it was taken from, added up where an
// index repeats.
export function gatherBackward(t: i32, g: i32, grads: usize): void {
  const zeros = zerosLikeOf(input(t, 0), g);
  setGrad(grads, 0, scatterForward(Op.ScatterAdd, zeros, input(t, 1), g, paramI(t, 0)));
  release(zeros);
}

export function indexSelectBackward(t: i32, g: i32, grads: usize): void {
  const zeros = zerosLikeOf(input(t, 0), g);
  setGrad(grads, 0, indexPutForward(Op.IndexAdd, zeros, input(t, 1), g, paramI(t, 0), 1));
  release(zeros);
}

// Zeros of x's shape in g's dtype.
function zerosLikeOf(x: i32, g: i32): i32 {
  return newZeros(ndim(x), shapePtr(x), dtypeOf(g));
}

// What was put takes the gradient at its target; self keeps it elsewhere (all of it when
// adding, none where overwritten).
export function scatterAddBackward(t: i32, g: i32, grads: usize): void {
  if (needsGrad(t, 0)) { retain(g); setGrad(grads, 0, g); }
  if (needsGrad(t, 2)) setGrad(grads, 2, gatherForward(Op.Gather, g, input(t, 1), paramI(t, 0)));
}

export function scatterBackward(t: i32, g: i32, grads: usize): void {
  const index = input(t, 1), d = paramI(t, 0);
  if (needsGrad(t, 0)) {
    const zeros = zerosLikeOf(index, g);
    setGrad(grads, 0, scatterForward(Op.Scatter, g, index, zeros, d));
    release(zeros);
  }
  if (needsGrad(t, 2)) setGrad(grads, 2, gatherForward(Op.Gather, g, index, d));
}

// ---- scatter_reduce's gradients (PyTorch 1.13's scatter_reduce_backward) ------------------

// 1 where a equals b (of a's shape), or where b is 0 the value `value`; 0 elsewhere: a constant.
function matchMask<T>(a: i32, b: i32, value: f64, out: i32): void {
  const pa = dataPtr(a), pb: usize = b == 0 ? 0 : dataPtr(b), po = dataPtr(out), width = <usize>sizeof<T>();
  const f64s = dtypeOf(out) == F64;
  for (let k = 0, n = numel(a); k < n; k++) {
    const x = load<T>(pa + <usize>k * width), y = pb == 0 ? <T>value : load<T>(pb + <usize>k * width);
    if (f64s) store<f64>(po + (<usize>k << 3), x == y ? 1 : 0);
    else store<f32>(po + (<usize>k << 2), x == y ? 1 : 0);
  }
}

function equalMask(a: i32, b: i32, dtype: i32, value: f64 = 0): i32 {
  const out = newTensor(ndim(a), shapePtr(a), dtype);
  const ga = gathered(a), gb = b == 0 ? 0 : gathered(b);
  if (dtypeOf(a) == F64) matchMask<f64>(ga, gb, value, out);
  else matchMask<f32>(ga, gb, value, out);
  if (ga != a) release(ga);
  if (gb != b) release(gb);
  return out;
}

// 1 - mask (mask a constant 0/1 tensor).
function notMask(mask: i32): i32 {
  const one = constant(1, dtypeOf(mask));
  const r = sub(one, mask);
  release(one);
  return r;
}

// x with its elements at mask's ones replaced by 1, recorded (its gradient 0 there).
function onesWhere(x: i32, mask: i32): i32 {
  const keep = notMask(mask);
  const kept = mul(x, keep);
  const r = add(kept, mask);
  release(keep); release(kept);
  return r;
}

// g with zeros at the targets of index (the gradient of a left-out self).
function zeroTargets(g: i32, index: i32, d: i32): i32 {
  const zeros = zerosLikeOf(index, g);
  const r = scatterForward(Op.Scatter, g, index, zeros, d);
  release(zeros);
  return r;
}

// Stores self's gradient (taking gradSelf's reference), zero at the targets when self was left out.
function setSelfGrad(grads: usize, gradSelf: i32, index: i32, d: i32, includeSelf: bool): void {
  if (includeSelf) { setGrad(grads, 0, gradSelf); return; }
  setGrad(grads, 0, zeroTargets(gradSelf, index, d));
  release(gradSelf);
}

// How many elements each target of a mean reduced: 1 for self where included, plus its
// sources; a target with none counts 1. A constant of self's shape.
function countsOf(self: i32, index: i32, d: i32, dtype: i32, includeSelf: bool): i32 {
  const zeros = newZeros(ndim(self), shapePtr(self), dtype);
  const base = includeSelf ? notMask(zeros) : zeros;
  if (includeSelf) release(zeros);
  const none = newZeros(ndim(index), shapePtr(index), dtype);
  const ones = notMask(none);
  const counts = scatterForward(Op.ScatterAdd, base, index, ones, d);
  const empty = equalMask(counts, 0, dtype);
  const r = add(counts, empty);
  release(base); release(none); release(ones); release(counts); release(empty);
  return r;
}

export function scatterReduceBackward(t: i32, g: i32, grads: usize): void {
  const self = input(t, 0), index = input(t, 1), src = input(t, 2);
  const d = paramI(t, 0), reduce = paramI(t, 1), includeSelf = paramI(t, 2) != 0;
  const dtype = dtypeOf(g);
  if (reduce == ADD) {
    if (needsGrad(t, 0)) { retain(g); setSelfGrad(grads, g, index, d, includeSelf); }
    if (needsGrad(t, 2)) setGrad(grads, 2, gatherForward(Op.Gather, g, index, d));
  } else if (reduce == MEAN) {
    const counts = countsOf(self, index, d, dtype, includeSelf);
    const shared = div(g, counts);
    if (needsGrad(t, 2)) setGrad(grads, 2, gatherForward(Op.Gather, shared, index, d));
    if (needsGrad(t, 0)) setSelfGrad(grads, shared, index, d, includeSelf);
    else release(shared);
    release(counts);
  } else if (reduce == AMAX || reduce == AMIN) {
    // the elements equal to their target's result share its gradient evenly
    const result = scatterReduceForward(Op.ScatterReduce, self, index, src, d, reduce, includeSelf ? 1 : 0);
    const value = gatherForward(Op.Gather, result, index, d);
    const selfIs = equalMask(self, result, dtype), srcIs = equalMask(src, value, dtype);
    release(result);
    const ties = scatterForward(Op.ScatterAdd, selfIs, index, srcIs, d);
    const shared = div(g, ties);
    if (needsGrad(t, 2)) setGrad(grads, 2, mulBoth(gatherForward(Op.Gather, shared, index, d), srcIs));
    else release(srcIs);
    if (needsGrad(t, 0)) setSelfGrad(grads, mulBoth(shared, selfIs), index, d, includeSelf);
    else { release(shared); release(selfIs); }
    release(value); release(ties);
  } else {
    if (needsGrad(t, 0)) setSelfGrad(grads, prodSelfGrad(g, self, index, src, d, includeSelf), index, d, includeSelf);
    if (needsGrad(t, 2)) setGrad(grads, 2, prodSrcGrad(g, self, index, src, d, includeSelf));
  }
}

// Each factor's gradient is the product of the others: g * result / factor, computed with
// the factor replaced by 1 where it is zero (self) or its target's only zero (src), so that
// nothing is divided by 0. Where two zeros of src meet, the gradient is 0, as PyTorch's
// first derivative (PyTorch refuses the double backward there).
function prodSelfGrad(g: i32, self: i32, index: i32, src: i32, d: i32, includeSelf: bool): i32 {
  const selfZero = equalMask(self, 0, dtypeOf(g));
  const maskedSelf = onesWhere(self, selfZero);
  const others = scatterReduceForward(Op.ScatterReduce, maskedSelf, index, src, d, MUL, includeSelf ? 1 : 0);
  const scaled = mul(g, others);
  const r = div(scaled, maskedSelf);
  release(selfZero); release(maskedSelf); release(others); release(scaled);
  return r;
}

function prodSrcGrad(g: i32, self: i32, index: i32, src: i32, d: i32, includeSelf: bool): i32 {
  const dtype = dtypeOf(g);
  const srcZero = equalMask(src, 0, dtype);
  const zeros = zerosLikeOf(self, g);
  const zerosPerTarget = scatterForward(Op.ScatterAdd, zeros, index, srcZero, d);
  const zerosAt = gatherForward(Op.Gather, zerosPerTarget, index, d);
  const oneZeroAt = equalMask(zerosAt, 0, dtype, 1);
  const single = mul(srcZero, oneZeroAt); // src is its target's only zero
  release(zeros); release(zerosPerTarget); release(zerosAt); release(oneZeroAt);
  // where single: the product of the others, with this factor taken as 1
  const maskedSrc = onesWhere(src, single);
  const notSingle = notMask(single);
  const others = scatterReduceForward(Op.ScatterReduce, self, index, maskedSrc, d, MUL, includeSelf ? 1 : 0);
  const scaledOthers = mul(g, others);
  const fromSingle = mulBoth(gatherForward(Op.Gather, scaledOthers, index, d), single);
  release(maskedSrc); release(others); release(scaledOthers);
  // elsewhere: g * result / src (0 where other zeros meet)
  const result = scatterReduceForward(Op.ScatterReduce, self, index, src, d, MUL, includeSelf ? 1 : 0);
  const scaled = mul(g, result);
  release(result);
  const divisor = onesWhere(src, srcZero);
  const taken = gatherForward(Op.Gather, scaled, index, d);
  const fromOthers = mulBoth(div(taken, divisor), notSingle);
  release(scaled); release(taken); release(divisor); release(srcZero);
  return addBoth(fromSingle, fromOthers);
}

export function indexAddBackward(t: i32, g: i32, grads: usize): void {
  const index = input(t, 1), d = paramI(t, 0), alpha = paramF(t, 1);
  if (needsGrad(t, 0)) { retain(g); setGrad(grads, 0, g); }
  if (!needsGrad(t, 2)) return;
  const taken = indexSelectForward(Op.IndexSelect, g, index, d);
  if (alpha == 1) { setGrad(grads, 2, taken); return; }
  const c = constant(alpha, dtypeOf(g));
  setGrad(grads, 2, mul(taken, c));
  release(c); release(taken);
}

export function indexCopyBackward(t: i32, g: i32, grads: usize): void {
  const index = input(t, 1), d = paramI(t, 0);
  if (needsGrad(t, 0)) {
    const zeros = zerosLikeOf(input(t, 2), g);
    setGrad(grads, 0, indexPutForward(Op.IndexCopy, g, index, zeros, d, 1));
    release(zeros);
  }
  if (needsGrad(t, 2)) setGrad(grads, 2, indexSelectForward(Op.IndexSelect, g, index, d));
}

// ---- nonzero -----------------------------------------------------------------------------

/** The number of nonzero elements of x (NaN counts), any dtype. */
function countNonzero<T>(p: usize, n: i32): i32 {
  let c = 0;
  for (let k = 0; k < n; k++) if (load<T>(p + (<usize>k * sizeof<T>())) != <T>0) c++;
  return c;
}

function nonzeroInto<T>(x: i32, out: i32): void {
  const rank = ndim(x), p = dataPtr(x), po = dataPtr(out);
  for (let e = 0; e < rank; e++) put(counter, e, 0);
  let row = 0;
  for (let k = 0, n = numel(x); k < n; k++) {
    if (load<T>(p + (<usize>k * sizeof<T>())) != <T>0) {
      for (let e = 0; e < rank; e++) store<i32>(po + (<usize>(row * rank + e) << 2), at(counter, e));
      row++;
    }
    for (let e = rank - 1; e >= 0; e--) {
      const c = at(counter, e) + 1;
      if (c < dim(x, e)) { put(counter, e, c); break; }
      put(counter, e, 0);
    }
  }
}

/** The coordinates of x's nonzero elements in row-major order: int32 [count, ndim(x)]. */
export function nonzeroForward(op: i32, x: i32): i32 {
  const src = gathered(x);
  const dtype = dtypeOf(x), p = dataPtr(src), n = numel(src);
  const count = dtype == F64 ? countNonzero<f64>(p, n) : dtype == BOOL ? countNonzero<u8>(p, n) :
    dtype == I32 ? countNonzero<i32>(p, n) : countNonzero<f32>(p, n);
  put(stridesA, 0, count);
  put(stridesA, 1, ndim(x));
  const out = newTensor(2, stridesA, I32);
  if (dtype == F64) nonzeroInto<f64>(src, out);
  else if (dtype == BOOL) nonzeroInto<u8>(src, out);
  else if (dtype == I32) nonzeroInto<i32>(src, out);
  else nonzeroInto<f32>(src, out);
  if (src != x) release(src);
  return out;
}

// ---- forward-mode rules ------------------------------------------------------------------
// Taking and putting are linear in the values moved: each op applied to the tangents (zeros
// for an input without one) is the output's tangent. scatter_reduce is not; see its rule.

export function gatherJvp(out: i32, args: usize, tangents: usize): i32 {
  return gatherForward(Op.Gather, tangentAt(tangents, 0), argAt(args, 1), paramI(out, 0));
}

export function indexSelectJvp(out: i32, args: usize, tangents: usize): i32 {
  return indexSelectForward(Op.IndexSelect, tangentAt(tangents, 0), argAt(args, 1), paramI(out, 0));
}

function putTangents(op: i32, out: i32, args: usize, tangents: usize, alpha: f64): i32 {
  const self = tangentOrZeros(args, tangents, 0), source = tangentOrZeros(args, tangents, 2);
  const index = argAt(args, 1), d = paramI(out, 0);
  const t = op == Op.Scatter || op == Op.ScatterAdd
    ? scatterForward(op, self, index, source, d)
    : indexPutForward(op, self, index, source, d, alpha);
  release(self); release(source);
  return t;
}

export function scatterJvp(out: i32, args: usize, tangents: usize): i32 { return putTangents(Op.Scatter, out, args, tangents, 1); }
export function scatterAddJvp(out: i32, args: usize, tangents: usize): i32 { return putTangents(Op.ScatterAdd, out, args, tangents, 1); }
export function indexCopyJvp(out: i32, args: usize, tangents: usize): i32 { return putTangents(Op.IndexCopy, out, args, tangents, 1); }
export function indexAddJvp(out: i32, args: usize, tangents: usize): i32 {
  return putTangents(Op.IndexAdd, out, args, tangents, paramF(out, 1));
}

const reduceGrads = heap.alloc(3 << 2);

// Every element of self and src lands in one target, so the backward rule run on ones gives
// each element's derivative of its target; their products with the tangents, added up per
// target, are the tangent (for every reduction: sum, prod, mean, amax and amin).
export function scatterReduceJvp(out: i32, args: usize, tangents: usize): i32 {
  const g = onesLike(out);
  memory.fill(reduceGrads, 0, 3 << 2);
  scatterReduceBackward(out, g, reduceGrads);
  release(g);
  const dSelf = load<i32>(reduceGrads), dSrc = load<i32>(reduceGrads, 8);
  const ts = tangentAt(tangents, 0), tv = tangentAt(tangents, 2);
  let t = ts != 0 ? mul(dSelf, ts) : zerosLike(out);
  if (tv != 0) {
    const moved = mul(dSrc, tv);
    const sum = scatterForward(Op.ScatterAdd, t, argAt(args, 1), moved, paramI(out, 0));
    release(moved); release(t);
    t = sum;
  }
  if (dSelf != 0) release(dSelf);
  if (dSrc != 0) release(dSrc);
  return t;
}
