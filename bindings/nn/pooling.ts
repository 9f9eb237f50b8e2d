// torch.nn.functional's pooling, with PyTorch 1.13's checks and messages:
// max_pool1d/2d and adaptive_max_pool1d/2d run the core's max pooling kernel (one pass, the
// argmax kept for the gradient and for return_indices: flat positions in each H·W plane,
// int32 as wasmgrad has no int64); avg_pool1d/2d are an im2col and a sum over each window,
// divided by PyTorch's divisors; adaptive_avg_pool1d/2d multiply by averaging matrices
// (separable: one along each dim). 1-D pooling is 2-D pooling over a height of 1.

import { Tensor, allocate } from "../tensor.js";
import { ops } from "../core.js";
import { tensor } from "../create.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { checkSize, describe, fail, formatShape } from "../shape.js";
import { floatingInput, packed, sizes, tensorInput, type Size1, type Size2 } from "./conv-args.js";
import { im2col } from "./conv-unfold.js";
import { constantPad } from "./pad.js";

export interface MaxPoolOptions<S> {
  /** The window's step (the kernel size when not given). */
  stride?: S | null;
  padding?: S;
  dilation?: S;
  ceil_mode?: boolean;
  return_indices?: boolean;
}

export interface AvgPoolOptions<S> {
  stride?: S | null;
  padding?: S;
  ceil_mode?: boolean;
  count_include_pad?: boolean;
}

export interface AvgPool2dOptions extends AvgPoolOptions<Size2> {
  divisor_override?: number | null;
}

const anything = { expected: "an integer or a list of integers", test: () => true };
const MAX_OPTIONS = { stride: anything, padding: anything, dilation: anything, ceil_mode: "boolean", return_indices: "boolean" } as const;
const AVG_OPTIONS = { stride: anything, padding: anything, ceil_mode: "boolean", count_include_pad: "boolean" } as const;
const AVG2D_OPTIONS = { ...AVG_OPTIONS, divisor_override: { expected: "a number", test: (v: unknown) => v === null || typeof v === "number" } } as const;

type WithIndices = [Tensor, Tensor];

// ---- geometry ----------------------------------------------------------------------------

interface Window {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
}

// PyTorch's pooling_output_shape: with ceil_mode the last window may hang over the end,
// but must start inside the input or its left padding.
function outputSize(size: number, k: number, pad: number, stride: number, dilation: number, ceil: boolean): number {
  const span = size + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

function window(op: string, dims: number, kernel_size: unknown, options: { stride?: unknown; padding?: unknown; dilation?: unknown }): Window {
  const kernel = sizes(op, "kernel_size", kernel_size, dims);
  return {
    kernel,
    stride: sizes(op, "stride", options.stride, dims, kernel),
    padding: sizes(op, "padding", options.padding, dims, new Array<number>(dims).fill(0)),
    dilation: sizes(op, "dilation", options.dilation, dims, new Array<number>(dims).fill(1)),
  };
}

// PyTorch's pool2d_shape_check, on the 2-D window w (1-D ones lifted) and input (N, C, H, W).
function checkWindow(op: string, w: Window, shape: readonly number[], ceil: boolean): number[] {
  if (w.stride.some((s) => s === 0)) fail(op, "stride should not be zero");
  if (w.kernel.some((k) => k <= 0)) fail(op, `kernel size should be greater than zero, but got kH: ${w.kernel[0]} kW: ${w.kernel[1]}`);
  if (w.stride.some((s) => s < 0)) fail(op, `stride should be greater than zero, but got dH: ${w.stride[0]} dW: ${w.stride[1]}`);
  if (w.dilation.some((d) => d <= 0)) {
    fail(op, `dilation should be greater than zero, but got dilationH: ${w.dilation[0]} dilationW: ${w.dilation[1]}`);
  }
  const negative = w.padding.find((p) => p < 0);
  if (negative !== undefined) fail(op, `pad must be non-negative, but got pad: ${negative}`);
  w.padding.forEach((p, i) => {
    if (p > Math.floor(w.kernel[i] / 2)) {
      fail(op, `pad should be at most half of kernel size, but got pad=${p} and kernel_size=${w.kernel[i]}`);
    }
  });
  const [c, h, wd] = shape.slice(1);
  const out = [h, wd].map((s, i) => outputSize(s, w.kernel[i], w.padding[i], w.stride[i], w.dilation[i], ceil));
  if (out.some((o) => o < 1)) {
    fail(op, `Given input size: (${c}x${h}x${wd}). Calculated output size: (${c}x${out[0]}x${out[1]}). Output size is too small`);
  }
  return out;
}

const lifted = (dims: number, v: number[], fill: number) => (dims === 1 ? [fill, ...v] : v);
const lift1d = (w: Window): Window => ({
  kernel: [1, ...w.kernel], stride: [1, ...w.stride], padding: [0, ...w.padding], dilation: [1, ...w.dilation],
});

// input's shape as (N, C, H, W): unbatched inputs get N = 1, 1-D ones H = 1.
function imageShape(x: Tensor, dims: number): number[] {
  const batched = x.ndim === dims + 2 ? x._shape : [1, ...x._shape];
  return dims === 1 ? [batched[0], batched[1], 1, batched[2]] : batched.slice();
}

// input as that image, and the way back to input's layout.
function asImage(x: Tensor, dims: number): { image: Tensor; back: (t: Tensor) => Tensor } {
  const batched = x.ndim === dims + 2;
  let image = batched ? x : x.unsqueeze(0);
  if (dims === 1) image = image.unsqueeze(2);
  return {
    image,
    back: (t) => {
      let r = dims === 1 ? t.squeeze(2) : t;
      if (!batched) r = r.squeeze(0);
      return r;
    },
  };
}

function checkRank(op: string, x: Tensor, dims: number, message: string): void {
  if (x.ndim !== dims + 1 && x.ndim !== dims + 2) fail(op, message);
  if (x._shape.slice(x.ndim - dims - 1).some((s) => s === 0)) {
    fail(op, `Expected ${dims + 1}D or ${dims + 2}D (batch mode) tensor with optional 0 dim batch size for input, but got:${formatShape(x._shape)}`);
  }
}

// ---- max pooling -------------------------------------------------------------------------

function maxPool(op: string, dims: number, input: unknown, kernel_size: unknown, options: MaxPoolOptions<unknown>): Tensor | WithIndices {
  checkOptions(op, options, MAX_OPTIONS);
  const x = tensorInput(op, "input", input);
  checkRank(op, x, dims, dims === 1
    ? `max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:${formatShape(x._shape)}`
    : "non-empty 3D or 4D (batch mode) tensor expected for input");
  floatingInput(op, op === "max_pool1d" ? "max_pool1d" : "max_pool2d", x);
  const w = window(op, dims, kernel_size, options);
  const ceil = options.ceil_mode ?? false;
  const geometry = dims === 1 ? lift1d(w) : w;
  const image = imageShape(x, dims);
  const [oh, ow] = checkWindow(op, geometry, image, ceil);
  return finishMax(op, x, dims, [image[0], image[1], oh, ow], options.return_indices ?? false, (image, indices) => ops.opMaxPool2d(
    image._live(op), indices._live(op), packed(op, "kernel_size", geometry.kernel), packed(op, "dilation", geometry.dilation),
    packed(op, "padding", geometry.padding), packed(op, "stride", geometry.stride)));
}

// Runs the kernel into (values, indices) of `shape` and brings both back to x's layout.
function finishMax(op: string, x: Tensor, dims: number, shape: number[], returnIndices: boolean,
  run: (image: Tensor, indices: Tensor) => number): Tensor | WithIndices {
  checkSize(op, shape);
  return scope(() => {
    const { image, back } = asImage(x, dims);
    const indices = new Tensor(allocate(shape, "int32"), shape, "int32");
    const values = back(new Tensor(run(image, indices), shape, x.dtype));
    return returnIndices ? [values, back(indices)] as WithIndices : values;
  });
}

/** The max over each window of the last dim of input (N, C, L) or (C, L). */
export function max_pool1d(input: Tensor, kernel_size: Size1, options: MaxPoolOptions<Size1> & { return_indices: true }): WithIndices;
export function max_pool1d(input: Tensor, kernel_size: Size1, options?: MaxPoolOptions<Size1>): Tensor;
export function max_pool1d(input: Tensor, kernel_size: Size1, options: MaxPoolOptions<Size1> = {}): Tensor | WithIndices {
  return maxPool("max_pool1d", 1, input, kernel_size, options);
}

/** The max over each window of the last two dims of input (N, C, H, W) or (C, H, W). */
export function max_pool2d(input: Tensor, kernel_size: Size2, options: MaxPoolOptions<Size2> & { return_indices: true }): WithIndices;
export function max_pool2d(input: Tensor, kernel_size: Size2, options?: MaxPoolOptions<Size2>): Tensor;
export function max_pool2d(input: Tensor, kernel_size: Size2, options: MaxPoolOptions<Size2> = {}): Tensor | WithIndices {
  return maxPool("max_pool2d", 2, input, kernel_size, options);
}

// ---- adaptive pooling ----------------------------------------------------------------------

// output_size as one size per dim; null (or undefined) keeps the input's.
function adaptiveSize(op: string, output_size: unknown, dims: number, spatial: readonly number[], name: string): number[] {
  const list = Array.isArray(output_size) ? output_size : [output_size];
  if ((list.length !== 1 && list.length !== dims) || !list.every((v) => v === null || v === undefined || (typeof v === "number" && Number.isInteger(v)))) {
    throw new TypeError(`${op}(): output_size must be an integer or a list of ${dims} integers (or None), got ${describe(output_size)}`);
  }
  const full = list.length === 1 ? new Array<unknown>(dims).fill(list[0]) : list;
  const size = full.map((v, i) => (v === null || v === undefined ? spatial[i] : (v as number)));
  if (size.some((s) => s < 0)) {
    fail(op, `${name}: elements of output_size must be greater than or equal to 0 but received {${lifted(dims, size, 1).join(", ")}}`);
  }
  return size;
}

function adaptiveRank(op: string, x: Tensor, dims: number): void {
  if (x.ndim !== dims + 1 && x.ndim !== dims + 2) {
    fail(op, dims === 1
      ? `Expected 2 to 3 dimensions, but got ${x.ndim}-dimensional tensor for argument #1 'self' (while checking arguments for ${op})`
      : `${op}(): Expected 3D or 4D tensor, but got: ${formatShape(x._shape)}`);
  }
  const first = x._shape.findIndex((s, d) => d >= x.ndim - dims - 1 && s === 0);
  if (first >= 0) {
    fail(op, `${op === "adaptive_max_pool1d" ? "adaptive_max_pool2d" : op === "adaptive_avg_pool1d" ? "adaptive_avg_pool2d" : op}(): ` +
      `Expected input to have non-zero size for non-batch dimensions, but input has sizes ${formatShape(x._shape)} with ` +
      `dimension ${first} being empty`);
  }
}

// (out, size): row i averages the elements [floor(i·size/out), ceil((i+1)·size/out)).
function averaging(size: number, out: number, dtype: Tensor["dtype"]): Tensor {
  const m = new Float64Array(out * size);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out), end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j++) m[i * size + j] = 1 / (end - start);
  }
  return tensor(m, { shape: [out, size] }).to(dtype);
}

function adaptiveAvg(op: string, dims: number, input: unknown, output_size: unknown): Tensor {
  const x = tensorInput(op, "input", input);
  adaptiveRank(op, x, dims);
  if (!x.is_floating_point) fail(op, `"${op}" not implemented for '${x.dtype === "bool" ? "Bool" : "Int"}'`);
  const spatial = x._shape.slice(x.ndim - dims);
  const size = adaptiveSize(op, output_size, dims, spatial, dims === 1 ? "adaptive_avg_pool2d" : op);
  return scope(() => {
    // along the last dim: x @ Aᵀ; along the one before: the same on the transpose
    let t = x.matmul(averaging(spatial[dims - 1], size[dims - 1], x.dtype).T);
    if (dims === 2) t = t.transpose(-1, -2).matmul(averaging(spatial[0], size[0], x.dtype).T).transpose(-1, -2).contiguous();
    return t;
  });
}

/** The mean over PyTorch's adaptive windows of the last dim of (N, C, L) or (C, L), to output_size. */
export function adaptive_avg_pool1d(input: Tensor, output_size: Size1): Tensor {
  return adaptiveAvg("adaptive_avg_pool1d", 1, input, output_size);
}

/** The mean over PyTorch's adaptive windows of the last two dims, to output_size (null: the input's size). */
export function adaptive_avg_pool2d(input: Tensor, output_size: number | null | [number | null, number | null]): Tensor {
  return adaptiveAvg("adaptive_avg_pool2d", 2, input, output_size);
}

function adaptiveMax(op: string, dims: number, input: unknown, output_size: unknown, options: { return_indices?: boolean }): Tensor | WithIndices {
  checkOptions(op, options, { return_indices: "boolean" });
  const x = tensorInput(op, "input", input);
  adaptiveRank(op, x, dims);
  floatingInput(op, dims === 1 ? "adaptive_max_pool1d" : "adaptive_max_pool2d", x);
  const spatial = x._shape.slice(x.ndim - dims);
  const size = adaptiveSize(op, output_size, dims, spatial, dims === 1 ? "adaptive_max_pool2d" : op);
  const image = imageShape(x, dims);
  return finishMax(op, x, dims, [image[0], image[1], ...lifted(dims, size, 1)], options.return_indices ?? false,
    (image, indices) => ops.opAdaptiveMaxPool2d(image._live(op), indices._live(op), 0, 0, 0, 0));
}

/** The max over PyTorch's adaptive windows of the last dim of (N, C, L) or (C, L). */
export function adaptive_max_pool1d(input: Tensor, output_size: Size1, options: { return_indices: true }): WithIndices;
export function adaptive_max_pool1d(input: Tensor, output_size: Size1, options?: { return_indices?: boolean }): Tensor;
export function adaptive_max_pool1d(input: Tensor, output_size: Size1, options: { return_indices?: boolean } = {}): Tensor | WithIndices {
  return adaptiveMax("adaptive_max_pool1d", 1, input, output_size, options);
}

/** The max over PyTorch's adaptive windows of the last two dims (null: the input's size). */
export function adaptive_max_pool2d(input: Tensor, output_size: number | null | [number | null, number | null],
  options: { return_indices: true }): WithIndices;
export function adaptive_max_pool2d(input: Tensor, output_size: number | null | [number | null, number | null],
  options?: { return_indices?: boolean }): Tensor;
export function adaptive_max_pool2d(input: Tensor, output_size: number | null | [number | null, number | null],
  options: { return_indices?: boolean } = {}): Tensor | WithIndices {
  return adaptiveMax("adaptive_max_pool2d", 2, input, output_size, options);
}

// ---- average pooling ------------------------------------------------------------------------

// PyTorch's divisor of each output along one dim: the window clipped to the padded input
// (count_include_pad) or to the input itself.
function divisors(size: number, k: number, pad: number, stride: number, out: number, includePad: boolean): number[] {
  return Array.from({ length: out }, (_, o) => {
    let start = o * stride - pad;
    let end = Math.min(start + k, size + pad);
    const padded = end - start;
    start = Math.max(start, 0);
    end = Math.min(end, size);
    return includePad ? padded : end - start;
  });
}

function avgPool(op: string, dims: number, input: unknown, kernel_size: unknown,
  options: AvgPoolOptions<unknown> & { divisor_override?: number | null }): Tensor {
  checkOptions(op, options, dims === 1 ? AVG_OPTIONS : AVG2D_OPTIONS);
  const x = tensorInput(op, "input", input);
  checkRank(op, x, dims, dims === 1
    ? `Expected 2 to 3 dimensions, but got ${x.ndim}-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)`
    : `Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${formatShape(x._shape)}`);
  floatingInput(op, dims === 1 ? "avg_pool1d" : "avg_pool2d", x);
  const w = window(op, dims, kernel_size, { ...options, dilation: undefined });
  const override = options.divisor_override ?? null;
  if (override !== null && override === 0) fail(op, "divisor must be not zero");
  const ceil = options.ceil_mode ?? false, includePad = options.count_include_pad ?? true;
  const g = dims === 1 ? lift1d(w) : w;
  return scope(() => {
    const { image, back } = asImage(x, dims);
    const [n, c, h, wd] = image._shape;
    const [oh, ow] = checkWindow(op, g, image._shape, ceil);
    // zeros before the input, and after it up to where the last window ends (cropped where
    // it ends sooner): the im2col then makes exactly the oh x ow windows
    const ends = [h, wd].map((s, i) => ([oh, ow][i] - 1) * g.stride[i] + g.kernel[i] - s - g.padding[i]);
    const padded = g.padding.some((p) => p > 0) || ends.some((e) => e !== 0)
      ? constantPad(image, [g.padding[1], ends[1], g.padding[0], ends[0]], 0, op)
      : image;
    const taps = g.kernel[0] * g.kernel[1];
    const cols = im2col(op, padded, { kernel: g.kernel, stride: g.stride, padding: [0, 0], dilation: [1, 1] });
    const sums = cols.view([n, c, taps, oh * ow]).sum(2);
    const rows = divisors(h, g.kernel[0], g.padding[0], g.stride[0], oh, includePad);
    const cols2 = divisors(wd, g.kernel[1], g.padding[1], g.stride[1], ow, includePad);
    const divisor = new Float64Array(oh * ow);
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) divisor[i * ow + j] = override ?? rows[i] * cols2[j];
    const mean = sums.div(tensor(divisor, { shape: [oh * ow] }).to(x.dtype));
    return back(mean.view([n, c, oh, ow]));
  });
}

/** The mean over each window of the last dim of (N, C, L) or (C, L). */
export function avg_pool1d(input: Tensor, kernel_size: Size1, options: AvgPoolOptions<Size1> = {}): Tensor {
  return avgPool("avg_pool1d", 1, input, kernel_size, options);
}

/** The mean over each window of the last two dims of (N, C, H, W) or (C, H, W). */
export function avg_pool2d(input: Tensor, kernel_size: Size2, options: AvgPool2dOptions = {}): Tensor {
  return avgPool("avg_pool2d", 2, input, kernel_size, options);
}
