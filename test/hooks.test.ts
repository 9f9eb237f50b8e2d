// Tensor hooks (register_hook), as PyTorch's: the hook sees the tensor's whole gradient
// once per sweep, before it is used, and may replace it. Expected values are the closed-form
// gradients of each program.
import { expect, test } from "vitest";
import { grad, memory, scope, tensor, type Tensor } from "../bindings/index.js";

const values = (t: Tensor | null) => Array.from(t!.toTypedArray(), Number);

test("a hook on a non-leaf sees dL/dy and its replacement flows on", () => {
  const x = tensor([1, 2, 3], { dtype: "float64", requires_grad: true });
  const y = x.mul(x); // dy/dx = 2x
  const seen: number[][] = [];
  y.register_hook((g) => { seen.push(values(g)); return g.mul(10); });
  y.mul(3).sum().backward(); // dL/dy = 3
  expect(seen).toEqual([[3, 3, 3]]);
  expect(values(x.grad)).toEqual([60, 120, 180]); // 10 * 3 * 2x
});

test("it runs once on the gradient summed over every use", () => {
  const x = tensor([2], { dtype: "float64", requires_grad: true });
  const y = x.mul(1);
  const calls: number[] = [];
  y.register_hook((g) => { calls.push(g.item() as number); });
  y.mul(y).add(y.mul(5)).sum().backward(); // dL/dy = 2y + 5 = 9
  expect(calls).toEqual([9]);
  expect(values(x.grad)).toEqual([9]);
});

test("on a leaf it runs before accumulation; hooks run in order; remove() unregisters", () => {
  const x = tensor([1, 1], { dtype: "float64", requires_grad: true });
  const order: string[] = [];
  const a = x.register_hook((g) => { order.push("a"); return g.add(1); });
  x.register_hook((g) => { order.push("b"); return g.mul(2); });
  x.mul(3).sum().backward();
  expect(order).toEqual(["a", "b"]);
  expect(values(x.grad)).toEqual([8, 8]); // (3 + 1) * 2
  a.remove();
  a.remove(); // twice is harmless
  x.grad = null;
  x.mul(3).sum().backward();
  expect(values(x.grad)).toEqual([6, 6]);
});

test("grad() returns what the hooks gave, and hooks may run any op", () => {
  const x = tensor([[1, 2], [3, 4]], { dtype: "float64", requires_grad: true });
  const w = tensor([0.5, -1], { dtype: "float64", requires_grad: true });
  const h = x.matmul(w);
  h.register_hook((g) => g.reshape([2, 1]).expand([2, 2]).sum(1).div(2).mul(4)); // 4 g, through shape ops
  const [gx, gw] = grad(h.sum(), [x, w]);
  // dL/dh = 4: dL/dx = 4 w (each row), dL/dw = 4 * column sums of x
  expect(values(gx)).toEqual([2, -4, 2, -4]);
  expect(values(gw)).toEqual([16, 24]);
});

test("refusals, and a hook that throws stops backward with its error", () => {
  expect(() => tensor([1]).register_hook((g) => g)).toThrow(
    "register_hook(): cannot register a hook on a tensor that doesn't require gradient");
  const x = tensor([1, 2], { requires_grad: true });
  const y = x.mul(2);
  const handle = y.register_hook(() => tensor([1, 2, 3]));
  expect(() => y.sum().backward()).toThrow("register_hook(): hook returned a gradient of shape [3]; expected [2]");
  handle.remove();
  const z = x.mul(2);
  z.register_hook(() => { throw new RangeError("from the hook"); });
  expect(() => z.sum().backward()).toThrow("from the hook");
  // the engine is left usable
  x.grad = null;
  x.mul(5).sum().backward();
  expect(values(x.grad)).toEqual([5, 5]);
});

test("hooks inside scope leak nothing", () => {
  const x = tensor([1, 2], { requires_grad: true });
  const step = () => scope(() => {
    const y = x.mul(2);
    y.register_hook((g) => g.mul(2));
    y.sum().backward();
  });
  step();
  x.grad = null;
  const before = memory().tensors;
  for (let i = 0; i < 3; i++) { step(); x.grad = null; }
  expect(memory().tensors).toBe(before);
});
