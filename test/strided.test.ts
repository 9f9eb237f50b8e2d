// Kernels take strided views (elementwise ops and sums walk their strides, the matrix
// product reads transposed views in place, max, softmax and dot gather rows): each op on a view must
// give what it gives on a contiguous copy of the view, element for element, in every
// dtype, with broadcasting, and its gradient must reach the view's base.
import { describe, expect, test } from "vitest";
import { arange, full, gradcheck, gradgradcheck, rand, tensor, type Tensor } from "../bindings/index.js";

type Dtype = "float32" | "float64" | "int32";

// Views of a [4, 3, 5] base with gaps, overlaps or permuted strides.
const VIEWS: [string, (x: Tensor) => Tensor][] = [
  ["transpose", (x) => x.transpose(0, 2)],
  ["permute", (x) => x.permute([1, 2, 0])],
  ["narrow last dim", (x) => x.narrow(2, 1, 3)],
  ["select middle", (x) => x.select(1, 2)],
  ["select last", (x) => x.select(2, 4)],
  ["diagonal", (x) => x.diagonal(0, 0, 2)],
  ["unfold (overlapping)", (x) => x.unfold(2, 2, 1)],
  ["expand", (x) => x.select(2, 0).unsqueeze(-1).expand([4, 3, 6])],
  ["narrow of transpose", (x) => x.transpose(0, 1).narrow(1, 1, 2)],
];

const base = (dtype: Dtype) => arange(60, { dtype }).reshape([4, 3, 5]).sub(30);
const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>);

describe("elementwise ops on strided views equal the same ops on contiguous copies", () => {
  for (const [name, make] of VIEWS) {
    for (const dtype of ["float32", "float64", "int32"] as const) {
      test(`${name}, ${dtype}`, () => {
        const v = make(base(dtype));
        expect(v.is_contiguous()).toBe(false);
        const c = v.contiguous();
        const same = (f: (t: Tensor) => Tensor) => {
          const got = f(v), want = f(c);
          expect(got.shape).toEqual(want.shape);
          expect(got.dtype).toBe(want.dtype);
          expect(flat(got)).toEqual(flat(want));
        };
        same((t) => t.neg());
        same((t) => t.abs());
        same((t) => t.mul(t));
        same((t) => t.add(3));
        same((t) => t.sub(c)); // strided with contiguous
        same((t) => c.mul(t));
        same((t) => t.gt(0));
        same((t) => t.eq(c));
        if (dtype !== "int32") {
          same((t) => t.exp());
          same((t) => t.tanh());
          same((t) => t.div(7));
        }
        // broadcast: the view against a row of its own last dim
        const row = c.select(0, 0).select(0, 0);
        same((t) => t.add(row));
        same((t) => row.mul(t));
      });
    }
  }
});

describe("reductions, softmax, dot and conversion of strided views equal those of contiguous copies", () => {
  for (const [name, make] of VIEWS) {
    test(name, () => {
      const v = make(base("float64"));
      const c = v.contiguous();
      const same = (f: (t: Tensor) => Tensor) => expect(flat(f(v))).toEqual(flat(f(c)));
      same((t) => t.sum());
      same((t) => t.sum(0));
      same((t) => t.sum(-1, true));
      same((t) => t.mean([0, t.ndim - 1]));
      same((t) => t.amax(-1));
      same((t) => t.max(0).values);
      same((t) => t.max(0).indices);
      same((t) => t.softmax(-1));
      same((t) => t.log_softmax(0));
      same((t) => t.flatten().dot(c.flatten()));
      same((t) => t.norm());
      same((t) => t.to("float32"));
      same((t) => t.int());
    });
  }
});

test("a float32 sum walked through a transposed view stays accurate at scale", () => {
  const v = full([1000, 3000], 0.1).T; // 3e6 elements of fround(0.1), walked column by column
  const exact = 3e6 * Math.fround(0.1);
  expect(Math.abs(v.sum().item() - exact) / exact).toBeLessThan(1e-6);
  const means = 1000 * Math.fround(0.1); // v.mean(0): 1000 means of 3000 equal values
  expect(Math.abs(v.mean(0).sum().item() - means) / means).toBeLessThan(1e-6);
});

describe("matmul reads transposed views in place and gathers other views", () => {
  const a = rand([5, 7], { dtype: "float64" }), b = rand([7, 4], { dtype: "float64" });
  const cases: [string, Tensor, Tensor][] = [
    ["a @ b", a, b],
    ["(a.T).T @ b", a.T.T, b],
    ["a.T.T @ b.T.T", a.T.T, b.T.T],
    ["transposed left", a.T.contiguous().T, b],
    ["transposed right", a, b.T.contiguous().T],
    ["both transposed", a.T.contiguous().T, b.T.contiguous().T],
    ["narrowed (gathered)", rand([5, 9], { dtype: "float64" }).narrow(1, 1, 7), b],
    ["batched mT", rand([3, 7, 5], { dtype: "float64" }).mT, rand([3, 7, 4], { dtype: "float64" })],
    ["1-D transposed-view operand", a.T.select(1, 2), b],
  ];
  for (const [name, x, y] of cases) {
    test(name, () => {
      const got = x.matmul(y), want = x.contiguous().matmul(y.contiguous());
      expect(got.shape).toEqual(want.shape);
      flat(got).forEach((g, i) => expect(g).toBeCloseTo(flat(want)[i], 12));
    });
  }

  test("its gradients and second derivatives through transposed views (gradcheck, float64)", () => {
    const x = rand([4, 3], { dtype: "float64", requires_grad: true });
    const y = rand([4, 5], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor, q: Tensor) => p.T.matmul(q), [x, y])).toBe(true);
    expect(gradgradcheck((p: Tensor, q: Tensor) => p.T.matmul(q).tanh(), [x, y])).toBe(true);
    const z = rand([2, 3, 4], { dtype: "float64", requires_grad: true });
    expect(gradcheck((p: Tensor) => p.mT.matmul(p).sum(0), [z])).toBe(true);
  });
});

describe("gradients through elementwise ops on strided views", () => {
  test("tanh and mul of a transposed view reach the base (float64)", () => {
    const x = tensor(Float64Array.from({ length: 12 }, (_, i) => (i - 6) / 5), { shape: [3, 4], requires_grad: true });
    const w = tensor(Float64Array.from({ length: 12 }, (_, i) => 1 + i / 10), { shape: [4, 3] });
    const v = x.T;
    v.tanh().mul(v).mul(w).sum().backward();
    // d/dx of sum(tanh(x^T) * x^T * w) = (tanh(x) + x (1 - tanh(x)^2)) * w^T
    const xs = flat(x), ws = flat(w);
    const want = xs.map((xi, k) => {
      const i = Math.floor(k / 4), j = k % 4, t = Math.tanh(xi);
      return (t + xi * (1 - t * t)) * ws[j * 3 + i];
    });
    flat(x.grad!).forEach((g, k) => expect(g).toBeCloseTo(want[k], 12));
  });

  test("a saved view that its base then modifies in place is caught", () => {
    const w = tensor(Float64Array.from([0.5, -1, 2, 1.5]), { shape: [2, 2], requires_grad: true });
    const h = w.mul(1);
    const v = h.t();
    const b = v.mul(v);
    h.add_(1);
    expect(() => b.sum().backward()).toThrow(/modified by an inplace operation/);
  });
});
