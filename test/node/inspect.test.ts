// console.log and util.inspect print tensors as PyTorch does.
import { expect, test } from "vitest";
import { inspect } from "node:util";
import { arange } from "../../bindings/index.js";

test("util.inspect uses the PyTorch format", () => {
  const x = arange(4.0, { requires_grad: true });
  expect(inspect(x)).toBe("tensor([0., 1., 2., 3.], requires_grad=True)");
  expect(inspect({ y: x.mul(2).sum() })).toBe("{ y: tensor(12., grad_fn=<SumBackward>) }");
});
