// Sorting along one dim: sort and topk. Each row of x (seen as [outer, len, inner], a row
// being the len elements of one inner column) is merge-sorted as (value, position) pairs,
// which keeps ties in their order (a stable sort) and takes O(n log n) per row. NaN sorts
// as the largest value, as in PyTorch. The first `count` pairs of each row are written out:
// the values into the output, the positions into an int32 tensor the bindings pass in.
// The gradient of the values goes back to those positions (a recorded scatter_add).

import { newTensor, newZeros, dataPtr, numel, ndim, dim, shapePtr, dtypeOf, release, F64, I32 } from "../tensors";
import { allocBuffer, freeBuffer } from "../memory";
import { record2, input, paramI, setParamI, setGrad } from "../graph";
import { Op } from "../generated/table";
import { gathered } from "./views";
import { scatterForward } from "./index";

// Whether a comes strictly before b in the order asked for.
@inline function before<T>(a: T, b: T, descending: bool): bool {
  if (isFloat<T>()) {
    if (descending) return a > b || (a != a && b == b);
    return a < b || (b != b && a == a);
  }
  return descending ? a > b : a < b;
}

const RUN = 16; // rows are insertion-sorted in runs of this length, then merged

// Sorts keys[lo, hi) with their positions pos[lo, hi) by insertion (stable).
function insertionSort<T>(keys: usize, pos: usize, lo: i32, hi: i32, descending: bool): void {
  const size = <usize>sizeof<T>();
  for (let i = lo + 1; i < hi; i++) {
    const k = load<T>(keys + <usize>i * size), p = load<i32>(pos + (<usize>i << 2));
    let j = i - 1;
    while (j >= lo && before<T>(k, load<T>(keys + <usize>j * size), descending)) {
      store<T>(keys + <usize>(j + 1) * size, load<T>(keys + <usize>j * size));
      store<i32>(pos + (<usize>(j + 1) << 2), load<i32>(pos + (<usize>j << 2)));
      j--;
    }
    store<T>(keys + <usize>(j + 1) * size, k);
    store<i32>(pos + (<usize>(j + 1) << 2), p);
  }
}

// Merges the sorted [lo, mid) and [mid, hi) of (keys, pos) into (toKeys, toPos); on ties
// the left run's element goes first, which keeps the sort stable.
function merge<T>(keys: usize, pos: usize, toKeys: usize, toPos: usize, lo: i32, mid: i32, hi: i32, descending: bool): void {
  const size = <usize>sizeof<T>();
  let i = lo, j = mid;
  for (let o = lo; o < hi; o++) {
    const takeRight = j < hi && (i >= mid || before<T>(load<T>(keys + <usize>j * size), load<T>(keys + <usize>i * size), descending));
    const from = takeRight ? j++ : i++;
    store<T>(toKeys + <usize>o * size, load<T>(keys + <usize>from * size));
    store<i32>(toPos + (<usize>o << 2), load<i32>(pos + (<usize>from << 2)));
  }
}

// Sorts n pairs, ping-ponging between (keys, pos) and (spareKeys, sparePos); returns
// whether the sorted pairs ended in the spare buffers.
function sortPairs<T>(keys: usize, pos: usize, spareKeys: usize, sparePos: usize, n: i32, descending: bool): bool {
  for (let lo = 0; lo < n; lo += RUN) insertionSort<T>(keys, pos, lo, min(lo + RUN, n), descending);
  let inSpare = false;
  for (let width = RUN; width < n; width <<= 1) {
    const fk = inSpare ? spareKeys : keys, fp = inSpare ? sparePos : pos;
    const tk = inSpare ? keys : spareKeys, tp = inSpare ? pos : sparePos;
    for (let lo = 0; lo < n; lo += width << 1) {
      merge<T>(fk, fp, tk, tp, lo, min(lo + width, n), min(lo + (width << 1), n), descending);
    }
    inSpare = !inSpare;
  }
  return inSpare;
}

// Sorts each row of src [outer, len, inner] and writes its first `count` values and
// positions to values and positions [outer, count, inner].
function sortRows<T>(src: usize, values: usize, positions: usize, outer: i32, len: i32, inner: i32, count: i32, descending: bool): void {
  const size = <usize>sizeof<T>();
  const keyBytes = <usize>len * size, posBytes = <usize>len << 2;
  const keys = allocBuffer(keyBytes), spareKeys = allocBuffer(keyBytes);
  const pos = allocBuffer(posBytes), sparePos = allocBuffer(posBytes);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const row = src + <usize>(o * len * inner + c) * size;
      for (let k = 0; k < len; k++) {
        store<T>(keys + <usize>k * size, load<T>(row + <usize>(k * inner) * size));
        store<i32>(pos + (<usize>k << 2), k);
      }
      const inSpare = sortPairs<T>(keys, pos, spareKeys, sparePos, len, descending);
      const sk = inSpare ? spareKeys : keys, sp = inSpare ? sparePos : pos;
      const at = <usize>(o * count * inner + c);
      for (let k = 0; k < count; k++) {
        const out = at + <usize>(k * inner);
        store<T>(values + out * size, load<T>(sk + <usize>k * size));
        store<i32>(positions + (out << 2), load<i32>(sp + (<usize>k << 2)));
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
  let outer = 1, inner = 1;
  for (let e = 0; e < d; e++) outer *= dim(x, e);
  for (let e = d + 1; e < ndim(x); e++) inner *= dim(x, e);
  const len = ndim(x) == 0 ? 1 : dim(x, d), count = ndim(x) == 0 ? 1 : dim(indices, d);
  if (numel(out) > 0) {
    const src = gathered(x), ps = dataPtr(src), pv = dataPtr(out), pi = dataPtr(indices);
    const down = descending != 0;
    if (dtypeOf(x) == F64) sortRows<f64>(ps, pv, pi, outer, len, inner, count, down);
    else if (dtypeOf(x) == I32) sortRows<i32>(ps, pv, pi, outer, len, inner, count, down);
    else sortRows<f32>(ps, pv, pi, outer, len, inner, count, down);
    if (src != x) release(src);
  }
  if (record2(out, op, x, indices)) {
    setParamI(out, 0, d);
    setParamI(out, 1, descending);
  }
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
