// wasmgrad/nn/functional against PyTorch 1.13 (test/fixtures/nn_functional.json, from
// generate_nn_functional.py): values and the gradients of sum(out * weights) in float64 for
// every loss and layer function; then dropout's mask, the refusals and warnings in PyTorch's
// words, and that the losses leave nothing behind in wasm memory.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as wg from "../bindings/index.js";
import type { Tensor } from "../bindings/index.js";
import * as L from "../bindings/nn/losses.js";
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

function expectValues(got: number[], want: Value[], what: string): void {
  expect(got.length, what).toBe(want.length);
  want.map(number).forEach((w, i) => {
    if (Number.isNaN(w)) expect(got[i], `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(w)) expect(got[i], `${what}[${i}]`).toBe(w);
    else expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(w)));
  });
}

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
      expectValues(flat(xs[i].grad!), g, `grad of input ${i}`);
    });
  });
}

const data = fixture as unknown as { losses: Case[] };

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

const f64 = (shape: number[], fill = 0.5) => wg.full(shape, fill, { dtype: "float64" });
const idx = (values: number[] | number) => wg.tensor(values, { dtype: "int32" });

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
