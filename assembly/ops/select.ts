// Selection: where(condition, self, other), which takes each element from self where the
// condition holds and from other elsewhere, all three broadcast together. Its gradient goes
// to the chosen branch only, so a NaN or an infinity in the other branch never leaks into it.
// And clamp, whose gradient goes to the input inside the bounds and to a bound outside.

import {
  newTensor, dataPtr, numel, ndim, dim, shapePtr, release, dtypeOf, MAX_DIMS, F64, I32, BOOL,
} from "../tensors";
import { at, put } from "../memory";
import { recordN, input, needsGrad, setGrad } from "../graph";
import {
  convertInto, zeroWhere, maskOf, complementOf, combineMasks, binaryInto, ternaryInto,
  GeK, LeK, LtK, GtK, MaximumK, MinimumK,
} from "./elementwise";
import { gathered } from "./views";

const shape = heap.alloc(MAX_DIMS << 2);
const inputs = heap.alloc(3 << 2);

// The broadcast shape of c, a and b, written to `shape`; returns its rank.
function broadcast3(c: i32, a: i32, b: i32): i32 {
  const rank = max(ndim(c), max(ndim(a), ndim(b)));
  for (let d = 0; d < rank; d++) {
    let size = 1;
    for (let k = 0; k < 3; k++) {
      const t = k == 0 ? c : k == 1 ? a : b;
      const td = d - (rank - ndim(t));
      if (td >= 0 && dim(t, td) != 1) size = dim(t, td);
    }
    put(shape, d, size);
  }
  return rank;
}

// a where the 0/1 mask m (of a's element type) is 1, else b.
@final export class SelectK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128, m: v128): v128 { return v128.bitselect(a, b, v128.ne<T>(m, v128.splat<T>(<T>0))); }
  @inline s<T>(a: T, b: T, m: T): T { return m != <T>0 ? a : b; } }

// The condition as 0/1 in dtype `dtype`, contiguous, outside the graph.
function maskIn(c: i32, dtype: i32): i32 {
  const src = gathered(c);
  const m = newTensor(ndim(c), shapePtr(c), dtype);
  convertInto(src, m);
  if (src != c) release(src);
  return m;
}

/** where(c, a, b): c bool, a and b of one dtype (the bindings promote them first). */
export function whereForward(op: i32, c: i32, a: i32, b: i32): i32 {
  const dtype = dtypeOf(a);
  const rank = broadcast3(c, a, b);
  const out = newTensor(rank, shape, dtype);
  const m = maskIn(c, dtype);
  if (dtype == F64) ternaryInto<SelectK, f64>(a, b, m, out);
  else if (dtype == I32) ternaryInto<SelectK, i32>(a, b, m, out);
  else if (dtype == BOOL) ternaryInto<SelectK, u8>(a, b, m, out);
  else ternaryInto<SelectK, f32>(a, b, m, out);
  release(m);
  store<i32>(inputs, c);
  store<i32>(inputs, a, 4);
  store<i32>(inputs, b, 8);
  recordN(out, op, inputs, 3);
  return out;
}

export function whereBackward(t: i32, g: i32, grads: usize): void {
  const m = maskIn(input(t, 0), dtypeOf(g));
  if (needsGrad(t, 2)) setGrad(grads, 2, zeroWhere(g, m)); // other: g where the condition fails
  if (needsGrad(t, 1)) {
    const fails = complementOf(m);
    setGrad(grads, 1, zeroWhere(g, fails)); // self: g where it holds
    release(fails);
  }
  release(m);
}

// ---- clamp --------------------------------------------------------------------------

/**
 * clamp(x, lo, hi) = min(max(x, lo), hi), all three broadcast together and of one dtype
 * (a missing bound is passed as -inf or +inf, or int32's extremes). NaN propagates; with
 * lo > hi every element is hi, as in PyTorch.
 */
export function clampForward(op: i32, x: i32, lo: i32, hi: i32): i32 {
  const rank = broadcast3(x, lo, hi);
  const out = newTensor(rank, shape, dtypeOf(x));
  if (numel(out) > 0) {
    binaryInto<MaximumK>(x, lo, out);
    binaryInto<MinimumK>(out, hi, out);
  }
  store<i32>(inputs, x);
  store<i32>(inputs, lo, 4);
  store<i32>(inputs, hi, 8);
  recordN(out, op, inputs, 3);
  return out;
}

// g where input i keeps the gradient (mask `keep`, released), 0 elsewhere.
function kept(grads: usize, i: i32, g: i32, keep: i32): void {
  const drop = complementOf(keep);
  setGrad(grads, i, zeroWhere(g, drop));
  release(drop);
  release(keep);
}

// PyTorch's clamp gradients: x keeps g where lo <= x <= hi (so not at NaN); lo where x < lo
// and lo < hi; hi where x > hi or hi < lo.
export function clampBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), lo = input(t, 1), hi = input(t, 2);
  if (needsGrad(t, 0)) kept(grads, 0, g, combineMasks(maskOf<GeK>(x, lo), maskOf<LeK>(x, hi), false));
  if (needsGrad(t, 1)) kept(grads, 1, g, combineMasks(maskOf<LtK>(x, lo), maskOf<LtK>(lo, hi), false));
  if (needsGrad(t, 2)) kept(grads, 2, g, combineMasks(maskOf<GtK>(x, hi), maskOf<LtK>(hi, lo), true));
}
