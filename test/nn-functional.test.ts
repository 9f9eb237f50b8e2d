// wasmgrad/nn/functional against PyTorch 1.13 (test/fixtures/nn_functional.json, from
// generate_nn_functional.py): values and the gradients of sum(out * weights) in float64 for
// every loss and layer function; then dropout's mask, the refusals and warnings in PyTorch's
// words, and that the losses leave nothing behind in wasm memory.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as wg from "../bindings/index.js";
import type { Tensor } from "../bindings/index.js";
import * as L from "../bindings/nn/losses.js";
import * as N from "../bindings/nn/functional.js";
import { _forgetWarnings } from "../bindings/nn/loss-reduction.js";
import fixture from "./fixtures/nn_functional.json" with { type: "json" };

type Value = number | string | null;
interface Described { shape: number[]; dtype: string; values: Value[] }
interface Input extends Described { requires_grad: boolean }
interface Case { name: string; inputs: Input[]; out: Described; extras: Described[]; weights?: Value[]; grads?: (Value[] | null)[] }
type Runner = (...xs: Tensor[]) => Tensor | Tensor[];

const number = (v: Value) => (v === null ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v));
const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>, Number);

function inputOf(s: Input): Tensor {
  const data = s.values.map(number);
  if (s.dtype === "bool") return wg.tensor(data.map(Boolean), { dtype: "bool" }).reshape(s.shape);
  if (s.dtype === "int32") return wg.tensor(Int32Array.from(data), { shape: s.shape });
  return wg.tensor(Float64Array.from(data), { shape: s.shape, requires_grad: s.requires_grad });
}

function expectValues(got: number[], want: Value[], what: string, rtol = 1e-10): void {
  expect(got.length, what).toBe(want.length);
  want.map(number).forEach((w, i) => {
    if (Number.isNaN(w)) expect(got[i], `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(w)) expect(got[i], `${what}[${i}]`).toBe(w);
    else expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(w)));
  });
}

// PyTorch's hardsigmoid backward multiplies by the float32 constant 1.0f / 6.0f (3e-8 off
// 1/6) in float64 too; wasmgrad's gradient is the exact 1/6.
const GRAD_RTOL: Record<string, number> = { hardsigmoid: 1e-7 };

function expectDescribed(t: Tensor, want: Described, what: string): void {
  expect(t.shape, `${what} shape`).toEqual(want.shape);
  expect(t.dtype, `${what} dtype`).toBe(want.dtype);
  expectValues(flat(t), want.values, what);
}

/** Runs each fixture case: the result, the extra results, and the weighted gradients. */
function checkCases(cases: Case[], runners: Record<string, Runner>): void {
  test("every case has a runner and every runner a case", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(runners).sort());
  });
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const xs = c.inputs.map(inputOf);
    const result = runners[c.name](...xs);
    const [out, ...extras] = Array.isArray(result) ? result : [result];
    expectDescribed(out, c.out, "out");
    c.extras.forEach((e, i) => expectDescribed(extras[i], e, `extra ${i}`));
    if (c.grads === undefined) return;
    out.mul(wg.tensor(Float64Array.from(c.weights!.map(number)), { shape: out.shape })).sum().backward();
    c.grads.forEach((g, i) => {
      if (g === null) return;
      expect(xs[i].grad, `grad of input ${i}`).not.toBeNull();
      expectValues(flat(xs[i].grad!), g, `grad of input ${i}`, GRAD_RTOL[c.name]);
    });
  });
}

const data = fixture as unknown as { losses: Case[]; layers: Case[] };

// The warnings of the cases that broadcast are checked below; here they would only be noise.
let warnings: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  _forgetWarnings();
  warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => { warnings.mockRestore(); });

describe("losses match PyTorch", () => {
  checkCases(data.losses, {
    "mse_loss": (x, y) => L.mse_loss(x, y),
    "mse_loss sum": (x, y) => L.mse_loss(x, y, { reduction: "sum" }),
    "mse_loss none": (x, y) => L.mse_loss(x, y, { reduction: "none" }),
    "mse_loss broadcast": (x, y) => L.mse_loss(x, y),
    "mse_loss int target": (x, y) => L.mse_loss(x, y),
    "l1_loss": (x, y) => L.l1_loss(x, y),
    "l1_loss sum": (x, y) => L.l1_loss(x, y, { reduction: "sum" }),
    "l1_loss none": (x, y) => L.l1_loss(x, y, { reduction: "none" }),
    "smooth_l1_loss": (x, y) => L.smooth_l1_loss(x, y),
    "smooth_l1_loss beta 0.5 none": (x, y) => L.smooth_l1_loss(x, y, { beta: 0.5, reduction: "none" }),
    "smooth_l1_loss beta 0": (x, y) => L.smooth_l1_loss(x, y, { beta: 0 }),
    "smooth_l1_loss sum": (x, y) => L.smooth_l1_loss(x, y, { reduction: "sum", beta: 2 }),
    "huber_loss": (x, y) => L.huber_loss(x, y),
    "huber_loss delta 0.7 none": (x, y) => L.huber_loss(x, y, { delta: 0.7, reduction: "none" }),
    "huber_loss sum": (x, y) => L.huber_loss(x, y, { delta: 1.5, reduction: "sum" }),
    "nll_loss": (x, t) => L.nll_loss(x, t),
    "nll_loss weight": (x, t, w) => L.nll_loss(x, t, { weight: w }),
    "nll_loss ignore_index": (x, t) => L.nll_loss(x, t),
    "nll_loss weight ignore_index none": (x, t, w) => L.nll_loss(x, t, { weight: w, ignore_index: 1, reduction: "none" }),
    "nll_loss weight ignore_index sum": (x, t, w) => L.nll_loss(x, t, { weight: w, ignore_index: 1, reduction: "sum" }),
    "nll_loss all ignored": (x, t) => L.nll_loss(x, t),
    "nll_loss all ignored sum": (x, t) => L.nll_loss(x, t, { reduction: "sum" }),
    "nll_loss unbatched": (x, t) => L.nll_loss(x, t),
    "nll_loss (N, C, d)": (x, t) => L.nll_loss(x, t),
    "nll_loss (N, C, H, W) weight none": (x, t, w) => L.nll_loss(x, t, { weight: w, reduction: "none" }),
    "nll_loss 5-D": (x, t) => L.nll_loss(x, t),
    "cross_entropy": (x, t) => L.cross_entropy(x, t),
    "cross_entropy sum": (x, t) => L.cross_entropy(x, t, { reduction: "sum" }),
    "cross_entropy none": (x, t) => L.cross_entropy(x, t, { reduction: "none" }),
    "cross_entropy weight": (x, t, w) => L.cross_entropy(x, t, { weight: w }),
    "cross_entropy weight ignore_index": (x, t, w) => L.cross_entropy(x, t, { weight: w }),
    "cross_entropy unbatched": (x, t) => L.cross_entropy(x, t),
    "cross_entropy (N, C, H, W)": (x, t) => L.cross_entropy(x, t),
    "cross_entropy large logits": (x, t) => L.cross_entropy(x, t),
    "cross_entropy label_smoothing": (x, t) => L.cross_entropy(x, t, { label_smoothing: 0.2 }),
    "cross_entropy label_smoothing ignore_index": (x, t) => L.cross_entropy(x, t, { label_smoothing: 0.3 }),
    "cross_entropy label_smoothing weight ignore_index": (x, t, w) =>
      L.cross_entropy(x, t, { weight: w, ignore_index: 1, label_smoothing: 0.25 }),
    "cross_entropy label_smoothing weight sum": (x, t, w) => L.cross_entropy(x, t, { weight: w, label_smoothing: 0.1, reduction: "sum" }),
    "cross_entropy label_smoothing weight none (N, C, d)": (x, t, w) =>
      L.cross_entropy(x, t, { weight: w, label_smoothing: 0.4, reduction: "none" }),
    "cross_entropy label_smoothing 1": (x, t) => L.cross_entropy(x, t, { label_smoothing: 1 }),
    "cross_entropy negative label_smoothing": (x, t) => L.cross_entropy(x, t, { label_smoothing: -0.5 }),
    "cross_entropy all ignored": (x, t) => L.cross_entropy(x, t),
    "cross_entropy all ignored label_smoothing weight": (x, t, w) =>
      L.cross_entropy(x, t, { weight: w, ignore_index: 2, label_smoothing: 0.2 }),
    "cross_entropy probabilities": (x, p) => L.cross_entropy(x, p),
    "cross_entropy probabilities sum": (x, p) => L.cross_entropy(x, p, { reduction: "sum" }),
    "cross_entropy probabilities none (N, C, d)": (x, p) => L.cross_entropy(x, p, { reduction: "none" }),
    "cross_entropy probabilities weight label_smoothing": (x, p, w) => L.cross_entropy(x, p, { weight: w, label_smoothing: 0.3 }),
    "cross_entropy probabilities unbatched": (x, p) => L.cross_entropy(x, p),
    "cross_entropy probabilities empty batch": (x, p) => L.cross_entropy(x, p),
    "binary_cross_entropy": (x, t) => L.binary_cross_entropy(x, t),
    "binary_cross_entropy weight": (x, t, w) => L.binary_cross_entropy(x, t, { weight: w }),
    "binary_cross_entropy sum": (x, t) => L.binary_cross_entropy(x, t, { reduction: "sum" }),
    "binary_cross_entropy none": (x, t) => L.binary_cross_entropy(x, t, { reduction: "none" }),
    "binary_cross_entropy at 0 and 1": (x, t) => L.binary_cross_entropy(x, t, { reduction: "none" }),
    "binary_cross_entropy_with_logits": (x, t) => L.binary_cross_entropy_with_logits(x, t),
    "binary_cross_entropy_with_logits pos_weight": (x, t, p) => L.binary_cross_entropy_with_logits(x, t, { pos_weight: p }),
    "binary_cross_entropy_with_logits weight pos_weight sum": (x, t, w, p) =>
      L.binary_cross_entropy_with_logits(x, t, { weight: w, pos_weight: p, reduction: "sum" }),
    "binary_cross_entropy_with_logits large logits none": (x, t, p) =>
      L.binary_cross_entropy_with_logits(x, t, { pos_weight: p, reduction: "none" }),
    "kl_div": (x, t) => L.kl_div(x, t),
    "kl_div batchmean": (x, t) => L.kl_div(x, t, { reduction: "batchmean" }),
    "kl_div sum": (x, t) => L.kl_div(x, t, { reduction: "sum" }),
    "kl_div none": (x, t) => L.kl_div(x, t, { reduction: "none" }),
    "kl_div log_target batchmean": (x, t) => L.kl_div(x, t, { reduction: "batchmean", log_target: true }),
    "kl_div zero target": (x, t) => L.kl_div(x, t, { reduction: "sum" }),
  });
});

describe("layer functions match PyTorch", () => {
  checkCases(data.layers, {
    "linear": (x, w, b) => N.linear(x, w, b),
    "linear 3-D input no bias": (x, w) => N.linear(x, w),
    "linear 1-D weight": (x, w) => N.linear(x, w),
    "linear 1-D input": (x, w, b) => N.linear(x, w, b),
    "bilinear": (a, b, w, bias) => N.bilinear(a, b, w, bias),
    "bilinear batch dims no bias": (a, b, w) => N.bilinear(a, b, w),
    "bilinear 1-D": (a, b, w) => N.bilinear(a, b, w),
    "embedding": (i, w) => N.embedding(i, w),
    "embedding padding_idx": (i, w) => N.embedding(i, w, { padding_idx: 2 }),
    "embedding negative padding_idx": (i, w) => N.embedding(i, w, { padding_idx: -1 }),
    "embedding max_norm": (i, w) => [N.embedding(i, w, { max_norm: 1 }), w],
    "one_hot": (t) => N.one_hot(t),
    "one_hot num_classes": (t) => N.one_hot(t, 4),
    "one_hot 0-d": (t) => N.one_hot(t, 3),
    "normalize": (x) => N.normalize(x),
    "normalize p=1 dim 0 with a zero column": (x) => N.normalize(x, { p: 1, dim: 0 }),
    "normalize eps": (x) => N.normalize(x, { dim: -1, eps: 0.01 }),
    "layer_norm": (x, w, b) => N.layer_norm(x, [3, 4], w, b),
    "layer_norm no affine eps": (x) => N.layer_norm(x, [5], null, null, { eps: 0.1 }),
    "batch_norm training": (x, rm, rv, w, b) => [N.batch_norm(x, rm, rv, w, b, { training: true }), rm, rv],
    "batch_norm training (N, C, L) momentum": (x, rm, rv, w, b) =>
      [N.batch_norm(x, rm, rv, w, b, { training: true, momentum: 0.3, eps: 1e-3 }), rm, rv],
    "batch_norm training without running stats": (x) => N.batch_norm(x, null, null, null, null, { training: true }),
    "batch_norm eval": (x, rm, rv, w, b) => N.batch_norm(x, rm, rv, w, b),
    "group_norm": (x, w, b) => N.group_norm(x, 3, w, b),
    "group_norm 4-D no affine": (x) => N.group_norm(x, 2, null, null, { eps: 1e-2 }),
    "cosine_similarity": (a, b) => N.cosine_similarity(a, b),
    "cosine_similarity broadcast dim -1": (a, b) => N.cosine_similarity(a, b, { dim: -1 }),
    "cosine_similarity tiny norms": (a, b) => N.cosine_similarity(a, b),
    "pairwise_distance": (a, b) => N.pairwise_distance(a, b),
    "pairwise_distance p=1 keepdim": (a, b) => N.pairwise_distance(a, b, { p: 1, keepdim: true }),
    "pairwise_distance 1-D": (a, b) => N.pairwise_distance(a, b, { p: 3, eps: 0 }),
    "scaled_dot_product_attention": (q, k, v) => N.scaled_dot_product_attention(q, k, v),
    "scaled_dot_product_attention float mask": (q, k, v, m) => N.scaled_dot_product_attention(q, k, v, { attn_mask: m }),
    "scaled_dot_product_attention bool mask": (q, k, v, m) => N.scaled_dot_product_attention(q, k, v, { attn_mask: m }),
    "scaled_dot_product_attention is_causal heads": (q, k, v) => N.scaled_dot_product_attention(q, k, v, { is_causal: true }),
    "mish": (x) => N.mish(x),
    "hardswish": (x) => N.hardswish(x),
    "hardsigmoid": (x) => N.hardsigmoid(x),
    "logsigmoid": (x) => N.logsigmoid(x),
    "softsign": (x) => N.softsign(x),
    "tanhshrink": (x) => N.tanhshrink(x),
    "softmin": (x) => N.softmin(x, 0),
    "softmin implicit dim": (x) => N.softmin(x),
    "glu": (x) => N.glu(x),
    "glu dim 0": (x) => N.glu(x, 0),
    "celu": (x) => N.celu(x, 0.5),
    "hardshrink": (x) => N.hardshrink(x, 0.6),
    "softshrink": (x) => N.softshrink(x, 0.4),
    "threshold": (x) => N.threshold(x, 0.1, -2),
    "prelu": (x, w) => N.prelu(x, w),
    "prelu per channel": (x, w) => N.prelu(x, w),
    "rrelu eval": (x) => N.rrelu(x, { lower: 0.1, upper: 0.3 }),
  });
});

const f64 = (shape: number[], fill = 0.5) => wg.full(shape, fill, { dtype: "float64" });
const idx = (values: number | number[] | number[][]) => wg.tensor(values, { dtype: "int32" });

describe("the losses refuse what PyTorch refuses, in its words", () => {
  const x = () => wg.randn([3, 4]);
  const cases: [string, () => unknown, string, ErrorConstructor?][] = [
    ["an unknown reduction", () => L.mse_loss(x(), x(), { reduction: "bad" as never }), "mse_loss(): bad is not a valid value for reduction"],
    ["batchmean outside kl_div", () => L.l1_loss(x(), x(), { reduction: "batchmean" as never }), "l1_loss(): batchmean is not a valid value for reduction"],
    ["an unknown kl_div reduction", () => L.kl_div(x(), x(), { reduction: "bad" as never }), "kl_div(): bad is not a valid value for reduction"],
    ["a reduction that is not a string", () => L.cross_entropy(x(), idx([0, 1, 2]), { reduction: 1 as never }),
      "cross_entropy(): reduction must be 'mean', 'sum' or 'none', got number 1", TypeError],
    ["an unknown option", () => L.nll_loss(x(), idx([0, 1, 2]), { ignore_idx: 1 } as never), "nll_loss(): unexpected option 'ignore_idx' (did you mean 'ignore_index'?)", TypeError],
    ["a target that is not a tensor", () => L.mse_loss(x(), [1, 2] as never), "mse_loss(): argument 'target' must be a Tensor, got an array", TypeError],
    ["an int32 input", () => L.mse_loss(idx([1, 2]), idx([1, 2])), "mse_loss(): not implemented for 'Int' (input is int32); convert it with .float() or .double() first"],
    ["shapes that do not broadcast", () => L.mse_loss(wg.randn([3, 2]), wg.randn([3])),
      "mse_loss(): The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"],
    ["a negative beta", () => L.smooth_l1_loss(x(), x(), { beta: -1 }), "smooth_l1_loss(): smooth_l1_loss does not support negative values for beta."],
    ["a zero delta", () => L.huber_loss(x(), x(), { delta: 0 }), "huber_loss(): huber_loss does not support non-positive values for delta."],
    ["batch sizes that differ", () => L.cross_entropy(x(), idx([0, 1])), "cross_entropy(): Expected input batch_size (3) to match target batch_size (2)."],
    ["a target out of range", () => L.cross_entropy(x(), idx([0, 1, 5])), "cross_entropy(): Target 5 is out of bounds.", RangeError],
    ["a negative target", () => L.nll_loss(x(), idx([0, -3, 1])), "nll_loss(): Target -3 is out of bounds.", RangeError],
    ["a spatial target out of range", () => L.nll_loss(wg.randn([2, 3, 4, 5]), wg.full([2, 4, 5], 7, { dtype: "int32" })),
      "nll_loss(): Target 7 is out of bounds.", RangeError],
    ["a float class target", () => L.cross_entropy(x(), wg.tensor([0, 1, 2])), "cross_entropy(): expected scalar type Int but found Float"],
    ["a bool class target", () => L.nll_loss(x(), wg.tensor([true, false, true])), "nll_loss(): expected scalar type Int but found Bool"],
    ["integer probabilities", () => L.cross_entropy(x(), wg.zeros([3, 4], { dtype: "int32" })),
      "cross_entropy(): Expected floating point type for target with class probabilities, got Int"],
    ["ignore_index with probabilities", () => L.cross_entropy(x(), wg.rand([3, 4]), { ignore_index: 1 }),
      "cross_entropy(): ignore_index is not supported for floating point target"],
    ["a weight per class missing", () => L.cross_entropy(x(), idx([0, 1, 2]), { weight: wg.ones([3]) }),
      "cross_entropy(): weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]"],
    ["a weight per class missing, probabilities", () => L.cross_entropy(x(), wg.rand([3, 4]), { weight: wg.ones([3]) }),
      "cross_entropy(): weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]"],
    ["a spatial weight per class missing", () => L.cross_entropy(wg.randn([2, 3, 4, 5]), wg.zeros([2, 4, 5], { dtype: "int32" }), { weight: wg.ones([2]) }),
      "cross_entropy(): weight tensor should be defined either for all or no classes"],
    ["a weight of another dtype", () => L.nll_loss(x(), idx([0, 1, 2]), { weight: f64([4]) }), "nll_loss(): expected scalar type Float but found Double"],
    ["label_smoothing above 1", () => L.cross_entropy(x(), idx([0, 1, 2]), { label_smoothing: 1.5 }),
      "cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: 1.5"],
    ["label_smoothing above 1, probabilities", () => L.cross_entropy(x(), wg.rand([3, 4]), { label_smoothing: 1.5 }),
      "cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: 1.5"],
    ["a 0-d input", () => L.cross_entropy(wg.tensor(1), idx(0)), "cross_entropy(): Expected 1 or more dimensions (got 0)"],
    ["an unbatched target of one", () => L.cross_entropy(wg.randn([4]), idx([2])), "cross_entropy(): size mismatch (got input: [4], target: [1])"],
    ["a 2-D target of class indices", () => L.nll_loss(wg.randn([2, 3]), wg.zeros([2, 4], { dtype: "int32" })),
      "nll_loss(): 0D or 1D target tensor expected, multi-target not supported"],
    ["a (N, d) target of the wrong size", () => L.cross_entropy(wg.randn([2, 3, 4]), wg.zeros([2, 5], { dtype: "int32" })),
      "cross_entropy(): Expected target size [2, 4], got [2, 5]"],
    ["an image target of the wrong rank", () => L.cross_entropy(wg.randn([2, 3, 4, 5]), wg.zeros([2, 4], { dtype: "int32" })),
      "cross_entropy(): only batches of spatial targets supported (3D tensors) but got targets of dimension: 2"],
    ["an image target of the wrong size", () => L.cross_entropy(wg.randn([2, 3, 4, 5]), wg.zeros([2, 4, 6], { dtype: "int32" })),
      "cross_entropy(): size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 6]"],
    ["a 5-D target of the wrong size", () => L.cross_entropy(wg.randn([2, 3, 4, 5, 2]), wg.zeros([2, 4, 5, 3], { dtype: "int32" })),
      "cross_entropy(): Expected target size [2, 4, 5, 2], got [2, 4, 5, 3]"],
    ["a bce target of another size", () => L.binary_cross_entropy(wg.rand([3, 1]), wg.rand([3])),
      "binary_cross_entropy(): Using a target size ([3]) that is different to the input size ([3, 1]) is deprecated. Please ensure they have the same size."],
    ["a bce input outside [0, 1]", () => L.binary_cross_entropy(wg.tensor([0.5, 1.5]), wg.rand([2])),
      "binary_cross_entropy(): all elements of input should be between 0 and 1"],
    ["a NaN bce input", () => L.binary_cross_entropy(wg.tensor([NaN]), wg.rand([1])), "binary_cross_entropy(): all elements of input should be between 0 and 1"],
    ["a bce target of another dtype", () => L.binary_cross_entropy(wg.rand([3]), f64([3])), "binary_cross_entropy(): Found dtype Double but expected Float"],
    ["a bce weight that does not broadcast", () => L.binary_cross_entropy(wg.rand([3, 2]), wg.rand([3, 2]), { weight: wg.rand([4]) }),
      "binary_cross_entropy(): The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 1"],
    ["a bce weight that grows the input", () => L.binary_cross_entropy(wg.rand([3, 2]), wg.rand([3, 2]), { weight: wg.rand([4, 3, 2]) }),
      "binary_cross_entropy(): output with shape [3, 2] doesn't match the broadcast shape [4, 3, 2]"],
    ["a logits target of another size", () => L.binary_cross_entropy_with_logits(wg.rand([3, 1]), wg.rand([3])),
      "binary_cross_entropy_with_logits(): Target size ([3]) must be the same as input size ([3, 1])"],
    ["an integer logits target", () => L.binary_cross_entropy_with_logits(wg.rand([3]), wg.ones([3], { dtype: "int32" })),
      "binary_cross_entropy_with_logits(): result type Float can't be cast to the desired output type Int"],
    ["a pos_weight that does not broadcast", () => L.binary_cross_entropy_with_logits(wg.rand([3, 2]), wg.rand([3, 2]), { pos_weight: wg.rand([3]) }),
      "binary_cross_entropy_with_logits(): The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"],
    ["an integer kl_div input", () => L.kl_div(idx([1, 2]), wg.rand([2]), { reduction: "sum" }), "kl_div(): kl_div: Integral inputs not supported."],
  ];
  test.each(cases)("%s", (_what, run, message, kind = Error) => {
    expect(run).toThrow(kind);
    expect(run).toThrow(message);
  });
});

describe("the losses warn as PyTorch does", () => {
  test.each([
    ["mse_loss", L.mse_loss, [5, 1], [5]],
    ["l1_loss", L.l1_loss, [6, 1], [6]],
    ["smooth_l1_loss", L.smooth_l1_loss, [7, 1], [7]],
    ["huber_loss", L.huber_loss, [8, 1], [8]],
  ] as const)("%s broadcasting a target of another shape", (op, loss, a, b) => {
    loss(wg.randn([...a]), wg.randn([...b]));
    expect(warnings).toHaveBeenCalledWith(`UserWarning: ${op}(): Using a target size ([${b.join(", ")}]) that is different to the input size ` +
      `([${a.join(", ")}]). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`);
  });
  test("the same shapes: no warning", () => {
    L.mse_loss(wg.randn([9, 2]), wg.randn([9, 2]));
    L.kl_div(wg.randn([9, 2]), wg.rand([9, 2]), { reduction: "batchmean" });
    expect(warnings).not.toHaveBeenCalled();
  });
  test("kl_div's 'mean', once", () => {
    L.kl_div(wg.randn([2, 3]), wg.rand([2, 3]));
    L.kl_div(wg.randn([2, 3]), wg.rand([2, 3]));
    expect(warnings).toHaveBeenCalledTimes(1);
    expect(String(warnings.mock.calls[0][0])).toContain("kl_div(): reduction: 'mean' divides the total loss by both the batch size and the support size.");
  });
});

describe("binary_cross_entropy_with_logits at logits of ±1000", () => {
  test("finite values and gradients, in float32 too", () => {
    const x = wg.tensor([1000, -1000, 1000, -1000, 88, -88], { requires_grad: true });
    const t = wg.tensor([0, 1, 1, 0, 0.3, 0.7]);
    const loss = L.binary_cross_entropy_with_logits(x, t, { pos_weight: wg.tensor([3]), reduction: "none" });
    loss.sum().backward();
    expect(flat(loss).every(Number.isFinite)).toBe(true);
    expect(flat(x.grad!).every(Number.isFinite)).toBe(true);
    expect(flat(loss).slice(0, 4)).toEqual([1000, 3000, 0, 0]);
  });
});

describe("the losses leave nothing behind", () => {
  const LOSSES: [string, () => Tensor][] = [];
  const x = wg.randn([6, 4], { requires_grad: true });
  const image = wg.randn([2, 3, 2, 2], { requires_grad: true });
  const classes = idx([0, 3, -100, 1, 2, 2]);
  const p = wg.rand([6, 4]);
  LOSSES.push(
    ["mse_loss", () => L.mse_loss(x, p)],
    ["l1_loss", () => L.l1_loss(x, p, { reduction: "sum" })],
    ["smooth_l1_loss", () => L.smooth_l1_loss(x, p, { beta: 0.5 })],
    ["huber_loss", () => L.huber_loss(x, p)],
    ["nll_loss", () => L.nll_loss(x.log_softmax(1), classes, { weight: wg.rand([4]) })],
    ["cross_entropy", () => L.cross_entropy(x, classes, { weight: wg.rand([4]), label_smoothing: 0.1 })],
    ["cross_entropy probabilities", () => L.cross_entropy(x, p.softmax(1), { label_smoothing: 0.1 })],
    ["cross_entropy (N, C, H, W)", () => L.cross_entropy(image, wg.zeros([2, 2, 2], { dtype: "int32" }))],
    ["binary_cross_entropy", () => L.binary_cross_entropy(x.sigmoid(), p, { weight: wg.rand([4]) })],
    ["binary_cross_entropy_with_logits", () => L.binary_cross_entropy_with_logits(x, p, { pos_weight: wg.rand([4]) })],
    ["kl_div", () => L.kl_div(x.log_softmax(1), p.softmax(1), { reduction: "batchmean" })],
  );
  test.each(LOSSES)("%s, forward and backward inside scope", (_name, loss) => {
    const step = () => wg.scope(() => { loss().backward(); return null; });
    step(); // the gradients of the leaves exist from here on
    const before = wg.memory();
    for (let i = 0; i < 3; i++) step();
    expect(wg.memory().tensors).toBe(before.tensors);
    expect(wg.memory().bytes).toBe(before.bytes);
  });
  test("a loss's result is all that escapes its scope (with its graph, until it goes)", () => {
    const before = wg.memory().tensors;
    const value = wg.no_grad(() => wg.scope(() => L.cross_entropy(x, classes, { label_smoothing: 0.2 })));
    expect(wg.memory().tensors).toBe(before + 1);
    value.dispose();
    const loss = wg.scope(() => L.cross_entropy(x, classes, { label_smoothing: 0.2 }));
    expect(loss.requires_grad).toBe(true);
    loss.dispose();
    expect(wg.memory().tensors).toBe(before);
  });
});

describe("dropout's mask", () => {
  const fractionZero = (t: Tensor) => flat(t).filter((v) => v === 0).length / t.numel();
  test("drops a fraction p, scales the rest by 1 / (1 - p), and its gradient is that noise exactly", () => {
    wg.manual_seed(11);
    const p = 0.3;
    const x = wg.randn([200, 100], { dtype: "float64", requires_grad: true });
    const out = N.dropout(x, { p });
    // 20,000 draws: the standard deviation of the fraction is 0.0032
    expect(Math.abs(fractionZero(out) - p)).toBeLessThan(0.015);
    out.sum().backward();
    const grads = flat(x.grad!), outs = flat(out), xs = flat(x);
    expect(new Set(grads)).toEqual(new Set([0, 1 / (1 - p)]));
    grads.forEach((g, i) => { if (outs[i] !== xs[i] * g) throw new Error(`element ${i}: ${outs[i]} is not ${xs[i]} * ${g}`); });
  });
  test("draws anew each call", () => {
    const x = wg.ones([1000], { dtype: "float64" });
    expect(flat(N.dropout(x))).not.toEqual(flat(N.dropout(x)));
  });
  test("p = 1 gives zeros and zero gradients; p = 0 and evaluation give the input itself", () => {
    const x = wg.randn([4, 5], { requires_grad: true });
    const out = N.dropout(x, { p: 1 });
    expect(flat(out).every((v) => v === 0)).toBe(true);
    out.sum().backward();
    expect(flat(x.grad!).every((v) => v === 0)).toBe(true);
    expect(N.dropout(x, { p: 0 })).toBe(x);
    expect(N.dropout(x, { training: false })).toBe(x);
    expect(N.dropout2d(x, { p: 0.5, training: false })).toBe(x);
  });
  test("inplace writes into the input", () => {
    wg.manual_seed(5);
    const x = wg.ones([50, 40]);
    const out = N.dropout(x, { p: 0.5, inplace: true });
    expect(out).toBe(x);
    expect(Math.abs(fractionZero(x) - 0.5)).toBeLessThan(0.05);
    expect(new Set(flat(x))).toEqual(new Set([0, 2]));
  });
  // each group of elements that shares a draw is all zeros or all 1 / (1 - p)
  const sharedDraws = (out: Tensor, groups: number) => {
    const rows = out.reshape([groups, -1]).tolist() as number[][];
    return rows.every((r) => r.every((v) => v === r[0]));
  };
  test("dropout1d, dropout2d and dropout3d draw one value per channel", () => {
    wg.manual_seed(3);
    const cases: [Tensor, number, number][] = [
      [N.dropout1d(wg.ones([8, 6, 5]), { p: 0.4 }), 48, 0.4],
      [N.dropout1d(wg.ones([40, 5]), { p: 0.4 }), 40, 0.4], // unbatched (C, L)
      [N.dropout2d(wg.ones([8, 6, 3, 3]), { p: 0.5 }), 48, 0.5],
      [N.dropout3d(wg.ones([6, 8, 2, 2, 2]), { p: 0.5 }), 48, 0.5],
      [N.dropout3d(wg.ones([40, 2, 2, 2]), { p: 0.5 }), 40, 0.5], // unbatched (C, D, H, W)
    ];
    for (const [out, groups, p] of cases) {
      expect(sharedDraws(out, groups)).toBe(true);
      expect(new Set(flat(out))).toEqual(new Set([0, Math.fround(1 / (1 - p))]));
    }
  });
  test("dropout2d of a 3-D input shares draws along its last dim and warns, as PyTorch 1.13", () => {
    wg.manual_seed(4);
    expect(sharedDraws(N.dropout2d(wg.ones([8, 6, 5]), { p: 0.5 }), 48)).toBe(true);
    expect(String(warnings.mock.calls[0][0])).toContain("dropout2d(): dropout2d: Received a 3D input to dropout2d and assuming");
    N.dropout2d(wg.ones([4, 3]));
    expect(String(warnings.mock.calls[1][0])).toContain("dropout2d(): dropout2d: Received a 2-D input to dropout2d, which is deprecated");
    N.dropout3d(wg.ones([4, 3, 2]));
    expect(String(warnings.mock.calls[2][0])).toContain("dropout3d(): dropout3d: Received a 3-D input to dropout3d, which is deprecated");
  });
  test("attention's dropout_p drops attention weights: 1 gives zeros", () => {
    const q = wg.randn([2, 3, 4]);
    expect(flat(N.scaled_dot_product_attention(q, q, q, { dropout_p: 1 })).every((v) => v === 0)).toBe(true);
  });
  test("rrelu while training: a slope from [lower, upper] for each negative element", () => {
    wg.manual_seed(9);
    const x = wg.randn([4000], { dtype: "float64" });
    const out = N.rrelu(x, { lower: 0.2, upper: 0.4, training: true });
    const xs = flat(x), slopes = flat(out).map((v, i) => v / xs[i]).filter((_, i) => xs[i] < 0);
    expect(flat(out).filter((_, i) => xs[i] > 0)).toEqual(xs.filter((v) => v > 0));
    expect(Math.min(...slopes)).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...slopes)).toBeLessThanOrEqual(0.4);
    expect(Math.abs(slopes.reduce((a, b) => a + b, 0) / slopes.length - 0.3)).toBeLessThan(0.01);
  });
});

describe("embedding's padding row takes no gradient", () => {
  test("the other rows accumulate theirs", () => {
    const w = wg.randn([4, 3], { requires_grad: true });
    N.embedding(idx([[1, 0, 1], [3, 0, 0]]), w, { padding_idx: 0 }).sum().backward();
    expect(w.grad!.tolist()).toEqual([[0, 0, 0], [2, 2, 2], [0, 0, 0], [1, 1, 1]]);
  });
});

describe("the layer functions refuse what PyTorch refuses, in its words", () => {
  const cases: [string, () => unknown, string, ErrorConstructor?][] = [
    ["linear: features that differ", () => N.linear(wg.randn([3, 4]), wg.randn([5, 3])), "linear(): mat1 and mat2 shapes cannot be multiplied (3x4 and 3x5)"],
    ["linear: a bias of the wrong size", () => N.linear(wg.randn([3, 4]), wg.randn([5, 4]), wg.randn([4])),
      "linear(): The expanded size of the tensor (5) must match the existing size (4) at non-singleton dimension 1.  Target sizes: [3, 5].  Tensor sizes: [4]"],
    ["linear: a 1-D weight with a bias", () => N.linear(wg.randn([3, 4]), wg.randn([4]), wg.randn([])), "linear(): mat2 must be a matrix, got 1-D tensor"],
    ["linear: a 0-d input", () => N.linear(wg.tensor(1), wg.randn([3, 1])), "linear(): both arguments to matmul need to be at least 1D, but they are 0D and 2D"],
    ["bilinear: ranks that differ", () => N.bilinear(wg.randn([2, 3]), wg.randn([2, 3, 4]), wg.randn([5, 3, 4])),
      "bilinear(): bilinear(): input dimensions do not match: got 2 and 3"],
    ["bilinear: batches that differ", () => N.bilinear(wg.randn([2, 3]), wg.randn([3, 4]), wg.randn([5, 3, 4])),
      "bilinear(): bilinear(): input batch dimensions do not match at dim 0: got 2 and 3"],
    ["bilinear: input1 of the wrong size", () => N.bilinear(wg.randn([2, 2]), wg.randn([2, 4]), wg.randn([5, 3, 4])),
      "bilinear(): bilinear(): input1 size does not match weight size: got 2 but expected 3"],
    ["bilinear: input2 of the wrong size", () => N.bilinear(wg.randn([2, 3]), wg.randn([2, 2]), wg.randn([5, 3, 4])),
      "bilinear(): bilinear(): input2 size does not match weight size: got 2 but expected 4"],
    ["bilinear: a bias of the wrong size", () => N.bilinear(wg.randn([2, 3]), wg.randn([2, 4]), wg.randn([5, 3, 4]), wg.randn([4])),
      "bilinear(): bilinear(): bias size does not match weight size: got 4 but expected 5"],
    ["dropout: p above 1", () => N.dropout(wg.randn([3]), { p: 1.5 }), "dropout(): dropout probability has to be between 0 and 1, but got 1.5"],
    ["dropout: p below 0", () => N.dropout(wg.randn([3]), { p: -0.1 }), "dropout(): dropout probability has to be between 0 and 1, but got -0.1"],
    ["dropout2d: p above 1", () => N.dropout2d(wg.randn([2, 3, 4, 5]), { p: 2 }), "dropout2d(): dropout probability has to be between 0 and 1, but got 2"],
    ["dropout: an int32 input", () => N.dropout(idx([1, 2])), "dropout(): result type Float can't be cast to the desired output type Int"],
    ["dropout1d: a 4-D input", () => N.dropout1d(wg.randn([2, 3, 4, 5])), "dropout1d(): dropout1d: Expected 2D or 3D input, but received a 4D input."],
    ["dropout: an unknown option", () => N.dropout(wg.randn([3]), { train: false } as never), "dropout(): unexpected option 'train'", TypeError],
    ["embedding: float indices", () => N.embedding(wg.tensor([0, 1]), wg.randn([3, 2])),
      "embedding(): Expected tensor for argument #1 'indices' to have one of the following scalar types: Int; but got torch.float32 instead (while checking arguments for embedding)"],
    ["embedding: an index out of range", () => N.embedding(idx([0, 3]), wg.randn([3, 2])), "embedding(): index out of range in self", RangeError],
    ["embedding: a negative index", () => N.embedding(idx([0, -1]), wg.randn([3, 2])), "embedding(): index out of range in self", RangeError],
    ["embedding: padding_idx too large", () => N.embedding(idx([0]), wg.randn([3, 2]), { padding_idx: 3 }), "embedding(): Padding_idx must be within num_embeddings"],
    ["embedding: padding_idx too small", () => N.embedding(idx([0]), wg.randn([3, 2]), { padding_idx: -4 }), "embedding(): Padding_idx must be within num_embeddings"],
    ["embedding: a 1-D weight", () => N.embedding(idx([0]), wg.randn([3])), "embedding(): 'weight' must be 2-D"],
    ["embedding: scale_grad_by_freq", () => N.embedding(idx([0]), wg.randn([3, 2]), { scale_grad_by_freq: true }), "embedding(): scale_grad_by_freq is not supported"],
    ["one_hot: float classes", () => N.one_hot(wg.tensor([0, 1])), "one_hot(): one_hot is only applicable to index tensor."],
    ["one_hot: a negative class", () => N.one_hot(idx([0, -1])), "one_hot(): Class values must be non-negative."],
    ["one_hot: a class too large", () => N.one_hot(idx([0, 3]), 3), "one_hot(): Class values must be smaller than num_classes."],
    ["one_hot: no classes to infer from", () => N.one_hot(wg.zeros([0], { dtype: "int32" })), "one_hot(): Can not infer total number of classes from empty tensor."],
    ["normalize: an int32 input", () => N.normalize(wg.ones([2, 3], { dtype: "int32" })),
      "normalize(): norm(): input dtype should be either floating point or complex. Got Int instead."],
    ["normalize: dim out of range", () => N.normalize(wg.ones([3])), "normalize(): Dimension out of range (expected to be in range of [-1, 0], but got 1)", RangeError],
    ["layer_norm: trailing dims that differ", () => N.layer_norm(wg.randn([2, 3]), [4]),
      "layer_norm(): Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]"],
    ["layer_norm: a weight of the wrong shape", () => N.layer_norm(wg.randn([2, 3]), [3], wg.randn([4])),
      "layer_norm(): Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and normalized_shape = [3]"],
    ["layer_norm: a bias of the wrong shape", () => N.layer_norm(wg.randn([2, 3]), [3], null, wg.randn([4])),
      "layer_norm(): Expected bias to be of same shape as normalized_shape, but got bias of shape [4] and normalized_shape = [3]"],
    ["layer_norm: an empty normalized_shape", () => N.layer_norm(wg.randn([2, 3]), []),
      "layer_norm(): Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []"],
    ["batch_norm: one value per channel", () => N.batch_norm(wg.randn([1, 3]), wg.zeros([3]), wg.ones([3]), null, null, { training: true }),
      "batch_norm(): Expected more than 1 value per channel when training, got input size [1, 3]"],
    ["batch_norm: running_mean of the wrong size", () => N.batch_norm(wg.randn([4, 3]), wg.zeros([2]), wg.ones([3])),
      "batch_norm(): running_mean should contain 3 elements not 2"],
    ["batch_norm: running_var of the wrong size", () => N.batch_norm(wg.randn([4, 3]), wg.zeros([3]), wg.ones([2])),
      "batch_norm(): running_var should contain 3 elements not 2"],
    ["batch_norm: a weight of the wrong size", () => N.batch_norm(wg.randn([4, 3]), wg.zeros([3]), wg.ones([3]), wg.ones([2])),
      "batch_norm(): weight should contain 3 elements not 2"],
    ["batch_norm: a bias of the wrong size", () => N.batch_norm(wg.randn([4, 3]), wg.zeros([3]), wg.ones([3]), null, wg.ones([2])),
      "batch_norm(): bias should contain 3 elements not 2"],
    ["batch_norm: evaluation without running stats", () => N.batch_norm(wg.randn([4, 3]), null, null),
      "batch_norm(): running_mean must be defined in evaluation mode"],
    ["group_norm: channels not divisible", () => N.group_norm(wg.randn([2, 6, 4]), 4),
      "group_norm(): Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 6, 4] and num_groups=4"],
    ["group_norm: a weight of the wrong size", () => N.group_norm(wg.randn([2, 6, 4]), 3, wg.ones([5])),
      "group_norm(): Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [5] and input of shape [2, 6, 4]"],
    ["cosine_similarity: shapes that do not broadcast", () => N.cosine_similarity(wg.randn([2, 3]), wg.randn([3, 3])),
      "cosine_similarity(): The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"],
    ["cosine_similarity: integers", () => N.cosine_similarity(idx([[1, 2]]), idx([[1, 2]])),
      "cosine_similarity(): expected common dtype to be floating point, yet common dtype is Int"],
    ["pairwise_distance: shapes that do not broadcast", () => N.pairwise_distance(wg.randn([2, 3]), wg.randn([3, 3])),
      "pairwise_distance(): The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"],
    ["attention: a mask with is_causal", () => N.scaled_dot_product_attention(wg.randn([3, 4]), wg.randn([3, 4]), wg.randn([3, 4]),
      { attn_mask: wg.ones([3, 3]), is_causal: true }), "scaled_dot_product_attention(): Explicit attn_mask should not be set when is_causal=True"],
    ["attention: embedding sizes that differ", () => N.scaled_dot_product_attention(wg.randn([3, 4]), wg.randn([3, 5]), wg.randn([3, 4])),
      "scaled_dot_product_attention(): query and key must have the same embedding size, got [3, 4] and [3, 5]"],
    ["attention: sequence lengths that differ", () => N.scaled_dot_product_attention(wg.randn([3, 4]), wg.randn([3, 4]), wg.randn([2, 4])),
      "scaled_dot_product_attention(): key and value must have the same sequence length, got [3, 4] and [2, 4]"],
    ["attention: a mask that does not broadcast", () => N.scaled_dot_product_attention(wg.randn([3, 4]), wg.randn([5, 4]), wg.randn([5, 4]),
      { attn_mask: wg.ones([3, 4]) }), "scaled_dot_product_attention(): The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 1"],
    ["glu: an odd dim", () => N.glu(wg.randn([2, 3])), "glu(): Halving dimension must be even, but dimension 1 is size 3"],
    ["glu: a 0-d input", () => N.glu(wg.tensor(1)), "glu(): glu does not support scalars because halving size must be even"],
    ["celu: alpha 0", () => N.celu(wg.randn([3]), 0), "celu(): ZeroDivisionError: alpha cannot be 0 for CELU"],
    ["softshrink: a negative lambd", () => N.softshrink(wg.randn([3]), -0.5), "softshrink(): lambda must be greater or equal to 0, but found to be -0.5."],
    ["prelu: a weight per channel missing", () => N.prelu(wg.randn([2, 3]), wg.tensor([0.1, 0.2])),
      "prelu(): Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and channel size = 3."],
    ["mish: an int32 input", () => N.mish(idx([1])), "mish(): not implemented for 'Int'; convert the input with .float() first"],
  ];
  test.each(cases)("%s", (_what, run, message, kind = Error) => {
    expect(run).toThrow(kind);
    expect(run).toThrow(message);
  });
  test("softmin without dim warns as PyTorch", () => {
    N.softmin(wg.randn([2, 3]));
    expect(warnings).toHaveBeenCalledWith("UserWarning: softmin(): Implicit dimension choice for softmin has been deprecated. " +
      "Change the call to include dim=X as an argument.");
  });
});

describe("the layer functions leave nothing behind", () => {
  const x = wg.randn([4, 3, 2], { requires_grad: true });
  const w = wg.randn([5, 2], { requires_grad: true });
  const table = wg.randn([6, 2], { requires_grad: true });
  const gamma = wg.ones([3], { requires_grad: true });
  const runningMean = wg.zeros([3]), runningVar = wg.ones([3]);
  const CASES: [string, () => Tensor][] = [
    ["linear", () => N.linear(x, w, wg.zeros([5])).sum()],
    ["bilinear", () => N.bilinear(x, x, wg.randn([2, 2, 2])).sum()],
    ["dropout", () => N.dropout(x, { p: 0.3 }).sum()],
    ["dropout2d", () => N.dropout2d(x.unsqueeze(-1), { p: 0.3 }).sum()],
    ["embedding with padding_idx and max_norm", () => N.embedding(idx([[0, 5], [2, 2]]), table, { padding_idx: 2, max_norm: 1 }).sum()],
    ["layer_norm", () => N.layer_norm(x, [3, 2]).sum()],
    ["batch_norm training", () => N.batch_norm(x, runningMean, runningVar, gamma, null, { training: true }).square().sum()],
    ["batch_norm eval", () => N.batch_norm(x, runningMean, runningVar, gamma).square().sum()],
    ["group_norm", () => N.group_norm(x, 3, gamma).square().sum()],
    ["cosine_similarity", () => N.cosine_similarity(x, x.flip(0)).sum()],
    ["pairwise_distance", () => N.pairwise_distance(x, x.flip(0)).sum()],
    ["scaled_dot_product_attention", () => N.scaled_dot_product_attention(x, x, x, { is_causal: true, dropout_p: 0.1 }).sum()],
    ["glu, mish and softmin", () => N.glu(N.mish(N.softmin(x, 1)), 2).sum()],
  ];
  test.each(CASES)("%s, forward and backward inside scope", (_name, run) => {
    const step = () => wg.scope(() => { run().backward(); return null; });
    step();
    const before = wg.memory();
    for (let i = 0; i < 3; i++) step();
    expect(wg.memory().tensors).toBe(before.tensors);
    expect(wg.memory().bytes).toBe(before.bytes);
  });
});
