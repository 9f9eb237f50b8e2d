// Reference values from PyTorch (test/fixtures/generate.py, committed output).
import { describe, expect, test } from "vitest";
import { tensor, type Tensor } from "../bindings/index.js";
import fixtures from "./fixtures/torch.json" with { type: "json" };
import { expectClose } from "./helpers.js";

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
