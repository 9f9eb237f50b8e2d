// prod, cumprod, logcumsumexp, norm, amax/amin over dims, sort, argsort, topk and msort against PyTorch
// 1.13 (test/fixtures/sort.json, from generate_sort.py): values, dtypes, shapes, indices and
// the gradients of sum(out * weights), with 0-d tensors, empty dims and transposed inputs;
// float64 gradchecks at inputs with zeros; stability on long rows; errors.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { Tensor, gradcheck, gradgradcheck, tensor } from "../bindings/index.js";
import {
  call as callCase, expectTensor, expectWeightedGrad, f64, inputOf, type MethodCase,
} from "./fixture-cases.js";
import fixture from "./fixtures/sort.json" with { type: "json" };

type Case = MethodCase;
describe("prod, cumprod, norm, amax, amin, sort, argsort, topk and msort match PyTorch", () => {
  const cases = fixture.cases as unknown as Case[];
  test.each(cases.map((c) => [`${c.method}: ${c.name}`, c] as const))("%s", (_name, c) => {
    const { leaf, x } = inputOf(c.input);
    const result = callCase<Tensor | wg.SortResult>(c, x);
    const out = result instanceof Tensor ? result : result.values;
    if (c.out !== undefined) expectTensor(out, c.out, "out");
    if (c.values !== undefined) expectTensor(out, c.values, "values");
    if (c.indices !== undefined) expectTensor((result as wg.SortResult).indices, c.indices, "indices");
    expectWeightedGrad(out, leaf, c);
  });
});

describe("gradients at inputs with zeros (float64 gradcheck and gradgradcheck)", () => {
  const withZeros = [
    f64([1.5, -2, 0.5, 3, -1, 2], [2, 3]), // none
    f64([1.5, -2, 0, 3, -1, 2], [2, 3]), // one
    f64([1.5, 0, 0, 3, -1, 2], [2, 3]), // two in a row
    f64([0, 0, 0, 0, 0, 0.5], [2, 3]),
  ];
  test.each(withZeros.map((x, i) => [i, x] as const))("prod and cumprod, input %i", (_i, x) => {
    for (const fn of [(a: Tensor) => a.prod(), (a: Tensor) => a.prod(1), (a: Tensor) => a.prod(0, true),
      (a: Tensor) => a.cumprod(1), (a: Tensor) => a.cumprod(0), (a: Tensor) => a.T.cumprod(0)]) {
      expect(gradcheck(fn, [x])).toBe(true);
      expect(gradgradcheck(fn, [x])).toBe(true);
    }
  });

  test("prod's gradient with one zero is the product of the others there, and zero elsewhere", () => {
    const x = f64([2, 0, 3, 4]);
    x.prod().backward();
    expect(x.grad!.tolist()).toEqual([0, 24, 0, 0]);
    const y = f64([2, 0, 3, 0]);
    y.prod().backward();
    expect(y.grad!.tolist()).toEqual([0, 0, 0, 0]);
  });

  test("norm's second derivatives over dims, and the gradient at the origin", () => {
    const x = f64([0.5, -1, 2, 0.25, -0.75, 1.5], [2, 3]);
    for (const p of [2, 3, 1.5, 0.5]) {
      expect(gradgradcheck((a: Tensor) => a.norm(p, 1), [x])).toBe(true);
      expect(gradgradcheck((a: Tensor) => a.norm({ p, dim: [0, 1], keepdim: true }), [x])).toBe(true);
    }
    const z = f64([0, 0, 0]);
    for (const p of [2, 1, 3, 0.5, 1.5, Infinity, -Infinity, 0]) {
      z.grad?.zero_();
      z.norm(p).backward();
      expect(z.grad!.tolist(), `p = ${p}`).toEqual([0, 0, 0]);
    }
  });
});

describe("memory", () => {
  test("forward, backward and create_graph backward release every temporary", () => {
    const x = f64([0.5, -1, 2, 0.25, -0.75, 1.5, 0, 3], [2, 4]);
    const b = tensor([[true, false], [false, true]]);
    const runs: ((a: Tensor) => Tensor)[] = [
      (a) => a.prod(), (a) => a.prod(1), (a) => a.cumprod(1), (a) => a.logcumsumexp(0), (a) => a.amax([0, 1]),
      (a) => a.sort(1).values, (a) => a.topk(2, 0).values, (a) => a.T.sort(0, true).values,
      ...[2, 1, Infinity, -Infinity, 0, 0.5, 1.5, 3].map((p) => (a: Tensor) => a.norm(p, 1)),
    ];
    const step = (fn: (a: Tensor) => Tensor) => wg.scope(() => {
      const [g] = wg.grad(fn(x).pow(2).sum(), [x], { create_graph: true });
      if (g!.requires_grad) g!.sum().backward(); // not for p = 0, whose gradient is constant
      b.sort(); b.prod(); b.cumprod(0);
    });
    for (const fn of runs) {
      step(fn);
      const before = wg.memory().tensors;
      for (let i = 0; i < 3; i++) step(fn);
      expect(wg.memory().tensors, String(fn)).toBe(before);
    }
  });
});

describe("sort", () => {
  // a JavaScript stable sort of the positions by value: the expected order
  function stableOrder(values: number[], descending: boolean): number[] {
    return values.map((_, i) => i).sort((i, j) => (descending ? values[j] - values[i] : values[i] - values[j]) || i - j);
  }

  test("is stable on long rows with many ties, both ways, along any dim", () => {
    const x = wg.randint(0, 5, [3, 1000]).float();
    for (const descending of [false, true]) {
      const { values, indices } = x.sort(1, descending);
      const rows = x.tolist() as number[][];
      (indices.tolist() as number[][]).forEach((got, r) => expect(got).toEqual(stableOrder(rows[r], descending)));
      expect(values.tolist()).toEqual(rows.map((row) => stableOrder(row, descending).map((i) => row[i])));
      const alongDim0 = x.T.contiguous().sort(0, descending).indices.T;
      expect(alongDim0.tolist()).toEqual(indices.tolist());
    }
  });

  test("topk's indices pick its values, and ties take the earlier positions", () => {
    const x = tensor([1, 2, 2, 3, 1, 2, 1]);
    const { values, indices } = x.topk(3);
    expect(values.tolist()).toEqual([3, 2, 2]);
    expect(indices.tolist()).toEqual([3, 1, 2]);
    expect(x.topk(3, { largest: false }).indices.tolist()).toEqual([0, 4, 6]);
  });

  test("grad_fn names, and a create_graph gradient that is itself differentiable", () => {
    const x = f64([0.5, -1, 2, 0.25, -0.75, 1.5], [2, 3]);
    expect(x.sort().values.grad_fn?.name()).toBe("SortBackward");
    expect(x.topk(2).values.grad_fn?.name()).toBe("TopkBackward");
    expect(x.prod().grad_fn?.name()).toBe("ProdBackward");
    expect(x.cumprod(1).grad_fn?.name()).toBe("CumprodBackward");
    expect(x.norm(3, 1).grad_fn?.name()).toBe("NormBackward");
    const [g] = wg.grad(x.sort(1).values.pow(3).sum(), [x], { create_graph: true });
    expect(g!.requires_grad).toBe(true);
    expect(gradgradcheck((a: Tensor) => a.sort(0, true).values.pow(3), [x])).toBe(true);
    expect(gradgradcheck((a: Tensor) => a.topk(2, 1).values.exp(), [x])).toBe(true);
  });

  test("function forms", () => {
    const x = tensor([[3, 1, 2], [0, 5, 4]]);
    expect(wg.sort(x, 1).values.tolist()).toEqual([[1, 2, 3], [0, 4, 5]]);
    expect(wg.argsort(x, 0, true).tolist()).toEqual([[0, 1, 1], [1, 0, 0]]);
    expect(wg.topk(x, 1, 1).values.tolist()).toEqual([[3], [5]]);
    expect(wg.msort(x).tolist()).toEqual([[0, 1, 2], [3, 5, 4]]);
    expect(wg.prod(x, 1).tolist()).toEqual([6, 0]);
    expect(wg.prod(x, { dim: 0, keepdim: true }).tolist()).toEqual([[0, 5, 8]]);
    expect(wg.cumprod(x, 1).tolist()).toEqual([[3, 3, 6], [0, 0, 0]]);
    expect(wg.logcumsumexp(tensor([0, 0]), 0).tolist()).toEqual([0, Math.fround(Math.LN2)]);
    expect(wg.norm(x, 1).item()).toBe(15);
    expect(wg.norm(x, { p: Infinity, dim: 1 }).tolist()).toEqual([3, 5]);
  });
});

describe("errors", () => {
  const x = tensor([[3, 1, 2], [0, 5, 4]]);
  test("topk's k out of range", () => {
    expect(() => x.topk(4)).toThrow("topk(): selected index k out of range");
    expect(() => x.topk(-1)).toThrow("topk(): selected index k out of range");
    expect(() => tensor(1).topk(2)).toThrow("topk(): selected index k out of range");
    expect(() => x.topk(1.5)).toThrow("topk(): argument 'k' must be an integer, got number 1.5");
    expect(() => x.bool().topk(1)).toThrow(`topk(): "topk_cpu" not implemented for 'Bool'`);
  });
  test("dims out of range or repeated", () => {
    expect(() => x.sort(2)).toThrow("sort(): Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    expect(() => x.topk(1, -3)).toThrow("topk(): Dimension out of range");
    expect(() => x.prod(2)).toThrow("prod(): Dimension out of range");
    expect(() => x.cumprod(-3)).toThrow("cumprod(): Dimension out of range");
    expect(() => x.norm(2, [0, -2])).toThrow("norm(): dim 0 appears multiple times in the list of dims");
    expect(() => x.amax([1, 1])).toThrow("amax(): dim 1 appears multiple times in the list of dims");
  });
  test("logcumsumexp of integers", () => {
    expect(() => x.int().logcumsumexp(0)).toThrow(`logcumsumexp(): "logcumsumexp_out_cpu" not implemented for 'Int'`);
  });
  test("norm's dtypes and orders", () => {
    expect(() => x.int().norm()).toThrow("norm(): input dtype should be either floating point or complex. Got Int instead.");
    expect(() => x.bool().norm()).toThrow("Got Bool instead.");
    expect(() => x.norm(NaN)).toThrow("norm(): p must be a number or 'fro', got number NaN");
    expect(() => x.norm("nuc" as "fro")).toThrow("norm(): the nuclear norm is not supported");
    expect(() => x.unsqueeze(0).norm("fro", [0, 1, 2])).toThrow("norm(): Expected at most 2 dimensions, but got 3 dimensions instead.");
  });
  test("options", () => {
    expect(() => x.sort({ decending: true } as never)).toThrow("sort(): unexpected option 'decending' (did you mean 'descending'?)");
    expect(() => x.topk(1, { largest: 1 } as never)).toThrow("topk(): largest must be a boolean, got number 1");
    expect(() => x.norm({ p: 2, dims: 0 } as never)).toThrow("norm(): unexpected option 'dims' (did you mean 'dim'?)");
    expect(() => x.prod(0, 1 as never)).toThrow("prod(): keepdim must be a boolean, got number 1");
  });
});
