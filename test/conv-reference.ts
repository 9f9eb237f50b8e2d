// Float64 references for im2col, col2im and max pooling, written from their definitions
// with plain loops (independently of wasmgrad's kernels), for the gradient checks.
import { ref, type Ref } from "./reference.js";

export interface Geometry2 {
  kernel: [number, number];
  dilation: [number, number];
  padding: [number, number];
  stride: [number, number];
}

const count = (n: number, k: number, d: number, p: number, s: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

// Visits every (block, tap): the column row r, block l and the input pixel (y, x) it reads.
function eachTap(c: number, h: number, w: number, g: Geometry2, visit: (ch: number, r: number, l: number, y: number, x: number) => void) {
  const [kh, kw] = g.kernel, oh = count(h, kh, g.dilation[0], g.padding[0], g.stride[0]);
  const ow = count(w, kw, g.dilation[1], g.padding[1], g.stride[1]);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    for (let by = 0; by < oh; by++) for (let bx = 0; bx < ow; bx++) {
      const y = by * g.stride[0] - g.padding[0] + i * g.dilation[0], x = bx * g.stride[1] - g.padding[1] + j * g.dilation[1];
      visit(ch, (ch * kh + i) * kw + j, by * ow + bx, y, x);
    }
  }
  return oh * ow;
}

/** F.unfold of x (N, C, H, W). */
export function im2colRef(x: Ref, g: Geometry2): Ref {
  const [n, c, h, w] = x.shape, rows = c * g.kernel[0] * g.kernel[1];
  const length = eachTap(c, h, w, g, () => {});
  const out = new Float64Array(n * rows * length);
  for (let b = 0; b < n; b++) {
    eachTap(c, h, w, g, (ch, r, l, y, xx) => {
      if (y >= 0 && y < h && xx >= 0 && xx < w) out[(b * rows + r) * length + l] = x.data[((b * c + ch) * h + y) * w + xx];
    });
  }
  return ref([n, rows, length], out);
}

/** F.fold of cols (N, C·kh·kw, L) into (N, C, h, w). */
export function col2imRef(cols: Ref, [h, w]: [number, number], g: Geometry2): Ref {
  const [n, rows, length] = cols.shape, c = rows / (g.kernel[0] * g.kernel[1]);
  const out = new Float64Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    eachTap(c, h, w, g, (ch, r, l, y, xx) => {
      if (y >= 0 && y < h && xx >= 0 && xx < w) out[((b * c + ch) * h + y) * w + xx] += cols.data[(b * rows + r) * length + l];
    });
  }
  return ref([n, c, h, w], out);
}

/** The max of each window of x (N, C, H, W) and its flat position in its plane (windows given per dim). */
export function maxPoolRef(x: Ref, rows: [number, number][], cols: [number, number][], step: [number, number] = [1, 1]): { out: Ref; at: number[] } {
  const [n, c, h, w] = x.shape;
  const out: number[] = [], at: number[] = [];
  for (let p = 0; p < n * c; p++) {
    for (const [y0, y1] of rows) for (const [x0, x1] of cols) {
      let best = -Infinity, where = -1;
      for (let y = y0; y < y1; y += step[0]) for (let xx = x0; xx < x1; xx += step[1]) {
        if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
        const v = x.data[p * h * w + y * w + xx];
        if (where < 0 || v > best) { best = v; where = y * w + xx; }
      }
      out.push(best);
      at.push(where);
    }
  }
  return { out: ref([n, c, rows.length, cols.length], out), at };
}

/** The windows [start, end) of a sliding window along one dim. */
export const slidingWindows = (out: number, k: number, stride: number, pad: number, dilation = 1): [number, number][] =>
  Array.from({ length: out }, (_, o) => [o * stride - pad, o * stride - pad + (k - 1) * dilation + 1]);

/** PyTorch's adaptive windows along one dim. */
export const adaptiveWindows = (size: number, out: number): [number, number][] =>
  Array.from({ length: out }, (_, o) => [Math.floor((o * size) / out), Math.ceil(((o + 1) * size) / out)]);
