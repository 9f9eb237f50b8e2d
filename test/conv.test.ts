// wasmgrad/nn's convolutions, unfold/fold, pooling and pad against PyTorch 1.13
// (test/fixtures/conv.json, from generate_conv.py): output values, shapes, dtypes and
// indices, and the gradients of sum(out * weights) for every tensor, over a grid of
// configurations; then double backward of conv2d, argument errors in PyTorch's words,
// and that no call leaves tensors behind.
import { describe, expect, test } from "vitest";
import { tensor, gradgradcheck, gradcheck, memory, randn, scope, type DType, type Tensor } from "../bindings/index.js";
import { conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold } from "../bindings/nn/conv.js";
import {
  adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
} from "../bindings/nn/pooling.js";
import { pad } from "../bindings/nn/pad.js";
import fixture from "./fixtures/conv.json" with { type: "json" };

interface Spec { shape: number[]; dtype: DType; values: number[]; transposed?: boolean }
interface Described { shape: number[]; dtype: string; values: (number | null)[] }
interface Case {
  name: string; fn: string; inputs: Spec[]; args: unknown[]; kwargs: Record<string, unknown>;
  out: Described[]; weights: (number | null)[][]; grads: ((number | null)[] | null)[];
}

type Fn = (xs: Tensor[], args: unknown[], kwargs: Record<string, unknown>) => Tensor | Tensor[];
// Positional tensors, then the positional arguments, then the keywords as the options object.
const any = (f: unknown) => f as (...a: unknown[]) => Tensor | Tensor[];
const conv = (f: unknown): Fn => ([x, w, b], _args, kw) => any(f)(x, w, b ?? null, kw);
const pooled = (f: unknown): Fn => ([x], args, kw) => any(f)(x, ...args, kw);
const FUNCTIONS: Record<string, Fn> = {
  conv1d: conv(conv1d), conv2d: conv(conv2d), conv_transpose1d: conv(conv_transpose1d), conv_transpose2d: conv(conv_transpose2d),
  unfold: pooled(unfold), fold: pooled(fold), max_pool1d: pooled(max_pool1d), max_pool2d: pooled(max_pool2d),
  avg_pool1d: pooled(avg_pool1d), avg_pool2d: pooled(avg_pool2d), adaptive_avg_pool1d: pooled(adaptive_avg_pool1d),
  adaptive_avg_pool2d: pooled(adaptive_avg_pool2d), adaptive_max_pool1d: pooled(adaptive_max_pool1d),
  adaptive_max_pool2d: pooled(adaptive_max_pool2d), pad: pooled(pad),
};

const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>);

function operand(s: Spec): { leaf: Tensor; arg: Tensor } {
  const stored = s.transposed ? [...s.shape.slice(0, -2), s.shape[s.shape.length - 1], s.shape[s.shape.length - 2]] : s.shape;
  const typed = s.dtype === "float32" ? Float32Array : Float64Array;
  const leaf = tensor(typed.from(s.values), { shape: stored, requires_grad: true });
  return { leaf, arg: s.transposed ? leaf.transpose(-1, -2) : leaf };
}

function expectValues(got: number[], want: (number | null)[], digits: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  want.forEach((v, i) => expect(got[i], `${what}[${i}]`).toBeCloseTo(v ?? NaN, digits));
}

const cases = fixture.cases as unknown as Case[];

describe("match PyTorch 1.13: values, indices and gradients", () => {
  test("every function of the fixture is tested", () => {
    expect(new Set(cases.map((c) => c.fn))).toEqual(new Set(Object.keys(FUNCTIONS)));
  });
  test.each(cases.map((c) => [`${c.fn}: ${c.name}`, c] as const))("%s", (_name, c) => {
    const xs = c.inputs.map(operand);
    const result = FUNCTIONS[c.fn](xs.map((x) => x.arg), c.args, c.kwargs);
    const outs = Array.isArray(result) ? result : [result];
    const digits = c.inputs[0].dtype === "float32" ? 4 : 10;
    expect(outs.length).toBe(c.out.length);
    outs.forEach((o, k) => {
      expect(o.shape, `shape of output ${k}`).toEqual(c.out[k].shape);
      expect(o.dtype, `dtype of output ${k}`).toBe(c.out[k].dtype);
      expectValues(flat(o), c.out[k].values, digits, `output ${k}`);
    });
    const floating = outs.filter((o) => o.is_floating_point);
    floating.map((o, k) => o.mul(tensor(Float64Array.from(c.weights[k] as number[]), { shape: o.shape }).to(o.dtype)).sum())
      .reduce((a, b) => a.add(b)).backward();
    c.grads.forEach((want, i) => {
      if (want === null) expect(xs[i].leaf.grad, `grad of input ${i}`).toBeNull();
      else expectValues(flat(xs[i].leaf.grad!), want, digits, `grad of input ${i}`);
    });
  });
});

const f64 = (shape: number[]) => randn(shape, { dtype: "float64", requires_grad: true });

describe("second derivatives", () => {
  // groups 1 takes the batch-wide product (columns laid out (C·kh·kw, N, L)), groups 2 the grouped one
  test.each([1, 2])("conv2d, groups %i: gradcheck and gradgradcheck in input, weight and bias", (groups) => {
    const fn = (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups });
    const inputs = [f64([2, 4, 5, 6]), f64([4, 4 / groups, 3, 2]), f64([4])];
    expect(gradcheck(fn, inputs)).toBe(true);
    expect(gradgradcheck(fn, inputs)).toBe(true);
  });
  test("conv2d then max_pool2d and tanh, as in a network", () => {
    const fn = (x: Tensor, w: Tensor) => max_pool2d(conv2d(x, w, null, { padding: "same" }).tanh(), 2);
    const inputs = [f64([1, 2, 6, 6]), f64([3, 2, 3, 3])];
    expect(gradgradcheck(fn, inputs)).toBe(true);
  });
  test("conv_transpose2d, avg_pool2d, adaptive_avg_pool2d and pad", () => {
    const inputs = [f64([1, 2, 4, 5]), f64([2, 3, 2, 2])];
    expect(gradgradcheck((x: Tensor, w: Tensor) => conv_transpose2d(x, w, null, { stride: 2, padding: 1, output_padding: 1 }).square(), inputs)).toBe(true);
    expect(gradgradcheck((x: Tensor) => avg_pool2d(x.square(), 3, { stride: 2, padding: 1, ceil_mode: true }), [inputs[0]])).toBe(true);
    expect(gradgradcheck((x: Tensor) => adaptive_avg_pool2d(x.square(), [3, 2]), [inputs[0]])).toBe(true);
    expect(gradgradcheck((x: Tensor) => pad(x.square(), [2, 1, 1, 3], { mode: "reflect" }), [inputs[0]])).toBe(true);
    expect(gradgradcheck((x: Tensor) => pad(x.square(), [2, -1, 1, 3], { mode: "circular" }), [inputs[0]])).toBe(true);
  });
});

const x4 = () => randn([2, 4, 5, 5]);

describe("errors name the function and the shapes, in PyTorch's words", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["conv2d weight channels", () => conv2d(x4(), randn([6, 3, 3, 3])),
      /^conv2d\(\): Given groups=1, weight of size \[6, 3, 3, 3\], expected input\[2, 4, 5, 5\] to have 3 channels, but got 4 channels instead$/],
    ["conv2d weight channels with groups", () => conv2d(x4(), randn([6, 3, 3, 3]), null, { groups: 2 }),
      /Given groups=2, weight of size \[6, 3, 3, 3\], expected input\[2, 4, 5, 5\] to have 6 channels, but got 4 channels instead/],
    ["conv2d out channels not divisible by groups", () => conv2d(x4(), randn([5, 2, 3, 3]), null, { groups: 2 }),
      /Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size \[5, 2, 3, 3\] instead/],
    ["conv2d kernel larger than the padded input", () => conv2d(x4(), randn([6, 4, 7, 7])),
      /Calculated padded input size per channel: \(5 x 5\)\. Kernel size: \(7 x 7\)\. Kernel size can't be greater than actual input size/],
    ["conv2d 'same' with stride", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { stride: 2, padding: "same" }),
      /padding='same' is not supported for strided convolutions/],
    ["conv2d bad padding string", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { padding: "full" as "same" }), /Invalid padding string: 'full'/],
    ["conv2d negative padding", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { padding: -1 }), /negative padding is not supported/],
    ["conv2d zero stride", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { stride: 0 }), /non-positive stride is not supported/],
    ["conv2d zero groups", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { groups: 0 }), /non-positive groups is not supported/],
    ["conv2d bias size", () => conv2d(x4(), randn([6, 4, 3, 3]), randn([5])),
      /Given weight of size \[6, 4, 3, 3\], expected bias to be 1-dimensional with 6 elements, but got bias of size \[5\] instead/],
    ["conv2d input rank", () => conv2d(randn([5, 5]), randn([6, 4, 3, 3])),
      /Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[5, 5\]/],
    ["conv2d padding list length", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { padding: [1, 1, 1] as unknown as [number, number] }),
      /expected padding to be a single integer value or a list of 2 values/],
    ["conv2d dtypes", () => conv2d(x4().double(), randn([6, 4, 3, 3])), /expected scalar type Double but found Float/],
    ["conv2d bias dtype", () => conv2d(x4(), randn([6, 4, 3, 3]), randn([6]).double()),
      /Input type \(float\) and bias type \(double\) should be the same/],
    ["conv2d unknown option", () => conv2d(x4(), randn([6, 4, 3, 3]), null, { strides: 2 } as never), /unexpected option 'strides' \(did you mean 'stride'\?\)/],
    ["conv1d input rank", () => conv1d(x4(), randn([6, 4, 3])), /Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, but got input of size: \[2, 4, 5, 5\]/],
    ["conv_transpose2d channels", () => conv_transpose2d(x4(), randn([3, 3, 3, 3])),
      /Given transposed=1, weight of size \[3, 3, 3, 3\], expected input\[2, 4, 5, 5\] to have 3 channels, but got 4 channels instead/],
    ["conv_transpose2d output padding", () => conv_transpose2d(x4(), randn([4, 3, 3, 3]), null, { stride: 2, output_padding: 2 }),
      /output padding must be smaller than either stride or dilation, but got output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1/],
    ["unfold kernel larger than the input", () => unfold(x4(), 7),
      /Given input with spatial size \(5, 5\), kernel_size=\(7, 7\), dilation=\(1, 1\), padding=\(0, 0\), calculated shape of the array of sliding blocks as \(-1, -1\), but its components must be at least one\./],
    ["unfold empty channels", () => unfold(randn([1, 0, 4, 4]), 2),
      /Expected 3D or 4D \(batch mode\) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: \[1, 0, 4, 4\]/],
    ["unfold zero stride", () => unfold(x4(), 2, { stride: 0 }), /stride should be greater than zero, but got stride_height: 0 stride_width: 0/],
    ["unfold of integers", () => unfold(x4().int(), 2), /"im2col_out_cpu" not implemented for 'Int'/],
    ["fold channels not divisible", () => fold(randn([1, 15, 16]), [5, 5], 2),
      /Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size\(1\)=15 and kernel_size=\(2, 2\)\./],
    ["fold block count", () => fold(randn([1, 16, 5]), [5, 5], 2),
      /expected size of input's dimension 2 to match the calculated number of sliding blocks 4 \* 4 = 16, but got input.size\(2\)=5\./],
    ["max_pool2d output too small", () => max_pool2d(x4(), 7), /Given input size: \(4x5x5\)\. Calculated output size: \(4x0x0\)\. Output size is too small/],
    ["max_pool2d padding over half the kernel", () => max_pool2d(x4(), 2, { padding: 2 }),
      /pad should be at most half of kernel size, but got pad=2 and kernel_size=2/],
    ["max_pool2d zero stride", () => max_pool2d(x4(), 2, { stride: 0 }), /stride should not be zero/],
    ["max_pool2d zero dilation", () => max_pool2d(x4(), 2, { dilation: 0 }), /dilation should be greater than zero, but got dilationH: 0 dilationW: 0/],
    ["max_pool2d input rank", () => max_pool2d(randn([5, 5]), 2), /non-empty 3D or 4D \(batch mode\) tensor expected for input/],
    ["max_pool1d input rank", () => max_pool1d(randn([5]), 2),
      /max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[5\]/],
    ["max_pool2d of integers", () => max_pool2d(x4().int(), 2), /"max_pool2d" not implemented for 'Int'/],
    ["avg_pool2d zero divisor", () => avg_pool2d(x4(), 2, { divisor_override: 0 }), /divisor must be not zero/],
    ["avg_pool1d input rank", () => avg_pool1d(randn([5]), 2),
      /Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' \(while checking arguments for avg_pool1d\)/],
    ["adaptive_avg_pool2d negative size", () => adaptive_avg_pool2d(x4(), -1),
      /adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received \{-1, -1\}/],
    ["adaptive_avg_pool2d empty input", () => adaptive_avg_pool2d(randn([1, 2, 0, 3]), 2),
      /Expected input to have non-zero size for non-batch dimensions, but input has sizes \[1, 2, 0, 3\] with dimension 2 being empty/],
    ["adaptive_max_pool2d input rank", () => adaptive_max_pool2d(randn([3, 3]), 2), /adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[3, 3\]/],
    ["pad odd length", () => pad(x4(), [1, 2, 3]), /Padding length must be divisible by 2/],
    ["pad too long", () => pad(x4(), new Array<number>(10).fill(1)), /Padding length too large/],
    ["pad unknown mode", () => pad(x4(), [1, 1], { mode: "wrap" as "circular" }), /Unrecognised padding mode wrap/],
    ["pad value with reflect", () => pad(x4(), [1, 1, 1, 1], { mode: "reflect", value: 2 }), /Padding mode "reflect" doesn't take in value argument/],
    ["pad reflect on an unsupported rank", () => pad(x4(), [1, 1], { mode: "reflect" }),
      /Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now/],
    ["pad reflect past the input", () => pad(randn([4, 5, 5]), [5, 5], { mode: "reflect" }),
      /Padding size should be less than the corresponding input dimension, but got: padding \(5, 5\) at dimension 2 of input \[4, 5, 5\]/],
    ["pad circular more than once", () => pad(randn([4, 5, 5]), [6, 6], { mode: "circular" }), /Padding value causes wrapping around more than once\./],
    ["pad circular without a batch dim", () => pad(randn([4, 5, 5]), [1, 1, 1, 1], { mode: "circular" }), /Invalid padding size, expected 2 but got 4/],
  ];
  test.each(cases)("%s", (_name, call, message) => {
    const before = memory().tensors;
    expect(() => scope(call)).toThrow(message);
    expect(memory().tensors, "nothing left in the core").toBe(before);
  });
});

describe("edge cases", () => {
  test("a max_pool2d window whose taps all fall in the padding gives -inf, index -1 and no gradient", () => {
    const x = tensor([[[[0.5]]]], { requires_grad: true });
    const [y, indices] = max_pool2d(x, 2, { stride: 1, padding: 1, dilation: 2, return_indices: true });
    expect(flat(y)).toEqual([-Infinity]);
    expect(flat(indices)).toEqual([-1]); // PyTorch's is past the input: no position to name
    y.clamp(-1, 1).sum().backward();
    expect(flat(x.grad!)).toEqual([0]);
  });
  test("an empty batch gives empty outputs and gradients", () => {
    const x = randn([0, 2, 5, 5], { requires_grad: true }), w = randn([3, 2, 3, 3], { requires_grad: true });
    const y = max_pool2d(conv2d(x, w, null, { padding: 1 }), 2);
    expect(y.shape).toEqual([0, 3, 2, 2]);
    y.sum().backward();
    expect(x.grad!.shape).toEqual([0, 2, 5, 5]);
    expect(flat(w.grad!)).toEqual(new Array(54).fill(0));
  });
});

describe("lifetime", () => {
  test("a training step of conv, pool and pad leaves nothing behind once its scope ends", () => {
    const w = randn([3, 2, 3, 3], { requires_grad: true }), b = randn([3], { requires_grad: true });
    const step = () => scope(() => {
      const x = randn([2, 2, 8, 8]);
      const y = max_pool2d(conv2d(pad(x, [1, 1, 1, 1], { mode: "reflect" }), w, b).relu(), 2, { return_indices: true })[0];
      avg_pool2d(y, 2, { ceil_mode: true }).add(adaptive_avg_pool2d(y, 1)).sum().backward();
    });
    step();
    const before = memory().tensors;
    step();
    expect(memory().tensors).toBe(before);
  });
});
