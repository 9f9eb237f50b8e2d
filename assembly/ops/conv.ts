// im2col and col2im, the two halves of a convolution: Im2Col (F.unfold) copies every
// sliding block of an (N, C, H, W) input into a column of an (N, C·kh·kw, L) output, and
// Col2Im (F.fold) adds such columns back into an (N, C, H, W) image, summing where blocks
// overlap. Each is linear and the other's adjoint, so each one's backward rule is the other
// op, recorded, and double backward works.
//
// The geometry comes packed, each parameter a pair as (h << 16) | w: kernel, dilation,
// padding, stride (the bindings refuse values that do not fit 16 bits). Col2Im's output
// size is two more words. The bindings have checked every shape; the kernels trust them.
//
// One output row of Im2Col holds, for one channel and kernel offset (ki, kj), the input
// pixels that offset meets in every block: for stride 1 each of its oh segments is a
// contiguous run of an input row (between zero-padded ends), copied with copyBytes;
// Col2Im adds the same runs back with SIMD. Inputs are read through their strides.

import { newTensor, newZeros, dataPtr, dim, dtypeOf, strideOf, release, MAX_DIMS, F64 } from "../tensors";
import { transposed } from "./views";
import { put, copyBytes, zeroBytes } from "../memory";
import { record1, input, needsGrad, paramI, setParamI, setGrad, tangentAt } from "../graph";
import { Op } from "../generated/table";

@inline function hi(p: i32): i32 { return p >>> 16; }
@inline function lo(p: i32): i32 { return p & 0xffff; }

// The number of positions of a window of `size` taps, `dilation` apart, over `n` elements
// padded by `pad` on both sides, moved `stride` at a time.
@inline function blocks(n: i32, size: i32, dilation: i32, pad: i32, stride: i32): i32 {
  return (n + 2 * pad - dilation * (size - 1) - 1) / stride + 1;
}

// The outputs ox (of ow) whose input column start + ox * stride lies in [0, w): [first, end).
let first = 0, end = 0;
@inline function inside(start: i32, stride: i32, w: i32, ow: i32): void {
  first = start >= 0 ? 0 : min(ow, (-start + stride - 1) / stride);
  end = start >= w ? 0 : min(ow, (w - 1 - start) / stride + 1);
  if (end < first) end = first;
}

// The geometry of one call, unpacked.
let kh = 0, kw = 0, dh = 0, dw = 0, ph = 0, pw = 0, sh = 0, sw = 0;
function unpack(kernel: i32, dilation: i32, padding: i32, stride: i32): void {
  kh = hi(kernel); kw = lo(kernel); dh = hi(dilation); dw = lo(dilation);
  ph = hi(padding); pw = lo(padding); sh = hi(stride); sw = lo(stride);
}

// Rows of out: (N, C·kh·kw, L), or (C·kh·kw, N, L) with `batchInner`.
function im2colInto<T>(x: i32, out: i32, oh: i32, ow: i32, batchInner: bool): void {
  const n = dim(x, 0), c = dim(x, 1), h = dim(x, 2), w = dim(x, 3);
  const s0 = strideOf(x, 0), s1 = strideOf(x, 1), s2 = strideOf(x, 2), s3 = strideOf(x, 3);
  const size = <usize>sizeof<T>(), px = dataPtr(x), po = dataPtr(out);
  const rows = c * kh * kw, length = oh * ow;
  const runs = sw == 1 && s3 == 1;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = px + <usize>(b * s0 + ch * s1) * size;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const r = (ch * kh + ki) * kw + kj;
          let dst = po + <usize>((batchInner ? r * n + b : b * rows + r) * length) * size;
          const start = kj * dw - pw;
          inside(start, sw, w, ow);
          const a = first, e = end;
          for (let oy = 0; oy < oh; oy++, dst += <usize>ow * size) {
            const iy = oy * sh - ph + ki * dh;
            if (iy < 0 || iy >= h) { zeroBytes(dst, <usize>ow * size); continue; }
            if (a > 0) zeroBytes(dst, <usize>a * size);
            if (e < ow) zeroBytes(dst + <usize>e * size, <usize>(ow - e) * size);
            const row = plane + <usize>(iy * s2) * size;
            if (runs) {
              copyBytes(dst + <usize>a * size, row + <usize>(start + a) * size, <usize>(e - a) * size);
            } else {
              for (let ox = a; ox < e; ox++) {
                store<T>(dst + <usize>ox * size, load<T>(row + <usize>((start + ox * sw) * s3) * size));
              }
            }
          }
        }
      }
    }
  }
}

// dst[i] += src[i] for i < n, both contiguous.
@inline function addRun<T>(dst: usize, src: usize, n: i32): void {
  const lanes = <i32>(16 / sizeof<T>()), size = <usize>sizeof<T>();
  let i = 0;
  for (; i + lanes <= n; i += lanes) {
    const o = <usize>i * size;
    v128.store(dst + o, v128.add<T>(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * size;
    store<T>(dst + o, load<T>(dst + o) + load<T>(src + o));
  }
}

function col2imInto<T>(cols: i32, out: i32, oh: i32, ow: i32): void {
  const n = dim(out, 0), c = dim(out, 1), h = dim(out, 2), w = dim(out, 3);
  const s0 = strideOf(cols, 0), s1 = strideOf(cols, 1), s2 = strideOf(cols, 2);
  const size = <usize>sizeof<T>(), pc = dataPtr(cols), po = dataPtr(out);
  const runs = sw == 1 && s2 == 1;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = po + <usize>((b * c + ch) * h * w) * size;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const r = (ch * kh + ki) * kw + kj;
          const src = pc + <usize>(b * s0 + r * s1) * size;
          const start = kj * dw - pw;
          inside(start, sw, w, ow);
          const a = first, e = end;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh - ph + ki * dh;
            if (iy < 0 || iy >= h) continue;
            const row = plane + <usize>(iy * w) * size;
            const from = src + <usize>(oy * ow * s2) * size;
            if (runs) {
              addRun<T>(row + <usize>(start + a) * size, from + <usize>a * size, e - a);
            } else {
              for (let ox = a; ox < e; ox++) {
                const to = row + <usize>(start + ox * sw) * size;
                store<T>(to, load<T>(to) + load<T>(from + <usize>(ox * s2) * size));
              }
            }
          }
        }
      }
    }
  }
}

const shape = heap.alloc(MAX_DIMS << 2);

function remember(out: i32, kernel: i32, dilation: i32, padding: i32, stride: i32): void {
  setParamI(out, 0, kernel);
  setParamI(out, 1, dilation);
  setParamI(out, 2, padding);
  setParamI(out, 3, stride);
}

/**
 * F.unfold of x (N, C, H, W): its sliding blocks as the columns of (N, C·kh·kw, L); with
 * `batchInner`, (C·kh·kw, N, L), whose rows then hold every sample's blocks in a row, so
 * that a convolution is one matrix product over the whole batch.
 */
export function im2colForward(op: i32, x: i32, kernel: i32, dilation: i32, padding: i32, stride: i32, batchInner: i32): i32 {
  unpack(kernel, dilation, padding, stride);
  const oh = blocks(dim(x, 2), kh, dh, ph, sh), ow = blocks(dim(x, 3), kw, dw, pw, sw);
  const n = dim(x, 0), rows = dim(x, 1) * kh * kw;
  put(shape, 0, batchInner != 0 ? rows : n);
  put(shape, 1, batchInner != 0 ? n : rows);
  put(shape, 2, oh * ow);
  const out = newTensor(3, shape, dtypeOf(x));
  if (dtypeOf(x) == F64) im2colInto<f64>(x, out, oh, ow, batchInner != 0);
  else im2colInto<f32>(x, out, oh, ow, batchInner != 0);
  remember(out, kernel, dilation, padding, stride);
  setParamI(out, 4, batchInner);
  record1(out, op, x);
  return out;
}

/** F.fold of cols (N, C·kh·kw, L) into (N, C, height, width), overlapping blocks summed. */
export function col2imForward(op: i32, cols: i32, kernel: i32, dilation: i32, padding: i32, stride: i32,
  height: i32, width: i32): i32 {
  unpack(kernel, dilation, padding, stride);
  const oh = blocks(height, kh, dh, ph, sh), ow = blocks(width, kw, dw, pw, sw);
  put(shape, 0, dim(cols, 0));
  put(shape, 1, dim(cols, 1) / (kh * kw));
  put(shape, 2, height);
  put(shape, 3, width);
  const out = newZeros(4, shape, dtypeOf(cols));
  if (dtypeOf(cols) == F64) col2imInto<f64>(cols, out, oh, ow);
  else col2imInto<f32>(cols, out, oh, ow);
  remember(out, kernel, dilation, padding, stride);
  setParamI(out, 4, height);
  setParamI(out, 5, width);
  record1(out, op, cols);
  return out;
}

// Col2Im reads its columns through their strides: a (C·kh·kw, N, L) gradient is given
// to it as a transposed view (recorded, for double backward).
export function im2colBackward(t: i32, g: i32, grads: usize): void {
  if (!needsGrad(t, 0)) return;
  const x = input(t, 0), batchInner = paramI(t, 4) != 0;
  const cols = batchInner ? transposed(g, 0, 1) : g;
  setGrad(grads, 0, col2imForward(Op.Col2Im, cols, paramI(t, 0), paramI(t, 1), paramI(t, 2), paramI(t, 3),
    dim(x, 2), dim(x, 3)));
  if (batchInner) release(cols);
}

export function col2imBackward(t: i32, g: i32, grads: usize): void {
  if (!needsGrad(t, 0)) return;
  setGrad(grads, 0, im2colForward(Op.Im2Col, g, paramI(t, 0), paramI(t, 1), paramI(t, 2), paramI(t, 3), 0));
}

// ---- forward-mode rules: both ops are linear ---------------------------------------------

export function im2colJvp(out: i32, args: usize, tangents: usize): i32 {
  return im2colForward(Op.Im2Col, tangentAt(tangents, 0), paramI(out, 0), paramI(out, 1), paramI(out, 2), paramI(out, 3), paramI(out, 4));
}

export function col2imJvp(out: i32, args: usize, tangents: usize): i32 {
  return col2imForward(Op.Col2Im, tangentAt(tangents, 0), paramI(out, 0), paramI(out, 1), paramI(out, 2), paramI(out, 3),
    paramI(out, 4), paramI(out, 5));
}
