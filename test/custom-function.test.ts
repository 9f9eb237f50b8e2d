// wg.autograd.Function, as PyTorch's torch.autograd.Function: user forward and backward
// checked by finite differences (gradcheck, gradgradcheck in float64) and against the
// closed forms of the same functions; then ctx, the refusals, and memory.
import { describe, expect, test } from "vitest";
import { autograd, gradcheck, gradgradcheck, grad, memory, scope, tensor, type FunctionCtx, type Tensor } from "../bindings/index.js";

class Exp extends autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor) { const y = x.exp(); ctx.save_for_backward(y); return y; }
  static override backward(ctx: FunctionCtx, g: Tensor) { return g.mul(ctx.saved_tensors[0]); }
}

// x^2 * c for a number c: backward gives one gradient per argument (null for c)
class ScaledSquare extends autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor, c: number) {
    ctx.save_for_backward(x);
    ctx.c = c;
    return x.square().mul(c);
  }
  static override backward(ctx: FunctionCtx, g: Tensor) {
    const [x] = ctx.saved_tensors;
    return [g.mul(x).mul(2 * (ctx.c as number)), null];
  }
}

// a * b, with needs_input_grad telling which gradients to compute
class Product extends autograd.Function {
  static seen: boolean[] = [];
  static override forward(ctx: FunctionCtx, a: Tensor, b: Tensor) { ctx.save_for_backward(a, b); return a.mul(b); }
  static override backward(ctx: FunctionCtx, g: Tensor) {
    Product.seen = ctx.needs_input_grad.slice();
    const [a, b] = ctx.saved_tensors;
    return [ctx.needs_input_grad[0] ? g.mul(b) : null, ctx.needs_input_grad[1] ? g.mul(a) : null];
  }
}

const f64 = (values: number[], requires_grad = true) => tensor(Float64Array.from(values), { requires_grad });

describe("forward and backward", () => {
  test("gradcheck and gradgradcheck pass through custom Functions", () => {
    const x = f64([0.3, -0.7, 1.1]);
    expect(gradcheck((t) => Exp.apply(t), [x])).toBe(true);
    expect(gradgradcheck((t) => Exp.apply(t), [x])).toBe(true);
    expect(gradcheck((t) => ScaledSquare.apply(t, 1.5), [x])).toBe(true);
    expect(gradgradcheck((t) => ScaledSquare.apply(t, 1.5), [x])).toBe(true);
    expect(gradcheck((a, b) => Product.apply(a, b), [x, f64([2, 3, -1])])).toBe(true);
  });

  test("values and gradients are the closed forms", () => {
    const x = f64([0, 1, 2]);
    const y = ScaledSquare.apply(x, 3);
    expect(Array.from(y.toTypedArray())).toEqual([0, 3, 12]);
    y.sum().backward();
    expect(Array.from(x.grad!.toTypedArray())).toEqual([0, 6, 12]);
    expect(y.grad_fn!.name()).toBe("ScaledSquareBackward");
    expect(String(y)).toContain("grad_fn=<ScaledSquareBackward>");
  });

  test("needs_input_grad follows requires_grad; the other gradient is not asked for", () => {
    const a = f64([1, 2]), b = f64([3, 4], false);
    Product.apply(a, b).sum().backward();
    expect(Product.seen).toEqual([true, false]);
    expect(Array.from(a.grad!.toTypedArray())).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });

  test("a Function inside a graph, and returning its own argument", () => {
    class Identity extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor) { return x; }
      static override backward(_ctx: FunctionCtx, g: Tensor) { return g.mul(1); }
    }
    const x = f64([1, 2]);
    const y = Identity.apply(x.mul(3));
    expect(y).not.toBe(x);
    const [gx] = grad(y.square().sum(), [x]); // d/dx (3x)^2 = 18 x
    expect(Array.from(gx!.toTypedArray())).toEqual([18, 36]);
  });

  test("mark_non_differentiable, and no recording under no_grad or for inputs without grad", () => {
    class ArgMax extends autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor) { const i = x.argmax().float(); ctx.mark_non_differentiable(i); return i; }
    }
    expect(ArgMax.apply(f64([1, 5, 2])).requires_grad).toBe(false);
    expect(Exp.apply(f64([1], false)).requires_grad).toBe(false);
  });
});

describe("refusals name the Function", () => {
  test("a wrong number of gradients, a wrong shape, a thrown error, a bad output", () => {
    class Wrong extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor, _c: number) { return x.mul(2); }
      static override backward(_ctx: FunctionCtx, g: Tensor) { return g; }
    }
    expect(() => Wrong.apply(f64([1]), 2).sum().backward()).toThrow(
      "function WrongBackward returned an incorrect number of gradients (expected 2, got 1)");
    class Misshapen extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor) { return x.mul(2); }
      static override backward() { return tensor([1, 2, 3], { dtype: "float64" }); }
    }
    expect(() => Misshapen.apply(f64([1, 2])).sum().backward()).toThrow(
      "function MisshapenBackward returned an invalid gradient at index 0 - got [3] but expected shape compatible with [2]");
    class Throws extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor) { return x.mul(2); }
      static override backward(): Tensor { throw new RangeError("no gradient today"); }
    }
    expect(() => Throws.apply(f64([1])).sum().backward()).toThrow("Throws.backward(): no gradient today");
    class BadForward extends autograd.Function {
      static override forward() { return 3; }
    }
    expect(() => BadForward.apply(f64([1]))).toThrow("BadForward.forward() must return a Tensor or an array of Tensors, got number 3");
    class NoBackward extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor) { return x.mul(2); }
    }
    expect(() => NoBackward.apply(f64([1])).sum().backward()).toThrow("NoBackward: backward is not implemented");
    // the engine is left usable
    const x = f64([2]);
    Exp.apply(x).sum().backward();
    expect(x.grad!.item()).toBeCloseTo(Math.exp(2), 12);
  });

  test("backward from inside a backward is refused", () => {
    class Nested extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor) { return x.mul(2); }
      static override backward(_ctx: FunctionCtx, g: Tensor) { f64([1]).mul(2).sum().backward(); return g; }
    }
    expect(() => Nested.apply(f64([1])).sum().backward()).toThrow("can't run a backward pass from inside another one");
  });
});

test("training steps with a custom Function inside scope leak nothing", () => {
  const x = f64([0.5, 1]);
  const step = () => scope(() => {
    const loss = scope(() => ScaledSquare.apply(Exp.apply(x), 2).sum());
    loss.backward();
  });
  step();
  x.grad = null;
  const before = memory().tensors;
  for (let i = 0; i < 3; i++) { step(); x.grad = null; }
  expect(memory().tensors).toBe(before);
});

test("a custom Function's saved tensors are freed with its graph when no backward runs", () => {
  const x = f64([0.5, 1]);
  // evaluation with grad mode on: the graph (and what the contexts saved) goes with the scope
  const step = () => scope(() => { ScaledSquare.apply(Exp.apply(x), 2).sum().item(); });
  step();
  const before = memory().tensors;
  for (let i = 0; i < 3; i++) step();
  expect(memory().tensors).toBe(before);
  // and a graph kept alive keeps them: its backward still runs after others were dropped
  const kept = Exp.apply(x);
  step();
  kept.sum().backward();
  const g = x.grad!.toTypedArray();
  [Math.exp(0.5), Math.exp(1)].forEach((e, i) => expect(g[i]).toBeCloseTo(e, 14));
  x.grad = null;
});

test("a saved output is read back by backward though its handle is gone, as often as the graph is kept", () => {
  const x = f64([0.5, 1]);
  const before = memory().tensors;
  const z = scope(() => Exp.apply(x).mul(3)); // Exp's output survives only inside z's graph
  scope(() => z.sum().backward(null, { retain_graph: true }));
  scope(() => z.sum().backward());
  const g = scope(() => x.grad!.toTypedArray());
  [0.5, 1].forEach((v, i) => expect(g[i]).toBeCloseTo(6 * Math.exp(v), 13));
  x.grad = null;
  z.dispose();
  expect(memory().tensors).toBe(before);
});

describe("forward mode through a custom Function", () => {
  const { dual_level, make_dual, unpack_dual } = autograd.forward_ad;

  // a * b with a jvp of its own, saved for it with save_for_forward
  class Product extends autograd.Function {
    static override forward(ctx: FunctionCtx, a: Tensor, b: Tensor) { ctx.save_for_forward(a, b); return a.mul(b); }
    static override backward(ctx: FunctionCtx, g: Tensor) { return [g, g]; } // not used here
    static override jvp(ctx: FunctionCtx, ta: Tensor, tb: Tensor) {
      const [a, b] = ctx.saved_tensors;
      return ta.mul(b).add(a.mul(tb));
    }
  }
  const f64 = (values: number[]) => tensor(Float64Array.from(values));

  test("the output's tangent is jvp's: d(ab) = da b + a db, zeros for an argument without a tangent", () => {
    dual_level(() => {
      const a = make_dual(f64([1, 2]), f64([10, 20])), b = f64([3, 4]);
      expect(Array.from(unpack_dual(Product.apply(a, b)).tangent!.toTypedArray())).toEqual([30, 80]);
      const both = make_dual(f64([3, 4]), f64([1, -1]));
      expect(Array.from(unpack_dual(Product.apply(a, both)).tangent!.toTypedArray())).toEqual([10 * 3 + 1 * 1, 20 * 4 - 2]);
    });
  });

  test("forward runs without tangents, so jvp alone decides, and its tangent is checked", () => {
    class WrongJvp extends autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor) { return x.exp(); }
      static override jvp(ctx: FunctionCtx, t: Tensor) { return t.mul(0); }
    }
    class BadShape extends autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor) { return x.exp(); }
      static override jvp(ctx: FunctionCtx, t: Tensor) { return t.sum(); }
    }
    dual_level(() => {
      const x = make_dual(f64([0, 1]), f64([1, 1]));
      expect(Array.from(unpack_dual(WrongJvp.apply(x)).tangent!.toTypedArray())).toEqual([0, 0]);
      expect(() => BadShape.apply(x)).toThrow("BadShape.jvp() returned a tangent of shape [] for an output of shape [2]");
    });
  });

  test("a custom Function without jvp refuses dual inputs, with PyTorch's message, and still runs outside a level", () => {
    dual_level(() => {
      const x = make_dual(f64([1, 2]), f64([1, 1]));
      expect(() => Exp.apply(x)).toThrow(/Exp\.jvp\(\): Exp: jvp is not implemented. You must implement the jvp function/);
      expect(Array.from(Exp.apply(f64([0])).toTypedArray())).toEqual([1]); // no dual input: no jvp needed
    });
  });

  test("jvp composes with reverse mode: the tangent is differentiable in the inputs", () => {
    const a = f64([1, 2]).requires_grad_(), b = f64([3, 4]);
    dual_level(() => {
      const tangent = unpack_dual(Product.apply(make_dual(a, f64([1, 1])), b)).tangent!; // = b
      expect(Array.from(tangent.toTypedArray())).toEqual([3, 4]);
      const [g] = grad(tangent.mul(a).sum(), [a]); // d/da sum(b * a) = b
      expect(Array.from(g!.toTypedArray())).toEqual([3, 4]);
    });
  });
});

describe("custom Functions of several outputs", () => {
  // [sin x, cos x]: backward gets one gradient per output (zeros for an unused one)
  class SinCos extends autograd.Function {
    static override forward(ctx: FunctionCtx, x: Tensor) { ctx.save_for_backward(x); return [x.sin(), x.cos()]; }
    static override backward(ctx: FunctionCtx, gs: Tensor, gc: Tensor) {
      const [x] = ctx.saved_tensors;
      return gs.mul(x.cos()).sub(gc.mul(x.sin()));
    }
    static override jvp(ctx: FunctionCtx, t: Tensor) {
      const [x] = ctx.saved_tensors;
      return [t.mul(x.cos()), t.mul(x.sin()).neg()];
    }
  }
  // the largest element and where it is: the index is not differentiable
  class MaxAt extends autograd.Function {
    static override forward(ctx: FunctionCtx, x: Tensor) {
      const { values, indices } = x.max(0, true);
      ctx.save_for_backward(indices);
      ctx.shape = x.shape;
      ctx.mark_non_differentiable(indices);
      return [values, indices];
    }
    static override backward(ctx: FunctionCtx, g: Tensor) {
      const [indices] = ctx.saved_tensors;
      const zeros = tensor(new Float64Array((ctx.shape as number[])[0]));
      const grad = zeros.scatter(0, indices, g);
      zeros.dispose();
      return grad;
    }
  }
  const xs = [0.3, -1.2, 2.0];
  const f64 = (values: number[]) => tensor(Float64Array.from(values));

  test("the gradient through both outputs, or one, is the closed form's; gradcheck agrees", () => {
    const x = f64(xs).requires_grad_();
    const [s, c] = SinCos.apply(x);
    expect(s.grad_fn!.name()).toBe("SinCosBackward");
    s.mul(2).add(c.mul(3)).sum().backward();
    expect(Array.from(x.grad!.toTypedArray())).toEqual(xs.map((v) => 2 * Math.cos(v) - 3 * Math.sin(v)));
    x.grad = null;
    SinCos.apply(x)[1].sum().backward(); // only cos used
    expect(Array.from(x.grad!.toTypedArray())).toEqual(xs.map((v) => -Math.sin(v)));
    expect(gradcheck((t) => SinCos.apply(t), [f64(xs).requires_grad_()], { check_forward_ad: true })).toBe(true);
  });

  test("a non-differentiable output does not require grad, and the saved tensors go once every node ran", () => {
    const x = f64(xs).requires_grad_();
    const before = memory().tensors;
    scope(() => {
      const [value, index] = MaxAt.apply(x);
      expect(index.requires_grad).toBe(false);
      expect(index.dtype).toBe("int32");
      value.sum().backward();
      expect(Array.from(x.grad!.toTypedArray())).toEqual([0, 0, 1]);
      x.grad = null;
    });
    expect(memory().tensors).toBe(before);
  });

  // [sin x, cos x] saving its outputs, which backward reads: each is the other's derivative
  class SinCosSaved extends autograd.Function {
    static override forward(ctx: FunctionCtx, x: Tensor) {
      const s = x.sin(), c = x.cos();
      ctx.save_for_backward(s, c);
      return [s, c];
    }
    static override backward(ctx: FunctionCtx, gs: Tensor, gc: Tensor) {
      const [s, c] = ctx.saved_tensors;
      return gs.mul(c).sub(gc.mul(s));
    }
  }

  test("saved outputs: read by one output's backward after the other was dropped, and freed with the graph", () => {
    const x = f64(xs).requires_grad_();
    const before = memory().tensors;
    // evaluation with grad mode on: nothing of the calls is left once their outputs go
    for (let i = 0; i < 3; i++) scope(() => { SinCosSaved.apply(x)[0].sum().item(); });
    expect(memory().tensors).toBe(before);
    // the sine's handle is gone, the cosine's node still reads it
    const c = scope(() => SinCosSaved.apply(x)[1]);
    scope(() => c.sum().backward());
    const g = scope(() => Array.from(x.grad!.toTypedArray()));
    g.forEach((v, i) => expect(v).toBeCloseTo(-Math.sin(xs[i]), 14));
    x.grad = null;
    c.dispose();
    expect(memory().tensors).toBe(before);
  });

  test("jvp gives each output its tangent", () => {
    autograd.forward_ad.dual_level(() => {
      const x = autograd.forward_ad.make_dual(f64(xs), f64([1, 2, 3]));
      const [s, c] = SinCos.apply(x).map((o) => autograd.forward_ad.unpack_dual(o).tangent!);
      expect(Array.from(s.toTypedArray())).toEqual(xs.map((v, i) => (i + 1) * Math.cos(v)));
      expect(Array.from(c.toTypedArray())).toEqual(xs.map((v, i) => -(i + 1) * Math.sin(v)));
    });
  });
});
