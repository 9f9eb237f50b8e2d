// softmax and log_softmax along one dim, numerically stable (the max is subtracted first).

import { newTensorLike, dataPtr, ndim, dim, release } from "../tensors";
import { record1, paramI, setParamI, setGrad } from "../graph";
import { Op } from "../generated/table";
import { expS, expV, hsum, maxSpan } from "./simd";
import { exp, mul, sub } from "./elementwise";
import { reduceSum } from "./reduce";

const keptShape = heap.alloc(8 << 2);

// One contiguous row (softmax over the last dim), with vector max, exp and scaling.
function softmaxRow(src: usize, dst: usize, n: i32, log: bool): void {
  let m = maxSpan(src, n);
  if (m == -Infinity) m = 0; // an all -inf row gives nan like PyTorch, not via inf - inf
  const mv = f32x4.splat(m);
  let sv = f32x4.splat(0);
  let s: f32 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const e = expV(f32x4.sub(v128.load(src + off), mv));
    sv = f32x4.add(sv, e);
    if (!log) v128.store(dst + off, e);
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const e = expS(load<f32>(src + off) - m);
    s += e;
    if (!log) store<f32>(dst + off, e);
  }
  s += hsum(sv);
  // log: (x - max) first, exact for nearby values, then one rounding for the log term
  const k: f32 = log ? Mathf.log(s) : 1.0 / s;
  const kv = f32x4.splat(k);
  for (i = 0; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    if (log) v128.store(dst + off, f32x4.sub(f32x4.sub(v128.load(src + off), mv), kv));
    else v128.store(dst + off, f32x4.mul(v128.load(dst + off), kv));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    if (log) store<f32>(dst + off, (load<f32>(src + off) - m) - k);
    else store<f32>(dst + off, load<f32>(dst + off) * k);
  }
}

// General layout [outer, len, inner], strided along the softmax dim.
function softmaxStrided(src: usize, dst: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * len * inner + i);
      let m = -Infinity as f32;
      for (let r = 0; r < len; r++) m = Mathf.max(m, load<f32>(src + ((base + <usize>(r * inner)) << 2)));
      if (m == -Infinity) m = 0;
      let s: f32 = 0;
      for (let r = 0; r < len; r++) {
        const at = (base + <usize>(r * inner)) << 2;
        const e = expS(load<f32>(src + at) - m);
        s += e;
        if (!log) store<f32>(dst + at, e);
      }
      const k: f32 = log ? Mathf.log(s) : 1.0 / s;
      for (let r = 0; r < len; r++) {
        const at = (base + <usize>(r * inner)) << 2;
        if (log) store<f32>(dst + at, (load<f32>(src + at) - m) - k);
        else store<f32>(dst + at, load<f32>(dst + at) * k);
      }
    }
  }
}

// Softmax or LogSoftmax along dim d.
export function softmaxForward(op: i32, x: i32, d: i32): i32 {
  const log = op == Op.LogSoftmax;
  const out = newTensorLike(x);
  const rank = ndim(x);
  let outer = 1, inner = 1;
  for (let e = 0; e < d; e++) outer *= dim(x, e);
  for (let e = d + 1; e < rank; e++) inner *= dim(x, e);
  const src = dataPtr(x), dst = dataPtr(out), len = dim(x, d);
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const off = <usize>(o * len) << 2;
      softmaxRow(src + off, dst + off, len, log);
    }
  } else {
    softmaxStrided(src, dst, outer, len, inner, log);
  }
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
