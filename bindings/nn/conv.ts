// torch.nn.functional's convolutions: conv1d, conv2d, conv_transpose1d and
// conv_transpose2d, with PyTorch 1.13's checks and messages; and unfold and fold.
//
// A convolution is an im2col followed by one (batched) matrix product: the input's blocks
// become the columns of (N, C·kh·kw, L), and the weight, seen as (groups, OC/groups,
// C/groups·kh·kw), multiplies them group by group. A transposed convolution is the
// adjoint: the weight's transpose times the input gives the columns, and col2im sums them
// into the output. Gradients for input, weight and bias come from the parts' rules
// (matmul, im2col/col2im, add). 1-D convolutions are 2-D ones over a height of 1.

import { Tensor } from "../tensor.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { fail, formatShape } from "../shape.js";
import { cTypeName, scalarTypeName } from "../dtype.js";
import { sizes, tensorInput, type Size1, type Size2 } from "./conv-args.js";
import { col2im, im2col, type Geometry } from "./conv-unfold.js";
import { constantPad } from "./pad.js";

export { unfold, fold, type UnfoldOptions } from "./conv-unfold.js";

export interface ConvOptions<S> {
  stride?: S;
  /** An integer or one per spatial dim, or "valid" (no padding) or "same" (the output the input's size; stride 1). */
  padding?: S | "valid" | "same";
  dilation?: S;
  groups?: number;
}

export interface ConvTransposeOptions<S> {
  stride?: S;
  padding?: S;
  output_padding?: S;
  groups?: number;
  dilation?: S;
}

const anything = { expected: "an integer or a list of integers", test: () => true };
const CONV_OPTIONS = { stride: anything, padding: anything, dilation: anything, groups: "number" } as const;
const TRANSPOSE_OPTIONS = { stride: anything, padding: anything, output_padding: anything, groups: "number", dilation: anything } as const;

/** conv1d: input (N, C, L) or (C, L), weight (OC, C/groups, k), bias (OC). */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions<Size1> = {}): Tensor {
  return convolution("conv1d", 1, input, weight, bias, options);
}

/** conv2d: input (N, C, H, W) or (C, H, W), weight (OC, C/groups, kh, kw), bias (OC). */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions<Size2> = {}): Tensor {
  return convolution("conv2d", 2, input, weight, bias, options);
}

/** conv_transpose1d: input (N, C, L) or (C, L), weight (C, OC/groups, k), bias (OC). */
export function conv_transpose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions<Size1> = {}): Tensor {
  return transposed("conv_transpose1d", 1, input, weight, bias, options);
}

/** conv_transpose2d: input (N, C, H, W) or (C, H, W), weight (C, OC/groups, kh, kw), bias (OC). */
export function conv_transpose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions<Size2> = {}): Tensor {
  return transposed("conv_transpose2d", 2, input, weight, bias, options);
}

// ---- checks ----------------------------------------------------------------------------

interface Operands {
  x: Tensor;
  w: Tensor;
  bias: Tensor | null;
  batched: boolean;
  groups: number;
}

// The checks every convolution makes, in PyTorch's order and words.
function operands(op: string, dims: number, input: unknown, weight: unknown, bias: unknown, groups: unknown): Operands {
  const x = tensorInput(op, "input", input), w = tensorInput(op, "weight", weight);
  const b = bias === undefined || bias === null ? null : tensorInput(op, "bias", bias);
  if (x.ndim !== dims + 1 && x.ndim !== dims + 2) {
    fail(op, `Expected ${dims + 1}D (unbatched) or ${dims + 2}D (batched) input to ${op}, but got input of size: ${formatShape(x._shape)}`);
  }
  if (w.ndim !== dims + 2) {
    fail(op, `Expected a ${dims + 2}-D weight (out_channels, in_channels / groups, ${dims === 1 ? "kW" : "kH, kW"}), but got weight of size ${formatShape(w._shape)}`);
  }
  const g = groups ?? 1;
  if (typeof g !== "number" || !Number.isInteger(g)) throw new TypeError(`${op}(): groups must be an integer, got ${String(g)}`);
  if (g <= 0) fail(op, "non-positive groups is not supported");
  if (!x.is_floating_point) fail(op, `expected a floating point input (float32 or float64), but got ${x.dtype}`);
  if (w.dtype !== x.dtype) fail(op, `expected scalar type ${scalarTypeName(x.dtype)} but found ${scalarTypeName(w.dtype)}`);
  if (b !== null && b.dtype !== x.dtype) {
    fail(op, `Input type (${cTypeName(x.dtype)}) and bias type (${cTypeName(b.dtype)}) should be the same`);
  }
  return { x, w, bias: b, batched: x.ndim === dims + 2, groups: g };
}

function positive(op: string, stride: number[], dilation: number[], padding: number[]): void {
  if (stride.some((s) => s <= 0)) fail(op, "non-positive stride is not supported");
  if (padding.some((p) => p < 0)) fail(op, "negative padding is not supported");
  if (dilation.some((d) => d <= 0)) fail(op, "non-positive dilation is not supported");
}

// The bias's shape, against OC channels.
function checkBias(op: string, bias: Tensor | null, w: Tensor, channels: number): void {
  if (bias !== null && (bias.ndim !== 1 || bias._shape[0] !== channels)) {
    fail(op, `Given weight of size ${formatShape(w._shape)}, expected bias to be 1-dimensional with ${channels} elements, ` +
      `but got bias of size ${formatShape(bias._shape)} instead`);
  }
}

function divisible(op: string, w: Tensor, groups: number): void {
  if (w._shape[0] % groups !== 0) {
    fail(op, `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ` +
      `${formatShape(w._shape)} instead`);
  }
}

const batchedShape = (o: Operands) => (o.batched ? o.x._shape : [1, ...o.x._shape]);

// Lifts a 1-D geometry to 2-D (a height of 1) and tensors to a height dim.
const lift = (dims: number, values: number[], fill: number) => (dims === 1 ? [fill, ...values] : values);
// F.pad's list (last dim first) adding `ends[i]` at the end of spatial dim i.
const endPadding = (ends: number[]) => [...ends].reverse().flatMap((e) => [0, e]);
const heightened = (dims: number, t: Tensor) => (dims === 1 ? t.unsqueeze(-2) : t);

// ---- convolution ----------------------------------------------------------------------

function convolution(op: string, dims: number, input: unknown, weight: unknown, bias: unknown, options: ConvOptions<unknown>): Tensor {
  checkOptions(op, options, CONV_OPTIONS);
  const o = operands(op, dims, input, weight, bias, options.groups);
  const { x, w, groups } = o;
  const ones = new Array<number>(dims).fill(1);
  const stride = sizes(op, "stride", options.stride, dims, ones);
  const dilation = sizes(op, "dilation", options.dilation, dims, ones);
  const kernel = w._shape.slice(2);
  const mode = options.padding;
  let padding: number[], extra = new Array<number>(dims).fill(0);
  if (typeof mode === "string") {
    if (mode !== "valid" && mode !== "same") fail(op, `Invalid padding string: '${mode}'`);
    padding = new Array<number>(dims).fill(0);
    if (mode === "same") {
      if (stride.some((s) => s !== 1)) fail(op, "padding='same' is not supported for strided convolutions");
      // PyTorch's: half the total on each side, the odd one more at the end
      const total = kernel.map((k, i) => dilation[i] * (k - 1));
      padding = total.map((t) => Math.floor(t / 2));
      extra = total.map((t, i) => t - 2 * padding[i]);
    }
  } else {
    padding = sizes(op, "padding", mode, dims, new Array<number>(dims).fill(0));
  }
  positive(op, stride, dilation, padding);
  divisible(op, w, groups);
  const shape = batchedShape(o);
  const channels = shape[1];
  if (channels !== w._shape[1] * groups) {
    fail(op, `Given groups=${groups}, weight of size ${formatShape(w._shape)}, expected input${formatShape(shape)} to have ` +
      `${w._shape[1] * groups} channels, but got ${channels} channels instead`);
  }
  checkBias(op, o.bias, w, w._shape[0]);
  const padded = shape.slice(2).map((s, i) => s + 2 * padding[i] + extra[i]);
  const reach = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  if (padded.some((s, i) => s < reach[i])) {
    fail(op, `Calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${reach.join(" x ")}). ` +
      "Kernel size can't be greater than actual input size");
  }
  return scope(() => {
    let xb = heightened(dims, o.batched ? x : x.unsqueeze(0));
    if (extra.some((e) => e > 0)) xb = constantPad(xb, endPadding(extra), 0, op);
    const g: Geometry = {
      kernel: lift(dims, kernel, 1), dilation: lift(dims, dilation, 1), padding: lift(dims, padding, 0), stride: lift(dims, stride, 1),
    };
    const oc = w._shape[0], n = xb._shape[0];
    let out: Tensor;
    if (groups === 1) {
      // one product over the whole batch: (OC, K) @ (K, N·L), then (OC, N, L) as (N, OC, L)
      const cols = im2col(op, xb, g, true);
      const [rows, , length] = cols._shape;
      out = w.reshape([oc, rows]).matmul(cols.view([rows, n * length])).view([oc, n, length]).transpose(0, 1);
      out = o.bias !== null ? out.add(o.bias.view([oc, 1])) : out.contiguous();
    } else {
      const cols = im2col(op, xb, g);
      const [, rows, length] = cols._shape;
      out = w.reshape([groups, oc / groups, rows / groups]).matmul(cols.view([n, groups, rows / groups, length])).view([n, oc, length]);
      if (o.bias !== null) out = out.add(o.bias.view([oc, 1]));
    }
    const spatial = shape.slice(2).map((s, i) => Math.floor((s + 2 * padding[i] + extra[i] - reach[i]) / stride[i]) + 1);
    out = out.view([n, oc, ...spatial]);
    return o.batched ? out : out.squeeze(0);
  });
}

// ---- transposed convolution -------------------------------------------------------------

function transposed(op: string, dims: number, input: unknown, weight: unknown, bias: unknown, options: ConvTransposeOptions<unknown>): Tensor {
  checkOptions(op, options, TRANSPOSE_OPTIONS);
  const o = operands(op, dims, input, weight, bias, options.groups);
  const { x, w, groups } = o;
  const ones = new Array<number>(dims).fill(1), zeros = new Array<number>(dims).fill(0);
  const stride = sizes(op, "stride", options.stride, dims, ones);
  const padding = sizes(op, "padding", options.padding, dims, zeros);
  const outputPadding = sizes(op, "output_padding", options.output_padding, dims, zeros);
  const dilation = sizes(op, "dilation", options.dilation, dims, ones);
  positive(op, stride, dilation, padding);
  if (outputPadding.some((p, i) => p < 0 || (p >= stride[i] && p >= dilation[i]))) {
    const names = dims === 1 ? [""] : ["_height", "_width"];
    const listed = (name: string, values: number[]) => values.map((v, i) => `${name}${names[i]}: ${v}`).join(" ");
    fail(op, `output padding must be smaller than either stride or dilation, but got ${listed("output_padding", outputPadding)} ` +
      `${listed("stride", stride)} ${listed("dilation", dilation)}`);
  }
  divisible(op, w, groups);
  const shape = batchedShape(o);
  const [n, channels] = shape;
  if (channels !== w._shape[0]) {
    fail(op, `Given transposed=1, weight of size ${formatShape(w._shape)}, expected input${formatShape(shape)} to have ` +
      `${w._shape[0]} channels, but got ${channels} channels instead`);
  }
  const oc = w._shape[1] * groups;
  checkBias(op, o.bias, w, oc);
  const kernel = w._shape.slice(2), spatial = shape.slice(2);
  const size = spatial.map((s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1);
  if (size.some((s) => s <= 0)) {
    fail(op, `Given input size per channel: (${spatial.join(" x ")}). Calculated output size per channel: (${size.join(" x ")}). ` +
      "Output size is too small");
  }
  return scope(() => {
    const xb = o.batched ? x : x.unsqueeze(0);
    const length = spatial.reduce((a, b) => a * b, 1);
    const taps = kernel.reduce((a, b) => a * b, 1);
    const inner = channels / groups, outer = oc / groups;
    let cols = groups === 1
      ? w.reshape([channels, oc * taps]).T.matmul(xb.reshape([n, channels, length]))
      : w.reshape([groups, inner, outer * taps]).transpose(1, 2).matmul(xb.reshape([n, groups, inner, length])).reshape([n, oc * taps, length]);
    // An output padding of a stride or more adds rows of blocks that hold nothing: zero columns.
    const blocks = spatial.map((s, i) => s + Math.floor(outputPadding[i] / stride[i]));
    if (blocks.some((b, i) => b !== spatial[i])) {
      const grid = cols.view([n, oc * taps, ...spatial]);
      const ends = blocks.map((b, i) => b - spatial[i]);
      cols = constantPad(grid, endPadding(ends), 0, op).reshape([n, oc * taps, -1]);
    }
    const g: Geometry = {
      kernel: lift(dims, kernel, 1), dilation: lift(dims, dilation, 1), padding: lift(dims, padding, 0), stride: lift(dims, stride, 1),
    };
    let out = col2im(op, cols, lift(dims, size, 1), g);
    if (dims === 1) out = out.squeeze(2);
    if (o.bias !== null) out = out.add(o.bias.view([oc, ...ones]));
    return o.batched ? out : out.squeeze(0);
  });
}
