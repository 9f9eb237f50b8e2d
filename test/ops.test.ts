// Forward values and behaviour of ops beyond their gradients (gradients: gradcheck.test.ts).
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { tensor, arange, zeros, ones, full, linspace, rand, manual_seed } from "../bindings/index.js";
import { expectClose } from "./helpers.js";

describe("comparisons", () => {
  test("gt lt ge le eq give bool tensors with broadcasting", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([2, 5, 3]);
    const F = false, T = true;
    expect(a.gt(b).dtype).toBe("bool");
    expect(a.gt(b).tolist()).toEqual([[F, F, F], [T, F, T]]);
    expect(a.lt(b).tolist()).toEqual([[T, T, F], [F, F, F]]);
    expect(a.ge(b).tolist()).toEqual([[F, F, T], [T, T, T]]);
    expect(a.le(3).tolist()).toEqual([[T, T, T], [F, F, F]]);
    expect(wg.eq(a, b).tolist()).toEqual([[F, F, T], [F, T, F]]);
    expect(tensor([NaN]).eq(tensor([NaN])).tolist()).toEqual([F]);
  });

  test("are not differentiable", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const m = x.gt(1.5);
    expect(m.requires_grad).toBe(false);
    expect(m.grad_fn).toBeNull();
    x.mul(m).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 1]);
  });
});

describe("creation", () => {
  test("arange, linspace, full, zeros, ones", () => {
    expect(arange(4).tolist()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 2.5, 0.5).tolist()).toEqual([1, 1.5, 2]);
    expect(arange(5, 0, -2).tolist()).toEqual([5, 3, 1]);
    expect(linspace(0, 1, 5).tolist()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(-1, 1, 1).tolist()).toEqual([-1]);
    expect(full([2], 7).tolist()).toEqual([7, 7]);
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(ones([]).item()).toBe(1);
    expect(wg.zeros_like(ones([2, 2])).tolist()).toEqual([[0, 0], [0, 0]]);
    expect(wg.ones_like(zeros([3]), { requires_grad: true }).requires_grad).toBe(true);
  });

  test("nested arrays and 0-d", () => {
    const t = tensor([[[1], [2]], [[3], [4]]]);
    expect(t.shape).toEqual([2, 2, 1]);
    expect(t.ndim).toBe(3);
    expect(t.numel()).toBe(4);
    expect(tensor(2.5).shape).toEqual([]);
    expect(tensor(2.5).tolist()).toBe(2.5);
    expect(tensor([]).shape).toEqual([0]);
  });

  test("any numeric typed array, or another tensor (copied, outside the graph)", () => {
    expect(tensor(new Uint8Array([1, 255])).tolist()).toEqual([1, 255]);
    expect(tensor(new Int16Array([-3, 4, 5, 6]), { shape: [2, 2] }).tolist()).toEqual([[-3, 4], [5, 6]]);
    const x = tensor([1, 2], { requires_grad: true });
    const y = tensor(x.mul(2));
    expect(y.tolist()).toEqual([2, 4]);
    expect([y.requires_grad, y.is_leaf, y.dtype]).toEqual([false, true, "float32"]);
    expect(() => tensor(new BigInt64Array(2) as never)).toThrow(/tensor\(\): data must be/);
  });

  test("rand is in [0, 1) and seeded", () => {
    manual_seed(1);
    const a = rand([1000]).toTypedArray();
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    manual_seed(1);
    expect(Array.from(rand([1000]).toTypedArray())).toEqual(Array.from(a));
  });

  test("randn has mean 0 and variance 1", () => {
    manual_seed(2);
    const x = wg.randn([20000]);
    expect(Math.abs(x.mean().item())).toBeLessThan(0.03);
    expect(Math.abs(x.pow(2).mean().item() - 1)).toBeLessThan(0.05);
  });
});

describe("reductions and shapes", () => {
  test("sum and mean over dims, keepdim", () => {
    const x = arange(24).reshape(2, 3, 4);
    expect(x.sum().item()).toBe(276);
    expect(x.sum(0).shape).toEqual([3, 4]);
    expect(x.sum(1, true).shape).toEqual([2, 1, 4]);
    expect(x.sum([0, 2]).tolist()).toEqual([60, 92, 124]); // sum over a, c of 12a + 4b + c
    expect(x.mean(-1).tolist()).toEqual([[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
  });

  test("max with and without a dim", () => {
    const x = tensor([[1, 5, 5], [7, 2, 7]]);
    expect(x.max().item()).toBe(7);
    const { values, indices } = x.max(1);
    expect(values.tolist()).toEqual([5, 7]);
    expect(indices.tolist()).toEqual([1, 0]);
    expect(x.max(0, true).values.shape).toEqual([1, 3]);
    expect(x.amax(0).tolist()).toEqual([7, 5, 7]);
  });

  test("ties: max() shares the gradient, max(dim) gives it to the first arg-max", () => {
    const x = tensor([[1, 5, 5], [3, 2, 0]], { requires_grad: true });
    x.max().backward();
    expect(x.grad!.tolist()).toEqual([[0, 0.5, 0.5], [0, 0, 0]]);
    x.grad = null;
    x.max(1).values.sum().backward();
    expect(x.grad!.tolist()).toEqual([[0, 1, 0], [1, 0, 0]]);
  });

  test("reshape, view, squeeze, unsqueeze, transpose, T", () => {
    const x = arange(6).reshape(2, 3);
    expect(x.view(3, -1).shape).toEqual([3, 2]);
    expect(x.unsqueeze(1).shape).toEqual([2, 1, 3]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(x.unsqueeze(0).squeeze().shape).toEqual([2, 3]);
    expect(x.reshape(1, 2, 1, 3).squeeze(2).shape).toEqual([1, 2, 3]);
    expect(x.T.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.transpose(0, 1).tolist()).toEqual(x.T.tolist());
    expect(arange(3).T.tolist()).toEqual([0, 1, 2]);
    expect(x.flatten().shape).toEqual([6]);
    expect(x.size()).toEqual([2, 3]);
    expect(x.size(-1)).toBe(3);
  });

  test("softmax is stable for large inputs and sums to one", () => {
    const x = tensor([[1000, 1001, 1002], [-1000, -1000, -1000]]);
    const p = x.softmax(1);
    expectClose(p.sum(1), [1, 1], 1e-6);
    expectClose(p, [0.09003057, 0.24472847, 0.66524096, 1 / 3, 1 / 3, 1 / 3], 1e-6);
    expectClose(x.log_softmax(1), [-2.40760596, -1.40760596, -0.40760596, -1.09861229, -1.09861229, -1.09861229], 1e-6);
    expectClose(tensor(3).softmax(0), 1);
  });

  test("NaN and -inf in max and softmax behave as in PyTorch", () => {
    expect(tensor([1, NaN, 3]).max().item()).toBeNaN();
    const m = tensor([[1, NaN], [4, 2]]).max(1);
    expect(m.values.tolist()).toEqual([NaN, 4]);
    expect(m.indices.tolist()).toEqual([1, 0]);
    expectClose(tensor([0, -Infinity, 0, -Infinity, 1]).softmax(0), [0.21194156, 0, 0.21194156, 0, 0.57611688], 1e-6);
    expectClose(tensor([-Infinity, -Infinity]).softmax(0), [NaN, NaN]);
    const long = arange(37).mul(0.25);
    const e = Array.from(long.toTypedArray(), (v) => Math.exp(v - 9));
    const total = e.reduce((a, b) => a + b, 0);
    expectClose(long.softmax(0), e.map((v) => v / total), 1e-5);
    expectClose(long.reshape(37, 1).softmax(0), e.map((v) => v / total), 1e-5);
  });

  test("norm: 2-norm, with a zero gradient at the origin as in PyTorch", () => {
    const x = tensor([3, 4], { requires_grad: true });
    x.norm().backward();
    expect(x.grad!.tolist()).toEqual([0.6000000238418579, 0.800000011920929]);
    const z = zeros([3], { requires_grad: true });
    z.norm().backward();
    expect(z.grad!.tolist()).toEqual([0, 0, 0]);
  });

  test("matmul shapes follow PyTorch", () => {
    expect(ones([3]).matmul(ones([3])).shape).toEqual([]);
    expect(ones([2, 3]).matmul(ones([3])).shape).toEqual([2]);
    expect(ones([3]).matmul(ones([3, 4])).shape).toEqual([4]);
    expect(ones([5, 2, 3]).matmul(ones([3, 4])).shape).toEqual([5, 2, 4]);
    expect(ones([2, 3]).matmul(ones([5, 3, 4])).shape).toEqual([5, 2, 4]);
    expect(ones([5, 2, 3]).matmul(ones([3])).shape).toEqual([5, 2]);
    expect(ones([4, 4]).matmul(ones([4, 4])).sum().item()).toBe(64);
  });

  // Reference values from PyTorch 1.13: a.pow(b).sum().backward(); x.pow(0).sum().backward().
  // Unmasked, 0 * 0^-1 and 0 * log(0) would make the 0 entries NaN.
  test("pow's gradients at base 0 and exponent 0 are PyTorch's", () => {
    const a = tensor([0, 0, 2, 0], { dtype: "float64", requires_grad: true });
    const b = tensor([2, 0, 3, -1], { dtype: "float64", requires_grad: true });
    a.pow(b).sum().backward();
    expect(a.grad!.tolist()).toEqual([0, 0, 12, -Infinity]);
    const gb = Array.from(b.grad!.toTypedArray());
    expect([gb[0], gb[1], gb[3]]).toEqual([0, 0, -Infinity]);
    expect(gb[2]).toBeCloseTo(8 * Math.log(2), 12);
    const x = tensor([0, 1], { requires_grad: true });
    x.pow(0).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 0]);
  });

  test("function forms accept numbers on either side", () => {
    expect(wg.sub(10, tensor([1, 2])).tolist()).toEqual([9, 8]);
    expect(wg.div(1, tensor([2, 4])).tolist()).toEqual([0.5, 0.25]);
    expect(wg.pow(2, tensor([3])).tolist()).toEqual([8]);
    expect(wg.exp(0).item()).toBe(1);
  });
});

test("memory() reports live tensors and bytes", () => {
  const before = wg.memory();
  const t = zeros([1000]);
  expect(wg.memory().tensors).toBe(before.tensors + 1);
  expect(wg.memory().bytes).toBe(before.bytes + 4000);
  t.dispose();
  expect(wg.memory()).toEqual(before);
});
