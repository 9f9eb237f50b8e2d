// Reference values from PyTorch (test/fixtures/generate.py, committed output).
import { describe, expect, test } from "vitest";
import { tensor, type Tensor } from "../bindings/index.js";
import fixtures from "./fixtures/torch.json" with { type: "json" };
import { expectClose } from "./helpers.js";
import { run, wasmgrad, type Step } from "./programs.js";

const decode = (values: (number | string)[]) =>
  values.map((v) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number)));

describe("printing matches PyTorch", () => {
  test.each(fixtures.printing.map((c) => [c.expected.split("\n")[0].slice(0, 50), c] as const))("%s", (_, c) => {
    const t = tensor(Float32Array.from(decode(c.data)), { shape: c.shape, requires_grad: c.requires_grad });
    expect(String(t)).toBe(c.expected);
  });
});

describe("gradients of programs match PyTorch", () => {
  const { programs } = fixtures;
  const leaves = (inputs: unknown[]) => inputs.map((x) => tensor(x as number[], { requires_grad: true }));
  const compare = (p: { value: number; grads: number[][] }, out: Tensor, ts: Tensor[]) => {
    expectClose(out, p.value, 1e-5, 1e-6);
    out.backward();
    ts.forEach((t, i) => expectClose(t.grad, p.grads[i], 1e-4, 1e-6));
  };

  test("log(x^2) sin(x) + 1/x", () => {
    const p = programs.exercise_f;
    const [x] = leaves(p.inputs);
    compare(p, x.mul(x).log().mul(x.sin()).add(x.pow(-1)).sum(), [x]);
  });

  test("softmax(tanh(a @ b)) weighted", () => {
    const p = programs.tanh_softmax;
    const [a, b] = leaves(p.inputs);
    compare(p, a.matmul(b).tanh().softmax(1).mul(tensor([[1, -2, 3]])).sum(), [a, b]);
  });

  test("two-layer MLP with log_softmax cross-entropy", () => {
    const p = programs.mlp_cross_entropy;
    const [W1, b1, W2, b2] = leaves(p.inputs);
    const h = tensor(p.X).matmul(W1).add(b1).relu();
    const logits = h.matmul(W2).add(b2);
    const loss = logits.log_softmax(1).mul(tensor(p.onehot)).sum(1).mean().neg();
    compare(p, loss, [W1, b1, W2, b2]);
  });

  test("broadcast chain", () => {
    const p = programs.broadcast_chain;
    const [a, b] = leaves(p.inputs);
    compare(p, a.mul(b).sigmoid().div(b.exp().add(1)).pow(2).mean(), [a, b]);
  });
});

describe("random programs match PyTorch (float64)", () => {
  // Programs in the step language of test/programs.ts, generated and run by PyTorch.
  test.each(fixtures.random_programs.map((p, i) => [i, p] as const))("program %i", (_, p) => {
    const xs = p.shapes.map((shape, k) => tensor(Float32Array.from(p.data[k]), { shape, requires_grad: true }));
    const y = run(wasmgrad, xs, p.steps as Step[]);
    expect(y.shape).toEqual(p.out_shape);
    y.mul(tensor(Float32Array.from(p.weights), { shape: p.out_shape })).sum().backward();
    xs.forEach((x, k) => {
      const want = p.grads[k];
      const scale = Math.max(1, ...want.map(Math.abs));
      const got = x.grad?.toTypedArray() ?? new Float32Array(want.length);
      want.forEach((v, i) => {
        if (!(Math.abs(got[i] - v) <= 2e-3 * Math.abs(v) + 1e-4 * scale)) {
          throw new Error(`input ${k} element ${i}: wasmgrad ${got[i]}, PyTorch ${v}; steps ${JSON.stringify(p.steps)}`);
        }
      });
    });
  });
});
