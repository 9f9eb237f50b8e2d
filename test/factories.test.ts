// eye, empty, full_like, rand_like, randn_like, randint, randperm and logspace: shapes,
// dtypes, values (closed forms) and PyTorch's refusals.
import { describe, expect, test } from "vitest";
import {
  empty, eye, full_like, logspace, manual_seed, rand_like, randint, randn_like, randperm, tensor, zeros,
} from "../bindings/index.js";

const flat = (t: { toTypedArray(): ArrayLike<number> }) => Array.from(t.toTypedArray());

describe("factories", () => {
  test("eye: square and rectangular identities, with dtype and requires_grad", () => {
    expect(eye(3).tolist()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).tolist()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(eye(3, 1, { dtype: "int32" }).tolist()).toEqual([[1], [0], [0]]);
    expect(eye(2, { dtype: "float64", requires_grad: true }).requires_grad).toBe(true);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(() => eye(-1)).toThrow("eye(): n must be greater or equal to 0, got -1");
  });

  test("empty gives zeros of the size; full_like keeps the tensor's dtype", () => {
    expect(empty(2, 3).tolist()).toEqual([[0, 0, 0], [0, 0, 0]]);
    const x = tensor(Int32Array.from([1, 2, 3]));
    expect(full_like(x, 7).dtype).toBe("int32");
    expect(full_like(x, 7).tolist()).toEqual([7, 7, 7]);
    expect(full_like(x, 0.5, { dtype: "float64" }).tolist()).toEqual([0.5, 0.5, 0.5]);
  });

  test("rand_like and randn_like follow the tensor's shape and dtype, and refuse integers", () => {
    const x = zeros([4, 5], { dtype: "float64" });
    const u = rand_like(x), n = randn_like(x);
    expect([u.shape, u.dtype, n.shape, n.dtype]).toEqual([[4, 5], "float64", [4, 5], "float64"]);
    expect(flat(u).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(() => rand_like(tensor(Int32Array.from([1])))).toThrow(/only implemented for floating dtypes/);
  });

  test("randint: int32 values in [low, high), seeded", () => {
    manual_seed(5);
    const a = randint(3, 9, [1000]);
    expect(a.dtype).toBe("int32");
    const vs = flat(a);
    expect(Math.min(...vs)).toBe(3);
    expect(Math.max(...vs)).toBe(8);
    manual_seed(5);
    expect(flat(randint(3, 9, [1000]))).toEqual(vs);
    expect(randint(4, [2, 2]).shape).toEqual([2, 2]);
    expect(randint(0, 2, [3], { dtype: "float32" }).dtype).toBe("float32");
    expect(() => randint(5, 5, [2])).toThrow("random_ expects 'from' to be less than 'to', but got from=5 >= to=5");
  });

  test("randperm is a permutation of 0 .. n-1", () => {
    const p = randperm(50);
    expect(p.dtype).toBe("int32");
    expect(flat(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(randperm(0).shape).toEqual([0]);
  });

  test("logspace: base ** linspace(start, end, steps)", () => {
    expect(flat(logspace(0, 3, 4, { dtype: "float64" }))).toEqual([1, 10, 100, 1000]);
    expect(flat(logspace(-1, 1, 3, 2, { dtype: "float64" }))).toEqual([0.5, 1, 2]);
    expect(logspace(0, 1, 5).dtype).toBe("float32");
  });
});
