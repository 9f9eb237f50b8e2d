// wg.func against functorch (PyTorch 1.13's torch.func, float64, test/fixtures/func.json
// from generate_func.py): grad, grad_and_value, vjp, jvp, jacrev, jacfwd and hessian of the
// same named functions (pytrees in and out), of random programs arranged as functions of
// several arguments or of one pytree, and of transforms composed.
import { describe, expect, test } from "vitest";
import { autograd, tensor, scope, type Tensor } from "../bindings/index.js";
import * as F from "../bindings/func.js";
import { run, wasmgrad, type Step } from "./programs.js";
import fixture from "./fixtures/func.json" with { type: "json" };

interface Encoded { shape: number[]; values: number[] }
type Tree = Encoded | Tree[] | { keys: Record<string, Tree> };
type Fn = (...args: never[]) => unknown;
type AnyFn = (...args: unknown[]) => unknown;

const isTensorCode = (e: Tree): e is Encoded => !Array.isArray(e) && "shape" in e;

function decode(e: Tree): unknown {
  if (Array.isArray(e)) return e.map(decode);
  if (isTensorCode(e)) return tensor(Float64Array.from(e.values), { shape: e.shape });
  return Object.fromEntries(Object.entries(e.keys).map(([k, v]) => [k, decode(v)]));
}

function expectTree(actual: unknown, expected: Tree | null, path = "result"): void {
  if (expected === null) return;
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectTree((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (isTensorCode(expected)) {
    const t = actual as Tensor;
    expect(t?.constructor?.name, `${path} is a Tensor`).toBe("Tensor");
    expect(t.shape, `${path}.shape`).toEqual(expected.shape);
    Array.from(t.toTypedArray(), Number).forEach((v, i) => {
      const want = expected.values[i];
      if (Math.abs(v - want) > 1e-12 + 1e-10 * Math.abs(want)) throw new Error(`${path}[${i}]: got ${v}, expected ${want}`);
    });
  } else {
    expect(Object.keys(actual as object).sort(), `${path}'s keys`).toEqual(Object.keys(expected.keys).sort());
    for (const [k, e] of Object.entries(expected.keys)) expectTree((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
  }
}

// The functions of generate_func.py.
type P = { w: Tensor; b: Tensor };
const FUNCTIONS: Record<string, Fn> = {
  cube_sum: (x: Tensor) => x.pow(3).sum(),
  two_args: (x: Tensor, y: Tensor) => x.mul(y.exp()).sum().add(x.pow(2).sum()),
  matrix_args: (a: Tensor, b: Tensor) => a.matmul(b).tanh().sum(),
  dict_arg: (p: P, x: Tensor) => x.matmul(p.w).add(p.b).tanh().pow(2).sum(),
  list_arg: ([a, b]: Tensor[]) => a.mul(b.sin()).sum().add(a.exp().mean()),
  with_aux: (x: Tensor) => [x.sin().pow(2).sum(), { cos: x.cos(), n: x.sum() }],
  two_outputs: (x: Tensor, y: Tensor) => [x.mul(y), x.tanh().add(y)],
  dict_output: (x: Tensor) => ({ s: x.sin(), c: x.cos().sum() }),
  pytree_in_out: (p: P, x: Tensor) => ({ h: x.matmul(p.w).tanh(), r: [p.b.exp(), x.pow(2).sum()] }),
  vector_aux: (x: Tensor) => [x.exp().mul(x), [x.sum(), x.cos()]],
};

describe("grad and grad_and_value match functorch", () => {
  for (const c of fixture.grad) {
    test(`${c.fn}, argnums ${JSON.stringify(c.argnums)}${c.has_aux ? ", has_aux" : ""}`, () => scope(() => {
      const f = FUNCTIONS[c.fn], args = decode(c.inputs as Tree) as unknown[];
      const options = { argnums: c.argnums, has_aux: c.has_aux };
      const expected = c.grad_and_value as Tree[];
      expectTree((F.grad_and_value(f, options) as AnyFn)(...args), expected);
      const g = (F.grad(f, options) as AnyFn)(...args);
      expectTree(g, c.has_aux ? [expected[0], (expected[1] as Tree[])[1]] : expected[0]);
    }));
  }
});

describe("vjp and jvp match functorch", () => {
  for (const c of fixture.vjp) {
    test(`vjp of ${c.fn}${c.has_aux ? ", has_aux" : ""}`, () => scope(() => {
      const args = decode(c.inputs as Tree) as unknown[];
      const res = (F.vjp as AnyFn)(FUNCTIONS[c.fn], ...args, { has_aux: c.has_aux }) as unknown[];
      expectTree(res[0], c.output as Tree);
      expectTree((res[1] as AnyFn)(decode(c.cotangents as Tree)), c.vjp as Tree);
      if (c.has_aux) expectTree(res[2], c.aux as Tree);
      expect(res.length).toBe(c.has_aux ? 3 : 2);
    }));
  }
  for (const c of fixture.jvp) {
    test(`jvp of ${c.fn}${c.has_aux ? ", has_aux" : ""}`, () => scope(() => {
      const res = (F.jvp as AnyFn)(FUNCTIONS[c.fn], decode(c.inputs as Tree), decode(c.tangents as Tree), { has_aux: c.has_aux }) as unknown[];
      expectTree(res, [c.output, c.jvp, ...(c.has_aux ? [c.aux] : [])] as Tree[]);
    }));
  }
});

// A random program case as generate_func.py arranges it.
function programFunction(inKind: string, outKind: string, programs: Step[][]): AnyFn {
  return (...args: unknown[]) => {
    const xs = inKind === "args" ? (args as Tensor[]) : inKind === "list" ? (args[0] as Tensor[])
      : [(args[0] as { a: Tensor }).a, ...(args[0] as { b: Tensor[] }).b];
    const outs = programs.map((steps) => run(wasmgrad, xs, steps));
    return outKind === "tensor" ? outs[0] : outKind === "list" ? outs : { u: outs[0], v: outs.slice(1) };
  };
}

describe("Jacobians of random programs match functorch", () => {
  fixture.jacobians.forEach((c, i) => {
    const label = `program ${i}: ${c.in_kind} in, ${c.out_kind} out, argnums ${JSON.stringify(c.argnums)}`;
    const setUp = () => {
      const xs = c.shapes.map((shape, k) => tensor(Float64Array.from(c.data[k]), { shape }));
      const args = c.in_kind === "args" ? xs : c.in_kind === "list" ? [xs] : [{ a: xs[0], b: xs.slice(1) }];
      return { f: programFunction(c.in_kind, c.out_kind, c.programs as Step[][]), args };
    };
    test(`${label}: jacrev${"grad" in c ? " and grad" : ""}`, () => scope(() => {
      const { f, args } = setUp();
      expectTree(F.jacrev(f, c.argnums)(...args), c.jacrev as Tree);
      if ("grad" in c) expectTree(F.grad(f, c.argnums)(...args), c.grad as Tree);
    }));
    if ("jacfwd" in c) {
      test(`${label}: jacfwd${"hessian" in c ? " and hessian" : ""}`, () => scope(() => {
        const { f, args } = setUp();
        expectTree(F.jacfwd(f, c.argnums)(...args), c.jacfwd as Tree);
        if ("hessian" in c) expectTree(F.hessian(f, c.argnums)(...args), c.hessian as Tree);
      }));
    }
  });
});

describe("composed transforms match functorch", () => {
  const { x0, y0, w, v, u } = decode(fixture.composed.inputs as Tree) as Record<string, Tensor>;
  const s = (x: Tensor) => x.sin().mul(x).sum().add(x.pow(3).mean());
  const g = (x: Tensor) => x.sin().mul(x.sum());
  const h = (x: Tensor, y: Tensor) => x.mul(y.tanh()).sum().add(x.exp().mul(y.pow(2)).sum());
  const { grad, vjp, jvp, jacrev, jacfwd, hessian } = F;
  const REVERSE: Record<string, () => unknown> = {
    grad_grad: () => grad((x: Tensor) => grad(s)(x).mul(w).sum())(x0),
    grad_grad_grad: () => grad((x: Tensor) => grad((z: Tensor) => grad((q: Tensor) => q.tanh().pow(3).sum())(z).sum())(x).sum())(x0),
    grad_closure: () => grad((x: Tensor) => grad((y: Tensor) => x.mul(y).sin().sum())(y0).mul(x).sum())(x0),
    grad_argnums_nested: () => grad((x: Tensor, y: Tensor) => grad(h, [0, 1])(x, y)[1].sum(), [0, 1])(x0, y0),
    jacrev_jacrev: () => jacrev(jacrev(g))(x0),
    jacrev_jacrev_two: () => jacrev(jacrev(h, [0, 1]), [0, 1])(x0, y0),
    jacrev_grad: () => jacrev(grad(s))(x0),
    vjp_grad: () => vjp(grad(s), x0)[1](v),
    grad_vjp: () => grad((x: Tensor) => vjp(g, x)[1](u)[0].pow(2).sum())(x0),
    jacrev_aux: () => jacrev((x: Tensor) => [g(x), x.cos()], { has_aux: true })(x0),
  };
  const FORWARD: Record<string, () => unknown> = {
    hessian: () => hessian(s)(x0),
    hessian_two: () => hessian(h, [0, 1])(x0, y0),
    jacfwd_jacrev: () => jacfwd(jacrev(g))(x0),
    jvp_grad: () => jvp(grad(s), [x0], [v]),
    jacrev_jacfwd: () => jacrev(jacfwd(g))(x0),
    grad_jvp: () => grad((x: Tensor) => jvp(g, [x], [v])[1].pow(2).sum())(x0),
    jacfwd_grad_argnums: () => jacfwd(grad(h, 1), 0)(x0, y0),
    jacfwd_aux: () => jacfwd((x: Tensor) => [g(x), x.cos()], { has_aux: true })(x0),
  };
  for (const c of fixture.composed.cases) {
    const fn = REVERSE[c.name] ?? FORWARD[c.name];
    test(c.name, () => scope(() => expectTree(fn(), c.value as Tree)));
  }
  test("every case has a function", () => {
    expect(fixture.composed.cases.map((c) => c.name).sort()).toEqual([...Object.keys(REVERSE), ...Object.keys(FORWARD)].sort());
  });
});

describe("results, composition with autograd, and types", () => {
  const x = () => tensor([0.5, -1, 2], { dtype: "float64" });
  const cube = (t: Tensor) => t.pow(3).sum();

  test("results hold no graph of the transform; they stay differentiable in inputs that require grad", () => {
    const g = F.grad(cube)(x());
    expect(g.requires_grad).toBe(false);
    const [gv, value] = F.grad_and_value(cube)(x());
    expect([gv.requires_grad, value.requires_grad]).toEqual([false, false]);
    expect(F.jacrev((t: Tensor) => t.sin())(x()).requires_grad).toBe(false);
    const [out, vjpFn] = F.vjp((t: Tensor) => t.exp(), x());
    expect(out.requires_grad).toBe(false);
    expect(vjpFn(x())[0].requires_grad).toBe(false);
    const leaf = x().requires_grad_();
    const g2 = F.grad(cube)(leaf); // 3x², and its gradient 6x
    expect(g2.requires_grad).toBe(true);
    g2.sum().backward();
    expect(Array.from(leaf.grad!.toTypedArray())).toEqual([3, -6, 12]);
  });

  test("a tensor f closes over that requires grad keeps the result in the graph (gradient penalties)", () => {
    const w = tensor([1, 2, 3], { dtype: "float64", requires_grad: true });
    const g = F.grad((t: Tensor) => t.mul(w).pow(2).sum())(x()); // 2 t w², whose sum has gradient 4 t w
    g.sum().backward();
    expect(Array.from(w.grad!.toTypedArray())).toEqual([2, -8, 24]);
  });

  test("transforms are not switched off by an outer no_grad", async () => {
    const { no_grad } = await import("../bindings/index.js");
    expect(Array.from(no_grad(() => F.grad(cube)(x())).toTypedArray())).toEqual([0.75, 3, 12]);
  });

  test("unused inputs and independent outputs give zeros, as functorch", () => {
    const [, gy] = F.grad((a: Tensor, _b: Tensor) => a.sum(), [0, 1])(x(), x());
    expect(Array.from(gy.toTypedArray())).toEqual([0, 0, 0]);
    const j = F.jacrev((_a: Tensor) => tensor([1, 2], { dtype: "float64" }))(x());
    expect(j.shape).toEqual([2, 3]);
    expect(Array.from(j.toTypedArray()).every((v) => v === 0)).toBe(true);
  });

  test("empty outputs and inputs give empty Jacobians, as functorch", () => {
    expect(F.jacrev((t: Tensor) => t.narrow(0, 0, 0))(x()).shape).toEqual([0, 3]);
    expect(F.jacfwd((t: Tensor) => t.narrow(0, 0, 0))(x()).shape).toEqual([0, 3]);
    expect(F.jacrev((t: Tensor) => t.sum().mul(2))(tensor([], { dtype: "float64" })).shape).toEqual([0]);
    expect(F.jacfwd((t: Tensor) => t.sum().mul(2).expand([2]))(tensor([], { dtype: "float64" })).shape).toEqual([2, 0]);
  });

  test("vjp_fn can be called again; cotangent objects match by key in any order", () => {
    const [out, vjpFn] = F.vjp((t: Tensor) => ({ s: t.sin(), c: t.cos().sum() }), x());
    expect(Object.keys(out)).toEqual(["s", "c"]);
    const one = tensor(1, { dtype: "float64" }), ones = tensor([1, 1, 1], { dtype: "float64" });
    const [a] = vjpFn({ c: one, s: ones });
    const [b] = vjpFn({ s: ones, c: one });
    expect(Array.from(a.toTypedArray())).toEqual(Array.from(b.toTypedArray()));
  });

  test("aux may hold values that are not tensors", () => {
    const [g, aux] = F.grad((t: Tensor) => [t.sum(), { label: "sum", n: 3, t }] as const, { has_aux: true })(x());
    expect(Array.from(g.toTypedArray())).toEqual([1, 1, 1]);
    expect(aux.label).toBe("sum");
    expect(aux.t.requires_grad).toBe(false);
  });

  test("results are typed after the arguments and outputs", () => {
    const [ga, gb]: [Tensor, Tensor] = F.grad((a: Tensor, b: Tensor) => a.mul(b).sum(), [0, 1])(x(), x());
    const jac: Tensor = F.jacrev((a: Tensor, b: { w: Tensor }) => ({ y: a.mul(b.w) }), [0, 1])(x(), { w: x() }).y[1].w;
    const [out, vjpFn] = F.vjp((t: Tensor) => [t.exp(), t.sum()] as const, x());
    const [back]: [Tensor] = vjpFn([out[0], out[1]]);
    expect([ga.shape, gb.shape, jac.shape, back.shape]).toEqual([[3], [3], [3, 3], [3]]);
  });
});

describe("errors name the transform, with functorch's wording", () => {
  const x = tensor([1, 2], { dtype: "float64" });
  const h = (a: Tensor, b: Tensor) => a.mul(b).sum();

  test("argnums", () => {
    expect(() => F.grad(h, 2)(x, x)).toThrow("grad(f)(*args): Got argnum=2, but only 2 positional inputs");
    expect(() => F.grad(h, -3)(x, x)).toThrow("Got argnum=-3, but only 2 positional inputs");
    expect(F.grad(h, -1)(x, x).shape).toEqual([2]);
    expect(() => F.grad(h, [0, 0])(x, x)).toThrow("argnums elements must be unique, got [0, 0]");
    expect(() => F.grad(h, [])(x, x)).toThrow("argnums must be non-empty");
    expect(() => F.jacrev(h, 1.5)(x, x)).toThrow(TypeError);
    expect(() => F.jacrev(h, 1.5)(x, x)).toThrow("jacrev(f)(*args): argnum must be int, got: number 1.5");
    expect(() => F.grad(h, "0" as unknown as number)).toThrow(TypeError);
    expect(() => F.grad(h, { argnum: 0 } as never)).toThrow("grad(): unexpected option 'argnum' (did you mean 'argnums'?)");
    expect(() => F.grad(h, { hasAux: true } as never)).toThrow("did you mean 'has_aux'?");
  });

  test("inputs", () => {
    expect(() => F.grad(h)(3 as never, x)).toThrow(TypeError);
    expect(() => F.grad(h)(3 as never, x)).toThrow("grad(f)(*args): Thing passed to transform API must be Tensor, got number 3 (at args[0])");
    expect(() => F.grad((p: { w: Tensor[] }) => p.w[0].sum())({ w: [x, 1 as never] })).toThrow("(at args[0].w[1])");
    expect(() => F.grad((t: Tensor) => t.sum())(tensor([1, 2]).to("int32"))).toThrow("only floating-point Tensors can be differentiated, got a int32 Tensor");
    expect(() => F.vjp((t: Tensor) => t, "x" as never)).toThrow("vjp(f, *primals): Thing passed to transform API must be Tensor");
    expect(() => F.grad(42 as never)).toThrow("grad(f): f must be a function, got number 42");
  });

  test("what f returns", () => {
    expect(() => F.grad((_t: Tensor) => 3 as never)(x)).toThrow(TypeError);
    expect(() => F.grad((_t: Tensor) => 3 as never)(x)).toThrow("grad(f)(*args): Expected f(*args) to return a Tensor, got number 3");
    expect(() => F.grad_and_value((t: Tensor) => t.reshape([1, 2]))(x)).toThrow(
      "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with 2 dims. Maybe you wanted to use the vjp or jacrev APIs instead?");
    expect(() => F.grad((t: Tensor) => t.sum(), { has_aux: true })(x)).toThrow("output of function f should be a tuple: (output, aux) if has_aux is True");
    expect(() => F.jacrev((t: Tensor) => [t, 2] as never)(x)).toThrow("jacrev(f)(*args): expected f(*primals) to return only tensors, got unsupported type number 2");
    expect(() => F.jacrev((_t: Tensor) => [] as never)(x)).toThrow("Expected f to be a function that has non-empty output");
    expect(() => F.vjp((t: Tensor) => t.gt(0), x)).toThrow("All outputs of f must be floating-point or complex Tensors, got Tensor with dtype bool");
  });

  test("cotangents and tangents", () => {
    const [, vjpFn] = F.vjp((t: Tensor) => [t.sin(), t.cos()], x);
    expect(() => vjpFn([x] as never)).toThrow(
      "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function. cotangents: [*], primal output: [*, *]");
    expect(() => vjpFn([x, tensor([1, 2, 3], { dtype: "float64" })])).toThrow("vjp_fn: Mismatch in shape: cotangent 1 has a shape of [3] and output 1 has a shape of [2]");
    expect(() => F.jvp((t: Tensor) => t, x as never, [x] as never)).toThrow("jvp(f, primals, tangents): Expected primals to be a tuple (an array)");
    expect(() => F.jvp((t: Tensor) => t, [x], [[x]] as never)).toThrow(
      "Expected primals and tangents to have the same python structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure [*] and tangents with structure [[*]]");
    expect(() => F.jvp((t: Tensor) => t, [x], [tensor([1], { dtype: "float64" })])).toThrow(
      "Trying to set a forward gradient that has a different size than that of the original Tensor");
    expect(() => F.jvp((t: Tensor) => t, [3 as never], [3 as never])).toThrow("Thing passed to transform API must be Tensor");
  });

  test("forward-mode transforms do not nest yet; forward over reverse does", () => {
    expect(() => F.jacfwd(F.jacfwd((t: Tensor) => t.sin()))(x)).toThrow("jacfwd(f)(*args): forward-mode transforms do not nest yet");
    expect(() => F.jvp((t: Tensor) => F.jvp((u: Tensor) => u.exp(), [t], [t])[1], [x], [x])).toThrow("do not nest yet");
    expect(F.hessian((t: Tensor) => t.pow(3).sum())(x).shape).toEqual([2, 2]);
    expect(() => F.jvp((t: Tensor) => F.jacfwd((u: Tensor) => u.exp())(t), [x], [x])).toThrow("do not nest yet");
  });

  test("strict jvp refuses an output independent of the inputs", () => {
    const constant = (_t: Tensor) => tensor([1, 2], { dtype: "float64" });
    expect(Array.from(F.jvp(constant, [x], [x])[1].toTypedArray())).toEqual([0, 0]);
    expect(() => F.jvp(constant, [x], [x], { strict: true })).toThrow("The output of f is independent of the inputs. This is not allowed with strict=True.");
  });
});

describe("forward mode with dual levels and reverse mode", () => {
  const { dual_level, make_dual, unpack_dual } = autograd.forward_ad;
  const x = () => tensor([0.5, -1, 2], { dtype: "float64" });
  const v = tensor([1, 0, 2], { dtype: "float64" });
  const cube = (t: Tensor) => t.pow(3).sum();

  test("jvp and jacfwd results hold no tangent and no graph at the top", () => {
    const [out, tangent] = F.jvp((t: Tensor) => t.sin(), [x()], [v]);
    expect([out.requires_grad, tangent.requires_grad]).toEqual([false, false]);
    expect(F.jacfwd((t: Tensor) => t.exp())(x()).requires_grad).toBe(false);
    expect(F.hessian(cube)(x()).requires_grad).toBe(false);
  });

  test("reverse over forward: jvp's results stay differentiable in inputs that require grad", () => {
    const leaf = x().requires_grad_();
    const [, tangent] = F.jvp((t: Tensor) => t.sin(), [leaf], [v]); // cos(x) v, whose gradient is -sin(x) v
    tangent.sum().backward();
    const want = [0.5, -1, 2].map((a, i) => -Math.sin(a) * [1, 0, 2][i]);
    Array.from(leaf.grad!.toTypedArray()).forEach((g, i) => expect(g).toBeCloseTo(want[i], 14));
  });

  test("inside a dual level the user opened, reverse transforms carry tangents and jvp runs in that level", () => {
    dual_level(() => {
      const g = F.grad(cube)(make_dual(x(), v)); // 3x², with tangent 6 x v
      expect(Array.from(unpack_dual(g).tangent!.toTypedArray())).toEqual([3, -0, 24]);
      const [out, tangent] = F.jvp((t: Tensor) => t.mul(t), [x()], [v]);
      expect(Array.from(tangent.toTypedArray())).toEqual([1, -0, 8]);
      expect([unpack_dual(out).tangent, unpack_dual(tangent).tangent]).toEqual([null, null]);
    });
  });

  test("jvp with has_aux gives aux without its tangent", () => {
    const [out, tangent, aux] = F.jvp((t: Tensor) => [t.exp(), { twice: t.mul(2) }] as const, [x()], [v], { has_aux: true });
    expect([out.shape, tangent.shape]).toEqual([[3], [3]]);
    expect(Array.from(aux.twice.toTypedArray())).toEqual([1, -2, 4]);
  });

  // In-place writes inside a dual level (cat and stack are built on them) keep the graph of
  // the tangent they write, so a Hessian stacked by jacrev inside jacfwd is differentiable
  // further in a leaf that requires grad.
  test("forward over reverse stays differentiable in inputs that require grad (third derivatives)", () => {
    const leaf = x().requires_grad_();
    const hessianOfCube = F.hessian(cube)(leaf); // diag(6x): its sum has gradient 6
    expect(hessianOfCube.requires_grad).toBe(true);
    hessianOfCube.sum().backward();
    expect(Array.from(leaf.grad!.toTypedArray())).toEqual([6, 6, 6]);
  });
});
