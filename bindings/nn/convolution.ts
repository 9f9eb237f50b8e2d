// F.unfold, F.fold, F.conv1d and F.conv2d. A convolution is im2col and a product: the
// windows of the padded input gathered into columns (one index_select over a cached index
// map, see sliding-windows.ts), then the weight, as (groups, out/groups, in/groups·kh·kw),
// times them in one batched matmul. The gradients are those of index_select (col2im, an
// index_add) and matmul, so backward and double backward need no rules of their own.

import { Tensor, tensorArg } from "../tensor.js";
import { zeros } from "../create.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { describe, fail, formatShape } from "../shape.js";
import { isFloating } from "../dtype.js";
import { pad } from "./padding.js";
import { outputSize, pairOf, windowIndex, type Pair, type Windows } from "./sliding-windows.js";
import "../index-ops.js"; // index_select, index_add

export interface WindowOptions {
  dilation?: number | number[];
  padding?: number | number[];
  stride?: number | number[];
}

export interface ConvOptions {
  stride?: number | number[];
  /** Zeros on each side, or "valid" (none) or "same" (the output as large as the input; stride 1 only). */
  padding?: number | number[] | "valid" | "same";
  dilation?: number | number[];
  groups?: number;
}

const WINDOW_OPTIONS = { dilation: { expected: "an integer or a pair", test: () => true }, padding: { expected: "an integer or a pair", test: () => true }, stride: { expected: "an integer or a pair", test: () => true } };
const CONV_OPTIONS = { ...WINDOW_OPTIONS, groups: "number" } as const;

function floatingInput(op: string, name: string, x: unknown): Tensor {
  const t = tensorArg(op, name, x);
  t._live(op);
  if (!isFloating(t.dtype)) fail(op, `expected a floating point ${name}, got ${t.dtype}; convert it with .float() first`);
  return t;
}

// The columns of x (N, C, H, W) for the windows w: (N, C, kh·kw, L), padding with zeros.
function columns(op: string, x: Tensor, w: Windows): Tensor {
  const [ph, pw] = w.padding;
  const [eh, ew] = w.extra ?? [0, 0];
  const padded = ph + pw + eh + ew === 0 ? x : pad(x, [pw, pw + ew, ph, ph + eh]);
  const [N, C, Hp, Wp] = padded.shape;
  const [OH, OW] = outputSize(w);
  const reach = [0, 1].map((i) => w.dilation[i] * (w.kernel[i] - 1) + 1);
  if (OH <= 0 || OW <= 0) {
    fail(op, `Calculated padded input size per channel: (${Hp} x ${Wp}). Kernel size: (${reach.join(" x ")}). ` +
      "Kernel size can't be greater than actual input size");
  }
  return padded.reshape([N, C, Hp * Wp]).index_select(2, windowIndex(w)).reshape([N, C, w.kernel[0] * w.kernel[1], OH * OW]);
}

/** The sliding windows of a (N, C, H, W) or (C, H, W) input as columns: (N, C·kh·kw, L), as torch's F.unfold. */
export function unfold(input: Tensor, kernel_size: number | number[], options: WindowOptions = {}): Tensor {
  const op = "unfold";
  checkOptions(op, options, WINDOW_OPTIONS);
  const x = floatingInput(op, "input", input);
  if (x.ndim !== 3 && x.ndim !== 4) fail(op, `Input Error: Only 3D or 4D input Tensors are supported (got ${x.ndim}D)`);
  const w = windows(op, x.shape.slice(-2) as Pair, kernel_size, options);
  return scope(() => {
    const batched = x.ndim === 4 ? x : x.unsqueeze(0);
    const cols = columns(op, batched, w);
    const [N, C, K, L] = cols.shape;
    const out = cols.reshape([N, C * K, L]);
    return x.ndim === 4 ? out : out.squeeze(0);
  });
}

/** F.fold, unfold's adjoint: columns (N, C·kh·kw, L) summed back into an (N, C, H, W) image. */
export function fold(input: Tensor, output_size: number | number[], kernel_size: number | number[], options: WindowOptions = {}): Tensor {
  const op = "fold";
  checkOptions(op, options, WINDOW_OPTIONS);
  const x = floatingInput(op, "input", input);
  if (x.ndim !== 2 && x.ndim !== 3) fail(op, `Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got ${x.ndim}D)`);
  const size = pairOf(op, "output_size", output_size, 1) as Pair;
  const w = windows(op, size, kernel_size, options);
  const K = w.kernel[0] * w.kernel[1];
  const [OH, OW] = outputSize(w);
  const cols = x.ndim === 3 ? x : x.unsqueeze(0);
  const [N, CK, L] = cols.shape;
  if (CK % K !== 0) fail(op, `Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${CK} and kernel_size=(${w.kernel.join(", ")})`);
  if (L !== OH * OW) {
    fail(op, `Given output_size=(${size.join(", ")}), kernel_size=(${w.kernel.join(", ")}), dilation=(${w.dilation.join(", ")}), ` +
      `padding=(${w.padding.join(", ")}), stride=(${w.stride.join(", ")}), expected size of input's dimension 2 to match the calculated ` +
      `number of sliding blocks ${OH} * ${OW} = ${OH * OW}, but got input.size(2)=${L}.`);
  }
  return scope(() => {
    const C = CK / K, [ph, pw] = w.padding, Hp = size[0] + 2 * ph, Wp = size[1] + 2 * pw;
    const sums = zeros([N, C, Hp * Wp], { dtype: x.dtype }).index_add(2, windowIndex(w), cols.reshape([N, C, K * L]));
    const image = sums.reshape([N, C, Hp, Wp]).narrow(2, ph, size[0]).narrow(3, pw, size[1]);
    return x.ndim === 3 ? image.contiguous() : image.squeeze(0).contiguous();
  });
}

function windows(op: string, size: Pair, kernel_size: unknown, options: WindowOptions): Windows {
  return {
    size,
    kernel: pairOf(op, "kernel_size", kernel_size, 1) as Pair,
    stride: pairOf(op, "stride", options.stride ?? 1, 1) as Pair,
    padding: pairOf(op, "padding", options.padding ?? 0, 0) as Pair,
    dilation: pairOf(op, "dilation", options.dilation ?? 1, 1) as Pair,
  };
}

/** 2-D convolution (cross-correlation, as PyTorch's) of (N, C, H, W) or (C, H, W) with weight (out, C/groups, kh, kw). */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convolution("conv2d", 2, input, weight, bias ?? null, options);
}

/** 1-D convolution of (N, C, L) or (C, L) with weight (out, C/groups, k). */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convolution("conv1d", 1, input, weight, bias ?? null, options);
}

function convolution(op: string, dims: 1 | 2, input: Tensor, weight: Tensor, bias: Tensor | null, options: ConvOptions): Tensor {
  checkOptions(op, options, { ...CONV_OPTIONS, padding: { expected: "an integer, a list, 'valid' or 'same'", test: () => true } });
  const x = floatingInput(op, "input", input), w = floatingInput(op, "weight", weight);
  if (bias !== null) floatingInput(op, "bias", bias);
  const rank = dims + 2;
  if (x.ndim !== rank && x.ndim !== rank - 1) {
    fail(op, `Expected ${rank - 1}D (unbatched) or ${rank}D (batched) input to ${op}, but got input of size: ${formatShape(x.shape)}`);
  }
  if (w.ndim !== rank) fail(op, `weight should have ${rank} dims (out_channels, in_channels / groups, kernel...), got shape ${formatShape(w.shape)}`);
  if (x.dtype !== w.dtype || (bias !== null && bias.dtype !== x.dtype)) {
    fail(op, `expected input, weight and bias of one dtype, got ${x.dtype}, ${w.dtype}${bias === null ? "" : ` and ${bias.dtype}`}`);
  }
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) fail(op, `non-positive groups is not supported (got groups=${describe(groups)})`);
  const batchedInput = x.ndim === rank;
  const channels = x.shape[batchedInput ? 1 : 0];
  const [outChannels, groupChannels] = w.shape;
  if (outChannels % groups !== 0) {
    fail(op, `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${formatShape(w.shape)} instead`);
  }
  if (groupChannels * groups !== channels) {
    fail(op, `Given groups=${groups}, weight of size ${formatShape(w.shape)}, expected input${formatShape(batchedInput ? x.shape : [1, ...x.shape])} ` +
      `to have ${groupChannels * groups} channels, but got ${channels} channels instead`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    fail(op, `bias should have shape [${outChannels}] (out_channels), got ${formatShape(bias.shape)}`);
  }
  const kernel = w.shape.slice(2);
  // a 1-D size as 2-D: a height of one (kernel, stride, dilation 1; padding 0)
  const lift = (v: number[], fill = 1) => (dims === 1 ? [fill, v[0]] : v) as Pair;
  const stride = lift(pairOf(op, "stride", options.stride ?? 1, 1, dims));
  const dilation = lift(pairOf(op, "dilation", options.dilation ?? 1, 1, dims));
  let padding: Pair, extra: Pair = [0, 0];
  if (options.padding === "same") {
    if (stride.some((s) => s !== 1)) fail(op, "padding='same' is not supported for strided convolutions");
    // the total padding d(k - 1) split as PyTorch splits it: the odd one out on the right
    const total = lift(kernel.map((k, i) => dilation[dims === 1 ? 1 : i] * (k - 1)), 0);
    padding = [Math.floor(total[0] / 2), Math.floor(total[1] / 2)];
    extra = [total[0] % 2, total[1] % 2];
  } else if (options.padding === "valid") {
    padding = [0, 0];
  } else if (typeof options.padding === "string") {
    fail(op, `Invalid padding string '${options.padding}', should be one of {'valid', 'same'}`);
  } else {
    padding = lift(pairOf(op, "padding", options.padding ?? 0, 0, dims), 0);
  }
  return scope(() => {
    // (N, C, H, W) whatever the input: unbatched gets N = 1, 1-D gets H = 1
    let x4 = batchedInput ? x : x.unsqueeze(0);
    if (dims === 1) x4 = x4.unsqueeze(2);
    const [N, , H, W] = x4.shape;
    const win: Windows = { size: [H, W], kernel: lift(kernel), stride, padding, dilation, extra };
    const cols = columns(op, x4, win); // (N, C, K, L)
    const K = win.kernel[0] * win.kernel[1], L = cols.shape[3];
    const [OH, OW] = outputSize(win);
    const perGroup = cols.reshape([N, groups, groupChannels * K, L]);
    const weights = w.reshape([groups, outChannels / groups, groupChannels * K]);
    let out = weights.matmul(perGroup).reshape([N, outChannels, OH, OW]); // (N, G, OC/G, L) in order
    if (bias !== null) out = out.add(bias.reshape([outChannels, 1, 1]));
    if (dims === 1) out = out.squeeze(2);
    return batchedInput ? out : out.squeeze(0);
  });
}
