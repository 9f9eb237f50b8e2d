// The examples of d2l section 2.5 "Automatic Differentiation", with their exact values.
import { describe, expect, test } from "vitest";
import { arange, randn, tensor, manual_seed, ones } from "../bindings/index.js";
import { expectClose, f } from "./helpers.js";

describe("2.5.1 a simple function", () => {
  test("y = 2 x.x gives 28 and x.grad = 4x", () => {
    const x = arange(4.0);
    x.requires_grad_(true);
    expect(x.grad).toBeNull();
    const y = x.dot(x).mul(2);
    expect(y.item()).toBe(28);
    expect(y.grad_fn?.name()).toBe("MulBackward");
    y.backward();
    expectClose(x.grad, [0, 4, 8, 12], 0, 0);
    expectClose(x.grad!.eq(x.mul(4)), [1, 1, 1, 1], 0, 0);
  });

  test("after zero_(), x.sum() gives ones; the grad buffer is reused", () => {
    const x = arange(4.0, { requires_grad: true });
    x.dot(x).mul(2).backward();
    const first = x.grad!;
    x.grad!.zero_();
    x.sum().backward();
    expectClose(x.grad, [1, 1, 1, 1], 0, 0);
    expect(x.grad).toBe(first);
  });

  test("without zero_() gradients accumulate", () => {
    const x = arange(4.0, { requires_grad: true });
    x.dot(x).mul(2).backward();
    x.sum().backward();
    expectClose(x.grad, [1, 5, 9, 13], 0, 0);
  });
});

describe("2.5.2 backward for non-scalar variables", () => {
  test("x*x with a ones gradient equals .sum().backward()", () => {
    const x = arange(4.0, { requires_grad: true });
    const y = x.mul(x);
    y.backward(ones([4]));
    expectClose(x.grad, [0, 2, 4, 6], 0, 0);
    x.grad!.zero_();
    x.mul(x).sum().backward();
    expectClose(x.grad, [0, 2, 4, 6], 0, 0);
  });
});

describe("2.5.3 detaching computation", () => {
  test("z = u * x with u = y.detach() gives x.grad == u", () => {
    const x = arange(4.0, { requires_grad: true });
    const y = x.mul(x);
    const u = y.detach();
    expect(u.requires_grad).toBe(false);
    expect(u.grad_fn).toBeNull();
    const z = u.mul(x);
    z.sum().backward();
    expectClose(x.grad, u.toTypedArray(), 0, 0);
    x.grad!.zero_();
    y.sum().backward();
    expectClose(x.grad, [0, 2, 4, 6], 0, 0);
  });
});

describe("2.5.4 gradients and Python control flow", () => {
  test("f(a) is linear in a, so a.grad == d / a", () => {
    manual_seed(0);
    for (let trial = 0; trial < 5; trial++) {
      const a = randn([], { requires_grad: true });
      expect(a.ndim).toBe(0);
      const d = f(a);
      d.backward();
      expectClose(a.grad, d.div(a).item(), 1e-5, 0);
    }
  });
});

describe("printing", () => {
  test("like PyTorch", () => {
    const x = arange(4.0, { requires_grad: true });
    expect(String(x)).toBe("tensor([0., 1., 2., 3.], requires_grad=True)");
    const y = x.dot(x).mul(2);
    expect(String(y)).toBe("tensor(28., grad_fn=<MulBackward>)");
    y.backward();
    expect(String(x.grad)).toBe("tensor([ 0.,  4.,  8., 12.])");
    expect(String(tensor([[1.5, 2], [3, 4]]))).toBe("tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])");
  });
});
