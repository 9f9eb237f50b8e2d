// Reductions (sum, mean, max) and their adjoint, expand. A reduction is described by a
// bit mask of the input dims it removes; the output keeps the remaining dims in order, with
// or without size-1 placeholders (same memory layout either way). Expand is the reverse:
// it broadcasts a tensor, seen with size 1 along the masked dims, up to a full shape.
// Each is the other's backward rule.

import {
  newTensor, dataPtr, numel, ndim, dim, shapePtr, geti, seti, release, retain, dtypeOf,
  isLeaf, isStrided, isFloat as isFloatDtype, requiresGrad, strideOf, OP as OP_FIELD, AUX, DEPS, PENDING, CAPTURE, MAX_DIMS, F64, I32, BOOL, elementShift,
} from "../tensors";
import { allocBuffer, freeBuffer, at, put, copyBytes } from "../memory";
import { record1, gradEnabled, pushTangents, input, paramI, setParamI, setGrad, tangentAt, fusedRules } from "../graph";
import { Op } from "../generated/table";
import { scratch } from "../scratch";
import { mul, constant, addSpan, maxSpanInto, takesScalarGrad, onesLike } from "./elementwise";
import { gathered } from "./views";

const work = heap.alloc(MAX_DIMS << 2);

@inline function product(p: usize, from: i32, to: i32): i32 {
  let n = 1;
  for (let d = from; d < to; d++) n *= at(p, d);
  return n;
}

@inline function width<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

/** The sum of the lanes of v. */
@inline export function hsum<T>(v: v128): T {
  if (sizeof<T>() == 8) return v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1);
  return (v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1)) +
    (v128.extract_lane<T>(v, 2) + v128.extract_lane<T>(v, 3));
}

// Sums of float32 spans stay accurate at any length (a float32 accumulator of 1e8 values
// drifts by percents): blocks of BLOCK values are summed in four f32x4 accumulators, so
// that each lane adds at most 16 values, and the block sums are added in float64.
const BLOCK = 256;

function sumF32(p: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let b = 0; b < n; b += BLOCK) total += <f64>blockSum<f32>(p + (<usize>b << 2), min(BLOCK, n - b));
  return total;
}

function sumSpan<T>(p: usize, n: i32): T {
  if (isFloat<T>() && sizeof<T>() == 4) return <T>sumF32(p, n);
  return blockSum<T>(p, n);
}

function blockSum<T>(p: usize, n: i32): T {
  const w = width<T>();
  let a0 = v128.splat<T>(<T>0), a1 = a0, a2 = a0, a3 = a0;
  let i = 0;
  for (; i + 4 * w <= n; i += 4 * w) {
    const q = p + <usize>i * sizeof<T>();
    a0 = v128.add<T>(a0, v128.load(q));
    a1 = v128.add<T>(a1, v128.load(q, 16));
    a2 = v128.add<T>(a2, v128.load(q, 32));
    a3 = v128.add<T>(a3, v128.load(q, 48));
  }
  for (; i + w <= n; i += w) a0 = v128.add<T>(a0, v128.load(p + <usize>i * sizeof<T>()));
  let s = hsum<T>(v128.add<T>(v128.add<T>(a0, a1), v128.add<T>(a2, a3)));
  for (; i < n; i++) s += load<T>(p + <usize>i * sizeof<T>());
  return s;
}

export function fillSpan<T>(dst: usize, value: T, n: i32): void {
  const v = v128.splat<T>(value), w = width<T>();
  let i = 0;
  for (; i + w <= n; i += w) v128.store(dst + <usize>i * sizeof<T>(), v);
  for (; i < n; i++) store<T>(dst + <usize>i * sizeof<T>(), value);
}

function scaleSpan<T>(dst: usize, value: T, n: i32): void {
  const v = v128.splat<T>(value), w = width<T>();
  let i = 0;
  for (; i + w <= n; i += w) {
    const off = <usize>i * sizeof<T>();
    v128.store(dst + off, v128.mul<T>(v128.load(dst + off), v));
  }
  for (; i < n; i++) store<T>(dst + <usize>i * sizeof<T>(), load<T>(dst + <usize>i * sizeof<T>()) * value);
}

// dst[0..inner] = the sum of the len rows of src [len, inner]. For float32 and long runs
// the rows are summed in blocks, and the block sums added in float64.
const ROW_BLOCK = 64;

function sumRows<T>(src: usize, len: i32, inner: i32, dst: usize): void {
  const rowBytes = <usize>inner * sizeof<T>();
  if (!(isFloat<T>() && sizeof<T>() == 4) || len <= ROW_BLOCK) {
    fillSpan<T>(dst, <T>0, inner);
    for (let r = 0; r < len; r++) addSpan<T>(dst, src + <usize>r * rowBytes, inner);
    return;
  }
  const wide = allocBuffer(<usize>inner << 3);
  fillSpan<f64>(wide, 0, inner);
  for (let b = 0; b < len; b += ROW_BLOCK) {
    fillSpan<T>(dst, <T>0, inner);
    for (let r = b; r < min(len, b + ROW_BLOCK); r++) addSpan<T>(dst, src + <usize>r * rowBytes, inner);
    for (let i = 0; i < inner; i++) {
      const at = wide + (<usize>i << 3);
      store<f64>(at, load<f64>(at) + <f64>load<T>(dst + <usize>i * sizeof<T>()));
    }
  }
  for (let i = 0; i < inner; i++) store<T>(dst + <usize>i * sizeof<T>(), <T>load<f64>(wide + (<usize>i << 3)));
  freeBuffer(wide, <usize>inner << 3);
}

// Sums over one run of dims: src seen as [outer, len, inner] -> dst [outer, inner].
function sumRun<T>(src: usize, outer: i32, len: i32, inner: i32, dst: usize): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      store<T>(dst + <usize>o * sizeof<T>(), sumSpan<T>(src + <usize>(o * len) * sizeof<T>(), len));
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    sumRows<T>(src + <usize>(o * len * inner) * sizeof<T>(), len, inner, dst + <usize>(o * inner) * sizeof<T>());
  }
}

// Broadcasts over one run of dims: src [outer, inner] -> dst [outer, len, inner].
function expandRun<T>(src: usize, outer: i32, len: i32, inner: i32, dst: usize): void {
  for (let o = 0; o < outer; o++) {
    if (inner == 1) {
      fillSpan<T>(dst + <usize>(o * len) * sizeof<T>(), load<T>(src + <usize>o * sizeof<T>()), len);
      continue;
    }
    const from = src + <usize>(o * inner) * sizeof<T>();
    for (let r = 0; r < len; r++) {
      copyBytes(dst + <usize>((o * len + r) * inner) * sizeof<T>(), from, <usize>inner * sizeof<T>());
    }
  }
}

// Applies sumRun (or expandRun) once per run of masked dims, last run first, through
// temporary buffers. `shape` is the full (unreduced) shape.
function runsKernel<T>(expanding: bool, src: usize, rank: i32, shape: usize, mask: i32, dst: usize): void {
  for (let d = 0; d < rank; d++) put(work, d, expanding && (mask & (1 << d)) ? 1 : at(shape, d));
  let cur = src;
  let curBytes: usize = 0; // size of cur when it is a temporary
  let d = rank - 1;
  if (mask == 0) { memory.copy(dst, src, <usize>product(shape, 0, rank) * sizeof<T>()); return; }
  while (true) {
    while (d >= 0 && (mask & (1 << d)) == 0) d--;
    const end = d + 1;
    while (d >= 0 && (mask & (1 << d)) != 0) d--;
    const start = d + 1;
    let last = true;
    for (let e = 0; e < start; e++) if (mask & (1 << e)) last = false;
    const outer = product(work, 0, start), inner = product(work, end, rank);
    const len = product(shape, start, end);
    const nextBytes = <usize>(outer * inner * (expanding ? len : 1)) * sizeof<T>();
    const next = last ? dst : allocBuffer(nextBytes);
    if (expanding) expandRun<T>(cur, outer, len, inner, next);
    else sumRun<T>(cur, outer, len, inner, next);
    if (cur != src) freeBuffer(cur, curBytes);
    cur = next;
    curBytes = nextBytes;
    for (let e = start; e < end; e++) put(work, e, expanding ? at(shape, e) : 1);
    if (last) return;
  }
}

// runsKernel for x's dtype, from x's data into out's.
function runs(expanding: bool, x: i32, rank: i32, shape: usize, mask: i32, out: i32): void {
  const dtype = dtypeOf(x);
  if (dtype == F64) runsKernel<f64>(expanding, dataPtr(x), rank, shape, mask, dataPtr(out));
  else if (dtype == I32) runsKernel<i32>(expanding, dataPtr(x), rank, shape, mask, dataPtr(out));
  else runsKernel<f32>(expanding, dataPtr(x), rank, shape, mask, dataPtr(out));
}

// Parameter words of Sum, Mean and Expand, and of Max.
const P_MASK = 0, P_RANK = 1;
const P_START = 0, P_END = 1;

// The number of elements of x the masked dims cover (what Mean divides by).
function countOver(x: i32, mask: i32): i32 {
  let n = 1;
  for (let d = 0; d < ndim(x); d++) if (mask & (1 << d)) n *= dim(x, d);
  return n;
}

const walkCounter = heap.alloc(MAX_DIMS << 2);
const outStrides = heap.alloc(MAX_DIMS << 2);

// The sum over the masked dims of a strided view, walked through its own strides row by
// row (its last dim), each element added into a float64 accumulator of its output element
// (as accurate as the blocked sums at any length), which is then rounded into out.
function sumStrided<T>(x: i32, mask: i32, out: i32): void {
  const rank = ndim(x), n = numel(x), m = numel(out);
  const acc = allocBuffer(<usize>m << 3);
  fillSpan<f64>(acc, 0, m);
  let size = 1;
  for (let d = rank - 1; d >= 0; d--) { // out's strides over x's dims: 0 along reduced ones
    const reduced = (mask & (1 << d)) != 0;
    put(outStrides, d, reduced ? 0 : size);
    if (!reduced) size *= dim(x, d);
    put(walkCounter, d, 0);
  }
  const src = dataPtr(x), row = dim(x, rank - 1), step = strideOf(x, rank - 1), os = at(outStrides, rank - 1);
  let offset = 0, o = 0;
  for (let r = 0, rows = n / row; r < rows; r++) {
    for (let j = 0; j < row; j++) {
      const p = acc + (<usize>(o + j * os) << 3);
      store<f64>(p, load<f64>(p) + <f64>load<T>(src + <usize>(offset + j * step) * sizeof<T>()));
    }
    for (let d = rank - 2; d >= 0; d--) {
      const c = at(walkCounter, d) + 1, stride = strideOf(x, d), ostride = at(outStrides, d);
      offset += stride;
      o += ostride;
      if (c < dim(x, d)) { put(walkCounter, d, c); break; }
      put(walkCounter, d, 0);
      offset -= stride * c;
      o -= ostride * c;
    }
  }
  const dst = dataPtr(out);
  for (let i = 0; i < m; i++) store<T>(dst + <usize>i * sizeof<T>(), <T>load<f64>(acc + (<usize>i << 3)));
  freeBuffer(acc, <usize>m << 3);
}

function sumInto(op: i32, x: i32, mask: i32, out: i32): void {
  if (!isStrided(x) || numel(x) == 0) runs(false, x, ndim(x), shapePtr(x), mask, out);
  else if (dtypeOf(x) == F64) sumStrided<f64>(x, mask, out);
  else sumStrided<f32>(x, mask, out);
  if (op != Op.Mean) return;
  const scale = 1.0 / <f64>countOver(x, mask);
  if (dtypeOf(x) == F64) scaleSpan<f64>(dataPtr(out), scale, numel(out));
  else scaleSpan<f32>(dataPtr(out), <f32>scale, numel(out));
}

// Sum (or Mean) of x over the masked dims, into the shape (of rank `rank`) at `shape`.
export function reduceSum(op: i32, x: i32, mask: i32, rank: i32, shape: usize): i32 {
  const out = newTensor(rank, shape, dtypeOf(x));
  const src = dtypeOf(x) == I32 ? gathered(x) : x; // floating views are walked in place
  sumInto(op, src, mask, out);
  if (src != x) release(src);
  setParamI(out, P_MASK, mask);
  setParamI(out, P_RANK, rank);
  record1(out, op, x);
  return out;
}

/** Sum or Mean over the masked dims; the output shape is in the core's scratch. */
export function sumForward(op: i32, x: i32, mask: i32, rank: i32): i32 {
  return reduceSum(op, x, mask, rank, scratch);
}

// x, seen with size 1 along the masked dims, broadcast to the given shape.
export function expand(x: i32, mask: i32, rank: i32, shape: usize): i32 {
  const out = newTensor(rank, shape, dtypeOf(x));
  runs(true, x, rank, shapePtr(out), mask, out);
  setParamI(out, P_MASK, mask);
  setParamI(out, P_RANK, rank);
  record1(out, Op.Broadcast, x);
  return out;
}

/** Expand to the shape in the core's scratch. */
export function broadcastForward(op: i32, x: i32, mask: i32, rank: i32): i32 {
  return expand(x, mask, rank, scratch);
}

// g summed down to the shape of `like` (NumPy broadcasting in reverse). Returns a new
// reference; g itself when no dim was broadcast.
export function sumToLike(g: i32, like: i32): i32 {
  const rank = ndim(g), offset = rank - ndim(like);
  let mask = 0;
  for (let d = 0; d < rank; d++) {
    if (d < offset || (dim(like, d - offset) == 1 && dim(g, d) != 1)) mask |= 1 << d;
  }
  if (mask == 0 && offset == 0) { retain(g); return g; }
  return reduceSum(Op.Sum, g, mask, ndim(like), shapePtr(like));
}

export function maxSpan<T>(p: usize, n: i32): T {
  const w = width<T>();
  let i = 0;
  let m = load<T>(p);
  if (n >= 2 * w) {
    let a = v128.load(p), b = v128.load(p, 16);
    for (i = 2 * w; i + 2 * w <= n; i += 2 * w) {
      const q = p + <usize>i * sizeof<T>();
      a = v128.max<T>(a, v128.load(q));
      b = v128.max<T>(b, v128.load(q, 16));
    }
    const v = v128.max<T>(a, b);
    m = max<T>(v128.extract_lane<T>(v, 0), v128.extract_lane<T>(v, 1));
    if (w == 4) m = max<T>(m, max<T>(v128.extract_lane<T>(v, 2), v128.extract_lane<T>(v, 3)));
  }
  for (; i < n; i++) m = max<T>(m, load<T>(p + <usize>i * sizeof<T>()));
  return m;
}

// Max over one run of dims: src [outer, len, inner] -> dst [outer, inner]. NaN is the max
// of any run holding one, as in PyTorch. When `mask` is non-zero it receives the gradient
// routing: one-hot at the first arg-max, or (`even`) shared equally between tied maxima, as
// PyTorch does for max() and amax().
function maxRun<T>(src: usize, outer: i32, len: i32, inner: i32, dst: usize, mask: usize, even: bool): void {
  const size = sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const from = src + <usize>(o * len * inner) * size;
    if (inner == 1 && len < 16) { // short rows (pooling windows, class scores): no SIMD set-up
      let m = load<T>(from);
      for (let r = 1; r < len; r++) m = max<T>(m, load<T>(from + <usize>r * size));
      store<T>(dst + <usize>o * size, m);
      continue;
    }
    if (inner == 1) {
      store<T>(dst + <usize>o * size, maxSpan<T>(from, len));
      continue;
    }
    const row = dst + <usize>(o * inner) * size;
    copyBytes(row, from, <usize>inner * size);
    for (let r = 1; r < len; r++) maxSpanInto<T>(row, from + <usize>(r * inner) * size, inner);
  }
  if (mask == 0) return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = src + <usize>(o * len * inner + i) * size;
      const best = load<T>(dst + <usize>(o * inner + i) * size);
      const isNaN = best != best;
      let first = -1, ties = 0;
      for (let r = 0; r < len; r++) {
        const v = load<T>(base + <usize>(r * inner) * size);
        if (v == best || (isNaN && v != v)) {
          if (first < 0) first = r;
          ties++;
        }
      }
      const share = even ? <T>1 / <T>ties : <T>1;
      const mbase = mask + <usize>(o * len * inner + i) * size;
      for (let r = 0; r < len; r++) {
        const v = load<T>(base + <usize>(r * inner) * size);
        const hit = even ? v == best || (isNaN && v != v) : r == first;
        store<T>(mbase + <usize>(r * inner) * size, hit ? share : <T>0);
      }
    }
  }
}

// Max over dims [start, end) of x (one run; start = 0 and end = rank for a full
// reduction); the output shape (of rank `rank`) is in the core's scratch. `even`: the
// gradient is shared between tied maxima (max(), amax()) instead of going to the first
// (max(dim)).
export function maxForward(op: i32, x: i32, start: i32, end: i32, rank: i32, even: i32): i32 {
  const dtype = dtypeOf(x);
  const out = newTensor(rank, scratch, dtype);
  const xr = ndim(x);
  const xs = shapePtr(x);
  const outer = product(xs, 0, start), len = product(xs, start, end), inner = product(xs, end, xr);
  setParamI(out, P_START, start);
  setParamI(out, P_END, end);
  // the weights of the rule (and of the forward-mode rule, which is built on it)
  let routing = 0;
  if (isFloatDtype(dtype) && ((gradEnabled && requiresGrad(x)) || pushTangents)) {
    routing = newTensor(xr, xs, dtype);
    seti(out, AUX, routing);
  }
  const src = gathered(x);
  const px = dataPtr(src), po = dataPtr(out), pm = routing != 0 ? dataPtr(routing) : 0;
  if (dtype == F64) maxRun<f64>(px, outer, len, inner, po, pm, even != 0);
  else if (dtype == I32) maxRun<i32>(px, outer, len, inner, po, pm, even != 0);
  else maxRun<f32>(px, outer, len, inner, po, pm, even != 0);
  if (src != x) release(src);
  record1(out, op, x);
  return out;
}

// A full sum's gradient is one value broadcast over its input x. When x's own rule takes
// such a one-element gradient as it is and nothing else adds into x's gradient (this
// node is its only consumer, and grad() does not return it), it is handed down unexpanded.
function constantGradSuffices(t: i32, x: i32, g: i32): bool {
  return fusedRules() && numel(g) == 1 && numel(x) > 1 && !isLeaf(x) && geti(x, DEPS) == 1 &&
    geti(x, PENDING) == 0 && geti(x, CAPTURE) == 0 && takesScalarGrad(x);
}

export function sumBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  const mask = paramI(t, P_MASK);
  const mean = geti(t, OP_FIELD) == Op.Mean;
  if (constantGradSuffices(t, x, g)) {
    if (!mean) { retain(g); setGrad(grads, 0, g); return; }
    const c = constant(1.0 / <f64>countOver(x, mask), dtypeOf(x));
    setGrad(grads, 0, mul(g, c));
    release(c);
    return;
  }
  const e = expand(g, mask, ndim(x), shapePtr(x));
  if (!mean) { setGrad(grads, 0, e); return; }
  const c = constant(1.0 / <f64>countOver(x, mask), dtypeOf(x));
  setGrad(grads, 0, mul(e, c));
  release(c); release(e);
}

export function broadcastBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  setGrad(grads, 0, reduceSum(Op.Sum, g, paramI(t, P_MASK), ndim(x), shapePtr(x)));
}

export function maxBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  let mask = 0;
  for (let d = paramI(t, P_START); d < paramI(t, P_END); d++) mask |= 1 << d;
  const e = expand(g, mask, ndim(x), shapePtr(x));
  setGrad(grads, 0, mul(e, geti(t, AUX)));
  release(e);
}

// ---- argmax along one dim ------------------------------------------------------------

// dst[o, i] = the first r with src[o, r, i] the max over r (the first NaN, if any: NaN is
// the max, as in PyTorch).
function argmaxRun<T>(src: usize, outer: i32, len: i32, inner: i32, dst: usize): void {
  const size = sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = src + <usize>(o * len * inner + i) * size;
      let best = load<T>(base), at = 0;
      for (let r = 1; r < len && best == best; r++) {
        const v = load<T>(base + <usize>(r * inner) * size);
        if (v > best || v != v) { best = v; at = r; }
      }
      store<i32>(dst + (<usize>(o * inner + i) << 2), at);
    }
  }
}

/** The index (int32) of the first maximum of x along dim d; the output shape (of rank `rank`) is in scratch. */
export function argmaxForward(op: i32, x: i32, d: i32, rank: i32): i32 {
  const out = newTensor(rank, scratch, I32);
  const xs = shapePtr(x);
  const outer = product(xs, 0, d), len = at(xs, d), inner = product(xs, d + 1, ndim(x));
  const src = gathered(x);
  const dtype = dtypeOf(x);
  if (dtype == F64) argmaxRun<f64>(dataPtr(src), outer, len, inner, dataPtr(out));
  else if (dtype == I32) argmaxRun<i32>(dataPtr(src), outer, len, inner, dataPtr(out));
  else if (dtype == BOOL) argmaxRun<u8>(dataPtr(src), outer, len, inner, dataPtr(out));
  else argmaxRun<f32>(dataPtr(src), outer, len, inner, dataPtr(out));
  if (src != x) release(src);
  return out;
}

// ---- forward-mode rules ------------------------------------------------------------------

export function sumJvp(out: i32, args: usize, tangents: usize): i32 {
  return reduceSum(Op.Sum, tangentAt(tangents, 0), paramI(out, P_MASK), paramI(out, P_RANK), shapePtr(out));
}
export function meanJvp(out: i32, args: usize, tangents: usize): i32 {
  return reduceSum(Op.Mean, tangentAt(tangents, 0), paramI(out, P_MASK), paramI(out, P_RANK), shapePtr(out));
}
export function broadcastJvp(out: i32, args: usize, tangents: usize): i32 {
  return expand(tangentAt(tangents, 0), paramI(out, P_MASK), paramI(out, P_RANK), shapePtr(out));
}

const ruleGrads = heap.alloc(4 << 2);

/**
 * The tangent of a reduction of its input (tangent t) over the dims in mask, from its
 * backward rule: the rule run on ones gives each element's derivative of its output, and
 * their products with t summed as the op sums are the output's tangent.
 */
export function reductionTangent(out: i32, t: i32, mask: i32, rule: (t: i32, g: i32, grads: usize) => void): i32 {
  const ones = onesLike(out);
  store<i32>(ruleGrads, 0);
  rule(out, ones, ruleGrads);
  release(ones);
  const derivative = load<i32>(ruleGrads);
  const weighted = mul(derivative, t);
  release(derivative);
  const r = reduceSum(Op.Sum, weighted, mask, ndim(out), shapePtr(out));
  release(weighted);
  return r;
}

// The tangent of the maximum (shared evenly between ties, or the first's, as its rule).
export function maxJvp(out: i32, args: usize, tangents: usize): i32 {
  let mask = 0;
  for (let d = paramI(out, P_START); d < paramI(out, P_END); d++) mask |= 1 << d;
  return reductionTangent(out, tangentAt(tangents, 0), mask, maxBackward);
}
