// The in-place forms of the elementwise ops: each writes what its op computes, inside the
// graph too (gradients as PyTorch's for the same program), and refuses what PyTorch refuses.
import { describe, expect, test } from "vitest";
import { gradcheck, no_grad, tensor, zeros, type Tensor } from "../bindings/index.js";

const x = () => tensor([[0.5, -1.25, 2], [3, -0.75, 1.5]], { dtype: "float64" });
const other = tensor([[2, 0.5, -1], [1.5, 2, -3]], { dtype: "float64" });

describe("each in-place op writes what its op computes", () => {
  test.each([
    ["exp_", (t: Tensor) => t.exp_(), (t: Tensor) => t.exp()],
    ["abs_", (t: Tensor) => t.abs_(), (t: Tensor) => t.abs()],
    ["sigmoid_", (t: Tensor) => t.sigmoid_(), (t: Tensor) => t.sigmoid()],
    ["erf_", (t: Tensor) => t.erf_(), (t: Tensor) => t.erf()],
    ["floor_", (t: Tensor) => t.floor_(), (t: Tensor) => t.floor()],
    ["div_", (t: Tensor) => t.div_(other), (t: Tensor) => t.div(other)],
    ["pow_", (t: Tensor) => t.abs_().pow_(1.5), (t: Tensor) => t.abs().pow(1.5)],
    ["atan2_", (t: Tensor) => t.atan2_(other), (t: Tensor) => t.atan2(other)],
    ["gt_", (t: Tensor) => t.gt_(other), (t: Tensor) => t.gt(other).double()],
    ["clamp_", (t: Tensor) => t.clamp_(-1, 1), (t: Tensor) => t.clamp(-1, 1)],
    ["clamp_ (options)", (t: Tensor) => t.clamp_({ max: 0 }), (t: Tensor) => t.clamp({ max: 0 })],
    ["clamp_min_", (t: Tensor) => t.clamp_min_(0), (t: Tensor) => t.clamp_min(0)],
    ["fmod_", (t: Tensor) => t.fmod_(0.7), (t: Tensor) => t.fmod(0.7)],
    ["lerp_", (t: Tensor) => t.lerp_(other, 0.25), (t: Tensor) => t.lerp(other, 0.25)],
    ["addcmul_", (t: Tensor) => t.addcmul_(other, other, { value: 0.5 }), (t: Tensor) => t.addcmul(other, other, { value: 0.5 })],
    ["addcdiv_", (t: Tensor) => t.addcdiv_(other, other.abs().add(1), { value: -2 }), (t: Tensor) => t.addcdiv(other, other.abs().add(1), { value: -2 })],
    ["leaky_relu_", (t: Tensor) => t.leaky_relu_(0.2), (t: Tensor) => t.leaky_relu(0.2)],
    ["tril_", (t: Tensor) => t.tril_(), (t: Tensor) => t.tril()],
  ] as const)("%s", (_name, inPlace, op) => {
    const a = x();
    const written = inPlace(a);
    expect(written).toBe(a);
    expect(a.tolist()).toEqual(op(x()).tolist());
  });

  test("through a view the base changes", () => {
    const a = x();
    a.select(0, 1).abs_().sqrt_();
    const rows = a.tolist() as number[][];
    expect(rows[1][0]).toBeCloseTo(Math.sqrt(3), 12);
    expect(rows[0]).toEqual([0.5, -1.25, 2]);
  });

  test("an int tensor keeps its dtype where the result casts", () => {
    const i = tensor([3, -7, 8], { dtype: "int32" });
    expect(i.abs_().tolist()).toEqual([3, 7, 8]);
    expect(i.gt_(4).tolist()).toEqual([0, 1, 1]);
  });
});

describe("inside the graph", () => {
  test("a chain of in-place ops on a non-leaf differentiates as its out-of-place form", () => {
    // as in PyTorch, no op after one whose rule reads its own result (exp_, tanh_) changes that result
    const f = (t: Tensor) => { const h = t.mul(1); h.sin_().addcmul_(t, t, { value: 0.5 }).clamp_(-1, 1); h.select(0, 0).tanh_(); return h; };
    const a = tensor([[0.5, -1.25, 1.2], [0.3, -0.75, 1.5]], { dtype: "float64", requires_grad: true });
    expect(gradcheck(f, [a])).toBe(true);
  });

  test("an op whose rule reads its own result runs backward after writing it in place", () => {
    const a = tensor([0.5, 1, 2], { dtype: "float64", requires_grad: true });
    const y = a.mul(1);
    y.exp_();
    y.sum().backward();
    (a.grad!.tolist() as number[]).forEach((g, i) => expect(g).toBeCloseTo(Math.exp([0.5, 1, 2][i]), 14));
    // as in PyTorch, a second write into that result is caught
    const b = tensor([0.5, 1, 2], { dtype: "float64", requires_grad: true });
    const z = b.mul(1);
    z.tanh_().add_(1);
    expect(() => z.sum().backward()).toThrow("modified by an inplace operation");
  });

  test("refusals", () => {
    const leaf = zeros([2], { requires_grad: true });
    expect(() => leaf.exp_()).toThrow("a leaf Variable that requires grad is being used in an in-place operation");
    no_grad(() => leaf.exp_());
    expect(leaf.tolist()).toEqual([1, 1]);
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => i.sqrt_()).toThrow("sqrt_(): result type Float can't be cast to the desired output type Int");
    expect(i._version).toBe(0); // refused before anything was written
    expect(() => i.div_(2)).toThrow("result type Float can't be cast to the desired output type Int");
    expect(() => tensor([true], { dtype: "bool" }).neg_()).toThrow("neg_(): not supported for bool tensors");
  });
});
