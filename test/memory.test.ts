// Memory stays bounded without dispose(): tensors held only by their handle are evicted
// from wasm memory and come back, unchanged, when used again.
import { describe, expect, test } from "vitest";
import { tensor, randn, zeros, memory, no_grad, manual_seed, scope, cat, type Tensor } from "../bindings/index.js";
import { expectClose } from "./helpers.js";

const MiB = 1024 * 1024;

// Allocates (4 MiB at a time, up to 1 GiB) until t is moved out of wasm memory; returns
// whether it was, so that each test knows it tested something.
function churn(t: Tensor): boolean {
  for (let i = 0; i < 256 && t._evicted === null; i++) zeros([1024, 1024]);
  return t._evicted !== null;
}

describe("a training loop without dispose()", () => {
  test("20,000 SGD steps of a small MLP: wasm memory stays flat after warm-up", () => {
    manual_seed(3);
    const x = randn([32, 8]);
    const y = x.sum(1, true).sin();
    const w1 = randn([8, 16]).mul(0.3).requires_grad_();
    const b1 = zeros([16], { requires_grad: true });
    const w2 = randn([16, 1]).mul(0.3).requires_grad_();
    const params = [w1, b1, w2];
    const step = (): number => {
      for (const p of params) p.grad?.zero_();
      const loss = x.matmul(w1).add(b1).tanh().matmul(w2).sub(y).pow(2).mean();
      loss.backward();
      no_grad(() => { for (const p of params) p.sub_(p.grad!.mul(0.05)); });
      return loss.item();
    };
    const first = step();
    for (let i = 0; i < 1000; i++) step();
    const warm = memory();
    let last = 0;
    for (let i = 0; i < 19000; i++) last = step();
    const end = memory();
    expect(end.wasmBytes - warm.wasmBytes).toBeLessThan(64 * MiB);
    expect(end.tensors).toBeLessThan(40000);
    expect(last).toBeLessThan(first / 4);
  });

  test("an inference loop under no_grad stays bounded too", () => {
    const w = randn([256, 256]);
    const before = memory();
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      total += no_grad(() => randn([16, 256]).matmul(w).relu().sum().item());
    }
    expect(Number.isFinite(total)).toBe(true);
    expect(memory().wasmBytes - before.wasmBytes).toBeLessThan(64 * MiB);
  });
});

describe("eviction is invisible", () => {
  test("a tensor held by the user keeps its values, shape and version", () => {
    const kept = tensor([[1, 2, 3], [4, 5, 6]]);
    kept.mul_(2);
    expect(churn(kept)).toBe(true);
    expect(kept.shape).toEqual([2, 3]);
    expect(kept._version).toBe(1);
    expect(kept.tolist()).toEqual([[2, 4, 6], [8, 10, 12]]);
    expectClose(kept.add(1), [3, 5, 7, 9, 11, 13], 0, 0);
  });

  test("an intermediate whose graph was swept keeps its grad_fn and still refuses a second backward", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const y = x.mul(x);
    y.sum().backward();
    expect(churn(y)).toBe(true);
    expect(y.grad_fn?.name()).toBe("MulBackward");
    expect(y.requires_grad).toBe(true);
    expect(y.tolist()).toEqual([1, 4]);
    expect(() => y.sum().backward()).toThrow(/Trying to backward through the graph a second time/);
    expectClose(x.grad, [2, 4], 0, 0);
  });

  test("graphs not yet swept, parameters and gradients are never evicted", () => {
    const w = tensor([1, 2, 3], { requires_grad: true });
    const out = w.exp().mul(w).sum();
    w.mul(2).sum().backward();
    const grad: Tensor = w.grad!;
    expect(churn(tensor([0]))).toBe(true); // a pass has run since w, grad and out were last used
    expect(churn(tensor([0]))).toBe(true);
    expect([w, grad, out].map((t) => t._evicted)).toEqual([null, null, null]);
    out.backward();
    expectClose(grad, [1, 2, 3].map((v) => 2 + Math.exp(v) * (1 + v)), 1e-6);
  });

  test("disposing an evicted tensor, then using it, says it was disposed", () => {
    const t = tensor([1, 2, 3]);
    expect(churn(t)).toBe(true);
    t.dispose();
    expect(() => t.sum()).toThrow(/sum\(\): this tensor was disposed/);
    expect(String(t)).toBe("tensor(<disposed>)");
  });
});

describe("in-place ops through views hold no memory once their tensors are gone", () => {
  // A rewritten base's history is held by the root while its views may need it (to
  // regenerate theirs), and the pair is freed with the last view.
  test("200 steps of writes through views, with the base disposed early", () => {
    const x = randn([4, 3], { requires_grad: true });
    const before = memory();
    for (let i = 0; i < 200; i++) {
      scope(() => {
        const h = x.mul(1), v = h.select(0, 1), u = h.T;
        v.mul_(2);
        h.add_(1);
        u.narrow(0, 0, 1).mul_(3);
        h.dispose();
        v.sum().add(u.sum()).backward();
      });
    }
    // x.grad is all that is new
    expect(memory().tensors).toBe(before.tensors + 1);
    expect(memory().bytes).toBe(before.bytes + 48);
    // PyTorch 1.13 gives x.grad [3, 1, 1, 12, 4, 4, 3, 1, 1, 3, 1, 1] for one step (the same
    // program, with h deleted before backward)
    const once = [3, 1, 1, 12, 4, 4, 3, 1, 1, 3, 1, 1];
    expect(Array.from(x.grad!.toTypedArray())).toEqual(once.map((g) => 200 * g));
  });

  // The root and its history hold each other; nothing else does once the step's tensors
  // are gone, whether or not a backward swept the graph.
  test.each([
    ["no backward", () => {}],
    ["backward that retains the graph", (loss: Tensor) => loss.backward(undefined, { retain_graph: true })],
    ["backward that records the graph", (loss: Tensor) => loss.backward(undefined, { create_graph: true })],
  ] as const)("writes through views of a non-leaf and cat, with %s", (_name, sweep) => {
    const x = randn([4, 3], { dtype: "float64", requires_grad: true });
    const step = () => scope(() => {
      const h = x.mul(1);
      h.select(0, 1).mul_(2);
      h.narrow(1, 0, 2).add_(h.narrow(1, 1, 2).mul(3));
      const joined = cat([h, x.roll(1, 0), x.diag_embed().sum(0)]);
      sweep(joined.pow(2).sum());
      x.grad = null;
    });
    step();
    const before = memory().tensors;
    for (let i = 0; i < 20; i++) step();
    expect(memory().tensors).toBe(before);
  });
});
