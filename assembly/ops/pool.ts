// Max pooling over the last two dims of an (N, C, H, W) input: MaxPool2d (sliding windows,
// F.max_pool2d) and AdaptiveMaxPool2d (the windows of F.adaptive_max_pool2d). Each writes
// the maximum of every window and, into `indices` (an int32 (N, C, oh, ow) tensor the
// bindings allocate, which also gives the output's shape), where it lies in its H·W plane:
// PyTorch's return_indices. The gradient goes back through those indices only, so every
// rule is one of two internal ops: PoolScatter adds an (N, C, oh, ow) tensor into zeros of
// (N, C, H, W) at the indices, PoolGather reads an (N, C, H, W) tensor at them; each is the
// other's adjoint.
//
// A window's max is taken as PyTorch's CPU kernel takes it: scanning rows then columns, a
// later element replaces the max when greater or NaN, starting from -inf at the window's
// first element inside the input, so ties go to the first and NaN propagates.
//
// The geometry comes packed as in conv.ts, (h << 16) | w: kernel, dilation, padding, stride.

import { newTensor, newZeros, dataPtr, dim, dtypeOf, strideOf, shapePtr, ndim, MAX_DIMS, F64 } from "../tensors";
import { put } from "../memory";
import { record2, input, needsGrad, setParamI, setGrad, argAt, tangentAt } from "../graph";
import { Op } from "../generated/table";

@inline function hi(p: i32): i32 { return p >>> 16; }
@inline function lo(p: i32): i32 { return p & 0xffff; }

// Where one window starts (its first tap inside the input), ends (exclusive) and steps,
// along one dim, for output position o.
let from = 0, to = 0;
@inline function slide(o: i32, size: i32, kernel: i32, dilation: i32, pad: i32, stride: i32): void {
  let s = o * stride - pad;
  const e = min(s + (kernel - 1) * dilation + 1, size);
  while (s < 0) s += dilation;
  from = s; to = e;
}
// PyTorch's adaptive windows: [floor(o·size/out), ceil((o+1)·size/out)).
@inline function adapt(o: i32, size: i32, out: i32): void {
  from = <i32>((<i64>o * size) / out);
  to = <i32>((<i64>(o + 1) * size + out - 1) / out);
}

function maxPoolInto<T>(x: i32, out: i32, indices: i32, adaptive: bool, kernel: i32, dilation: i32, padding: i32, stride: i32): void {
  const n = dim(x, 0), c = dim(x, 1), h = dim(x, 2), w = dim(x, 3);
  const oh = dim(out, 2), ow = dim(out, 3);
  const s0 = strideOf(x, 0), s1 = strideOf(x, 1), s2 = strideOf(x, 2), s3 = strideOf(x, 3);
  const kh = hi(kernel), kw = lo(kernel), dh = adaptive ? 1 : hi(dilation), dw = adaptive ? 1 : lo(dilation);
  const ph = hi(padding), pw = lo(padding), sh = hi(stride), sw = lo(stride);
  const size = <usize>sizeof<T>(), px = dataPtr(x);
  let po = dataPtr(out), pi = dataPtr(indices);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = px + <usize>(b * s0 + ch * s1) * size;
      for (let oy = 0; oy < oh; oy++) {
        if (adaptive) adapt(oy, h, oh); else slide(oy, h, kh, dh, ph, sh);
        const y0 = from, y1 = to;
        for (let ox = 0; ox < ow; ox++, po += size, pi += 4) {
          if (adaptive) adapt(ox, w, ow); else slide(ox, w, kw, dw, pw, sw);
          const x0 = from, x1 = to;
          // a window whose taps all fall in the padding (dilation past the input) has no
          // position: -1, which the scatter and gather skip
          let best = <T>-Infinity, at = y0 < y1 && x0 < x1 ? y0 * w + x0 : -1;
          for (let iy = y0; iy < y1; iy += dh) {
            const row = plane + <usize>(iy * s2) * size;
            for (let ix = x0; ix < x1; ix += dw) {
              const v = load<T>(row + <usize>(ix * s3) * size);
              if (v > best || v != v) { best = v; at = iy * w + ix; }
            }
          }
          store<T>(po, best);
          store<i32>(pi, at);
        }
      }
    }
  }
}

/**
 * The max of each window of x (N, C, H, W) into the shape of `indices`, and its position in
 * its plane into `indices`. AdaptiveMaxPool2d ignores the geometry (its windows follow from
 * the sizes).
 */
export function maxPoolForward(op: i32, x: i32, indices: i32, kernel: i32, dilation: i32, padding: i32, stride: i32): i32 {
  const out = newTensor(4, shapePtr(indices), dtypeOf(x));
  const adaptive = op == Op.AdaptiveMaxPool2d;
  if (dtypeOf(x) == F64) maxPoolInto<f64>(x, out, indices, adaptive, kernel, dilation, padding, stride);
  else maxPoolInto<f32>(x, out, indices, adaptive, kernel, dilation, padding, stride);
  setParamI(out, 0, kernel);
  setParamI(out, 1, dilation);
  setParamI(out, 2, padding);
  setParamI(out, 3, stride);
  record2(out, op, x, indices);
  return out;
}

// g (N, C, oh, ow, any strides) added into the (N, C, H, W) planes of out at indices.
function scatterInto<T>(g: i32, indices: i32, out: i32): void {
  const n = dim(g, 0), c = dim(g, 1), oh = dim(g, 2), ow = dim(g, 3);
  const plane = dim(out, 2) * dim(out, 3);
  const s0 = strideOf(g, 0), s1 = strideOf(g, 1), s2 = strideOf(g, 2), s3 = strideOf(g, 3);
  const size = <usize>sizeof<T>(), pg = dataPtr(g);
  let pi = dataPtr(indices);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = dataPtr(out) + <usize>((b * c + ch) * plane) * size;
      for (let oy = 0; oy < oh; oy++) {
        const row = pg + <usize>(b * s0 + ch * s1 + oy * s2) * size;
        for (let ox = 0; ox < ow; ox++, pi += 4) {
          const at = load<i32>(pi);
          if (at < 0) continue;
          const target = base + <usize>at * size;
          store<T>(target, load<T>(target) + load<T>(row + <usize>(ox * s3) * size));
        }
      }
    }
  }
}

// x (N, C, H, W, any strides) read at indices into out (indices' shape).
function gatherInto<T>(x: i32, indices: i32, out: i32): void {
  const n = dim(out, 0), c = dim(out, 1), count = dim(out, 2) * dim(out, 3), w = dim(x, 3);
  const s0 = strideOf(x, 0), s1 = strideOf(x, 1), s2 = strideOf(x, 2), s3 = strideOf(x, 3);
  const size = <usize>sizeof<T>(), px = dataPtr(x);
  let pi = dataPtr(indices), po = dataPtr(out);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = px + <usize>(b * s0 + ch * s1) * size;
      for (let k = 0; k < count; k++, pi += 4, po += size) {
        const at = load<i32>(pi);
        store<T>(po, at < 0 ? <T>0 : load<T>(plane + <usize>((at / w) * s2 + (at % w) * s3) * size));
      }
    }
  }
}

const shape = heap.alloc(MAX_DIMS << 2);

/** Zeros of (N, C, height, width) with g (N, C, oh, ow) added at indices. */
export function poolScatterForward(op: i32, g: i32, indices: i32, height: i32, width: i32): i32 {
  put(shape, 0, dim(g, 0));
  put(shape, 1, dim(g, 1));
  put(shape, 2, height);
  put(shape, 3, width);
  const out = newZeros(4, shape, dtypeOf(g));
  if (dtypeOf(g) == F64) scatterInto<f64>(g, indices, out);
  else scatterInto<f32>(g, indices, out);
  record2(out, op, g, indices);
  return out;
}

/** x (N, C, H, W) read at indices (N, C, oh, ow). */
export function poolGatherForward(op: i32, x: i32, indices: i32): i32 {
  const out = newTensor(ndim(indices), shapePtr(indices), dtypeOf(x));
  if (dtypeOf(x) == F64) gatherInto<f64>(x, indices, out);
  else gatherInto<f32>(x, indices, out);
  record2(out, op, x, indices);
  return out;
}

// The gradient of a window's max goes to the element the index names.
export function maxPoolBackward(t: i32, g: i32, grads: usize): void {
  if (!needsGrad(t, 0)) return;
  const x = input(t, 0);
  setGrad(grads, 0, poolScatterForward(Op.PoolScatter, g, input(t, 1), dim(x, 2), dim(x, 3)));
}

export function poolScatterBackward(t: i32, g: i32, grads: usize): void {
  if (needsGrad(t, 0)) setGrad(grads, 0, poolGatherForward(Op.PoolGather, g, input(t, 1)));
}

export function poolGatherBackward(t: i32, g: i32, grads: usize): void {
  if (!needsGrad(t, 0)) return;
  const x = input(t, 0);
  setGrad(grads, 0, poolScatterForward(Op.PoolScatter, g, input(t, 1), dim(x, 2), dim(x, 3)));
}

// ---- forward-mode rules ------------------------------------------------------------------
// The scatter and the gather are linear; a window's max carries the tangent of the element
// it was taken from, so max pooling's rule is the gather's.

export function poolGatherJvp(out: i32, args: usize, tangents: usize): i32 {
  return poolGatherForward(Op.PoolGather, tangentAt(tangents, 0), argAt(args, 1));
}

export function poolScatterJvp(out: i32, args: usize, tangents: usize): i32 {
  return poolScatterForward(Op.PoolScatter, tangentAt(tangents, 0), argAt(args, 1), dim(out, 2), dim(out, 3));
}
