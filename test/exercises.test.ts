// The exercises of d2l section 2.5.
import { describe, expect, test } from "vitest";
import { linspace, randn, tensor, grad, manual_seed, type Tensor } from "../bindings/index.js";
import { expectClose, f } from "./helpers.js";

describe("exercises", () => {
  test("backward twice: the second sweep needs retain_graph", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    const y = x.mul(x).sum();
    y.backward(undefined, { retain_graph: true });
    y.backward();
    expectClose(x.grad, [4, 8, 12], 0, 0);
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);
  });

  test("control flow with a as a vector and as a matrix", () => {
    manual_seed(3);
    for (const shape of [[5], [3, 4]]) {
      const a = randn(shape, { requires_grad: true });
      const d = f(a);
      d.sum().backward();
      // f is linear in a: d = k * a with one scalar k, so a.grad = k everywhere.
      const k = d.div(a).toTypedArray();
      expectClose(a.grad, k, 1e-5, 0);
      const first = a.grad!.toTypedArray()[0];
      expect(Array.from(a.grad!.toTypedArray()).every((v) => v === first)).toBe(true);
    }
  });

  test("the derivative of sin is cos on linspace(-2pi, 2pi, 101)", () => {
    const x = linspace(-2 * Math.PI, 2 * Math.PI, 101, { requires_grad: true });
    x.sin().sum().backward();
    const xs = x.toTypedArray();
    expectClose(x.grad, Array.from(xs, (v) => Math.cos(v)), 0, 1e-6);
  });

  test("second derivatives via create_graph: (sin)'' = -sin, (x^3)'' = 6x, (tanh)''", () => {
    const x = tensor([-1.3, -0.2, 0.4, 2.1], { requires_grad: true });
    const xs = Array.from(x.toTypedArray());
    const second = (fn: (t: Tensor) => Tensor) => {
      const [d1] = grad(fn(x).sum(), x, { create_graph: true });
      const [d2] = grad(d1!.sum(), x);
      return d2;
    };
    expectClose(second((t) => t.sin()), xs.map((v) => -Math.sin(v)), 1e-5, 1e-6);
    expectClose(second((t) => t.pow(3)), xs.map((v) => 6 * v), 1e-5, 1e-6);
    const th = (v: number) => Math.tanh(v);
    expectClose(second((t) => t.tanh()), xs.map((v) => -2 * th(v) * (1 - th(v) ** 2)), 1e-4, 1e-6);
    const sg = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(second((t) => t.sigmoid()), xs.map((v) => sg(v) * (1 - sg(v)) * (1 - 2 * sg(v))), 1e-4, 1e-6);
  });

  test("f(x) = log(x^2) sin(x) + 1/x against its closed-form derivative", () => {
    const values = [-3, -1.5, -0.7, 0.3, 1, 2.5, 4];
    const x = tensor(values, { requires_grad: true });
    const y = x.pow(2).log().mul(x.sin()).add(x.pow(-1));
    y.sum().backward();
    const xs = Array.from(x.toTypedArray());
    expectClose(y, xs.map((v) => Math.log(v * v) * Math.sin(v) + 1 / v), 1e-5, 1e-6);
    expectClose(x.grad, xs.map((v) => (2 / v) * Math.sin(v) + Math.log(v * v) * Math.cos(v) - 1 / (v * v)), 1e-5, 1e-5);
  });
});
