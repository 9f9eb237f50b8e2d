// F.max_pool1d/2d, F.avg_pool1d/2d and F.adaptive_avg_pool1d/2d. Max and average pooling
// gather each window's elements as a convolution does (sliding-windows.ts) and reduce them;
// adaptive average pooling is two products with averaging matrices, A_h · x · A_wᵀ, exact
// for any output size.

import { Tensor, tensorArg } from "../tensor.js";
import { tensor } from "../create.js";
import { scope, keep } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { fail, formatShape } from "../shape.js";
import { isFloating } from "../dtype.js";
import { pad } from "./padding.js";
import { outputLength, outputSize, pairOf, windowIndex, type Pair, type Windows } from "./sliding-windows.js";
import "../index-ops.js"; // index_select, gather

export interface PoolOptions {
  /** The step between windows; the kernel size by default. */
  stride?: number | number[] | null;
  padding?: number | number[];
  ceil_mode?: boolean;
}

export interface MaxPoolOptions extends PoolOptions {
  dilation?: number | number[];
  return_indices?: boolean;
}

export interface AvgPoolOptions extends PoolOptions {
  count_include_pad?: boolean;
  divisor_override?: number | null;
}

const SIZE = { expected: "an integer or a list of integers", test: () => true };
const POOL_OPTIONS = { stride: { expected: "an integer, a list of integers or null", test: () => true }, padding: SIZE, ceil_mode: "boolean" } as const;

// The input as (N, C, H, W), and how to give the output back its own rank.
function asImage(op: string, input: unknown, dims: 1 | 2): { x4: Tensor; restore: (t: Tensor) => Tensor } {
  const x = tensorArg(op, "input", input);
  x._live(op);
  const rank = dims + 2;
  if (x.ndim !== rank && x.ndim !== rank - 1) {
    fail(op, `Expected ${rank - 1}D or ${rank}D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions, got shape ${formatShape(x.shape)}`);
  }
  if (!isFloating(x.dtype)) fail(op, `"${op}" not implemented for '${x.dtype}'; convert the input with .float() first`);
  const batched = x.ndim === rank;
  let x4 = batched ? x : x.unsqueeze(0);
  if (dims === 1) x4 = x4.unsqueeze(2);
  return {
    x4,
    restore: (t) => {
      let out = dims === 1 ? t.squeeze(2) : t;
      if (!batched) out = out.squeeze(0);
      return out;
    },
  };
}

function poolWindows(op: string, x4: Tensor, dims: 1 | 2, kernel_size: unknown, options: MaxPoolOptions & AvgPoolOptions): Windows {
  // a 1-D size as 2-D: a height of one (kernel, stride, dilation 1; padding 0)
  const lift = (v: number[], fill = 1) => (dims === 1 ? [fill, v[0]] : v) as Pair;
  const kernel = lift(pairOf(op, "kernel_size", kernel_size, 1, dims));
  const stride = options.stride === undefined || options.stride === null ? kernel : lift(pairOf(op, "stride", options.stride, 1, dims));
  const padding = lift(pairOf(op, "padding", options.padding ?? 0, 0, dims), 0);
  const dilation = lift(pairOf(op, "dilation", options.dilation ?? 1, 1, dims));
  const size = [x4.shape[2], x4.shape[3]] as Pair;
  for (let i = 0; i < 2; i++) {
    if (padding[i] > Math.floor(kernel[i] / 2)) {
      fail(op, `pad should be at most half of kernel size, but got pad=${padding[i]} and kernel_size=${kernel[i]}`);
    }
  }
  const out = [0, 1].map((i) => outputLength(size[i], kernel[i], stride[i], padding[i], dilation[i], options.ceil_mode ?? false)) as Pair;
  if (out[0] <= 0 || out[1] <= 0) {
    fail(op, `Given input size: (${x4.shape.slice(1).join("x")}). Calculated output size: (${x4.shape[1]}x${out.join("x")}). Output size is too small`);
  }
  // rows and columns past the padding that ceil_mode's last windows reach
  const extra = [0, 1].map((i) => Math.max(0, (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - size[i] - 2 * padding[i])) as Pair;
  return { size, kernel, stride, padding, dilation, extra };
}

// The windows of x4, padded with `value`: (N, C, L, kh·kw).
function gathered(x4: Tensor, w: Windows, value: number): Tensor {
  const [ph, pw] = w.padding, [eh, ew] = w.extra ?? [0, 0];
  const padded = ph + pw + eh + ew === 0 ? x4 : pad(x4, [pw, pw + ew, ph, ph + eh], { value });
  const [N, C, Hp, Wp] = padded.shape;
  const [OH, OW] = outputSize(w);
  return padded.reshape([N, C, Hp * Wp]).index_select(2, windowIndex(w, true)).reshape([N, C, OH * OW, w.kernel[0] * w.kernel[1]]);
}

function maxPool(op: string, dims: 1 | 2, input: Tensor, kernel_size: unknown, options: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  checkOptions(op, options, { ...POOL_OPTIONS, dilation: SIZE, return_indices: "boolean" });
  const { x4, restore } = asImage(op, input, dims);
  const w = poolWindows(op, x4, dims, kernel_size, options);
  return scope(() => {
    const [N, C] = x4.shape, [OH, OW] = outputSize(w);
    const { values, indices } = gathered(x4, w, -Infinity).max(3); // (N, C, L): the first maximum of each window, as PyTorch
    const out = restore(values.reshape([N, C, OH, OW]));
    if (!options.return_indices) return out;
    // the window element's position in the unpadded input, flattened over (H, W) as PyTorch's indices
    const positions = inputPositions(w).expand([N, C, -1, -1]);
    const flat = positions.gather(3, indices.unsqueeze(3)).squeeze(3).reshape([N, C, OH, OW]);
    return [out, restore(flat)] as [Tensor, Tensor];
  });
}

const positionMaps = new Map<string, Tensor>();

// For each window element (l, k): its flat index h·W + w in the unpadded input, as int32 (1, 1, L, K).
function inputPositions(w: Windows): Tensor {
  const key = JSON.stringify(w);
  const cached = positionMaps.get(key);
  if (cached !== undefined) return cached;
  const [OH, OW] = outputSize(w), [kh, kw] = w.kernel, [W] = [w.size[1]];
  const L = OH * OW, values = new Int32Array(kh * kw * L);
  for (let ki = 0; ki < kh; ki++) {
    for (let kj = 0; kj < kw; kj++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const h = oh * w.stride[0] + ki * w.dilation[0] - w.padding[0];
          const c = ow * w.stride[1] + kj * w.dilation[1] - w.padding[1];
          values[(oh * OW + ow) * kh * kw + ki * kw + kj] = h * W + c;
        }
      }
    }
  }
  const t = keep(tensor(values, { shape: [1, 1, L, kh * kw] }));
  if (positionMaps.size >= 64) {
    const [oldest, old] = positionMaps.entries().next().value as [string, Tensor];
    positionMaps.delete(oldest);
    old.dispose();
  }
  positionMaps.set(key, t);
  return t;
}

function avgPool(op: string, dims: 1 | 2, input: Tensor, kernel_size: unknown, options: AvgPoolOptions): Tensor {
  checkOptions(op, options, { ...POOL_OPTIONS, count_include_pad: "boolean", divisor_override: { expected: "a number or null", test: (v) => v === null || typeof v === "number" } });
  const { x4, restore } = asImage(op, input, dims);
  const w = poolWindows(op, x4, dims, kernel_size, options);
  const divisor = options.divisor_override ?? null;
  if (divisor !== null && (!Number.isInteger(divisor) || divisor === 0)) fail(op, "divisor must be not zero");
  return scope(() => {
    const [N, C] = x4.shape, [OH, OW] = outputSize(w);
    const sums = gathered(x4, w, 0).sum(3);
    const out = divisor !== null ? sums.div(divisor) : sums.div(windowCounts(w, options.count_include_pad ?? true, x4.dtype));
    return restore(out.reshape([N, C, OH, OW]));
  });
}

// PyTorch's divisor per window: its area clipped to the padded input (or, without
// count_include_pad, to the input itself).
function windowCounts(w: Windows, includePad: boolean, dtype: "float32" | "float64" | "int32" | "bool"): Tensor {
  const [OH, OW] = outputSize(w);
  const counts = new Float64Array(OH * OW);
  const span = (o: number, i: number) => {
    const n = w.size[i], p = w.padding[i];
    let start = o * w.stride[i] - p, end = Math.min(start + w.kernel[i], n + p);
    const area = end - start;
    start = Math.max(start, 0);
    end = Math.min(end, n);
    return includePad ? area : end - start;
  };
  for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) counts[oh * OW + ow] = span(oh, 0) * span(ow, 1);
  return tensor(counts, { dtype: dtype === "float64" ? "float64" : "float32" });
}

/** Max over each kernel window of a (N, C, H, W) or (C, H, W) input; with return_indices, [values, flat indices]. */
export function max_pool2d(input: Tensor, kernel_size: number | number[], options: MaxPoolOptions & { return_indices: true }): [Tensor, Tensor];
export function max_pool2d(input: Tensor, kernel_size: number | number[], options?: MaxPoolOptions): Tensor;
export function max_pool2d(input: Tensor, kernel_size: number | number[], options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPool("max_pool2d", 2, input, kernel_size, options);
}

export function max_pool1d(input: Tensor, kernel_size: number | number[], options: MaxPoolOptions & { return_indices: true }): [Tensor, Tensor];
export function max_pool1d(input: Tensor, kernel_size: number | number[], options?: MaxPoolOptions): Tensor;
export function max_pool1d(input: Tensor, kernel_size: number | number[], options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPool("max_pool1d", 1, input, kernel_size, options);
}

/** Mean over each kernel window (count_include_pad, divisor_override and ceil_mode as PyTorch). */
export function avg_pool2d(input: Tensor, kernel_size: number | number[], options: AvgPoolOptions = {}): Tensor {
  return avgPool("avg_pool2d", 2, input, kernel_size, options);
}

export function avg_pool1d(input: Tensor, kernel_size: number | number[], options: AvgPoolOptions = {}): Tensor {
  return avgPool("avg_pool1d", 1, input, kernel_size, options);
}

// (out, n) averaging matrix: row i averages [⌊i·n/out⌋, ⌈(i+1)·n/out⌉), PyTorch's adaptive bins.
function averagingMatrix(out: number, n: number, dtype: "float32" | "float64"): Tensor {
  const values = new Float64Array(out * n);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * n) / out), end = Math.ceil(((i + 1) * n) / out);
    for (let j = start; j < end; j++) values[i * n + j] = 1 / (end - start);
  }
  return tensor(values, { shape: [out, n], dtype });
}

function adaptiveAvgPool(op: string, dims: 1 | 2, input: Tensor, output_size: unknown): Tensor {
  const { x4, restore } = asImage(op, input, dims);
  const given = dims === 1 ? [output_size] : typeof output_size === "number" ? [output_size, output_size] : output_size;
  if (!Array.isArray(given) || given.length !== dims) fail(op, `output_size must have ${dims} elements, got ${JSON.stringify(output_size)}`);
  // null keeps that dim's input size, as PyTorch's None
  const size = (dims === 1 ? [1, given[0]] : given).map((s, i) => (s === null ? x4.shape[2 + i] : s)) as number[];
  if (!size.every((s) => Number.isInteger(s) && s > 0)) fail(op, `output_size must be positive integers, got ${JSON.stringify(output_size)}`);
  const [H, W] = [x4.shape[2], x4.shape[3]];
  if (H === 0 || W === 0) fail(op, `expected input to have non-zero size for non-batch dimensions, but input has sizes ${formatShape(x4.shape)}`);
  const dtype = x4.dtype as "float32" | "float64";
  return scope(() => {
    const rows = averagingMatrix(size[0], H, dtype), cols = averagingMatrix(size[1], W, dtype);
    return restore(rows.matmul(x4.matmul(cols.t())));
  });
}

/** Average pooling to a fixed output size (PyTorch's bins), any input size. */
export function adaptive_avg_pool2d(input: Tensor, output_size: number | (number | null)[]): Tensor {
  return adaptiveAvgPool("adaptive_avg_pool2d", 2, input, output_size);
}

export function adaptive_avg_pool1d(input: Tensor, output_size: number): Tensor {
  return adaptiveAvgPool("adaptive_avg_pool1d", 1, input, output_size);
}
