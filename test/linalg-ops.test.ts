// mm, bmm, mv and outer: values against matmul's definition (a plain loop), PyTorch's shape
// errors, and gradients (gradcheck, float64).
import { describe, expect, test } from "vitest";
import { bmm, gradcheck, mm, mv, outer, rand, tensor, type Tensor } from "../bindings/index.js";

const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>);

function product(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

describe("mm, bmm, mv and outer", () => {
  test("values", () => {
    const a = rand([3, 4], { dtype: "float64" }), b = rand([4, 2], { dtype: "float64" });
    flat(mm(a, b)).forEach((v, i) => expect(v).toBeCloseTo(product(flat(a), flat(b), 3, 4, 2)[i], 12));
    const x = rand([2, 3, 4], { dtype: "float64" }), y = rand([2, 4, 5], { dtype: "float64" });
    const z = flat(bmm(x, y));
    for (let s = 0; s < 2; s++) {
      const want = product(flat(x).slice(12 * s, 12 * s + 12), flat(y).slice(20 * s, 20 * s + 20), 3, 4, 5);
      want.forEach((v, i) => expect(z[15 * s + i]).toBeCloseTo(v, 12));
    }
    const v = rand([4], { dtype: "float64" });
    flat(mv(a, v)).forEach((r, i) => expect(r).toBeCloseTo(product(flat(a), flat(v), 3, 4, 1)[i], 12));
    expect(outer(tensor([1, 2]), tensor([3, 4, 5])).tolist()).toEqual([[3, 4, 5], [6, 8, 10]]);
  });

  test("PyTorch's shape errors", () => {
    expect(() => mm(tensor([1, 2, 3]), rand([3, 2]))).toThrow("mm(): self must be a matrix");
    expect(() => mm(rand([2, 3]), rand([2, 3]))).toThrow(/mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    expect(() => bmm(rand([2, 3]), rand([3, 2]))).toThrow("bmm(): batch1 must be a 3D tensor");
    expect(() => bmm(rand([2, 2, 3]), rand([3, 3, 2]))).toThrow(
      "bmm(): Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].");
    expect(() => mv(rand([2, 3]), rand([2]))).toThrow("mv(): size mismatch, got 2, 2x3,2");
    expect(() => mv(rand([3]), rand([3]))).toThrow("mv(): vector + matrix @ vector expected, got 1, 1");
    expect(() => outer(rand([2, 2]), rand([2]))).toThrow("outer(): Expected 1-D argument self, but got 2-D");
  });

  test("gradients (gradcheck, float64)", () => {
    const a = rand([3, 4], { dtype: "float64", requires_grad: true }), b = rand([4, 2], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => p.mm(q), [a, b])).toBe(true);
    const v = rand([4], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => p.mv(q), [a, v])).toBe(true);
    const w = rand([3], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => p.outer(q), [w, v])).toBe(true);
    const x = rand([2, 3, 4], { dtype: "float64", requires_grad: true }), y = rand([2, 4, 2], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => p.bmm(q), [x, y])).toBe(true);
  });
});
