// wg.autograd.functional against torch.autograd.functional (PyTorch 1.13, float64,
// test/fixtures/autograd_functional.json from generate_autograd_functional.py): vjp, jvp,
// jacobian, hessian, vhp and hvp of the same functions at the same points.
import { describe, expect, test } from "vitest";
import { autograd, scope, tensor, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/autograd_functional.json" with { type: "json" };

const AF = autograd.functional;
interface Encoded { shape: number[]; values: number[] }
type Nested = Encoded | Nested[];
interface Case {
  name: string; inputs: Encoded[]; v_out: Encoded[]; v_in: Encoded[];
  vjp: Nested; jvp: Nested; jacobian: Nested; hessian?: Nested; vhp?: Nested; hvp?: Nested;
}

const FUNCTIONS: Record<string, (...xs: Tensor[]) => Tensor | Tensor[]> = {
  cube_sum: (x) => x.pow(3).sum(),
  sin_times: (x) => x.sin().mul(x),
  matrix: (x) => x.matmul(x.t()),
  two_inputs: (x, y) => x.mul(y.exp()).sum().add(x.square().sum()),
  two_outputs: (x, y) => [x.mul(y), x.tanh().add(y)],
};

const decode = (e: Encoded) => tensor(Float64Array.from(e.values), { shape: e.shape });

function expectNested(actual: unknown, expected: Nested) {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect((actual as unknown[]).length).toBe(expected.length);
    expected.forEach((e, i) => expectNested((actual as unknown[])[i], e));
    return;
  }
  const t = actual as Tensor;
  expect(t.shape).toEqual(expected.shape);
  Array.from(t.toTypedArray(), Number).forEach((v, i) =>
    expect(Math.abs(v - expected.values[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(expected.values[i]))));
}

describe("autograd.functional matches torch.autograd.functional", () => {
  for (const c of fixture as unknown as Case[]) {
    test(c.name, () => {
      scope(() => {
        const f = FUNCTIONS[c.name];
        const xs = c.inputs.map(decode);
        const arg = xs.length === 1 ? xs[0] : xs;
        const vOut = c.v_out.map(decode), vIn = c.v_in.map(decode);
        const pick = (vs: Tensor[]) => (vs.length === 1 ? vs[0] : vs);
        expectNested(AF.vjp(f, arg, pick(vOut))[1], c.vjp);
        expectNested(AF.jvp(f, arg, pick(vIn))[1], c.jvp);
        expectNested(AF.jacobian(f, arg), c.jacobian);
        expectNested(AF.jacobian(f, arg, { vectorize: true }), c.jacobian); // all rows in one batched sweep
        expectNested(AF.jacobian(f, arg, { vectorize: true, strategy: "forward-mode" }), c.jacobian); // all columns in one pass
        if (c.hessian !== undefined) {
          expectNested(AF.hessian(f, arg), c.hessian);
          expectNested(AF.hessian(f, arg, { vectorize: true }), c.hessian);
          expectNested(AF.vhp(f, arg, pick(vIn))[1], c.vhp!);
          expectNested(AF.hvp(f, arg, pick(vIn))[1], c.hvp!);
        }
      });
    });
  }
});

describe("options and refusals", () => {
  test("create_graph keeps the result differentiable; without it the result has no graph", () => {
    const x = tensor([1, 2], { dtype: "float64", requires_grad: true });
    const [, g] = AF.vjp((t) => t.pow(3).sum(), x, null, { create_graph: true });
    expect((g as Tensor).requires_grad).toBe(true);
    (g as Tensor).sum().backward(); // d/dx sum(3x^2) = 6x
    expect(Array.from(x.grad!.toTypedArray())).toEqual([6, 12]);
    const [, plain] = AF.vjp((t) => t.pow(3).sum(), x);
    expect((plain as Tensor).requires_grad).toBe(false);
  });

  test("strict refuses an output independent of an input; otherwise zeros", () => {
    const x = tensor([1, 2], { dtype: "float64" }), y = tensor([3], { dtype: "float64" });
    const [gx, gy] = AF.jacobian((a, _b) => a.mul(2), [x, y]) as Tensor[];
    expect(Array.from(gx.toTypedArray())).toEqual([2, 0, 0, 2]);
    expect(Array.from(gy.toTypedArray())).toEqual([0, 0]);
    expect(() => AF.jacobian((a, _b) => a.mul(2), [x, y], { strict: true })).toThrow("is independent of input 1");
  });

  test("vectorize and forward-mode are refused clearly; v must match", () => {
    const x = tensor([1, 2]);
    expect(() => AF.jacobian((t) => t.exp(), x, { strategy: "forward-mode" })).toThrow(/only implemented for `vectorize=True`/);
    expect(() => AF.vjp((t) => t.exp(), x)).toThrow("The vector v can only be None if the output");
    expect(() => AF.vjp((t) => t.exp(), x, tensor([1, 2, 3]))).toThrow("Mismatch in shape");
  });
});
