// Scans along one dim: cumsum, and the same sum run from the end (its adjoint); logcumsumexp;
// cumprod and prod, whose rules are built from shifts and first-order linear recurrences along the dim
// (internal ops of this family). x is seen as [outer, len, inner]; each of the inner
// columns of each outer block is scanned.

import {
  newTensor, newTensorLike, newZeros, dataPtr, numel, ndim, dim, dtypeOf, shapePtr, release, retain, F64, I32,
  sizeBefore, sizeAfter,
} from "../tensors";
import { record1, record2, input, needsGrad, paramI, setParamI, setGrad, argAt, tangentAt } from "../graph";
import { Op } from "../generated/table";
import { scratch } from "../scratch";
import { gathered } from "./views";
import {
  mul, add, sub, exp, log, constant, compare, unaryNumeric, AbsK, GtK, LtK,
} from "./elementwise";
import { whereForward } from "./select";
import { expand, fillSpan, reductionTangent } from "./reduce";
import { scatterForward, gatherJvp } from "./index";

function scanInto<T>(src: usize, dst: usize, outer: i32, len: i32, inner: i32, reverse: bool): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const block = <usize>(o * len * inner);
    for (let c = 0; c < inner; c++) {
      let acc: T = <T>0;
      for (let k = 0; k < len; k++) {
        const r = reverse ? len - 1 - k : k;
        const at = (block + <usize>(r * inner + c)) * size;
        acc += load<T>(src + at);
        store<T>(dst + at, acc);
      }
    }
  }
}

/** The running sums of x along dim d, from the start (or from the end when reverse is 1). */
export function cumsumForward(op: i32, x: i32, d: i32, reverse: i32): i32 {
  const out = newTensorLike(x);
  const outer = sizeBefore(x, d), inner = sizeAfter(x, d);
  const len = ndim(x) == 0 ? 1 : dim(x, d);
  if (numel(x) > 0) {
    const src = gathered(x);
    if (dtypeOf(x) == F64) scanInto<f64>(dataPtr(src), dataPtr(out), outer, len, inner, reverse != 0);
    else if (dtypeOf(x) == I32) scanInto<i32>(dataPtr(src), dataPtr(out), outer, len, inner, reverse != 0);
    else scanInto<f32>(dataPtr(src), dataPtr(out), outer, len, inner, reverse != 0);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  setParamI(out, 1, reverse);
  record1(out, op, x);
  return out;
}

// The adjoint of a running sum is the running sum the other way.
export function cumsumBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, cumsumForward(Op.Cumsum, g, paramI(t, 0), paramI(t, 1) != 0 ? 0 : 1));
}

// ---- running products and prod --------------------------------------------------------

// x seen as [outer, len, inner] around dim d (a 0-d tensor is one element).
const OUTER = 0, LEN = 1, INNER = 2;
const runGeometry = heap.alloc(12);

function geometryOf(x: i32, d: i32): void {
  const outer = sizeBefore(x, d), inner = sizeAfter(x, d);
  store<i32>(runGeometry, outer);
  store<i32>(runGeometry, ndim(x) == 0 ? 1 : dim(x, d), 4);
  store<i32>(runGeometry, inner, 8);
}

@inline function geometry(k: i32): i32 {
  return load<i32>(runGeometry + (<usize>k << 2));
}

// Running products, accumulated in A (float64 for float32, as PyTorch's CPU kernels do).
function cumprodInto<T, A>(src: usize, dst: usize, outer: i32, len: i32, inner: i32, reverse: bool): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const block = <usize>(o * len * inner);
    for (let c = 0; c < inner; c++) {
      let acc: A = <A>1;
      for (let k = 0; k < len; k++) {
        const at = (block + <usize>((reverse ? len - 1 - k : k) * inner + c)) * size;
        acc *= <A>load<T>(src + at);
        store<T>(dst + at, <T>acc);
      }
    }
  }
}

/** The running products of x along dim d, from the start (or from the end when reverse is 1). */
export function cumprodForward(op: i32, x: i32, d: i32, reverse: i32): i32 {
  const out = newTensorLike(x);
  geometryOf(x, d);
  if (numel(x) > 0) {
    const src = gathered(x), ps = dataPtr(src), po = dataPtr(out);
    const outer = geometry(OUTER), len = geometry(LEN), inner = geometry(INNER);
    if (dtypeOf(x) == F64) cumprodInto<f64, f64>(ps, po, outer, len, inner, reverse != 0);
    else if (dtypeOf(x) == I32) cumprodInto<i32, i32>(ps, po, outer, len, inner, reverse != 0);
    else cumprodInto<f32, f64>(ps, po, outer, len, inner, reverse != 0);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  setParamI(out, 1, reverse);
  record1(out, op, x);
  return out;
}

// dst [outer, inner] = the products over len of src [outer, len, inner], row by row.
function prodInto<T, A>(src: usize, dst: usize, outer: i32, len: i32, inner: i32): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const block = src + <usize>(o * len * inner) * size;
    for (let c = 0; c < inner; c++) {
      let acc: A = <A>1;
      for (let k = 0; k < len; k++) acc *= <A>load<T>(block + <usize>(k * inner + c) * size);
      store<T>(dst + <usize>(o * inner + c) * size, <T>acc);
    }
  }
}

/** The product of x along dim d; the output shape (of rank `rank`) is in the core's scratch. */
export function prodForward(op: i32, x: i32, d: i32, rank: i32): i32 {
  const out = newTensor(rank, scratch, dtypeOf(x));
  geometryOf(x, d);
  if (numel(out) > 0) {
    const src = gathered(x), ps = dataPtr(src), po = dataPtr(out);
    const outer = geometry(OUTER), len = geometry(LEN), inner = geometry(INNER);
    if (dtypeOf(x) == F64) prodInto<f64, f64>(ps, po, outer, len, inner);
    else if (dtypeOf(x) == I32) prodInto<i32, i32>(ps, po, outer, len, inner);
    else prodInto<f32, f64>(ps, po, outer, len, inner);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  record1(out, op, x);
  return out;
}

// ---- the pieces of their rules: shifts and linear recurrences ---------------------------

// y_k = x_{k - by} along dim d, and `fill` where k - by falls outside.
function shiftInto<T>(src: usize, dst: usize, outer: i32, len: i32, inner: i32, by: i32, fill: T): void {
  const size = <usize>sizeof<T>();
  const moved = max(len - abs(by), 0), row = <usize>inner * size;
  for (let o = 0; o < outer; o++) {
    const from = src + <usize>(o * len) * row, to = dst + <usize>(o * len) * row;
    if (by >= 0) {
      fillSpan<T>(to, fill, (len - moved) * inner);
      memory.copy(to + <usize>(len - moved) * row, from, <usize>moved * row);
    } else {
      memory.copy(to, from + <usize>(len - moved) * row, <usize>moved * row);
      fillSpan<T>(to + <usize>moved * row, fill, (len - moved) * inner);
    }
  }
}

/** x moved `by` places along dim d (towards the end when by > 0), `fill` where nothing lands. */
export function shiftForward(op: i32, x: i32, d: i32, by: i32, fill: f64): i32 {
  const out = newTensorLike(x);
  geometryOf(x, d);
  if (numel(x) > 0) {
    const src = gathered(x), ps = dataPtr(src), po = dataPtr(out);
    const outer = geometry(OUTER), len = geometry(LEN), inner = geometry(INNER);
    if (dtypeOf(x) == F64) shiftInto<f64>(ps, po, outer, len, inner, by, fill);
    else shiftInto<f32>(ps, po, outer, len, inner, by, <f32>fill);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  setParamI(out, 1, by);
  record1(out, op, x);
  return out;
}

function shift(x: i32, d: i32, by: i32, fill: f64): i32 {
  return shiftForward(Op.Shift, x, d, by, fill);
}

// y_k = b_k + a_k y_{k-1} along dim d (y_{k+1} when reverse), each row of inner elements
// at once; b and a contiguous, of one shape.
function recurrenceInto<T>(b: usize, a: usize, y: usize, outer: i32, len: i32, inner: i32, reverse: bool): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < len; k++) {
      const r = reverse ? len - 1 - k : k;
      const at = <usize>((o * len + r) * inner) * size;
      const prev = <usize>((o * len + (reverse ? r + 1 : r - 1)) * inner) * size;
      for (let c = 0; c < inner; c++) {
        const off = <usize>c * size;
        const carried = k == 0 ? <T>0 : load<T>(a + at + off) * load<T>(y + prev + off);
        store<T>(y + at + off, load<T>(b + at + off) + carried);
      }
    }
  }
}

/** The first-order linear recurrence y_k = self_k + coef_k y_{k-1} along d (y_{k+1} when reverse). */
export function recurrenceForward(op: i32, b: i32, a: i32, d: i32, reverse: i32): i32 {
  const out = newTensorLike(b);
  geometryOf(b, d);
  if (numel(b) > 0) {
    const gb = gathered(b), ga = gathered(a);
    const outer = geometry(OUTER), len = geometry(LEN), inner = geometry(INNER);
    if (dtypeOf(b) == F64) recurrenceInto<f64>(dataPtr(gb), dataPtr(ga), dataPtr(out), outer, len, inner, reverse != 0);
    else recurrenceInto<f32>(dataPtr(gb), dataPtr(ga), dataPtr(out), outer, len, inner, reverse != 0);
    if (gb != b) release(gb);
    if (ga != a) release(ga);
  }
  setParamI(out, 0, d);
  setParamI(out, 1, reverse);
  record2(out, op, b, a);
  return out;
}

// ---- rules ------------------------------------------------------------------------------

// y = cumprod(x): dy_k/dx_i = prod_{j <= k, j != i} x_j, so the gradient of x_i is
// P_i S_i, with P_i = prod_{j < i} x_j (the running product shifted by one) and
// S_i = sum_{k >= i} g_k prod_{i < j <= k} x_j, the recurrence S_i = g_i + x_{i+1} S_{i+1}.
// No division: exact with zeros in x (PyTorch's cumprod_backward gets there by cases).
export function cumprodBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), d = paramI(t, 0), reverse = paramI(t, 1);
  geometryOf(x, d);
  if (geometry(LEN) <= 1) { retain(g); setGrad(grads, 0, g); return; }
  const toward = reverse != 0 ? 1 : -1; // where the later elements of the scan lie
  const coef = shift(x, d, toward, 0);
  const s = recurrenceForward(Op.Recurrence, g, coef, d, reverse != 0 ? 0 : 1);
  const before = shift(t, d, -toward, 1);
  setGrad(grads, 0, mul(before, s));
  release(coef); release(s); release(before);
}

// The gradient of x_i is g times the product of the others: the running products from
// either end, each shifted by one, multiplied (PyTorch's prod_safe_zeros_backward, which
// it uses when x has zeros; without division here, it serves every input).
export function prodBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), d = paramI(t, 0);
  const ge = expand(g, ndim(x) == 0 ? 0 : 1 << d, ndim(x), shapePtr(x));
  geometryOf(x, d);
  if (geometry(LEN) <= 1) { setGrad(grads, 0, ge); return; }
  const fromStart = cumprodForward(Op.Cumprod, x, d, 0), fromEnd = cumprodForward(Op.Cumprod, x, d, 1);
  const before = shift(fromStart, d, 1, 1), after = shift(fromEnd, d, -1, 1);
  const others = mul(before, after);
  setGrad(grads, 0, mul(ge, others));
  release(fromStart); release(fromEnd); release(before); release(after); release(others); release(ge);
}

export function shiftBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, shift(g, paramI(t, 0), -paramI(t, 1), 0));
}

// y = L⁻¹ b, with L bidiagonal (1 on the diagonal, -a_k beside it): the gradient of b is
// the recurrence run the other way with the coefficients moved by one (L⁻ᵀ h), and that of
// a_k is b's times the y_{k∓1} it multiplied.
export function recurrenceBackward(t: i32, g: i32, grads: usize): void {
  const a = input(t, 1), d = paramI(t, 0), reverse = paramI(t, 1);
  const toward = reverse != 0 ? 1 : -1; // from the element a recurrence step reads, to it
  const moved = shift(a, d, toward, 0);
  const z = recurrenceForward(Op.Recurrence, g, moved, d, reverse != 0 ? 0 : 1);
  release(moved);
  if (needsGrad(t, 1)) {
    const read = shift(t, d, -toward, 0);
    setGrad(grads, 1, mul(z, read));
    release(read);
  }
  if (needsGrad(t, 0)) setGrad(grads, 0, z);
  else release(z);
}

// ---- logcumsumexp -----------------------------------------------------------------------

// log(e^a + e^b) without overflow; -inf with -inf stays -inf and inf with inf stays inf.
@inline function logAddExp(a: f64, b: f64): f64 {
  const m = Math.max(a, b);
  if (m == -Infinity || m == Infinity) return m;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

function logcumsumexpInto<T>(src: usize, dst: usize, outer: i32, len: i32, inner: i32, reverse: bool): void {
  const size = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const block = <usize>(o * len * inner);
    for (let c = 0; c < inner; c++) {
      let acc: f64 = -Infinity;
      for (let k = 0; k < len; k++) {
        const at = (block + <usize>((reverse ? len - 1 - k : k) * inner + c)) * size;
        acc = logAddExp(acc, <f64>load<T>(src + at));
        store<T>(dst + at, <T>acc);
      }
    }
  }
}

/** log(cumsum(exp(x))) along dim d (from the end when reverse is 1), accumulated in float64. */
export function logcumsumexpForward(op: i32, x: i32, d: i32, reverse: i32): i32 {
  const out = newTensorLike(x);
  geometryOf(x, d);
  if (numel(x) > 0) {
    const src = gathered(x), ps = dataPtr(src), po = dataPtr(out);
    const outer = geometry(OUTER), len = geometry(LEN), inner = geometry(INNER);
    if (dtypeOf(x) == F64) logcumsumexpInto<f64>(ps, po, outer, len, inner, reverse != 0);
    else logcumsumexpInto<f32>(ps, po, outer, len, inner, reverse != 0);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  setParamI(out, 1, reverse);
  record1(out, op, x);
  return out;
}

// PyTorch's logcumsumexp_backward: the gradient of x_i is
// sum_{k >= i} g_k exp(x_i - y_k), computed in log space for the positive and the negative
// parts of g apart (log 0 standing as the lowest finite value), each a logcumsumexp the
// other way, so nothing overflows.
export function logcumsumexpBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), d = paramI(t, 0), other = paramI(t, 1) != 0 ? 0 : 1;
  if (ndim(g) == 0 || numel(g) == 0) { retain(g); setGrad(grads, 0, g); return; }
  const dtype = dtypeOf(g);
  const zero = constant(0, dtype), lowest = constant(dtype == F64 ? -f64.MAX_VALUE : <f64>-f32.MAX_VALUE, dtype);
  const logAbs = logOf(unaryNumeric<AbsK>(Op.Abs, g));
  const positive = signedPart(compare<GtK>(Op.Gt, g, zero), logAbs, lowest, t, x, d, other);
  const negative = signedPart(compare<LtK>(Op.Lt, g, zero), logAbs, lowest, t, x, d, other);
  setGrad(grads, 0, sub(positive, negative));
  release(zero); release(lowest); release(logAbs); release(positive); release(negative);
}

// exp(logcumsumexp'(where(part, log|g|, lowest) - y) + x), logcumsumexp' running the other
// way; releases part.
function signedPart(part: i32, logAbs: i32, lowest: i32, y: i32, x: i32, d: i32, other: i32): i32 {
  const logs = whereForward(Op.Where, part, logAbs, lowest);
  const shifted = sub(logs, y);
  const summed = logcumsumexpForward(Op.Logcumsumexp, shifted, d, other);
  const exponent = add(summed, x);
  const r = exp(exponent);
  release(part); release(logs); release(shifted); release(summed); release(exponent);
  return r;
}

function logOf(x: i32): i32 {
  const r = log(x);
  release(x);
  return r;
}

// ---- cummax and cummin ------------------------------------------------------------------

// The running max (or min) of each row and where it was last reached: a later equal
// element takes over (>=), and a NaN takes over and stays, each later NaN taking over in
// turn, as PyTorch's cummax_cummin_helper does. The rows are walked together, one step
// along d for all inner columns at a time, reading the carried extremes back from the
// previous step's output, so that memory is read in order.
function cumExtremeInto<T>(src: usize, dst: usize, positions: usize, outer: i32, len: i32, inner: i32, minimum: bool): void {
  const size = <usize>sizeof<T>(), row = <usize>inner;
  for (let o = 0; o < outer; o++) {
    const block = <usize>(o * len * inner);
    for (let c = 0; c < inner; c++) {
      store<T>(dst + (block + <usize>c) * size, load<T>(src + (block + <usize>c) * size));
      store<i32>(positions + ((block + <usize>c) << 2), 0);
    }
    for (let k = 1; k < len; k++) {
      for (let c = 0; c < inner; c++) {
        const i = block + <usize>(k * inner + c), v = load<T>(src + i * size);
        let best = load<T>(dst + (i - row) * size), at = load<i32>(positions + ((i - row) << 2));
        if (v != v || (best == best && (minimum ? v <= best : v >= best))) { best = v; at = k; }
        store<T>(dst + i * size, best);
        store<i32>(positions + (i << 2), at);
      }
    }
  }
}

/**
 * The running max of x along dim d (the running min when `minimum` is 1), with the
 * positions along d where each was reached written into `indices` (int32, x's shape),
 * which the bindings allocate.
 */
export function cummaxForward(op: i32, x: i32, indices: i32, d: i32, minimum: i32): i32 {
  const out = newTensorLike(x);
  geometryOf(x, d);
  if (numel(x) > 0) {
    const src = gathered(x), ps = dataPtr(src), po = dataPtr(out), pi = dataPtr(indices);
    const outer = geometry(OUTER), len = geometry(LEN), inner = geometry(INNER), down = minimum != 0;
    if (dtypeOf(x) == F64) cumExtremeInto<f64>(ps, po, pi, outer, len, inner, down);
    else if (dtypeOf(x) == I32) cumExtremeInto<i32>(ps, po, pi, outer, len, inner, down);
    else cumExtremeInto<f32>(ps, po, pi, outer, len, inner, down);
    if (src != x) release(src);
  }
  setParamI(out, 0, d);
  record2(out, op, x, indices);
  return out;
}

// PyTorch's cummaxmin_backward: zeros of x's shape with g added at the indices along d
// (a recorded scatter_add).
export function cummaxBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  const zeros = newZeros(ndim(x), shapePtr(x), dtypeOf(g));
  setGrad(grads, 0, scatterForward(Op.ScatterAdd, zeros, input(t, 1), g, paramI(t, 0)));
  release(zeros);
}

// ---- forward-mode rules ------------------------------------------------------------------
// The scans' tangents are scans themselves: a running sum, or a first-order recurrence
// y_k = b_k + a_k y_{k-1} along the dim (from the end when `reverse`), exact with zeros.

export function cumsumJvp(out: i32, args: usize, tangents: usize): i32 {
  return cumsumForward(Op.Cumsum, tangentAt(tangents, 0), paramI(out, 0), paramI(out, 1));
}

export function shiftJvp(out: i32, args: usize, tangents: usize): i32 {
  return shift(tangentAt(tangents, 0), paramI(out, 0), paramI(out, 1), 0);
}

// The previous element along the scan (from the end when reverse), `fill` before the first.
function previous(y: i32, d: i32, reverse: i32, fill: f64): i32 {
  return shift(y, d, reverse != 0 ? -1 : 1, fill);
}

// y = cumprod(x), y_k = y_{k-1} x_k: dy_k = x_k dy_{k-1} + y_{k-1} dx_k.
export function cumprodJvp(out: i32, args: usize, tangents: usize): i32 {
  const d = paramI(out, 0), reverse = paramI(out, 1);
  const before = previous(out, d, reverse, 1);
  const b = mul(before, tangentAt(tangents, 0));
  const t = recurrenceForward(Op.Recurrence, b, argAt(args, 0), d, reverse);
  release(before); release(b);
  return t;
}

// y = logcumsumexp(x): dy_k = sum_{j <= k} dx_j e^(x_j - y_k), which is the recurrence with
// b_k = dx_k e^(x_k - y_k) and a_k = e^(y_{k-1} - y_k), both at most 1.
export function logcumsumexpJvp(out: i32, args: usize, tangents: usize): i32 {
  const d = paramI(out, 0), reverse = paramI(out, 1);
  const own = sub(argAt(args, 0), out), before = previous(out, d, reverse, -Infinity);
  const ownWeight = exp(own), step = sub(before, out);
  const a = exp(step), b = mul(ownWeight, tangentAt(tangents, 0));
  const t = recurrenceForward(Op.Recurrence, b, a, d, reverse);
  release(own); release(before); release(ownWeight); release(step); release(a); release(b);
  return t;
}

// y_k = b_k + a_k y_{k-1}: dy_k = db_k + da_k y_{k-1} + a_k dy_{k-1}.
export function recurrenceJvp(out: i32, args: usize, tangents: usize): i32 {
  const d = paramI(out, 0), reverse = paramI(out, 1);
  let b = tangentAt(tangents, 0);
  if (b != 0) retain(b);
  const ta = tangentAt(tangents, 1);
  if (ta != 0) {
    const before = previous(out, d, reverse, 0);
    const moved = mul(ta, before);
    release(before);
    if (b == 0) b = moved;
    else {
      const sum = add(b, moved);
      release(b); release(moved);
      b = sum;
    }
  }
  const t = recurrenceForward(Op.Recurrence, b, argAt(args, 1), d, reverse);
  release(b);
  return t;
}

export function prodJvp(out: i32, args: usize, tangents: usize): i32 {
  const x = argAt(args, 0);
  return reductionTangent(out, tangentAt(tangents, 0), ndim(x) == 0 ? 0 : 1 << paramI(out, 0), prodBackward);
}

// The running extreme's tangent is the tangent where it was reached (indices input 1, dim
// parameter 0, as gather's).
export function cummaxJvp(out: i32, args: usize, tangents: usize): i32 {
  return gatherJvp(out, args, tangents);
}
