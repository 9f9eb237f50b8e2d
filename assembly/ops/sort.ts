// Sorting along one dim: sort and topk. Each row of x (seen as [outer, len, inner], a row
// being the len elements of one inner column) is sorted as (key, position) pairs by a
// least-significant-digit radix sort on order-preserving integer keys: stable (ties keep
// their order), linear in the row's length. NaN sorts as the largest value, as in PyTorch. The first `count` pairs of each row are written out:
// the values into the output, the positions into an int32 tensor the bindings pass in.
// The gradient of the values goes back to those positions (a recorded scatter_add).

import {
  newTensor, newZeros, dataPtr, numel, ndim, dim, shapePtr, dtypeOf, release, F64, I32, sizeBefore, sizeAfter,
} from "../tensors";
import { allocBuffer, freeBuffer } from "../memory";
import { record2, input, paramI, setParamI, setGrad } from "../graph";
import { Op } from "../generated/table";
import { gathered, reshapeViewLike } from "./views";
import { scatterForward, gatherJvp } from "./index";
import { expand } from "./reduce";
import { scratch } from "../scratch";

// Each value becomes an unsigned key K (u32 for f32 and i32, u64 for f64) whose unsigned
// order is the order asked for: the sign bit flipped for integers; for floats the negatives'
// bits inverted and the positives' sign bit set, -0 taken as +0 (they are equal) and every
// NaN as the largest key; all bits inverted when descending.
@inline function keyOf<T, K>(v: T, descending: bool): K {
  let key: K;
  if (isInteger<T>()) {
    key = <K>(<u32>v ^ 0x80000000);
  } else if (v != v) {
    key = <K>-1;
  } else {
    const bits = v == <T>0 ? <K>0 : reinterpret<K>(v);
    const sign = <K>1 << <K>(sizeof<K>() * 8 - 1);
    key = (bits & sign) != 0 ? ~bits : bits | sign;
  }
  return descending ? ~key : key;
}

const SMALL = 32; // rows up to this length are sorted by insertion
const RADIX = 256;
const counts = heap.alloc(RADIX << 2);

// Sorts keys[0, n) with their positions pos[0, n) by insertion (stable).
function insertionSort<K>(keys: usize, pos: usize, n: i32): void {
  const size = <usize>sizeof<K>();
  for (let i = 1; i < n; i++) {
    const k = load<K>(keys + <usize>i * size), p = load<i32>(pos + (<usize>i << 2));
    let j = i - 1;
    while (j >= 0 && k < load<K>(keys + <usize>j * size)) {
      store<K>(keys + <usize>(j + 1) * size, load<K>(keys + <usize>j * size));
      store<i32>(pos + (<usize>(j + 1) << 2), load<i32>(pos + (<usize>j << 2)));
      j--;
    }
    store<K>(keys + <usize>(j + 1) * size, k);
    store<i32>(pos + (<usize>(j + 1) << 2), p);
  }
}

// One stable counting pass of an LSD radix sort on byte `b` of the keys, from (keys, pos)
// into (toKeys, toPos); false (and nothing moved) when every key has the same byte there.
function radixPass<K>(keys: usize, pos: usize, toKeys: usize, toPos: usize, n: i32, b: i32): bool {
  const size = <usize>sizeof<K>(), shift = <K>(b << 3);
  memory.fill(counts, 0, RADIX << 2);
  for (let i = 0; i < n; i++) {
    const at = counts + (<usize>((load<K>(keys + <usize>i * size) >> shift) & 255) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  if (load<i32>(counts + (<usize>((load<K>(keys) >> shift) & 255) << 2)) == n) return false;
  let total = 0;
  for (let r = 0; r < RADIX; r++) {
    const c = load<i32>(counts + (<usize>r << 2));
    store<i32>(counts + (<usize>r << 2), total);
    total += c;
  }
  for (let i = 0; i < n; i++) {
    const key = load<K>(keys + <usize>i * size);
    const at = counts + (<usize>((key >> shift) & 255) << 2);
    const to = load<i32>(at);
    store<i32>(at, to + 1);
    store<K>(toKeys + <usize>to * size, key);
    store<i32>(toPos + (<usize>to << 2), load<i32>(pos + (<usize>i << 2)));
  }
  return true;
}

// Sorts n (key, position) pairs, stably: a radix sort (linear in n), or insertion for short
// rows. Returns whether the sorted positions ended in the spare buffer.
function sortPairs<K>(keys: usize, pos: usize, spareKeys: usize, sparePos: usize, n: i32): bool {
  if (n <= SMALL) { insertionSort<K>(keys, pos, n); return false; }
  let inSpare = false;
  for (let b = 0; b < sizeof<K>(); b++) {
    const moved = inSpare
      ? radixPass<K>(spareKeys, sparePos, keys, pos, n, b)
      : radixPass<K>(keys, pos, spareKeys, sparePos, n, b);
    if (moved) inSpare = !inSpare;
  }
  return inSpare;
}

// The sort keys of a row of len elements, `step` bytes apart, with their positions 0..len-1;
// returns whether the row holds a NaN.
@inline function loadKeys<T, K>(row: usize, step: usize, len: i32, keys: usize, pos: usize, descending: bool): bool {
  let hasNaN = false;
  for (let r = 0; r < len; r++) {
    const v = load<T>(row + <usize>r * step);
    hasNaN = hasNaN || v != v;
    store<K>(keys + <usize>r * sizeof<K>(), keyOf<T, K>(v, descending));
    store<i32>(pos + (<usize>r << 2), r);
  }
  return hasNaN;
}

// Sorts each row of src [outer, len, inner] and writes its first `count` values and
// positions to values and positions [outer, count, inner].
function sortRows<T, K>(src: usize, values: usize, positions: usize, outer: i32, len: i32, inner: i32, count: i32, descending: bool): void {
  const size = <usize>sizeof<T>(), keySize = <usize>sizeof<K>();
  const keyBytes = <usize>len * keySize, posBytes = <usize>len << 2;
  const keys = allocBuffer(keyBytes), spareKeys = allocBuffer(keyBytes);
  const pos = allocBuffer(posBytes), sparePos = allocBuffer(posBytes);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const row = src + <usize>(o * len * inner + c) * size, step = <usize>inner * size;
      loadKeys<T, K>(row, step, len, keys, pos, descending);
      const sorted = sortPairs<K>(keys, pos, spareKeys, sparePos, len) ? sparePos : pos;
      const at = <usize>(o * count * inner + c);
      for (let k = 0; k < count; k++) {
        const out = at + <usize>(k * inner), p = load<i32>(sorted + (<usize>k << 2));
        store<T>(values + out * size, load<T>(row + <usize>p * step));
        store<i32>(positions + (out << 2), p);
      }
    }
  }
  freeBuffer(keys, keyBytes); freeBuffer(spareKeys, keyBytes);
  freeBuffer(pos, posBytes); freeBuffer(sparePos, posBytes);
}

/**
 * The values of x sorted along dim d (`descending` or ascending), the first
 * dim(indices, d) of each row: sort (all of them) and topk. Their positions along d are
 * written into `indices` (int32, of the output's shape), which the bindings allocate.
 */
export function sortForward(op: i32, x: i32, indices: i32, d: i32, descending: i32): i32 {
  const out = newTensor(ndim(indices), shapePtr(indices), dtypeOf(x));
  const outer = sizeBefore(x, d), inner = sizeAfter(x, d);
  const len = ndim(x) == 0 ? 1 : dim(x, d), count = ndim(x) == 0 ? 1 : dim(indices, d);
  if (numel(out) > 0) {
    const src = gathered(x), ps = dataPtr(src), pv = dataPtr(out), pi = dataPtr(indices);
    const down = descending != 0;
    if (dtypeOf(x) == F64) sortRows<f64, u64>(ps, pv, pi, outer, len, inner, count, down);
    else if (dtypeOf(x) == I32) sortRows<i32, u32>(ps, pv, pi, outer, len, inner, count, down);
    else sortRows<f32, u32>(ps, pv, pi, outer, len, inner, count, down);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  setParamI(out, 1, descending);
  record2(out, op, x, indices);
  return out;
}

// The values' gradient, put back where each value came from: zeros of x's shape with g
// added at the indices along d (scatter_add, so that create_graph records it).
export function sortBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  const zeros = newZeros(ndim(x), shapePtr(x), dtypeOf(g));
  setGrad(grads, 0, scatterForward(Op.ScatterAdd, zeros, input(t, 1), g, paramI(t, 0)));
  release(zeros);
}

// ---- one element of each row: kthvalue, median, nanmedian, mode --------------------------

const KTH = 0, MEDIAN = 1, NANMEDIAN = 2, MODE = 3;

// Moves the k-th smallest key of keys[0, n) to place k, with its position: PyTorch's
// quick_select_template step for step (median-of-three pivot), so that among tied values
// the same position is chosen. Keys order NaN above everything and equal to NaN, which is
// PyTorch's `gt_or_nan` comparison.
function quickSelect<K>(keys: usize, pos: usize, n: i32, k: i32): void {
  const size = <usize>sizeof<K>();
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    if (hi == lo + 1) {
      if (load<K>(keys + <usize>lo * size) > load<K>(keys + <usize>hi * size)) swapPair<K>(keys, pos, lo, hi);
      return;
    }
    swapPair<K>(keys, pos, lo + (hi - lo) / 2, lo + 1);
    if (load<K>(keys + <usize>(lo + 1) * size) > load<K>(keys + <usize>hi * size)) swapPair<K>(keys, pos, lo + 1, hi);
    if (load<K>(keys + <usize>lo * size) > load<K>(keys + <usize>hi * size)) swapPair<K>(keys, pos, lo, hi);
    if (load<K>(keys + <usize>(lo + 1) * size) > load<K>(keys + <usize>lo * size)) swapPair<K>(keys, pos, lo + 1, lo);
    let i = lo + 1, j = hi;
    const pivot = load<K>(keys + <usize>lo * size);
    while (true) {
      do i++; while (pivot > load<K>(keys + <usize>i * size));
      do j--; while (load<K>(keys + <usize>j * size) > pivot);
      if (j < i) break;
      swapPair<K>(keys, pos, i, j);
    }
    swapPair<K>(keys, pos, lo, j);
    if (j <= k) lo = i;
    if (j >= k) hi = j - 1;
  }
}

@inline function swapPair<K>(keys: usize, pos: usize, a: i32, b: i32): void {
  const size = <usize>sizeof<K>();
  const ka = load<K>(keys + <usize>a * size), pa = load<i32>(pos + (<usize>a << 2));
  store<K>(keys + <usize>a * size, load<K>(keys + <usize>b * size));
  store<i32>(pos + (<usize>a << 2), load<i32>(pos + (<usize>b << 2)));
  store<K>(keys + <usize>b * size, ka);
  store<i32>(pos + (<usize>b << 2), pa);
}

// The place in the stably sorted row whose element `kind` picks: the median (the first NaN
// when there is one), the median of the non-NaN elements (the first NaN when all are), or
// the last element of the longest run of equal values (the smallest value among the
// longest; NaNs never equal), as PyTorch's median, nanmedian and mode do.
function pickSorted<K>(keys: usize, n: i32, kind: i32, hasNaN: bool): i32 {
  const size = <usize>sizeof<K>(), nan = <K>-1;
  let numbers = n;
  if (hasNaN) while (numbers > 0 && load<K>(keys + <usize>(numbers - 1) * size) == nan) numbers--;
  if (kind == MEDIAN) return numbers < n ? numbers : (n - 1) / 2;
  if (kind == NANMEDIAN) return numbers == 0 ? 0 : (numbers - 1) / 2;
  let best = 0, bestRun = 0, run = 0;
  for (let k = 0; k < n; k++) {
    run++;
    const key = load<K>(keys + <usize>k * size);
    const ends = k == n - 1 || k >= numbers || load<K>(keys + <usize>(k + 1) * size) != key;
    if (ends) {
      if (run > bestRun) { best = k; bestRun = run; }
      run = 0;
    }
  }
  return best;
}

// For each row of src [outer, len, inner], the element `kind` picks (the k-th smallest for
// KTH) and its position, into values and positions [outer, 1, inner].
function selectRows<T, K>(src: usize, values: usize, positions: usize, outer: i32, len: i32, inner: i32, k: i32, kind: i32): void {
  const size = <usize>sizeof<T>(), keySize = <usize>sizeof<K>();
  const keyBytes = <usize>len * keySize, posBytes = <usize>len << 2;
  const keys = allocBuffer(keyBytes), spareKeys = allocBuffer(keyBytes);
  const pos = allocBuffer(posBytes), sparePos = allocBuffer(posBytes);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const row = src + <usize>(o * len * inner + c) * size, step = <usize>inner * size;
      const hasNaN = loadKeys<T, K>(row, step, len, keys, pos, false);
      let p: i32;
      if (kind == KTH) {
        quickSelect<K>(keys, pos, len, k);
        p = load<i32>(pos + (<usize>k << 2));
      } else {
        const inSpare = sortPairs<K>(keys, pos, spareKeys, sparePos, len);
        p = load<i32>((inSpare ? sparePos : pos) + (<usize>pickSorted<K>(inSpare ? spareKeys : keys, len, kind, hasNaN) << 2));
      }
      const out = <usize>(o * inner + c);
      store<T>(values + out * size, load<T>(row + <usize>p * step));
      store<i32>(positions + (out << 2), p);
    }
  }
  freeBuffer(keys, keyBytes); freeBuffer(spareKeys, keyBytes);
  freeBuffer(pos, posBytes); freeBuffer(sparePos, posBytes);
}

/**
 * One element of each row of x along dim d, chosen by `kind` (0: the k-th smallest, k
 * counted from 0; 1: the median; 2: the median of the non-NaN; 3: the most frequent), with
 * its position along d written into `indices` (int32, x's shape with size 1 at d), which
 * the bindings allocate. The output's shape (of rank `rank`: with or without that 1) is in
 * the core's scratch. The rows are not empty.
 */
export function pickForward(op: i32, x: i32, indices: i32, d: i32, k: i32, kind: i32, rank: i32): i32 {
  const out = newTensor(rank, scratch, dtypeOf(x));
  const outer = sizeBefore(x, d), inner = sizeAfter(x, d);
  const len = ndim(x) == 0 ? 1 : dim(x, d);
  if (numel(out) > 0) {
    const src = gathered(x), ps = dataPtr(src), pv = dataPtr(out), pi = dataPtr(indices);
    if (dtypeOf(x) == F64) selectRows<f64, u64>(ps, pv, pi, outer, len, inner, k, kind);
    else if (dtypeOf(x) == I32) selectRows<i32, u32>(ps, pv, pi, outer, len, inner, k, kind);
    else selectRows<f32, u32>(ps, pv, pi, outer, len, inner, k, kind);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  record2(out, op, x, indices);
  return out;
}

// The chosen elements' gradient, put back where each came from: g given the size-1 dim d
// again (when the output dropped it), then added at the indices (a recorded scatter_add).
export function pickBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), indices = input(t, 1), d = paramI(t, 0);
  const kept = expand(g, ndim(x) == 0 ? 0 : 1 << d, ndim(indices), shapePtr(indices));
  const zeros = newZeros(ndim(x), shapePtr(x), dtypeOf(g));
  setGrad(grads, 0, scatterForward(Op.ScatterAdd, zeros, indices, kept, d));
  release(zeros); release(kept);
}

// ---- searchsorted ------------------------------------------------------------------------

// The first position in row[0, len) whose value is >= v (`right`: > v), PyTorch's binary
// search: written with negated comparisons so that a NaN value lands past the end.
@inline function boundOf<T>(row: usize, len: i32, v: T, right: bool): i32 {
  let start = 0, end = len;
  while (start < end) {
    const mid = start + ((end - start) >> 1);
    const m = load<T>(row + (<usize>mid * sizeof<T>()));
    if (right ? !(m > v) : !(m >= v)) start = mid + 1;
    else end = mid;
  }
  return start;
}

function searchRows<T>(seq: i32, values: i32, out: i32, right: bool): void {
  const len = dim(seq, ndim(seq) - 1);
  const perRow = ndim(seq) == 1 ? numel(values) : dim(values, ndim(values) - 1); // values per sequence
  const ps = dataPtr(seq), pv = dataPtr(values), po = dataPtr(out);
  for (let k = 0, n = numel(values); k < n; k++) {
    const row = ps + <usize>((k / perRow) * len) * sizeof<T>();
    store<i32>(po + (<usize>k << 2), boundOf<T>(row, len, load<T>(pv + <usize>k * sizeof<T>()), right));
  }
}

/**
 * For each value, its insertion position (int32) in the sorted last dim of seq: seq is 1-D,
 * or its leading dims are the values' leading dims (the bindings check this and give both
 * one dtype). Not differentiable.
 */
export function searchsortedForward(op: i32, seq: i32, values: i32, right: i32): i32 {
  const out = newTensor(ndim(values), shapePtr(values), I32);
  if (numel(out) > 0) {
    const s = gathered(seq), v = gathered(values);
    if (dtypeOf(seq) == F64) searchRows<f64>(s, v, out, right != 0);
    else if (dtypeOf(seq) == I32) searchRows<i32>(s, v, out, right != 0);
    else searchRows<f32>(s, v, out, right != 0);
    if (s != seq) release(s);
    if (v != values) release(v);
  }
  return out;
}

// ---- forward-mode rules ------------------------------------------------------------------
// Each value chosen carries the tangent of the element it was taken from.

// (The indices are input 1 and the dim parameter 0, as gather's.)
export function sortJvp(out: i32, args: usize, tangents: usize): i32 {
  return gatherJvp(out, args, tangents);
}

export function pickJvp(out: i32, args: usize, tangents: usize): i32 {
  const taken = gatherJvp(out, args, tangents);
  const t = reshapeViewLike(taken, out); // without the size-1 dim when the output dropped it
  release(taken);
  return t;
}
