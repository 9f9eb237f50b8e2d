// Deterministic release: dispose(), `using`, and scope().
import { describe, expect, test } from "vitest";
import { tensor, zeros, scope, memory, no_grad, type Tensor } from "../bindings/index.js";

describe("scope", () => {
  test("releases what was created inside, except what is returned", () => {
    const before = memory();
    const x = tensor([1, 2, 3], { requires_grad: true });
    const kept = scope(() => {
      const y = x.mul(x).add(1);
      y.sum().backward();
      return { y, pair: [y.mul(2)] };
    });
    expect(kept.y.tolist()).toEqual([2, 5, 10]);
    expect(kept.pair[0].tolist()).toEqual([4, 10, 20]);
    const g = x.grad!;
    expect(g.tolist()).toEqual([2, 4, 6]);
    for (const t of [g, kept.y, kept.pair[0], x]) t.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });

  test("a training loop in a scope per step keeps memory flat", () => {
    const w = tensor([0.5, -0.5], { requires_grad: true });
    const data = tensor([[1, 2], [3, 4], [5, 6]]);
    const target = tensor([1, 2, 3]);
    const step = () => scope(() => {
      const loss = data.matmul(w).sub(target).pow(2).mean();
      loss.backward();
      no_grad(() => w.sub_(w.grad!.mul(0.02)));
      w.grad!.zero_();
      return loss.item();
    });
    const first = step();
    const settled = memory();
    let last = 0;
    for (let i = 0; i < 200; i++) last = step();
    expect(memory()).toEqual(settled);
    expect(last).toBeLessThan(first / 2);
  });

  test("nested scopes hand returned tensors to the outer scope", () => {
    const before = memory().tensors;
    let inner: Tensor | null = null;
    scope(() => {
      inner = scope(() => zeros([2]).add(1));
      expect(inner.tolist()).toEqual([1, 1]);
      expect(memory().tensors).toBe(before + 1);
    });
    expect(() => inner!.add(1)).toThrow(/disposed/);
    expect(memory().tensors).toBe(before);
  });

  test("a throwing fn releases everything it created", () => {
    const before = memory().tensors;
    expect(() => scope(() => { zeros([3]).mul(2); throw new Error("boom"); })).toThrow("boom");
    expect(memory().tensors).toBe(before);
  });
});

describe("dispose", () => {
  test("using disposes at the end of the block", () => {
    const before = memory().tensors;
    {
      using t = zeros([4]);
      expect(memory().tensors).toBe(before + 1);
      expect(t.numel()).toBe(4);
    }
    expect(memory().tensors).toBe(before);
  });

  test("dispose is idempotent and keeps graphs that use the tensor working", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const y = x.mul(3);
    const z = y.mul(y);
    y.dispose();
    y.dispose();
    z.sum().backward();
    expect(x.grad!.tolist()).toEqual([18, 36]);
  });
});
