// searchsorted, bucketize, bincount, histc, diff, rot90, scatter_reduce, scatter's reduce,
// cartesian_prod, block_diag, kron and cdist against PyTorch 1.13 (test/fixtures/misc.json, from generate_misc.py): values, dtypes,
// shapes and the gradients of sum(out * weights), with batches, 0-d tensors, empty dims,
// ties and transposed (non-contiguous) inputs; then gradchecks of the composites and the
// errors, in PyTorch's words.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { gradcheck, gradgradcheck, tensor, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/misc.json" with { type: "json" };

interface Spec { shape: number[]; dtype: "float32" | "float64" | "int32" | "bool"; values: (number | boolean | null)[]; transposed?: boolean; grad?: boolean }
interface Described { shape: number[]; dtype: string; values: (number | null)[] }
interface Case {
  name: string; fn: string; tensors: Spec[]; args: unknown[]; kwargs: Record<string, unknown>;
  tensor_kwargs: Record<string, Spec>; out: Described; weights?: number[]; grads?: ((number | null)[] | null)[];
}

const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>, Number);

const typed = (dtype: "float32" | "float64" | "int32") => ({ float32: Float32Array, float64: Float64Array, int32: Int32Array }[dtype]);

// The leaf that holds a spec's values, and what the op is given (its transpose when asked).
function operand(spec: Spec): { leaf: Tensor; arg: Tensor } {
  const stored = spec.transposed ? spec.shape.slice().reverse() : spec.shape;
  const leaf = spec.dtype === "bool"
    ? tensor(spec.values.map(Boolean), { dtype: "bool" }).reshape(stored)
    : tensor(typed(spec.dtype as "float32").from(spec.values.map((v) => (v === null ? NaN : Number(v)))), {
      shape: stored, dtype: spec.dtype, requires_grad: spec.dtype !== "int32" && spec.grad !== false,
    });
  return { leaf, arg: spec.transposed ? leaf.T : leaf };
}

type Call = (xs: Tensor[], c: Case, named: Record<string, Tensor>) => Tensor;
// the function form, then the method form where there is one
const CALLS: Record<string, [Call, Call | null]> = {
  searchsorted: [([s, v], c) => wg.searchsorted(s, v, c.kwargs), null],
  bucketize: [([x, b], c) => wg.bucketize(x, b, c.kwargs), null],
  bincount: [([x], c, n) => wg.bincount(x, { ...c.kwargs, ...n }), ([x], c, n) => x.bincount({ ...c.kwargs, ...n })],
  histc: [([x], c) => wg.histc(x, c.kwargs), ([x], c) => x.histc(c.kwargs)],
  diff: [
    ([x], c, n) => wg.diff(x, (c.kwargs.n as number) ?? 1, (c.kwargs.dim as number) ?? -1, n),
    ([x], c, n) => x.diff((c.kwargs.n as number) ?? 1, (c.kwargs.dim as number) ?? -1, n),
  ],
  rot90: [([x], c) => wg.rot90(x, ...(c.args as [number?, number[]?])), ([x], c) => x.rot90(...(c.args as [number?, number[]?]))],
  scatter_reduce: [
    ([x, i, s], c) => wg.scatter_reduce(x, c.args[0] as number, i, s, c.kwargs.reduce as wg.ScatterReduction,
      { include_self: c.kwargs.include_self as boolean | undefined }),
    ([x, i, s], c) => x.scatter_reduce(c.args[0] as number, i, s, c.kwargs.reduce as wg.ScatterReduction,
      { include_self: c.kwargs.include_self as boolean | undefined }),
  ],
  cartesian_prod: [(xs) => wg.cartesian_prod(...xs), (xs) => wg.cartesian_prod(xs)],
  block_diag: [(xs) => wg.block_diag(...xs), (xs) => wg.block_diag(xs)],
  kron: [([a, b]) => wg.kron(a, b), ([a, b]) => a.kron(b)],
  cdist: [([a, b], c) => wg.cdist(a, b, c.kwargs.p === "inf" ? Infinity : (c.kwargs.p as number | undefined)), null],
  scatter: [
    ([x, i, s], c) => wg.scatter(x, c.args[0] as number, i, s, { reduce: c.kwargs.reduce as "add" | "multiply" }),
    ([x, i, s], c) => x.scatter(c.args[0] as number, i, s, { reduce: c.kwargs.reduce as "add" | "multiply" }),
  ],
};

function expectValues(got: number[], want: (number | null)[], what: string, digits: number) {
  expect(got.length, what).toBe(want.length);
  want.forEach((v, k) => {
    if (v === null) expect(got[k], `${what}[${k}]`).toBeNaN();
    else expect(got[k], `${what}[${k}]`).toBeCloseTo(v, digits);
  });
}

describe("against PyTorch 1.13", () => {
  test("the fixture comes from torch 1.13", () => expect(fixture.torch.startsWith("1.13")).toBe(true));
  for (const c of fixture.cases as Case[]) {
    test(c.name, () => {
      const ops = c.tensors.map(operand);
      const named = Object.fromEntries(Object.entries(c.tensor_kwargs).map(([k, s]) => [k, operand(s)]));
      const namedArgs = Object.fromEntries(Object.entries(named).map(([k, o]) => [k, o.arg]));
      const [fn, method] = CALLS[c.fn];
      const out = fn(ops.map((o) => o.arg), c, namedArgs);
      expect(out.shape).toEqual(c.out.shape);
      expect(out.dtype).toBe(c.out.dtype);
      const digits = out.dtype === "float32" ? 5 : 10;
      expectValues(flat(out), c.out.values, "out", digits);
      if (method) expect(flat(method(ops.map((o) => o.arg), c, namedArgs))).toEqual(flat(out));
      expect(out.requires_grad).toBe(c.grads !== undefined);
      if (c.grads === undefined) return;
      out.mul(tensor(c.weights!, { dtype: out.dtype }).reshape(out.shape)).sum().backward();
      const leaves = [...ops, ...Object.values(named)].map((o) => o.leaf);
      c.grads.forEach((g, k) => {
        if (g === null) expect(leaves[k].requires_grad ? leaves[k].grad : null, `grad ${k}`).toBeNull();
        else expectValues(flat(leaves[k].grad!), g, `grad ${k}`, digits);
      });
    });
  }
});

describe("gradients of the composites", () => {
  const x = (shape: number[]) => wg.rand(shape, { dtype: "float64" }).sub(0.5).requires_grad_();
  test("diff with prepend and append, twice", () => {
    const [a, p, q] = [x([3, 4]), x([3, 1]), x([3, 2])];
    const f = (a: Tensor, p: Tensor, q: Tensor) => wg.diff(a, 2, 1, { prepend: p, append: q });
    expect(gradcheck(f, [a, p, q])).toBe(true);
    expect(gradgradcheck(f, [a, p, q])).toBe(true);
  });
  test("cartesian_prod, block_diag, kron", () => {
    const [a, b, c] = [x([2]), x([3]), x([2, 2])];
    for (const f of [
      (a: Tensor, b: Tensor, c: Tensor) => wg.cartesian_prod(a, b).mul(wg.cartesian_prod(b, a).sum()),
      (a: Tensor, b: Tensor, c: Tensor) => wg.block_diag(a, c.T, b).square(),
      (a: Tensor, b: Tensor, c: Tensor) => wg.kron(c.T, a).mul(wg.kron(a, c)).sum().mul(wg.kron(b, a)),
    ]) {
      expect(gradcheck(f, [a, b, c])).toBe(true);
      expect(gradgradcheck(f, [a, b, c])).toBe(true);
    }
  });
  test("cdist for several p, batched", () => {
    for (const p of [1, 2, 3, Infinity]) {
      const f = (a: Tensor, b: Tensor) => wg.cdist(a, b.transpose(-1, -2), p);
      expect(gradcheck(f, [x([2, 3, 2]), x([1, 2, 4])])).toBe(true);
      if (p !== 1 && p !== Infinity) expect(gradgradcheck(f, [x([2, 3, 2]), x([1, 2, 4])])).toBe(true);
    }
  });
  test("rot90 each k over a transposed input", () => {
    for (const k of [1, 2, 3, -1]) {
      const f = (a: Tensor) => a.T.rot90(k, [0, 2]).mul(a.T.rot90(k, [0, 2]));
      expect(gradcheck(f, [x([4, 2, 3])])).toBe(true);
      expect(gradgradcheck(f, [x([4, 2, 3])])).toBe(true);
    }
  });
});

describe("errors, in PyTorch's words", () => {
  const t = (v: number[], dtype: "int32" | "float32" = "float32") => tensor(v, { dtype });
  test("searchsorted", () => {
    expect(() => wg.searchsorted(wg.zeros([2, 3]), wg.zeros([3, 3]))).toThrow(
      "boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, " +
      "but we got boundaries tensor [2, 3] and input value tensor [3, 3]");
    expect(() => wg.searchsorted(wg.zeros([]), wg.zeros([3]))).toThrow("boundaries tensor should have positive dimension, but got 0 dimension");
    expect(() => wg.searchsorted(t([1]), t([1]), { right: true, side: "left" })).toThrow(
      "side and right can't be set to opposites, got side of left while right was True");
    expect(() => wg.searchsorted(t([1]), t([1]), { side: "up" as "left" })).toThrow(TypeError);
    expect(() => wg.bucketize(t([1]), wg.zeros([3, 2]))).toThrow("boundaries tensor must be 1 dimension, but got dim(2)");
  });
  test("bincount and histc", () => {
    expect(() => wg.bincount(t([1, -1], "int32"))).toThrow("bincount only supports 1-d non-negative integral inputs.");
    expect(() => wg.bincount(wg.zeros([2, 2], { dtype: "int32" }))).toThrow("bincount only supports 1-d non-negative integral inputs.");
    expect(() => wg.bincount(t([1]))).toThrow(`"bincount_cpu" not implemented for 'Float'`);
    expect(() => wg.bincount(t([1, 2], "int32"), { weights: t([1, 2, 3]) })).toThrow("weights should be 1-d and have the same length as input");
    expect(() => wg.bincount(t([1], "int32"), { minlength: -1 })).toThrow("minlength should be >= 0");
    expect(() => wg.histc(t([1]), { bins: 0 })).toThrow("torch.histogram(): bins must be > 0, but got 0 for dimension 0");
    expect(() => wg.histc(t([1]), { min: 2, max: 1 })).toThrow("torch.histc: max must be larger than min");
    expect(() => wg.histc(t([1], "int32"))).toThrow(`"histogram_cpu" not implemented for 'Int'`);
    expect(() => wg.histc(t([1, NaN]))).toThrow("torch.histc: range of [NaN, NaN] is not finite");
  });
  test("diff and rot90", () => {
    expect(() => wg.diff(wg.zeros([]))).toThrow("diff expects input to be at least one-dimensional");
    expect(() => wg.diff(wg.zeros([3, 2]), 1, -1, { prepend: wg.zeros([3]) })).toThrow(
      "diff expects prepend or append to be the same dimension as input");
    expect(() => wg.rot90(wg.zeros([3]))).toThrow("expected total dims >= 2, but got total dims = 1");
    expect(() => wg.rot90(wg.zeros([3, 3]), 1, [0, 0])).toThrow("expected rotation dims to be different, but got dim0 = 0 and dim1 = 0");
    expect(() => wg.rot90(wg.zeros([3, 3]), 1, [0])).toThrow("expected total rotation dims == 2, but got dims = 1");
    expect(() => wg.rot90(wg.zeros([3, 3]), 1, [0, 3])).toThrow("Rotation dim1 out of range, dim1 = 3");
  });
  test("cartesian_prod, block_diag, cdist", () => {
    expect(() => wg.cartesian_prod(wg.zeros([2, 3]), wg.zeros([2]))).toThrow("Expect a 1D vector, but got shape [2, 3]");
    expect(() => wg.cartesian_prod(wg.zeros([2]), wg.zeros([3], { dtype: "float64" }))).toThrow("meshgrid expects all tensors to have the same dtype");
    expect(() => wg.block_diag(wg.zeros([2, 2, 2]))).toThrow(
      "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 dimensions");
    expect(() => wg.cdist(wg.zeros([3]), wg.zeros([2, 3]))).toThrow("cdist only supports at least 2D tensors, X1 got: 1D");
    expect(() => wg.cdist(wg.zeros([2, 3]), wg.zeros([2, 4]))).toThrow("X1 and X2 must have the same number of columns. X1: 3 X2: 4");
    expect(() => wg.cdist(wg.zeros([2, 3]), wg.zeros([2, 3]), -1)).toThrow("cdist only supports non-negative p values");
    expect(() => wg.cdist(wg.zeros([2, 3], { dtype: "int32" }), wg.zeros([2, 3]))).toThrow(
      "cdist only supports floating-point dtypes, X1 got: Int");
    expect(() => wg.cdist(wg.zeros([2, 3]), wg.zeros([2, 3], { dtype: "float64" }))).toThrow("expected scalar type Float but found Double");
    expect(() => wg.cdist(wg.zeros([5, 2, 3]), wg.zeros([3, 4, 3]))).toThrow("must match");
  });
  test("scatter_reduce and scatter's reduce", () => {
    const x = wg.zeros([3]);
    expect(() => x.scatter_reduce(0, [0], wg.zeros([1]), "max" as "amax")).toThrow(
      "reduce argument must be either sum, prod, mean, amax or amin.");
    expect(() => x.scatter(0, [0], wg.zeros([1]), { reduce: "sum" as "add" })).toThrow("reduce argument must be either add or multiply.");
    expect(() => x.scatter(0, [0], wg.zeros([1]), { reduce: 1 as unknown as "add" })).toThrow(TypeError);
    expect(() => x.scatter_reduce(0, [0], wg.zeros([1], { dtype: "float64" }), "sum")).toThrow("Expected self.dtype to be equal to src.dtype");
    expect(() => x.scatter_reduce(0, [3], wg.zeros([1]), "sum")).toThrow("index 3 is out of bounds for dimension 0 with size 3");
    expect(() => x.scatter_reduce(0, [[0]], wg.zeros([1]), "sum")).toThrow("Index tensor must have the same number of dimensions");
    expect(() => x.scatter_reduce(0, [0], wg.zeros([1]), "sum", { include_self: 1 as unknown as boolean })).toThrow(TypeError);
  });
});

describe("in place and without gradients", () => {
  test("scatter_reduce_ writes into self and records its history", () => {
    const leaf = tensor([1, 2, 3], { requires_grad: true });
    const y = leaf.mul(1);
    y.scatter_reduce_(0, [0, 0, 2], tensor([5, -1, 2]), "amax");
    expect(y.tolist()).toEqual([5, 2, 3]);
    y.sum().backward();
    expect(leaf.grad!.tolist()).toEqual([0, 1, 1]);
  });
  test("scatter's reduce is not differentiable, as in PyTorch", () => {
    const x = tensor([1, 2], { requires_grad: true });
    expect(x.scatter(0, [0], tensor([3]), { reduce: "add" }).requires_grad).toBe(false);
  });
  test("bincount's weights have no gradient, as in PyTorch", () => {
    const w = tensor([1, 2], { requires_grad: true });
    expect(wg.bincount(tensor([1, 1], { dtype: "int32" }), { weights: w }).requires_grad).toBe(false);
  });
});
