// softmax and log_softmax along one dim, numerically stable (the max is subtracted first).

import { newTensorLike, dataPtr, ndim, dim, release, dtypeOf, F64, sizeBefore, sizeAfter } from "../tensors";
import { record1, paramI, setParamI, setGrad, tangentAt } from "../graph";
import { Op } from "../generated/table";
import { ExpK, exp, mul, sub } from "./elementwise";
import { reduceSum, hsum, maxSpan } from "./reduce";
import { gathered } from "./views";

const keptShape = heap.alloc(8 << 2);

@inline function expVec<T>(x: v128): v128 { return changetype<ExpK>(0).v<T>(x); }
@inline function expOne<T>(x: T): T { return changetype<ExpK>(0).s<T>(x); }
@inline function logOne<T>(x: T): T {
  if (sizeof<T>() == 8) return <T>Math.log(<f64>x);
  return <T>Mathf.log(<f32>x);
}

// One contiguous row (softmax over the last dim), with vector max, exp and scaling.
function softmaxRow<T>(src: usize, dst: usize, n: i32, log: bool): void {
  const w = <i32>(16 / sizeof<T>()), size = sizeof<T>();
  let m = maxSpan<T>(src, n);
  if (m == <T>-Infinity) m = <T>0; // an all -inf row gives nan like PyTorch, not via inf - inf
  const mv = v128.splat<T>(m);
  let sv = v128.splat<T>(<T>0);
  let s: T = 0;
  let i = 0;
  for (; i + w <= n; i += w) {
    const off = <usize>i * size;
    const e = expVec<T>(v128.sub<T>(v128.load(src + off), mv));
    sv = v128.add<T>(sv, e);
    if (!log) v128.store(dst + off, e);
  }
  for (; i < n; i++) {
    const off = <usize>i * size;
    const e = expOne<T>(load<T>(src + off) - m);
    s += e;
    if (!log) store<T>(dst + off, e);
  }
  s += hsum<T>(sv);
  // log: (x - max) first, exact for nearby values, then one rounding for the log term
  const k: T = log ? logOne<T>(s) : <T>1 / s;
  const kv = v128.splat<T>(k);
  for (i = 0; i + w <= n; i += w) {
    const off = <usize>i * size;
    if (log) v128.store(dst + off, v128.sub<T>(v128.sub<T>(v128.load(src + off), mv), kv));
    else v128.store(dst + off, v128.mul<T>(v128.load(dst + off), kv));
  }
  for (; i < n; i++) {
    const off = <usize>i * size;
    if (log) store<T>(dst + off, (load<T>(src + off) - m) - k);
    else store<T>(dst + off, load<T>(dst + off) * k);
  }
}

// General layout [outer, len, inner], strided along the softmax dim.
function softmaxStrided<T>(src: usize, dst: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  const size = sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * len * inner + i);
      let m = <T>-Infinity;
      for (let r = 0; r < len; r++) m = max<T>(m, load<T>(src + (base + <usize>(r * inner)) * size));
      if (m == <T>-Infinity) m = <T>0;
      let s: T = 0;
      for (let r = 0; r < len; r++) {
        const at = (base + <usize>(r * inner)) * size;
        const e = expOne<T>(load<T>(src + at) - m);
        s += e;
        if (!log) store<T>(dst + at, e);
      }
      const k: T = log ? logOne<T>(s) : <T>1 / s;
      for (let r = 0; r < len; r++) {
        const at = (base + <usize>(r * inner)) * size;
        if (log) store<T>(dst + at, (load<T>(src + at) - m) - k);
        else store<T>(dst + at, load<T>(dst + at) * k);
      }
    }
  }
}

function softmaxInto<T>(src: usize, dst: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  if (inner != 1) { softmaxStrided<T>(src, dst, outer, len, inner, log); return; }
  for (let o = 0; o < outer; o++) {
    const off = <usize>(o * len) * sizeof<T>();
    softmaxRow<T>(src + off, dst + off, len, log);
  }
}

// Softmax or LogSoftmax along dim d.
export function softmaxForward(op: i32, x: i32, d: i32): i32 {
  const log = op == Op.LogSoftmax;
  const out = newTensorLike(x);
  const rank = ndim(x);
  const outer = sizeBefore(x, d), inner = sizeAfter(x, d);
  const rows = gathered(x);
  const src = dataPtr(rows), dst = dataPtr(out), len = dim(x, d);
  if (dtypeOf(x) == F64) softmaxInto<f64>(src, dst, outer, len, inner, log);
  else softmaxInto<f32>(src, dst, outer, len, inner, log);
  if (rows != x) release(rows);
  setParamI(out, 0, d);
  record1(out, op, x);
  return out;
}

// The softmax dim kept with size 1: the shape of the per-row sums.
function keptShapeOf(t: i32, d: i32): usize {
  for (let e = 0; e < ndim(t); e++) store<i32>(keptShape + (<usize>e << 2), e == d ? 1 : dim(t, e));
  return keptShape;
}

export function softmaxBackward(t: i32, g: i32, grads: usize): void {
  // dx = y * (g - sum(g * y))
  const d = paramI(t, 0);
  const gy = mul(g, t);
  const s = reduceSum(Op.Sum, gy, 1 << d, ndim(t), keptShapeOf(t, d));
  const c = sub(g, s);
  setGrad(grads, 0, mul(t, c));
  release(gy); release(s); release(c);
}

export function logSoftmaxBackward(t: i32, g: i32, grads: usize): void {
  // dx = g - exp(y) * sum(g)
  const d = paramI(t, 0);
  const s = reduceSum(Op.Sum, g, 1 << d, ndim(t), keptShapeOf(t, d));
  const e = exp(t);
  const m = mul(e, s);
  setGrad(grads, 0, sub(g, m));
  release(s); release(e); release(m);
}

// ---- forward-mode rules ------------------------------------------------------------------

const jvpGrads = heap.alloc(4);

// softmax's Jacobian, diag(y) - y y^T, is symmetric: its backward rule run on the tangent
// is the tangent.
export function softmaxJvp(out: i32, args: usize, tangents: usize): i32 {
  store<i32>(jvpGrads, 0);
  softmaxBackward(out, tangentAt(tangents, 0), jvpGrads);
  return load<i32>(jvpGrads);
}

// dy = dx - sum(e^y dx) along the dim.
export function logSoftmaxJvp(out: i32, args: usize, tangents: usize): i32 {
  const t = tangentAt(tangents, 0), d = paramI(out, 0);
  const e = exp(out);
  const w = mul(e, t);
  const s = reduceSum(Op.Sum, w, 1 << d, ndim(out), keptShapeOf(out, d));
  const r = sub(t, s);
  release(e); release(w); release(s);
  return r;
}
