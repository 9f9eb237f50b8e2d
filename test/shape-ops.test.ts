// movedim, broadcast_to, flatten(start, end), unflatten, repeat, tile, tril, triu and trace
// against their definitions (PyTorch's), with the gradients they pass back.
import { describe, expect, test } from "vitest";
import { arange, gradcheck, rand, tensor, type Tensor } from "../bindings/index.js";

const grid = (shape: number[]) => arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);

describe("shape ops built from views", () => {
  test("movedim, broadcast_to, flatten and unflatten", () => {
    const x = grid([2, 3, 4]);
    expect(x.movedim(0, 2).shape).toEqual([3, 4, 2]);
    expect(x.movedim([0, 1], [2, 0]).shape).toEqual([3, 4, 2]);
    expect(x.movedim(0, 2).tolist()).toEqual(x.permute([1, 2, 0]).tolist());
    expect(x.movedim(-1, 0).is_contiguous()).toBe(false); // a view
    expect(tensor([1, 2]).broadcast_to([3, 2]).tolist()).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(0, 1).shape).toEqual([6, 4]);
    expect(x.unflatten(2, [2, -1]).shape).toEqual([2, 3, 2, 2]);
    expect(() => x.unflatten(1, [2, 2])).toThrow(/don't multiply up to the size of dim 1 \(3\)/);
    expect(() => x.flatten(2, 1)).toThrow("flatten(): start_dim cannot come after end_dim");
  });

  test("repeat and tile copy the tensor along each dim", () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(x.repeat(2, 3).tolist()).toEqual([[1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4], [1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4]]);
    expect(tensor([1, 2]).repeat(2, 2).tolist()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(x.tile([2]).tolist()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(() => x.repeat(2)).toThrow(/can not be smaller than number of dimensions/);
  });

  test("tril, triu (batched, with offsets) and trace", () => {
    const x = grid([2, 3, 3]);
    const lower = x.tril(), upper = x.triu(1), band = x.tril(-1);
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const v = 9 * b + 3 * i + j;
          expect((lower.tolist() as number[][][])[b][i][j]).toBe(j <= i ? v : 0);
          expect((upper.tolist() as number[][][])[b][i][j]).toBe(j >= i + 1 ? v : 0);
          expect((band.tolist() as number[][][])[b][i][j]).toBe(j <= i - 1 ? v : 0);
        }
      }
    }
    // a NaN or an infinity outside the triangle does not leak into it
    expect(tensor([[1, Infinity], [NaN, 2]]).triu().tolist()).toEqual([[1, Infinity], [0, 2]]);
    expect(grid([3, 3]).trace().item()).toBe(12);
    expect(() => tensor([1, 2]).tril()).toThrow(/at least 2 dimensions/);
  });

  // PyTorch 1.13: x.nan_to_num() and x.nan_to_num(1, 2, -3), float32, and the gradient
  test("nan_to_num replaces NaN and infinities; the gradient passes where x is finite", () => {
    const x = tensor([NaN, Infinity, -Infinity, 1.5], { requires_grad: true });
    expect(x.nan_to_num().tolist()).toEqual([0, 3.4028234663852886e38, -3.4028234663852886e38, 1.5]);
    const y = x.nan_to_num(1, 2, -3);
    expect(y.tolist()).toEqual([1, 2, -3, 1.5]);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 0, 0, 1]);
    expect(tensor(Float64Array.from([Infinity])).nan_to_num().item()).toBe(Number.MAX_VALUE);
  });

  test("their gradients (gradcheck, float64)", () => {
    const x = rand([2, 3], { dtype: "float64", requires_grad: true });
    const fns: ((t: Tensor) => Tensor)[] = [
      (t) => t.movedim(0, 1).mul(t.T),
      (t) => t.repeat(2, 1, 2).sin(),
      (t) => t.tile([3, 1]).mul(2),
      (t) => t.unsqueeze(0).broadcast_to([4, 2, 3]).cos(),
      (t) => t.unflatten(1, [3, 1]).flatten(1).exp(),
      (t) => t.matmul(t.T).tril().add(t.matmul(t.T).triu(1).mul(3)),
      (t) => t.matmul(t.T).trace(),
    ];
    for (const f of fns) expect(gradcheck(f, [x])).toBe(true);
  });
});
