// cat, stack, hstack, vstack, split, chunk and unbind: values, dtypes, PyTorch's errors,
// views that share storage, and gradients (gradcheck, float64).
import { describe, expect, test } from "vitest";
import { arange, cat, gradcheck, hstack, rand, stack, tensor, vstack, zeros, type Tensor } from "../bindings/index.js";

describe("joining", () => {
  test("cat, stack, hstack and vstack", () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[5], [6]]);
    expect(cat([a, b], 1).tolist()).toEqual([[1, 2, 5], [3, 4, 6]]);
    expect(cat([a, a], -2).shape).toEqual([4, 2]);
    expect(cat([zeros([0, 2]), a]).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).tolist()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor(1), tensor(2)]).tolist()).toEqual([1, 2]);
    expect(hstack([tensor([1]), tensor([2, 3])]).tolist()).toEqual([1, 2, 3]);
    expect(vstack([tensor([1, 2]), tensor([3, 4])]).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(cat([tensor([1]), tensor(Float64Array.from([2]))]).dtype).toBe("float64");
    expect(cat([tensor(Int32Array.from([1])), tensor(Int32Array.from([2]))]).dtype).toBe("int32");
  });

  test("PyTorch's errors", () => {
    expect(() => cat([zeros([2, 3]), zeros([2, 4])])).toThrow(
      "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.");
    expect(() => cat([])).toThrow("cat(): expected a non-empty list of Tensors");
    expect(() => cat([tensor(1)])).toThrow("zero-dimensional tensor (at position 0) cannot be concatenated");
    expect(() => stack([zeros([2]), zeros([3])])).toThrow("stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1");
  });
});

describe("splitting", () => {
  test("split, chunk and unbind give views", () => {
    const x = arange(5);
    expect(x.split(2).map((t) => t.tolist())).toEqual([[0, 1], [2, 3], [4]]);
    expect(x.split([1, 4]).map((t) => t.tolist())).toEqual([[0], [1, 2, 3, 4]]);
    expect(x.chunk(3).map((t) => t.tolist())).toEqual([[0, 1], [2, 3], [4]]);
    const m = arange(6).reshape([2, 3]);
    expect(m.unbind(1).map((t) => t.tolist())).toEqual([[0, 3], [1, 4], [2, 5]]);
    x.split(2)[1].add_(10); // a view: the write reaches x
    expect(x.tolist()).toEqual([0, 1, 12, 13, 4]);
    expect(() => x.split([1, 3])).toThrow(
      "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at dimension 0), but got split_sizes=[1, 3]");
    expect(() => x.chunk(0)).toThrow(/chunk expects `chunks` to be greater than 0/);
  });

  test("gradients (gradcheck, float64)", () => {
    const a = rand([2, 3], { dtype: "float64", requires_grad: true }), b = rand([2, 2], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => cat([p.sin(), q, p], 1), [a, b])).toBe(true);
    expect(gradcheck((p: Tensor) => stack([p, p.mul(2)], 2), [a])).toBe(true);
    expect(gradcheck((p: Tensor) => { const [u, v] = p.split([1, 2], 1); return u.mul(v.sum(1, true)); }, [a])).toBe(true);
    expect(gradcheck((p: Tensor) => { const [u, v] = p.chunk(2, 1); return cat([v, u.exp()], 1); }, [a])).toBe(true);
    expect(gradcheck((p: Tensor) => { const [u, v] = p.unbind(0); return u.mul(v); }, [a])).toBe(true);
  });
});
