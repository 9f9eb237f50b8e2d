// wg.func.vmap against the per-example computation it replaces: for every case of the op
// table (op-cases.ts) and a few ops that are not differentiable, f mapped over random dims
// of batched inputs gives the stack of f on each example, to float64 rounding; also its
// compositions with grad, jvp and itself, and its refusals.
import { describe, expect, test } from "vitest";
import { func, grad, manual_seed, nn, rand, randint, randn, searchsorted, stack, tensor, type Tensor } from "../bindings/index.js";
import { OPS, type OpName } from "../bindings/generated/ops.js";
import { binaryCases, otherCases, rng, sample, unaryCases, type Case } from "./op-cases.js";
import fixture from "./fixtures/vmap.json" with { type: "json" };

const { vmap } = func;
const B = 3;

// Batched float64 inputs for the case: each with the batch at a random dim, or (some of
// them, never all) unbatched; and each example's inputs.
function batchedInputs(c: Case, seed: number) {
  const next = rng(seed);
  const mapped = c.inputs.map(() => next() < 0.75);
  if (!mapped.some(Boolean)) mapped[0] = true;
  const inDims = c.inputs.map(({ shape }, i) => (mapped[i] ? Math.floor(next() * (shape.length + 1)) : null));
  const inputs = c.inputs.map(({ shape, domain }, i) => {
    const d = inDims[i];
    const full = d === null ? shape : [...shape.slice(0, d), B, ...shape.slice(d)];
    return tensor(sample(full, domain ?? "any", next), { shape: full, requires_grad: true });
  });
  const example = (b: number) => inputs.map((x, i) => (inDims[i] === null ? x : x.select(inDims[i]!, b)));
  return { inputs, inDims, example };
}

function expectSame(got: Tensor, want: Tensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  expect(got.dtype, what).toBe(want.dtype);
  const g = Array.from(got.toTypedArray(), Number), w = Array.from(want.toTypedArray(), Number);
  w.forEach((v, i) => {
    if (Number.isNaN(v)) expect(g[i], `${what}[${i}]`).toBeNaN();
    else expect(Math.abs(g[i] - v), `${what}[${i}]: got ${g[i]}, want ${v}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
  });
}

const cases = [...unaryCases, ...binaryCases, ...otherCases].filter((c) => c.float64 !== false && !c.covers.includes("Custom"));

describe("vmap of every op is the stack of its examples", () => {
  test.each(cases.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
    const { inputs, inDims, example } = batchedInputs(c, 100 + i);
    const got = vmap(c.wg, inDims)(...inputs);
    const want = stack(Array.from({ length: B }, (_, b) => c.wg(...example(b))));
    expectSame(got, want, "vmap");
  });

  // ops outside the gradient cases: results that are not differentiable
  const x = () => tensor([[0.5, -1, 2, 0], [3, 1, -2, 0.25], [1, 1, -1, 4]], { dtype: "float64" });
  const extra: [string, OpName[], (t: Tensor) => Tensor][] = [
    ["comparisons", ["Gt", "Lt", "Ge", "Le", "Eq", "Ne"], (t) => stack([t.gt(0), t.lt(1), t.ge(1), t.le(0), t.eq(1), t.ne(0)]).int()],
    ["logical ops", ["LogicalAnd", "LogicalOr", "LogicalXor", "LogicalNot"],
      (t) => stack([t.logical_and(t.gt(0)), t.logical_or(0), t.logical_xor(t.lt(0)), t.logical_not()]).int()],
    ["element tests", ["Isnan", "Isinf", "Isfinite"], (t) => stack([t.div(t).isnan(), t.reciprocal().isinf(), t.isfinite()]).int()],
    ["argmax and sort indices", ["Argmax", "Sort"], (t) => stack([t.argmax().reshape([1]).expand([4]), t.sort().indices])],
    ["searchsorted", ["Searchsorted"], (t) => searchsorted(t.sort().values, tensor([0, 1.5], { dtype: "float64" }))],
    ["integer division and remainders", ["FloorDivide", "DivTrunc"],
      (t) => stack([t.floor_divide(0.75), t.div(0.75, { rounding_mode: "trunc" })])],
    ["conversions and detach", ["To", "Alias"], (t) => stack([t.float().double(), t.detach().mul(2)])],
  ];
  test.each(extra)("%s", (_name, _covers, fn) => {
    const got = vmap(fn)(x());
    const want = stack(Array.from({ length: B }, (_, b) => fn(x().select(0, b))));
    expectSame(got, want, "vmap");
  });

  test("every op of the table has a case, but those vmap refuses and those only backward rules run", () => {
    const covered = new Set([...cases.flatMap((c) => c.covers), ...extra.flatMap(([, covers]) => covers)]);
    const missing = (Object.keys(OPS) as OpName[]).filter((n) =>
      !covered.has(n) && !["internal", "unsupported"].includes(OPS[n].batch.kind) && n !== "Custom");
    expect(missing, "ops without a vmap case").toEqual([]);
  });
});

describe("vmap composes", () => {
  const f = (x: Tensor, w: Tensor) => x.matmul(w).tanh().mul(x.sum()).sum();
  const X = tensor(sample([4, 3], "any", rng(1)), { shape: [4, 3] });
  const W = tensor(sample([3, 2], "any", rng(2)), { shape: [3, 2] });

  test("with grad: per-example gradients", () => {
    const got = vmap(func.grad(f), [0, null])(X, W);
    const want = stack(Array.from({ length: 4 }, (_, b) => {
      const xb = X.select(0, b).detach().requires_grad_();
      return grad(f(xb, W), [xb])[0]!;
    }));
    expectSame(got, want, "per-example gradients");
  });

  test("through in-place writes of views, with grad, and around hessian", () => {
    const g = (x: Tensor) => {
      const y = x.mul(1);
      y.index("1:3").mul_(x.index("0:2"));
      y.index(0).add_(5);
      return y.exp().sum();
    };
    const each = (fn: (x: Tensor) => Tensor) => stack(Array.from({ length: 4 }, (_, b) => fn(X.select(0, b))));
    expectSame(vmap(g)(X), each(g), "in-place writes");
    expectSame(vmap(func.grad(g))(X), each((x) => {
      const leaf = x.detach().requires_grad_();
      g(leaf).backward();
      return leaf.grad!;
    }), "their gradients");
    const h = func.hessian((x: Tensor) => x.sin().mul(x.cumsum(0)).sum()) as (x: Tensor) => Tensor;
    expectSame(vmap(h)(X), each(h), "batched Hessians");
    expect(() => vmap((x: Tensor) => tensor([0, 0, 0], { dtype: "float64" }).add_(x))(X)).toThrow(/the in-place write is not possible/);
  });

  test("with jvp, and with itself (nested levels, out_dims)", () => {
    const t = tensor(sample([4, 3], "any", rng(3)), { shape: [4, 3] });
    const [, tangents] = vmap((x: Tensor, v: Tensor) => func.jvp((y: Tensor) => f(y, W), [x], [v]))(X, t) as Tensor[];
    const want = stack(Array.from({ length: 4 }, (_, b) => func.jvp((y: Tensor) => f(y, W), [X.select(0, b)], [t.select(0, b)])[1] as Tensor));
    expectSame(tangents, want, "batched jvp");
    const outer = vmap(vmap((a: Tensor, b: Tensor) => a.mul(b).exp()), [0, null], 1)(X, X.select(0, 0));
    expectSame(outer, X.mul(X.select(0, 0)).exp().T, "vmap of vmap");
  });
});

describe("vmap refuses clearly", () => {
  const X = tensor([[1, 2], [3, 4]]);
  test("mismatched batch sizes, bad in_dims, non-tensor outputs", () => {
    expect(() => vmap((a: Tensor, b: Tensor) => a.add(b))(X, tensor([1, 2, 3]))).toThrow(/same size in the mapped dimension, got sizes 2 and 3/);
    expect(() => vmap((a: Tensor) => a, 2)(X)).toThrow(/expected in_dim to satisfy -2 <= in_dim < 2/);
    expect(() => vmap((a: Tensor) => a.sum().item())(X)).toThrow(/calling \.item\(\) on a Tensor/);
    expect(() => vmap((a: Tensor) => a.ndim)(X)).toThrow(/must only return Tensors/);
    expect(() => vmap((a: Tensor) => a, null)(X)).toThrow(/At least one of the inputs must be a Tensor mapped over/);
    expect(() => vmap((a: Tensor) => a.nonzero())(X)).toThrow(/dynamic shape/);
    expect(() => vmap((a: Tensor) => a.mul(2), { out_dims: null })(X)).toThrow(/out_dims is None for an output .* that depends on the mapped inputs/);
    const [shared, mapped] = vmap((a: Tensor) => [X.sum(), a.mul(2)], { out_dims: [null, 0] })(X) as Tensor[];
    expect(shared.shape).toEqual([]); // unbatched, returned once
    expect(Array.from(mapped.toTypedArray())).toEqual([2, 4, 6, 8]);
  });
});

describe("vmap against functorch 1.13 (test/fixtures/generate_vmap.py)", () => {
  type Encoded = { shape: number[]; values: number[] };
  type Tree = Encoded | Tree[] | { [key: string]: Tree };
  const decode = (e: Encoded) => tensor(Float64Array.from(e.values), { shape: e.shape });
  const isEncoded = (t: Tree): t is Encoded => !Array.isArray(t) && Array.isArray((t as Encoded).values);
  function expectTree(got: unknown, want: Tree, what: string): void {
    if (isEncoded(want)) {
      expectSame(got as Tensor, decode(want), what);
      return;
    }
    if (Array.isArray(want)) {
      expect(Array.isArray(got), what).toBe(true);
      want.forEach((w, i) => expectTree((got as unknown[])[i], w, `${what}[${i}]`));
      return;
    }
    expect(Object.keys(got as object).sort(), what).toEqual(Object.keys(want).sort());
    for (const key of Object.keys(want)) expectTree((got as Record<string, unknown>)[key], want[key], `${what}.${key}`);
  }
  const loss = (w: Tensor, x: Tensor, y: Tensor) => x.matmul(w).sub(y).square().mean();
  const CASES: Record<string, (...xs: Tensor[]) => unknown> = {
    sin_times_sum: (x) => vmap((a: Tensor) => a.sin().mul(a).sum())(x),
    shared_matrix: (w, x) => vmap((m: Tensor, v: Tensor) => m.matmul(v), [null, 0])(w, x),
    dim_1_to_dim_1: (x) => vmap((a: Tensor) => a.cumsum(0), 1, 1)(x),
    nested_outer: (x, y) => vmap(vmap((a: Tensor, b: Tensor) => a.mul(b).add(a.exp()), [0, null]), [null, 0])(x, y),
    per_example_grad: (w, x, y) => vmap(func.grad(loss), [null, 0, 0])(w, x, y),
    batched_jacrev: (x) => vmap(func.jacrev((a: Tensor) => a.tanh().mul(a.sum())))(x),
    batched_jacfwd: (x) => vmap(func.jacfwd((a: Tensor) => a.sin().cumsum(0)))(x),
    batched_hessian: (x) => vmap(func.hessian((a: Tensor) => a.pow(3).sum().add(a.prod())))(x),
    dict_in_out: (a, b) => vmap((d: { a: Tensor; b: Tensor }) => ({ s: d.a.add(d.b), p: d.a.mul(d.b) }), { in_dims: [{ a: 0, b: 1 }] })({ a, b }),
    attention: (q, k) => vmap((qi: Tensor, ki: Tensor) => qi.matmul(ki.T).softmax(-1).matmul(ki))(q, k),
    two_outputs_out_dims: (x) => vmap((a: Tensor) => [a.sum(0), a.max(0).values], { out_dims: [0, 1] })(x),
  };
  test.each(fixture as { name: string; inputs: Encoded[]; out: Tree }[])("$name", (c) => {
    expectTree(CASES[c.name](...c.inputs.map(decode)), c.out, c.name);
  });
});

describe("random ops inside vmap follow its randomness", () => {
  const X = tensor([[1, 2], [3, 4], [5, 6]], { dtype: "float64" });
  test("error by default, one draw for all with 'same', one per example with 'different'", () => {
    expect(() => vmap((x: Tensor) => x.add(randn([2], { dtype: "float64" })))(X)).toThrow(/called random operation randn\(\) while in randomness error mode/);
    const same = vmap((x: Tensor) => x.sub(x).add(rand([2], { dtype: "float64" })), { randomness: "same" })(X);
    const rows = [0, 1, 2].map((b) => Array.from(same.select(0, b).toTypedArray()));
    expect(rows[1]).toEqual(rows[0]);
    expect(rows[2]).toEqual(rows[0]);
    manual_seed(5);
    const different = vmap((x: Tensor) => x.sub(x).add(rand([2], { dtype: "float64" })), { randomness: "different" })(X);
    manual_seed(5);
    const drawn = rand([3, 2], { dtype: "float64" }); // the same draws, one row per example
    expectSame(different, drawn, "per-example draws");
    const ints = vmap(() => randint(0, 10, [4]), { in_dims: null, randomness: "different" });
    expect(() => ints()).toThrow(/At least one of the inputs must be a Tensor mapped over/);
    const dropped = vmap((x: Tensor) => nn.functional.dropout(x, { p: 0.5 }), { randomness: "different" })(X);
    expect(dropped.shape).toEqual([3, 2]);
    expect(() => vmap((x: Tensor) => x, { randomness: "sometimes" as "same" })(X)).toThrow(/Only allowed values for randomness/);
  });
});

describe("vmap's chunk_size", () => {
  test("chunks of any size give the whole batch's results: outputs at their out_dims, unmapped ones once, gradients", () => {
    const X = tensor(sample([7, 3], "any", rng(21)), { shape: [7, 3], requires_grad: true });
    const W = tensor(sample([3, 2], "any", rng(22)), { shape: [3, 2], requires_grad: true });
    const Z = tensor(sample([2, 7], "any", rng(23)), { shape: [2, 7] });
    const f = (x: Tensor, w: Tensor, z: Tensor) => [x.matmul(w).tanh().mul(z.sum()), w.sum(), x.exp().sum()];
    const options = { in_dims: [0, null, 1], out_dims: [1, null, 0] };
    const whole = vmap(f, options)(X, W, Z) as Tensor[];
    const [gx, gw] = grad(whole[0].sum().add(whole[2].sum()), [X, W]);
    for (const chunk_size of [1, 3, 7, 10]) {
      const parts = vmap(f, { ...options, chunk_size })(X, W, Z) as Tensor[];
      parts.forEach((p, i) => expectSame(p, whole[i], `output ${i}, chunk_size ${chunk_size}`));
      const [cx, cw] = grad(parts[0].sum().add(parts[2].sum()), [X, W]);
      expectSame(cx!, gx!, `x's gradient, chunk_size ${chunk_size}`);
      expectSame(cw!, gw!, `w's gradient, chunk_size ${chunk_size}`);
    }
    expect(() => vmap(f, { ...options, chunk_size: 0 })).toThrow("vmap(f): chunk_size should be None or greater than 0. (got 0)");
    expect(() => vmap(f, { chunk_size: 2.5 })).toThrow(/chunk_size should be None or greater than 0/);
  });

  test("under 'same' randomness every chunk draws what the whole batch would", () => {
    const X = tensor(sample([5, 2], "any", rng(24)), { shape: [5, 2] });
    const noisy = (x: Tensor) => x.add(rand([2], { dtype: "float64" }));
    manual_seed(11);
    const whole = vmap(noisy, { randomness: "same" })(X);
    manual_seed(11);
    expectSame(vmap(noisy, { randomness: "same", chunk_size: 2 })(X), whole, "same draws");
  });
});

describe("per-example gradients of a model: vmap(grad(...)) over func.functional_call", () => {
  test("equal the gradients of each example's own backward", () => {
    manual_seed(3);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1)).double();
    const params = Object.fromEntries(model.named_parameters().map(([name, p]) => [name, p.detach()]));
    const X = tensor(sample([5, 3], "any", rng(8)), { shape: [5, 3] });
    const Y = tensor(sample([5, 1], "any", rng(9)), { shape: [5, 1] });
    const loss = (ps: Record<string, Tensor>, x: Tensor, y: Tensor) =>
      nn.functional.mse_loss(func.functional_call(model, ps, [x.unsqueeze(0)]) as Tensor, y.unsqueeze(0));
    const perExample = vmap(func.grad(loss), [null, 0, 0])(params, X, Y) as Record<string, Tensor>;
    for (let b = 0; b < 5; b++) {
      model.zero_grad();
      nn.functional.mse_loss(model.call(X.index(`${b}:${b + 1}`)), Y.index(`${b}:${b + 1}`)).backward();
      for (const [name, p] of model.named_parameters()) expectSame(perExample[name].select(0, b), p.grad!, `${name}, example ${b}`);
    }
    expect(model.named_parameters().every(([, p]) => p instanceof nn.Parameter)).toBe(true); // restored
    expect(() => func.functional_call(model, { "0.weigth": params["0.weight"] }, [X])).toThrow("Unexpected key(s): '0.weigth'.");
    expect(() => func.functional_call(model, {}, [X], { strict: true })).toThrow(/Missing key\(s\): '0.weight'/);
  });
});

describe("vmap through nn layers", () => {
  test("per-example gradients of a small CNN with cross-entropy equal each example's own backward", () => {
    manual_seed(1);
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Linear(2 * 3 * 3, 3)).double();
    const params = Object.fromEntries(model.named_parameters().map(([name, p]) => [name, p.detach()]));
    const X = tensor(sample([4, 1, 8, 8], "any", rng(4)), { shape: [4, 1, 8, 8] });
    const Y = tensor([0, 2, 1, 0], { dtype: "int32" });
    const loss = (ps: Record<string, Tensor>, x: Tensor, y: Tensor) =>
      nn.functional.cross_entropy(func.functional_call(model, ps, [x.unsqueeze(0)]) as Tensor, y.unsqueeze(0));
    const grads = vmap(func.grad(loss), [null, 0, 0])(params, X, Y) as Record<string, Tensor>;
    for (let b = 0; b < 4; b++) {
      model.zero_grad();
      nn.functional.cross_entropy(model.call(X.index(`${b}:${b + 1}`)), Y.index(`${b}:${b + 1}`)).backward();
      for (const [name, p] of model.named_parameters()) {
        const diff = grads[name].select(0, b).sub(p.grad!).abs().max().item();
        expect(diff, `${name}, example ${b}`).toBeLessThan(1e-12);
      }
    }
    // the argument checks still read every example's values
    expect(() => vmap(func.grad(loss), [null, 0, 0])(params, X, tensor([0, 3, 1, 0], { dtype: "int32" })))
      .toThrow("cross_entropy(): Target 3 is out of bounds.");
  });

  test("layer norm and multi-head attention are the stack of their examples", () => {
    manual_seed(2);
    const norm = new nn.LayerNorm(5).double(), attention = new nn.MultiheadAttention(4, 2).double();
    const Z = tensor(sample([3, 4, 5], "any", rng(5)), { shape: [3, 4, 5] });
    expectSame(vmap((z: Tensor) => norm.call(z))(Z), norm.call(Z), "layer norm");
    const Q = tensor(sample([2, 3, 4], "any", rng(6)), { shape: [2, 3, 4] });
    const each = stack([0, 1].map((i) => attention.call(Q.select(0, i), Q.select(0, i), Q.select(0, i))[0]));
    expectSame(vmap((q: Tensor) => attention.call(q, q, q)[0])(Q), each, "attention");
  });
});
