// retain_grad(): a non-leaf keeps its gradient in .grad, as in PyTorch. Expected values are
// the closed-form gradients of each program.
import { expect, test } from "vitest";
import { grad, memory, scope, tensor } from "../bindings/index.js";

const values = (t: { toTypedArray(): ArrayLike<number> } | null) => Array.from(t!.toTypedArray());

test("a retained non-leaf's .grad is dL/dy, of its own shape", () => {
  const x = tensor([1, 2, 3], { dtype: "float64", requires_grad: true });
  const z = x.mul(2);
  z.retain_grad();
  expect(z.retains_grad).toBe(true);
  z.mul(z).sum().backward(); // L = sum(z^2): dL/dz = 2 z = 4 x
  expect(values(z.grad)).toEqual([4, 8, 12]);
  expect(values(x.grad)).toEqual([8, 16, 24]);
});

test("also where a sum's gradient would be passed on unexpanded", () => {
  const x = tensor([0, 1, 2], { dtype: "float64", requires_grad: true });
  const y = x.exp();
  y.retain_grad();
  y.sum().backward();
  expect(y.grad!.shape).toEqual([3]);
  expect(values(y.grad)).toEqual([1, 1, 1]);
  values(x.grad).forEach((g, i) => expect(g).toBeCloseTo(Math.exp(i), 14));
});

test("accumulates over backward passes, and grad() leaves it alone", () => {
  const x = tensor([1, -1], { dtype: "float64", requires_grad: true });
  const h = x.mul(3);
  h.retain_grad();
  const loss = h.square().sum(); // dL/dh = 2 h = 6 x
  loss.backward(null, { retain_graph: true });
  loss.backward(null, { retain_graph: true });
  expect(values(h.grad)).toEqual([12, -12]);
  grad(loss, [x], { retain_graph: true });
  expect(values(h.grad)).toEqual([12, -12]);
  h.grad = null;
  loss.backward();
  expect(values(h.grad)).toEqual([6, -6]);
});

test("with create_graph the retained gradient is differentiable", () => {
  const x = tensor([2], { dtype: "float64", requires_grad: true });
  const h = x.square();
  h.retain_grad();
  h.pow(3).sum().backward(null, { create_graph: true }); // dL/dh = 3 h^2 = 3 x^4
  expect(values(h.grad)).toEqual([48]);
  expect(h.grad!.requires_grad).toBe(true);
});

test("leaves and tensors without grad", () => {
  const leaf = tensor([1], { requires_grad: true });
  leaf.retain_grad(); // a no-op, as in PyTorch
  expect(leaf.retains_grad).toBe(false);
  expect(leaf.mul(2).retains_grad).toBe(false);
  expect(() => tensor([1]).retain_grad()).toThrow("retain_grad(): can't retain_grad on Tensor that has requires_grad=False");
});

test("a retained gradient goes with its tensor", () => {
  const x = tensor([1, 2], { requires_grad: true });
  const before = memory().tensors;
  scope(() => {
    const y = x.mul(2);
    y.retain_grad();
    y.sum().backward();
  });
  x.grad = null;
  expect(memory().tensors).toBe(before);
});
