// softmax and log_softmax along one dim, numerically stable (the max is subtracted first).

import {
  newTensorLike, dataPtr, ndim, dim, shapePtr, geti, seti, release, IN0, PARAM_I, SAVE_OUT,
} from "../tensors";
import { record } from "../tape";
import { Op } from "./codes";
import { expS } from "./simd";
import { unary, mul, sub, give } from "./elementwise";
import { reduceSum } from "./reduce";

const keptShape = heap.alloc(8 << 2);

function softmaxKernel(src: usize, dst: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * len * inner + i);
      let m = -Infinity as f32;
      for (let r = 0; r < len; r++) {
        const v = load<f32>(src + ((base + <usize>(r * inner)) << 2));
        if (v > m || v != v) m = v;
      }
      if (m == -Infinity) m = 0; // an all -inf row gives nan like PyTorch, not via inf - inf
      let s: f32 = 0;
      for (let r = 0; r < len; r++) {
        const at = (base + <usize>(r * inner)) << 2;
        const e = expS(load<f32>(src + at) - m);
        s += e;
        if (!log) store<f32>(dst + at, e);
      }
      const logSum = Mathf.log(s);
      const inv: f32 = 1.0 / s;
      for (let r = 0; r < len; r++) {
        const at = (base + <usize>(r * inner)) << 2;
        // (x - max) first: exact for nearby values, then one rounding for the log term
        if (log) store<f32>(dst + at, (load<f32>(src + at) - m) - logSum);
        else store<f32>(dst + at, load<f32>(dst + at) * inv);
      }
    }
  }
}

export function softmax(x: i32, d: i32, log: bool): i32 {
  const out = newTensorLike(x);
  const rank = ndim(x);
  let outer = 1, inner = 1;
  for (let e = 0; e < d; e++) outer *= dim(x, e);
  for (let e = d + 1; e < rank; e++) inner *= dim(x, e);
  softmaxKernel(dataPtr(x), dataPtr(out), outer, dim(x, d), inner, log);
  seti(out, PARAM_I, d);
  record(out, log ? Op.LogSoftmax : Op.Softmax, x, 0, SAVE_OUT);
  return out;
}

export function softmaxBackward(t: i32, op: i32, g: i32): void {
  const d = geti(t, PARAM_I);
  const rank = ndim(t);
  for (let e = 0; e < rank; e++) store<i32>(keptShape + (<usize>e << 2), e == d ? 1 : dim(t, e));
  if (op == Op.Softmax) {
    // dx = y * (g - sum(g * y))
    const gy = mul(g, t);
    const s = reduceSum(Op.Sum, gy, 1 << d, rank, keptShape, 1);
    const c = sub(g, s);
    give(t, IN0, mul(t, c));
    release(gy); release(s); release(c);
  } else {
    // dx = g - exp(y) * sum(g)
    const s = reduceSum(Op.Sum, g, 1 << d, rank, keptShape, 1);
    const e = unary(Op.Exp, t);
    const m = mul(e, s);
    give(t, IN0, sub(g, m));
    release(s); release(e); release(m);
  }
}
