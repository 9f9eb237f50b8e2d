// Autograd semantics, with PyTorch's behaviour and messages.
import { describe, expect, test } from "vitest";
import {
  arange, tensor, ones, zeros, grad, no_grad, enable_grad, is_grad_enabled, randn, manual_seed, type Tensor,
} from "../bindings/index.js";
import { expectClose } from "./helpers.js";

describe("backward", () => {
  test("a non-scalar output needs a gradient", () => {
    const x = arange(4.0, { requires_grad: true });
    const y = x.mul(x);
    expect(() => y.backward()).toThrow(/grad can be implicitly created only for scalar outputs.*\[4\]/);
    expect(x.grad).toBeNull();
  });

  test("y.backward(g) is the vector-Jacobian product", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    x.mul(x).backward(tensor([1, 0.5, -1]));
    expectClose(x.grad, [2, 2, -6]);
  });

  test("a gradient of the wrong shape is refused", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    expect(() => x.mul(2).backward(ones([4]))).toThrow(/Mismatch in shape: grad_output\[0\] has a shape of \[4\] and output\[0\] has a shape of \[3\]/);
  });

  test("a tensor that does not require grad cannot backward", () => {
    expect(() => tensor([1, 2]).sum().backward()).toThrow(/element 0 of tensors does not require grad and does not have a grad_fn/);
  });

  test("a second backward through freed saved values throws; retain_graph allows it", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time.*retain_graph=True/s);
    expectClose(x.grad, [2, 4, 6]);

    const z = x.exp().sum();
    x.grad = null;
    z.backward(undefined, { retain_graph: true });
    z.backward();
    expectClose(x.grad, [1, 2, 3].map((v) => 2 * Math.exp(v)), 1e-6);
  });

  test("a graph that saved nothing may be swept again, as in PyTorch", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    // sum over [3, 3] of -(x_i + 1) - x_j: each x_k appears 3 + 3 times with slope -1.
    const y = x.add(1).neg().reshape([3, 1]).sub(x).sum(); // none of these save a value
    y.backward();
    y.backward();
    expectClose(x.grad, [-12, -12, -12], 0, 0);
    expect(y.grad_fn?.name()).toBe("SumBackward");
    expect(y.is_leaf).toBe(false);
    // Once a node that saved values is on the path, the second sweep is refused.
    const z = x.add(1).exp().sum();
    z.backward();
    expect(() => z.backward()).toThrow(/Trying to backward through the graph a second time/);
  });

  test("fan-out accumulates: x used by several ops", () => {
    const x = tensor([0.5, -1.5], { requires_grad: true });
    const y = x.mul(x).add(x.sin()).add(x.mul(3));
    y.sum().backward();
    expectClose(x.grad, [0.5, -1.5].map((v) => 2 * v + Math.cos(v) + 3), 1e-6);
  });

  test("a leaf can be the root", () => {
    const x = tensor(3, { requires_grad: true });
    x.backward();
    expectClose(x.grad, 1);
  });

  test("deep chains do not overflow the stack", () => {
    const a = tensor(1.0001, { requires_grad: true });
    let y = tensor(1.0);
    for (let i = 0; i < 20000; i++) y = y.mul(a);
    y.backward();
    expectClose(a.grad, 20000 * 1.0001 ** 19999, 1e-3);
  });
});

describe("leaves and non-leaves", () => {
  test("is_leaf, requires_grad, grad_fn", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const c = tensor([1, 2]);
    const y = x.mul(2);
    expect([x.is_leaf, c.is_leaf, y.is_leaf]).toEqual([true, true, false]);
    expect([x.requires_grad, c.requires_grad, y.requires_grad]).toEqual([true, false, true]);
    expect(x.grad_fn).toBeNull();
    expect(y.grad_fn?.name()).toBe("MulBackward");
    expect(c.mul(2).requires_grad).toBe(false);
    expect(c.mul(2).grad_fn).toBeNull();
  });

  test("a non-leaf's .grad stays null", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const y = x.mul(2);
    y.sum().backward();
    expect(y.grad).toBeNull();
    expectClose(x.grad, [2, 2]);
  });

  test("requires_grad cannot change on a non-leaf", () => {
    const y = tensor([1, 2], { requires_grad: true }).mul(2);
    expect(() => { y.requires_grad = false; }).toThrow(/you can only change requires_grad flags of leaf variables/);
    expect(() => y.requires_grad_()).toThrow(/you can only change requires_grad flags of leaf variables/);
  });

  test("requires_grad_ returns the tensor and can be set on a leaf", () => {
    const x = zeros([2]);
    expect(x.requires_grad_()).toBe(x);
    expect(x.requires_grad).toBe(true);
    x.requires_grad = false;
    expect(x.requires_grad).toBe(false);
  });

  test("grad = null clears; the next backward allocates anew", () => {
    const x = tensor([1, 2], { requires_grad: true });
    x.sum().backward();
    x.grad = null;
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expectClose(x.grad, [3, 3]);
  });
});

describe("detach and grad mode", () => {
  test("z = y.detach() * x gives x.grad == y", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    const y = x.mul(x);
    const z = y.detach().mul(x);
    z.sum().backward();
    expectClose(x.grad, [1, 4, 9], 0, 0);
  });

  test("nothing is recorded inside no_grad; enable_grad turns it back on", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const y = no_grad(() => {
      expect(is_grad_enabled()).toBe(false);
      const inner = enable_grad(() => x.mul(2));
      expect(inner.requires_grad).toBe(true);
      return x.mul(2);
    });
    expect(is_grad_enabled()).toBe(true);
    expect(y.requires_grad).toBe(false);
    expect(y.grad_fn).toBeNull();
  });

  test("no_grad refuses an async function, whose awaited part it could not cover", () => {
    expect(() => no_grad(async () => 1)).toThrow(/no_grad\(fn\): fn returned a Promise/);
    expect(is_grad_enabled()).toBe(true);
  });

  test("no_grad restores the mode when fn throws", () => {
    expect(() => no_grad(() => { throw new Error("boom"); })).toThrow("boom");
    expect(is_grad_enabled()).toBe(true);
  });

  test("SGD updates under no_grad", () => {
    const w = tensor([1, -1], { requires_grad: true });
    for (let i = 0; i < 3; i++) {
      const loss = w.mul(w).sum();
      loss.backward();
      no_grad(() => { w.sub_(w.grad!.mul(0.25)); });
      w.grad!.zero_();
    }
    expectClose(w, [0.125, -0.125], 0, 0);
    expect(w.is_leaf).toBe(true);
  });
});

describe("grad(): the functional form", () => {
  test("returns gradients and leaves .grad untouched", () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    const [g] = grad(x.pow(2).sum(), x);
    expectClose(g, [2, 4, 6]);
    expect(x.grad).toBeNull();
  });

  test("several inputs and grad_outputs", () => {
    const a = tensor([1, 2], { requires_grad: true });
    const b = tensor([3, 4], { requires_grad: true });
    const [ga, gb] = grad(a.mul(b), [a, b], { grad_outputs: tensor([1, -1]) });
    expectClose(ga, [3, -4]);
    expectClose(gb, [1, -2]);
  });

  test("an unused input throws unless allow_unused", () => {
    const a = tensor([1, 2], { requires_grad: true });
    const b = tensor([3, 4], { requires_grad: true });
    expect(() => grad(a.sum(), [a, b], { retain_graph: true })).toThrow(/appears to not have been used in the graph. Set allow_unused=True/);
    const [ga, gb] = grad(a.mul(2).sum(), [a, b], { allow_unused: true });
    expectClose(ga, [2, 2]);
    expect(gb).toBeNull();
  });

  test("gradient with respect to a non-leaf", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const h = x.mul(3);
    const [gh] = grad(h.pow(2).sum(), h);
    expectClose(gh, [6, 12]);
  });

  test("create_graph gives second and third derivatives", () => {
    const x = tensor([0.5, -1, 2], { requires_grad: true });
    const [d1] = grad(x.pow(4).sum(), x, { create_graph: true });
    expectClose(d1, [0.5, -1, 2].map((v) => 4 * v ** 3), 1e-5);
    const [d2] = grad(d1!.sum(), x, { create_graph: true });
    expectClose(d2, [0.5, -1, 2].map((v) => 12 * v ** 2), 1e-5);
    const [d3] = grad(d2!.sum(), x);
    expectClose(d3, [0.5, -1, 2].map((v) => 24 * v), 1e-5);
  });

  test("backward with create_graph makes .grad differentiable", () => {
    const x = tensor([1.5, 2], { requires_grad: true });
    x.pow(3).sum().backward(undefined, { create_graph: true });
    const g = x.grad!;
    expect(g.requires_grad).toBe(true);
    const [h] = grad(g.sum(), x);
    expectClose(h, [9, 12], 1e-6);
  });
});

describe("in-place ops", () => {
  test("modifying a value saved for backward is detected at backward, with PyTorch's message", () => {
    const a = tensor([0.5, -1, 2], { requires_grad: true });
    const s = a.sigmoid();
    no_grad(() => s.mul_(2));
    expect(() => s.sum().backward()).toThrow(
      /one of the variables needed for gradient computation has been modified by an inplace operation: \[Float32 tensor of shape \[3\]\], which is used by SigmoidBackward, is at version 1; expected version 0 instead/);
    expect(a.grad).toBeNull();

    const x = tensor([1, 2], { requires_grad: true });
    const w = tensor([3, 4]);
    const y = x.mul(w);
    w.add_(1);
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation.*MulBackward/);
  });

  test("in grad mode an in-place op on a graph tensor is recorded, and a saved value it changed is refused", () => {
    const a = tensor([0.5, -1, 2], { requires_grad: true });
    const s = a.sigmoid();
    s.mul_(2);
    expect(s.grad_fn?.name()).toBe("MulBackward");
    expect(s._version).toBe(1);
    expectClose(s, [0.5, -1, 2].map((v) => 2 / (1 + Math.exp(-v))), 1e-6);
    expect(() => s.sum().backward()).toThrow(
      /one of the variables needed for gradient computation has been modified by an inplace operation: \[Float32 tensor of shape \[3\]\], which is used by SigmoidBackward, is at version 1; expected version 0 instead/);
    expect(a.grad).toBeNull();
  });

  test("recorded in-place ops give PyTorch's gradients", () => {
    const x = tensor([1, -2], { requires_grad: true });
    const y = x.mul(2);
    const z = y.add(1); // uses y before the in-place ops, so it keeps the old value's node
    y.add_(x);
    y.mul_(3);
    expect(y.is_leaf).toBe(false);
    y.sum().add(z.sum()).backward();
    expectClose(x.grad, [9 + 2, 9 + 2], 0, 0);

    const w = tensor([0.5, 3], { requires_grad: true });
    const t = zeros([2]);
    t.add_(w); // a plain tensor takes a graph from its source
    expect(t.requires_grad).toBe(true);
    t.mul(t).sum().backward();
    expectClose(w.grad, [1, 6], 0, 0);

    const u = tensor([1, 2], { requires_grad: true });
    const v = tensor([4, 5], { requires_grad: true });
    const f = u.mul(2);
    f.fill_(5);
    f.mul(u).sum().backward();
    expectClose(u.grad, [5, 5], 0, 0);
    const c = u.mul(2);
    c.copy_(v);
    expectClose(c, [4, 5], 0, 0);
    c.mul(3).sum().backward();
    expectClose(v.grad, [3, 3], 0, 0);
    expectClose(u.grad, [5, 5], 0, 0); // copy_ gives the overwritten value a zero gradient
  });

  test("a seed gradient given to backward is never modified by accumulation", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const seed = tensor([1, 1]);
    x.backward(seed);
    x.backward(seed);
    expect(seed.tolist()).toEqual([1, 1]);
    expect(x.grad!.tolist()).toEqual([2, 2]);
  });

  test("on a leaf that requires grad, outside no_grad, they throw PyTorch's message", () => {
    const x = tensor([1, 2], { requires_grad: true });
    expect(() => x.add_(1)).toThrow(/a leaf Variable that requires grad is being used in an in-place operation/);
    expect(() => x.zero_()).toThrow(/a leaf Variable that requires grad/);
    no_grad(() => x.add_(1));
    expectClose(x, [2, 3], 0, 0);
  });

  test("add_, sub_, mul_, copy_, zero_ with broadcasting", () => {
    const t = zeros([2, 3]);
    t.add_(tensor([1, 2, 3]));
    t.mul_(tensor([[2], [-1]]));
    t.sub_(1);
    expectClose(t, [1, 3, 5, -2, -3, -4], 0, 0);
    t.add_(tensor([1, 1, 1]), { alpha: -2 });
    expectClose(t, [-1, 1, 3, -4, -5, -6], 0, 0);
    t.copy_(tensor([7, 8, 9]));
    expectClose(t, [7, 8, 9, 7, 8, 9], 0, 0);
    t.copy_(t);
    expectClose(t, [7, 8, 9, 7, 8, 9], 0, 0);
    t.zero_();
    expectClose(t, [0, 0, 0, 0, 0, 0], 0, 0);
    expect(() => t.add_(zeros([2, 2, 3]))).toThrow(/output with shape \[2, 3\] doesn't match the broadcast shape \[2, 2, 3\]/);
  });
});

test("randn([]) is 0-d and manual_seed makes it reproducible", () => {
  manual_seed(7);
  const a = randn([]);
  const b = randn([2, 2]);
  manual_seed(7);
  expect(randn([]).item()).toBe(a.item());
  expect(randn([2, 2]).tolist()).toEqual(b.tolist());
  expect(a.shape).toEqual([]);
});

describe("fused backward rules", () => {
  // A plain backward runs fused one-pass rules, and a full sum hands down one value for
  // some of them; create_graph runs the composed rules. Both must give the same numbers.
  const x0 = [-2, -0.5, 0.25, 1.5, 3];
  test.each([
    ["tanh().sum()", (x: Tensor) => x.tanh().sum(), (v: number) => 1 - Math.tanh(v) ** 2],
    ["sigmoid().mean()", (x: Tensor) => x.sigmoid().mean(), (v: number) => (1 / (1 + Math.exp(-v))) * (1 - 1 / (1 + Math.exp(-v))) / 5],
    ["relu().sum()", (x: Tensor) => x.relu().sum(), (v: number) => (v > 0 ? 1 : 0)],
    ["mul(x).sum()", (x: Tensor) => x.mul(x).sum(), (v: number) => 2 * v],
    ["mul(3).sum()", (x: Tensor) => x.mul(3).sum(), () => 3],
    ["tanh() used twice", (x: Tensor) => { const t = x.tanh(); return t.sum().add(t.mul(2).sum()); }, (v: number) => 3 * (1 - Math.tanh(v) ** 2)],
  ] as const)("%s", (_name, f, df) => {
    const want = x0.map(df);
    const x = tensor(x0, { requires_grad: true });
    f(x).backward();
    expectClose(x.grad, want, 1e-6);
    const y = tensor(x0, { requires_grad: true });
    const [g] = grad(f(y), y, { create_graph: true });
    expectClose(g, want, 1e-6);
  });
});
