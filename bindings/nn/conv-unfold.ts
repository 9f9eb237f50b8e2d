// F.unfold and F.fold (im2col and col2im), with PyTorch 1.13's checks and messages; the
// core's Im2Col and Col2Im do the work (assembly/ops/conv.ts), each the other's gradient.

import { Tensor } from "../tensor.js";
import { ops } from "../core.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { checkSize, fail } from "../shape.js";
import { floatingInput, packed, sizes, slidingCount, shapeText, tensorInput, type Size2 } from "./conv-args.js";

export interface UnfoldOptions {
  dilation?: Size2;
  padding?: Size2;
  stride?: Size2;
}

const OPTIONS = { dilation: { expected: "an integer or a pair", test: () => true },
  padding: { expected: "an integer or a pair", test: () => true },
  stride: { expected: "an integer or a pair", test: () => true } } as const;

/** The geometry of one im2col or col2im: each a [h, w] pair. */
export interface Geometry {
  kernel: number[];
  dilation: number[];
  padding: number[];
  stride: number[];
}

function geometry(op: string, kernel_size: unknown, options: UnfoldOptions): Geometry {
  checkOptions(op, options, OPTIONS);
  const g = {
    kernel: sizes(op, "kernel_size", kernel_size, 2),
    dilation: sizes(op, "dilation", options.dilation, 2, [1, 1]),
    padding: sizes(op, "padding", options.padding, 2, [0, 0]),
    stride: sizes(op, "stride", options.stride, 2, [1, 1]),
  };
  const refuse = (what: string, [h, w]: number[], names: [string, string]) =>
    fail(op, `${what}, but got ${names[0]}: ${h} ${names[1]}: ${w}`);
  if (g.kernel.some((v) => v <= 0)) refuse("kernel size should be greater than zero", g.kernel, ["kernel_height", "kernel_width"]);
  if (g.dilation.some((v) => v <= 0)) refuse("dilation should be greater than zero", g.dilation, ["dilation_height", "dilation_width"]);
  if (g.padding.some((v) => v < 0)) refuse("padding should be non-negative", g.padding, ["pad_height", "pad_width"]);
  if (g.stride.some((v) => v <= 0)) refuse("stride should be greater than zero", g.stride, ["stride_height", "stride_width"]);
  return g;
}

const pairText = ([h, w]: number[]) => `(${h}, ${w})`;

/** The number of blocks along each spatial dim of an (h, w) image. */
export function blockCounts([h, w]: number[], g: Geometry): number[] {
  return [0, 1].map((i) => slidingCount([h, w][i], g.kernel[i], g.dilation[i], g.padding[i], g.stride[i]));
}

/**
 * The core's im2col of a 4-D floating x whose block counts are positive: (N, C·kh·kw, L),
 * or (C·kh·kw, N, L) with batchInner.
 */
export function im2col(op: string, x: Tensor, g: Geometry, batchInner = false): Tensor {
  const [oh, ow] = blockCounts(x._shape.slice(2), g);
  const [n, rows] = [x._shape[0], x._shape[1] * g.kernel[0] * g.kernel[1]];
  const shape = batchInner ? [rows, n, oh * ow] : [n, rows, oh * ow];
  checkSize(op, shape);
  return new Tensor(ops.opIm2Col(x._live(op), packed(op, "kernel_size", g.kernel), packed(op, "dilation", g.dilation),
    packed(op, "padding", g.padding), packed(op, "stride", g.stride), batchInner ? 1 : 0), shape, x.dtype);
}

/** The core's col2im of 3-D floating cols into (N, C, h, w), the shapes checked. */
export function col2im(op: string, cols: Tensor, [h, w]: number[], g: Geometry): Tensor {
  const shape = [cols._shape[0], cols._shape[1] / (g.kernel[0] * g.kernel[1]), h, w];
  checkSize(op, shape);
  return new Tensor(ops.opCol2Im(cols._live(op), packed(op, "kernel_size", g.kernel), packed(op, "dilation", g.dilation),
    packed(op, "padding", g.padding), packed(op, "stride", g.stride), h, w), shape, cols.dtype);
}

/**
 * The sliding blocks of input (N, C, H, W), or (C, H, W), each flattened into a column:
 * (N, C·kh·kw, L) with L the number of blocks, as torch.nn.functional.unfold.
 */
export function unfold(input: Tensor, kernel_size: Size2, options: UnfoldOptions = {}): Tensor {
  const op = "unfold";
  const x = tensorInput(op, "input", input);
  const g = geometry(op, kernel_size, options);
  if ((x.ndim !== 3 && x.ndim !== 4) || x._shape.slice(x.ndim - 3).some((s) => s === 0)) {
    fail(op, `Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${shapeText(x)}`);
  }
  floatingInput(op, "im2col_out_cpu", x);
  const spatial = x._shape.slice(-2);
  const counts = blockCounts(spatial, g);
  if (counts.some((n) => n < 1)) {
    fail(op, `Given input with spatial size ${pairText(spatial)}, kernel_size=${pairText(g.kernel)}, ` +
      `dilation=${pairText(g.dilation)}, padding=${pairText(g.padding)}, calculated shape of the array of sliding blocks ` +
      `as ${pairText(counts)}, but its components must be at least one.`);
  }
  if (x.ndim === 4) return im2col(op, x, g);
  return scope(() => im2col(op, x.unsqueeze(0), g).squeeze(0));
}

/**
 * Sums the columns of input (N, C·kh·kw, L), or (C·kh·kw, L), back into images of
 * output_size, as torch.nn.functional.fold: unfold's adjoint.
 */
export function fold(input: Tensor, output_size: Size2, kernel_size: Size2, options: UnfoldOptions = {}): Tensor {
  const op = "fold";
  const x = tensorInput(op, "input", input);
  const size = sizes(op, "output_size", output_size, 2);
  const g = geometry(op, kernel_size, options);
  if ((x.ndim !== 2 && x.ndim !== 3) || x._shape.slice(x.ndim - 2).some((s) => s === 0)) {
    fail(op, `Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${shapeText(x)}`);
  }
  floatingInput(op, "col2im_out_cpu", x);
  const [rows, length] = x._shape.slice(-2);
  const taps = g.kernel[0] * g.kernel[1];
  if (rows % taps !== 0) {
    fail(op, `Expected size of input's dimension ${x.ndim - 2} to be divisible by the product of kernel_size, but got ` +
      `input.size(${x.ndim - 2})=${rows} and kernel_size=${pairText(g.kernel)}.`);
  }
  const counts = blockCounts(size, g);
  const described = `Given output_size=${pairText(size)}, kernel_size=${pairText(g.kernel)}, dilation=${pairText(g.dilation)}, ` +
    `padding=${pairText(g.padding)}, stride=${pairText(g.stride)}`;
  if (counts.some((n) => n < 1)) {
    fail(op, `${described}, calculated shape of the array of sliding blocks as ${pairText(counts)}, which is too small (non-positive).`);
  }
  if (counts[0] * counts[1] !== length) {
    fail(op, `${described}, expected size of input's dimension ${x.ndim - 1} to match the calculated number of sliding ` +
      `blocks ${counts[0]} * ${counts[1]} = ${counts[0] * counts[1]}, but got input.size(${x.ndim - 1})=${length}.`);
  }
  if (x.ndim === 3) return col2im(op, x, size, g);
  return scope(() => col2im(op, x.unsqueeze(0), size, g).squeeze(0));
}
