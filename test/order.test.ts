// median, nanmedian, kthvalue, mode, cummax, cummin, unique and unique_consecutive against
// PyTorch 1.13 (test/fixtures/order.json, from generate_order.py): values, dtypes, shapes,
// indices (PyTorch's choice among ties) and the gradients of sum(values * weights), with
// 0-d tensors, empty dims, NaN and transposed inputs; second derivatives; long rows; errors.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { Tensor, gradcheck, gradgradcheck, tensor } from "../bindings/index.js";
import {
  call as callCase, expectTensor, expectWeightedGrad, f64, inputOf, numbers, type MethodCase,
} from "./fixture-cases.js";
import fixture from "./fixtures/order.json" with { type: "json" };

type Case = MethodCase;
type Result = Tensor | Tensor[] | wg.OrderResult;

describe("median, nanmedian, kthvalue, mode, cummax, cummin, unique and unique_consecutive match PyTorch", () => {
  const cases = fixture.cases as unknown as Case[];
  test.each(cases.map((c) => [`${c.method}: ${c.name}`, c] as const))("%s", (_name, c) => {
    const { leaf, x } = inputOf(c.input);
    const result = callCase<Result>(c, x);
    let out: Tensor;
    if (c.outs !== undefined) {
      const outs = result as Tensor[];
      expect(outs.length, "outputs").toBe(c.outs.length);
      c.outs.forEach((want, i) => expectTensor(outs[i], want, `output ${i}`));
      out = outs[0];
    } else if (c.values !== undefined) {
      const { values, indices } = result as wg.OrderResult;
      expectTensor(values, c.values, "values");
      expectTensor(indices, c.indices!, "indices");
      out = values;
    } else {
      out = result as Tensor;
      expectTensor(out, c.out!, "out");
    }
    expectWeightedGrad(out, leaf, c);
  });
});

describe("gradients", () => {
  const x = f64([0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2], [2, 4]);
  test("second derivatives (float64 gradgradcheck), and create_graph gradients that are differentiable", () => {
    const fns = [(a: Tensor) => a.median(1).values.pow(3), (a: Tensor) => a.median().exp(),
      (a: Tensor) => a.nanmedian(0).values.pow(2), (a: Tensor) => a.kthvalue(3).values.pow(3),
      (a: Tensor) => a.mode(1).values.exp(), (a: Tensor) => a.cummax(1).values.pow(3), (a: Tensor) => a.T.cummin(0).values.pow(3)];
    for (const fn of fns) {
      expect(gradcheck(fn, [x]), String(fn)).toBe(true);
      expect(gradgradcheck(fn, [x]), String(fn)).toBe(true);
    }
  });

  test("median()'s gradient is shared by the tied elements; median(dim)'s goes to one", () => {
    const t = f64([2, 5, 2, 1, 2, 7]);
    t.median().backward();
    expect(t.grad!.tolist()).toEqual([1 / 3, 0, 1 / 3, 0, 1 / 3, 0]);
    t.grad = null;
    t.median(0).values.backward(); // the tied 2 that a stable order puts in the middle
    expect(t.grad!.tolist()).toEqual([0, 0, 1, 0, 0, 0]);
  });

  test("grad_fn names", () => {
    expect(x.median(1).values.grad_fn?.name()).toBe("MedianBackward");
    expect(x.nanmedian(1).values.grad_fn?.name()).toBe("NanmedianBackward");
    expect(x.kthvalue(1).values.grad_fn?.name()).toBe("KthvalueBackward");
    expect(x.mode().values.grad_fn?.name()).toBe("ModeBackward");
    expect(x.cummax(0).values.grad_fn?.name()).toBe("CummaxBackward");
    expect(x.cummin(0).values.grad_fn?.name()).toBe("CumminBackward");
    expect(x.unique().requires_grad).toBe(false);
  });

  test("forward, backward and create_graph backward release every temporary", () => {
    const runs: ((a: Tensor) => Tensor)[] = [
      (a) => a.median(), (a) => a.median(1).values, (a) => a.nanmedian(0, true).values, (a) => a.kthvalue(2).values,
      (a) => a.mode(0).values, (a) => a.cummax(1).values, (a) => a.T.cummin(1).values,
      (a) => (a.unique({ return_inverse: true, return_counts: true }) as Tensor[])[0].sum().mul(a.sum()),
      (a) => (a.unique({ dim: 1, return_inverse: true }) as Tensor[])[0].sum().mul(a.sum()),
    ];
    const step = (fn: (a: Tensor) => Tensor) => wg.scope(() => {
      const [g] = wg.grad(fn(x).pow(2).sum(), [x], { create_graph: true });
      g!.sum().backward();
    });
    for (const fn of runs) {
      step(fn);
      const before = wg.memory().tensors;
      for (let i = 0; i < 3; i++) step(fn);
      expect(wg.memory().tensors, String(fn)).toBe(before);
    }
  });
});

describe("long rows", () => {
  test("median, nanmedian and kthvalue agree with sort along any dim", () => {
    const x = wg.randint(0, 7, [3, 501]).float().sub(3);
    const sorted = x.sort(1).values;
    const at = (k: number) => sorted.narrow(1, k, 1).squeeze(1).tolist();
    expect(x.median(1).values.tolist()).toEqual(at(250));
    expect(x.nanmedian(1).values.tolist()).toEqual(at(250));
    for (const k of [1, 100, 377, 501]) {
      const { values, indices } = x.kthvalue(k, 1);
      expect(values.tolist()).toEqual(at(k - 1));
      expect(x.gather(1, indices.unsqueeze(1)).squeeze(1).tolist()).toEqual(values.tolist());
    }
    expect(x.T.contiguous().median(0).indices.tolist()).toEqual(x.median(1).indices.tolist());
  });

  test("mode is the smallest of the most frequent values, at its last position", () => {
    const x = wg.randint(0, 9, [4, 300]).int();
    const { values, indices } = x.mode(1);
    (x.tolist() as number[][]).forEach((row, r) => {
      const counts = new Map<number, number>();
      for (const v of row) counts.set(v, (counts.get(v) ?? 0) + 1);
      const most = Math.max(...counts.values());
      const value = Math.min(...[...counts].filter(([, c]) => c === most).map(([v]) => v));
      expect((values.tolist() as number[])[r]).toBe(value);
      expect((indices.tolist() as number[])[r]).toBe(row.lastIndexOf(value));
    });
  });

  test("unique's inverse indices and counts rebuild the input", () => {
    const x = wg.randint(-20, 20, [30, 40]);
    const [values, inverse, counts] = x.unique({ return_inverse: true, return_counts: true }) as Tensor[];
    const distinct = [...new Set((x.flatten().tolist() as number[]))].sort((a, b) => a - b);
    expect(values.tolist()).toEqual(distinct);
    expect(values.index_select(0, inverse.flatten()).reshape([30, 40]).tolist()).toEqual(x.tolist());
    expect(counts.sum().item()).toBe(1200);
    expect(counts.tolist()).toEqual(distinct.map((v) => x.eq(v).sum().item()));
  });

  test("unique with NaN: each NaN is its own element, after the numbers", () => {
    const [values, counts] = tensor([2, NaN, 1, NaN, 2]).unique({ return_counts: true }) as Tensor[];
    expect(values.tolist()).toEqual([1, 2, NaN, NaN]);
    expect(counts.tolist()).toEqual([1, 2, 1, 1]);
  });
});

describe("function forms", () => {
  const x = tensor([[3, 1, 2, 1], [0, 5, 4, 5]]);
  test("each op as a function of its input", () => {
    expect(wg.median(x).item()).toBe(2);
    expect(wg.median(x, 1).values.tolist()).toEqual([1, 4]);
    expect(wg.nanmedian(x, { dim: 0, keepdim: true }).values.tolist()).toEqual([[0, 1, 2, 1]]);
    expect(wg.nanmedian(x).item()).toBe(2);
    expect(wg.kthvalue(x, 4, 1).values.tolist()).toEqual([3, 5]);
    expect(wg.mode(x).indices.tolist()).toEqual([3, 3]);
    expect(wg.cummax(x, 1).indices.tolist()).toEqual([[0, 0, 0, 0], [0, 1, 1, 3]]);
    expect(wg.cummin(x, { dim: 0 }).values.tolist()).toEqual([[3, 1, 2, 1], [0, 1, 2, 1]]);
    expect(wg.unique(x).tolist()).toEqual([0, 1, 2, 3, 4, 5]);
    expect((wg.unique_consecutive(x, { return_counts: true }) as Tensor[])[1].tolist()).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe("errors", () => {
  const x = tensor([[3, 1, 2], [0, 5, 4]]);
  test("kthvalue's k out of range", () => {
    expect(() => x.kthvalue(4)).toThrow("kthvalue(): selected number k out of range for dimension 1");
    expect(() => x.kthvalue(0)).toThrow("kthvalue(): selected number k out of range for dimension 1");
    expect(() => x.kthvalue(3, 0)).toThrow("kthvalue(): selected number k out of range for dimension 0");
    expect(() => tensor(1).kthvalue(2)).toThrow("kthvalue(): selected number k out of range for dimension 0");
    expect(() => x.kthvalue(1.5)).toThrow("kthvalue(): argument 'k' must be an integer, got number 1.5");
  });
  test("empty reduction dims", () => {
    const e = wg.zeros(2, 0);
    expect(() => e.median(1)).toThrow("median(): Expected reduction dim 1 to have non-zero size.");
    expect(() => e.nanmedian(1)).toThrow("nanmedian(): Expected reduction dim 1 to have non-zero size.");
    expect(() => e.kthvalue(1, 1)).toThrow("kthvalue(): Expected reduction dim 1 to have non-zero size.");
    expect(() => e.mode(1)).toThrow("mode(): Expected reduction dim 1 to have non-zero size.");
  });
  test("bools", () => {
    const b = x.bool();
    expect(() => b.median()).toThrow(`median(): "median_cpu" not implemented for 'Bool'`);
    expect(() => b.median(0)).toThrow(`median(): "median_out" not implemented for 'Bool'`);
    expect(() => b.nanmedian(0)).toThrow(`nanmedian(): "median_out" not implemented for 'Bool'`);
    expect(() => b.kthvalue(1)).toThrow(`kthvalue(): "kthvalue_cpu" not implemented for 'Bool'`);
  });
  test("dims and options", () => {
    expect(() => x.median(2)).toThrow("median(): Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    expect(() => x.cummax(-3)).toThrow("cummax(): Dimension out of range");
    expect(() => x.mode({ dims: 0 } as never)).toThrow("mode(): unexpected option 'dims' (did you mean 'dim'?)");
    expect(() => x.kthvalue(1, 0, 1 as never)).toThrow("kthvalue(): keepdim must be a boolean, got number 1");
    expect(() => x.unique({ return_count: true } as never)).toThrow("unique(): unexpected option 'return_count' (did you mean 'return_counts'?)");
    expect(() => tensor(1).unique({ dim: 0 })).toThrow("unique(): Dimension specified as 0 but tensor has no dimensions");
    expect(() => wg.zeros(3, 0).unique({ dim: 0 })).toThrow(
      "unique(): There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
    expect(() => x.unique_consecutive({ dim: 2 })).toThrow("unique_consecutive(): Dimension out of range");
  });
});
