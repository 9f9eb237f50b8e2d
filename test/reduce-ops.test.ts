// min, amin, argmax, argmin, all, any and count_nonzero. Values from PyTorch 1.13 for the
// same inputs (ties, NaN, int32 extremes, bools), and float64 gradchecks.
import { describe, expect, test } from "vitest";
import { gradcheck, rand, tensor, type Tensor } from "../bindings/index.js";

describe("reductions built from max and sum", () => {
  test("min and amin share tied gradients as PyTorch's; min(dim) gives the first index", () => {
    const x = tensor([[3, 1, 1], [-2, 5, -2]], { requires_grad: true });
    const m = x.min();
    m.backward();
    expect(m.item()).toBe(-2);
    expect(x.grad!.tolist()).toEqual([[0, 0, 0], [0.5, 0, 0.5]]);
    const r = x.min(1);
    expect([r.values.tolist(), r.indices.tolist(), r.indices.dtype]).toEqual([[1, -2], [1, 0], "int32"]);
    expect(x.amin(1).tolist()).toEqual([1, -2]);
  });

  test("argmax and argmin, flattened or along a dim", () => {
    const x = tensor([[3, 1, 1], [-2, 5, -2]]);
    expect(x.argmax().item()).toBe(4);
    expect(x.argmax(1).tolist()).toEqual([0, 1]);
    expect(x.argmin(0, true).tolist()).toEqual([[1, 0, 1]]);
    expect(x.argmin().item()).toBe(3);
  });

  test("int32 extremes and bools are ordered without overflow", () => {
    const i = tensor(Int32Array.from([-2147483648, 5, 2147483647]));
    expect([i.min().item(), i.max().item(), i.argmin().item(), i.amin(0).item()]).toEqual([-2147483648, 2147483647, 0, -2147483648]);
    const b = tensor([[true, false], [true, true]]);
    expect(b.min().dtype).toBe("bool");
    expect(b.min().tolist()).toBe(false);
  });

  test("all, any and count_nonzero (NaN counts as nonzero)", () => {
    const b = tensor([[true, false], [true, true]]);
    expect(b.all().tolist()).toBe(false);
    expect(b.all(1).tolist()).toEqual([false, true]);
    expect(b.any(0).tolist()).toEqual([true, true]);
    expect(b.count_nonzero().item()).toBe(3);
    expect(tensor([0, NaN, 2]).all().tolist()).toBe(false);
    expect(tensor([NaN, 2]).all().tolist()).toBe(true);
    expect(tensor([0, NaN]).count_nonzero(0).tolist()).toBe(1);
    expect(tensor([[0, 0], [0, 1]]).any(1, true).tolist()).toEqual([[false], [true]]);
  });

  // PyTorch 1.13: x.logsumexp(1) and its gradient for x = [[1, 2], [3, 1000], [-inf, -inf]]
  test("logsumexp does not overflow, and its gradient is the softmax", () => {
    const x = tensor(Float64Array.from([1, 2, 3, 1000, -Infinity, -Infinity]), { shape: [3, 2], requires_grad: true });
    const l = x.logsumexp(1);
    l.sum().backward();
    const v = l.tolist() as number[];
    expect(v[0]).toBeCloseTo(2.313261687518223, 14);
    expect(v.slice(1)).toEqual([1000, -Infinity]);
    const g = x.grad!.tolist() as number[][];
    expect(g[0][0]).toBeCloseTo(0.26894142136999505, 14);
    expect(g[1]).toEqual([0, 1]);
    expect(g[2].every(Number.isNaN)).toBe(true);
    expect(x.logsumexp([0, 1], true).shape).toEqual([1, 1]);
  });

  // PyTorch 1.13: y.var(1) and y.std(dim=(0, 1), correction=0) with their gradients
  test("var and std with a correction, over dims or all", () => {
    const y = tensor(Float64Array.from([1, 2, 3, 4, 5, 7]), { shape: [2, 3], requires_grad: true });
    const v = y.var(1), s = y.std(null, { correction: 0 });
    v.sum().add(s).backward();
    expect((v.tolist() as number[])[0]).toBeCloseTo(1, 14);
    expect((v.tolist() as number[])[1]).toBeCloseTo(2.333333333333334, 14);
    expect(s.item()).toBeCloseTo(1.9720265943665387, 14);
    const want = [-1.2253744679276044, -0.14085904245475275, 0.943656383018099, -1.3051615248423825, -0.22064609936953083, 1.9483847515761725];
    Array.from(y.grad!.toTypedArray()).forEach((g, i) => expect(g).toBeCloseTo(want[i], 13));
    expect(y.var([0, 1], { keepdim: true }).shape).toEqual([1, 1]);
    expect(tensor([5]).var().item()).toBeNaN(); // one element, correction 1
    expect(() => y.var(0, { unbiased: false } as never)).toThrow(/unexpected option 'unbiased'/);
  });

  // PyTorch 1.13: x.cumsum(1), its gradient for weights 1..6, x.T.cumsum(1), bool cumsum
  test("cumsum along any dim, of views and bools", () => {
    const x = tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3], requires_grad: true });
    const c = x.cumsum(1);
    expect(c.tolist()).toEqual([[1, 3, 6], [4, 9, 15]]);
    c.mul(tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3] })).sum().backward();
    expect(x.grad!.tolist()).toEqual([[6, 5, 3], [15, 11, 6]]);
    expect(x.cumsum(0).tolist()).toEqual([[1, 2, 3], [5, 7, 9]]);
    expect(x.T.cumsum(1).tolist()).toEqual([[1, 5], [2, 7], [3, 9]]);
    const b = tensor([true, false, true]).cumsum(0);
    expect([b.dtype, b.tolist()]).toEqual(["int32", [1, 1, 2]]);
    expect(tensor(5).cumsum(0).tolist()).toBe(5);
  });

  test("gradients of min and amin (gradcheck, float64)", () => {
    const x = rand([3, 4], { dtype: "float64", requires_grad: true });
    expect(gradcheck((t: Tensor) => t.min(1).values.mul(t.amin(0).sum()), [x])).toBe(true);
    expect(gradcheck((t: Tensor) => t.min(), [x])).toBe(true);
  });

  test("nansum and nanmean leave NaN out, and give it no gradient", () => {
    const x = tensor([[1, NaN, 3], [NaN, NaN, 6]], { dtype: "float64", requires_grad: true });
    expect(x.nansum().item()).toBe(10);
    expect(x.nansum(1).tolist()).toEqual([4, 6]);
    expect(x.nanmean(1, true).tolist()).toEqual([[2], [6]]);
    expect(x.nanmean(0).tolist()).toEqual([1, NaN, 4.5]); // a column of NaN has no mean
    x.nanmean(1).sum().backward();
    expect(x.grad!.tolist()).toEqual([[0.5, 0, 0.5], [0, 0, 1]]);
    expect(tensor([1, 2], { dtype: "int32" }).nansum().item()).toBe(3);
    expect(() => tensor([1], { dtype: "int32" }).nanmean()).toThrow("nanmean(): expected input to have floating point dtype");
  });
});
