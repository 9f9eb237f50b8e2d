// A graph a million ops deep: the sweep and the release cascade are iterative, so depth
// costs memory in proportion and never stack.
import { expect, test } from "vitest";
import { tensor, memory } from "../bindings/index.js";

test("y = y*a + b, 500,000 times (1,000,000 ops): forward, backward, exact gradients", () => {
  const n = 500_000;
  const y0 = tensor(1, { requires_grad: true });
  const a = tensor(1, { requires_grad: true });
  const b = tensor(1 / 1024, { requires_grad: true });
  const before = memory().tensors;
  let y = y0;
  for (let i = 0; i < n; i++) y = y.mul(a).add(b);
  expect(memory().tensors - before).toBeGreaterThanOrEqual(2 * n); // the whole chain is live
  y.backward();
  // y_k = 1 + k/1024 is exact in float32, so are y_n, dy/dy0 = a^n = 1 and dy/db = n.
  expect(y.item()).toBe(1 + n / 1024);
  expect(y0.grad!.item()).toBe(1);
  expect(b.grad!.item()).toBe(n);
  // dy/da = sum of y_k for k < n, accumulated in float32 over n terms.
  const exact = n + (n * (n - 1)) / 2 / 1024;
  expect(Math.abs(a.grad!.item() - exact) / exact).toBeLessThan(1e-4);
});
