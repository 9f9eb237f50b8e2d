// Scans along one dim: cumsum, and the same sum run from the end (its adjoint). x is seen
// as [outer, len, inner]; each of the inner columns of each outer block is scanned.

import { newTensorLike, dataPtr, numel, ndim, dim, dtypeOf, release, F64, I32 } from "../tensors";
import { record1, paramI, setParamI, setGrad } from "../graph";
import { Op } from "../generated/table";
import { gathered } from "./views";

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
  let outer = 1, inner = 1;
  for (let e = 0; e < d; e++) outer *= dim(x, e);
  for (let e = d + 1; e < ndim(x); e++) inner *= dim(x, e);
  const len = ndim(x) == 0 ? 1 : dim(x, d);
  if (numel(x) > 0) {
    const src = gathered(x);
    if (dtypeOf(x) == F64) scanInto<f64>(dataPtr(src), dataPtr(out), outer, len, inner, reverse != 0);
    else if (dtypeOf(x) == I32) scanInto<i32>(dataPtr(src), dataPtr(out), outer, len, inner, reverse != 0);
    else scanInto<f32>(dataPtr(src), dataPtr(out), outer, len, inner, reverse != 0);
    if (src != x) release(src);
  }
  if (record1(out, op, x)) {
    setParamI(out, 0, d);
    setParamI(out, 1, reverse);
  }
  return out;
}

// The adjoint of a running sum is the running sum the other way.
export function cumsumBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, cumsumForward(Op.Cumsum, g, paramI(t, 0), paramI(t, 1) != 0 ? 0 : 1));
}
