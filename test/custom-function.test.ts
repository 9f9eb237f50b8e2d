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
    expect(() => BadForward.apply(f64([1]))).toThrow("BadForward.forward() must return a Tensor, got number 3");
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
