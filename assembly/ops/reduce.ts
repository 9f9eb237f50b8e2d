// Reductions (sum, mean, max) and their adjoint, expand. A reduction is described by a
// bit mask of the input dims it removes; the output keeps the remaining dims in order, with
// or without size-1 placeholders (same memory layout either way). Expand is the reverse:
// it broadcasts a tensor, seen with size 1 along the masked dims, up to a full shape.
// Each is the other's backward rule.

import {
  newTensor, dataPtr, numel, ndim, dim, shapePtr, geti, seti, release, retain,
  isLeaf, OP as OP_FIELD, AUX, DEPS, PENDING, CAPTURE, MAX_DIMS,
} from "../tensors";
import { allocBuffer, freeBuffer, at, put } from "../memory";
import { record1, gradEnabled, input, paramI, setParamI, setGrad } from "../graph";
import { Op } from "../generated/table";
import { scratch } from "../scratch";
import { hsum, maxSpan } from "./simd";
import { mul, constant, addSpan, maxSpanInto, takesScalarGrad } from "./elementwise";

const work = heap.alloc(MAX_DIMS << 2);

@inline function product(p: usize, from: i32, to: i32): i32 {
  let n = 1;
  for (let d = from; d < to; d++) n *= at(p, d);
  return n;
}

function sumSpan(p: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    a0 = f32x4.add(a0, v128.load(q));
    a1 = f32x4.add(a1, v128.load(q, 16));
    a2 = f32x4.add(a2, v128.load(q, 32));
    a3 = f32x4.add(a3, v128.load(q, 48));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, v128.load(p + (<usize>i << 2)));
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}

export function fillSpan(dst: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), value);
}

function scaleSpan(dst: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, f32x4.mul(v128.load(dst + off), v));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(dst + (<usize>i << 2)) * value);
}

// Sums over one run of dims: src seen as [outer, len, inner] -> dst [outer, inner].
function sumRun(src: usize, outer: i32, len: i32, inner: i32, dst: usize): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      store<f32>(dst + (<usize>o << 2), sumSpan(src + (<usize>(o * len) << 2), len));
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const row = dst + (<usize>(o * inner) << 2);
    fillSpan(row, 0, inner);
    for (let r = 0; r < len; r++) addSpan(row, src + (<usize>((o * len + r) * inner) << 2), inner);
  }
}

// Broadcasts over one run of dims: src [outer, inner] -> dst [outer, len, inner].
function expandRun(src: usize, outer: i32, len: i32, inner: i32, dst: usize): void {
  for (let o = 0; o < outer; o++) {
    if (inner == 1) {
      fillSpan(dst + (<usize>(o * len) << 2), load<f32>(src + (<usize>o << 2)), len);
      continue;
    }
    const from = src + (<usize>(o * inner) << 2);
    for (let r = 0; r < len; r++) {
      memory.copy(dst + (<usize>((o * len + r) * inner) << 2), from, <usize>inner << 2);
    }
  }
}

// Applies sumRun (or expandRun) once per run of masked dims, last run first, through
// temporary buffers. `shape` is the full (unreduced) shape.
function runsKernel(expanding: bool, src: usize, rank: i32, shape: usize, mask: i32, dst: usize): void {
  for (let d = 0; d < rank; d++) put(work, d, expanding && (mask & (1 << d)) ? 1 : at(shape, d));
  let cur = src;
  let curBytes: usize = 0; // size of cur when it is a temporary
  let d = rank - 1;
  if (mask == 0) { memory.copy(dst, src, <usize>product(shape, 0, rank) << 2); return; }
  while (true) {
    while (d >= 0 && (mask & (1 << d)) == 0) d--;
    const end = d + 1;
    while (d >= 0 && (mask & (1 << d)) != 0) d--;
    const start = d + 1;
    let last = true;
    for (let e = 0; e < start; e++) if (mask & (1 << e)) last = false;
    const outer = product(work, 0, start), inner = product(work, end, rank);
    const len = product(shape, start, end);
    const nextBytes = <usize>(outer * inner * (expanding ? len : 1)) << 2;
    const next = last ? dst : allocBuffer(nextBytes);
    if (expanding) expandRun(cur, outer, len, inner, next);
    else sumRun(cur, outer, len, inner, next);
    if (cur != src) freeBuffer(cur, curBytes);
    cur = next;
    curBytes = nextBytes;
    for (let e = start; e < end; e++) put(work, e, expanding ? at(shape, e) : 1);
    if (last) return;
  }
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

function sumInto(op: i32, x: i32, mask: i32, out: i32): void {
  runsKernel(false, dataPtr(x), ndim(x), shapePtr(x), mask, dataPtr(out));
  if (op == Op.Mean) scaleSpan(dataPtr(out), <f32>(1.0 / <f64>countOver(x, mask)), numel(out));
}

// Sum (or Mean) of x over the masked dims, into the shape (of rank `rank`) at `shape`.
export function reduceSum(op: i32, x: i32, mask: i32, rank: i32, shape: usize): i32 {
  const out = newTensor(rank, shape);
  sumInto(op, x, mask, out);
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
  const out = newTensor(rank, shape);
  runsKernel(true, dataPtr(x), rank, shapePtr(out), mask, dataPtr(out));
  setParamI(out, P_MASK, mask);
  setParamI(out, P_RANK, rank);
  record1(out, Op.Expand, x);
  return out;
}

/** Expand to the shape in the core's scratch. */
export function expandForward(op: i32, x: i32, mask: i32, rank: i32): i32 {
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

// Max over one run of dims: src [outer, len, inner] -> dst [outer, inner]. When `mask` is
// non-zero it receives the gradient routing: one-hot at the first arg-max, or, for a full
// reduction (`even`), shared equally between tied maxima as PyTorch does.
function maxRun(src: usize, outer: i32, len: i32, inner: i32, dst: usize, mask: usize, even: bool): void {
  for (let o = 0; o < outer; o++) {
    const from = src + (<usize>(o * len * inner) << 2);
    if (inner == 1) {
      store<f32>(dst + (<usize>o << 2), maxSpan(from, len));
      continue;
    }
    const row = dst + (<usize>(o * inner) << 2);
    memory.copy(row, from, <usize>inner << 2);
    for (let r = 1; r < len; r++) maxSpanInto(row, from + (<usize>(r * inner) << 2), inner);
  }
  if (mask == 0) return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = src + (<usize>(o * len * inner + i) << 2);
      const best = load<f32>(dst + (<usize>(o * inner + i) << 2));
      const isNaN = best != best;
      let first = -1, ties = 0;
      for (let r = 0; r < len; r++) {
        const v = load<f32>(base + (<usize>(r * inner) << 2));
        if (v == best || (isNaN && v != v)) {
          if (first < 0) first = r;
          ties++;
        }
      }
      const share: f32 = even ? 1.0 / <f32>ties : 1.0;
      const mbase = mask + (<usize>(o * len * inner + i) << 2);
      for (let r = 0; r < len; r++) {
        const v = load<f32>(base + (<usize>(r * inner) << 2));
        const hit = even ? v == best || (isNaN && v != v) : r == first;
        store<f32>(mbase + (<usize>(r * inner) << 2), hit ? share : 0);
      }
    }
  }
}

// Max over dims [start, end) of x (one run; start = 0 and end = rank for a full
// reduction); the output shape (of rank `rank`) is in the core's scratch.
export function maxForward(op: i32, x: i32, start: i32, end: i32, rank: i32): i32 {
  const out = newTensor(rank, scratch);
  const xr = ndim(x);
  const xs = shapePtr(x);
  const outer = product(xs, 0, start), len = product(xs, start, end), inner = product(xs, end, xr);
  setParamI(out, P_START, start);
  setParamI(out, P_END, end);
  if (record1(out, op, x)) {
    const routing = newTensor(xr, xs);
    seti(out, AUX, routing);
    maxRun(dataPtr(x), outer, len, inner, dataPtr(out), dataPtr(routing), start == 0 && end == xr);
  } else {
    maxRun(dataPtr(x), outer, len, inner, dataPtr(out), 0, false);
  }
  return out;
}

// A full sum's gradient is one value broadcast over its input x. When x's own rule takes
// such a one-element gradient as it is and nothing else adds into x's gradient (this
// node is its only consumer, and grad() does not return it), it is handed down unexpanded.
function constantGradSuffices(t: i32, x: i32, g: i32): bool {
  return !gradEnabled && numel(g) == 1 && numel(x) > 1 && !isLeaf(x) && geti(x, DEPS) == 1 &&
    geti(x, PENDING) == 0 && geti(x, CAPTURE) == 0 && takesScalarGrad(x);
}

export function sumBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  const mask = paramI(t, P_MASK);
  const mean = geti(t, OP_FIELD) == Op.Mean;
  if (constantGradSuffices(t, x, g)) {
    if (!mean) { retain(g); setGrad(grads, 0, g); return; }
    const c = constant(<f32>(1.0 / <f64>countOver(x, mask)));
    setGrad(grads, 0, mul(g, c));
    release(c);
    return;
  }
  const e = expand(g, mask, ndim(x), shapePtr(x));
  if (!mean) { setGrad(grads, 0, e); return; }
  const c = constant(<f32>(1.0 / <f64>countOver(x, mask)));
  setGrad(grads, 0, mul(e, c));
  release(c); release(e);
}

export function expandBackward(t: i32, g: i32, grads: usize): void {
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
