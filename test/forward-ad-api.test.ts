// wg.autograd.forward_ad's behaviour around the values: levels, errors, what carries a
// tangent and what does not, memory, and how forward mode composes with reverse mode. The
// tangents of the ops themselves are checked against PyTorch in forward-ad.test.ts and
// against finite differences in gradcheck.test.ts.
import { describe, expect, test } from "vitest";
import { autograd, grad, memory, no_grad, randn, scope, tensor, type Tensor } from "../bindings/index.js";
import { expectClose } from "./helpers.js";

const { dual_level, make_dual, unpack_dual } = autograd.forward_ad;
const f64 = (values: number[], shape?: number[]) => tensor(Float64Array.from(values), shape ? { shape } : {});
const values = (t: Tensor | null) => Array.from(t!.toTypedArray());

describe("dual levels", () => {
  test("dual_level returns fn's value and tangents live only inside it", () => {
    const x = f64([1, 2, 3]), v = f64([1, 0, -1]);
    let inside: number[] = [];
    const y = dual_level(() => {
      const d = make_dual(x, v);
      const out = d.square();
      inside = values(unpack_dual(out).tangent);
      return out;
    });
    expect(inside).toEqual([2, 0, -6]); // 2 x v
    expect(values(y)).toEqual([1, 4, 9]);
    expect(unpack_dual(y).tangent).toBeNull();
    dual_level(() => expect(unpack_dual(y).tangent).toBeNull()); // a new level sees none
  });

  test("levels do not nest, and make_dual needs one", () => {
    expect(() => dual_level(() => dual_level(() => 0))).toThrow(/Nested forward mode AD is not supported/);
    expect(() => make_dual(f64([1]), f64([1]))).toThrow(/no level exists/);
    dual_level(() => 0); // the refused inner level left the outer one closed properly
  });

  test("make_dual refuses a tangent of another shape or dtype, and integer primals", () => {
    dual_level(() => {
      expect(() => make_dual(f64([1, 2, 3]), f64([1, 2]))).toThrow(
        "Tensor is of size [3] while the given forward gradient is of size [2]");
      expect(() => make_dual(f64([1, 2]), tensor([1, 2], { dtype: "float32" }))).toThrow(/dtype of the primal \(float64\)/);
      expect(() => make_dual(tensor([1, 2], { dtype: "int32" }), tensor([1, 2], { dtype: "int32" }))).toThrow(
        /Expected primal to be floating point, but got: int32/);
      expect(() => make_dual(f64([1]), [1] as unknown as Tensor)).toThrow(TypeError);
    });
  });

  test("the tangents of a level are freed when it ends", () => {
    const x = randn([50, 50], { dtype: "float64" }), v = randn([50, 50], { dtype: "float64" });
    const before = memory().tensors;
    dual_level(() => scope(() => {
      const y = make_dual(x, v).matmul(x).tanh().sum();
      expect(unpack_dual(y).tangent).not.toBeNull();
    }));
    expect(memory().tensors).toBe(before);
  });
});

describe("what carries a tangent", () => {
  test("make_dual copies: later writes to its arguments do not reach the dual", () => {
    const x = f64([1, 2]), v = f64([3, 4]);
    dual_level(() => {
      const d = make_dual(x, v);
      x.fill_(0);
      v.fill_(0);
      expect(values(d)).toEqual([1, 2]);
      expect(values(unpack_dual(d).tangent)).toEqual([3, 4]);
    });
  });

  test("detach() and unpack_dual's primal show the values without the tangent, as in PyTorch", () => {
    dual_level(() => {
      const d = make_dual(f64([1, 2, 3]), f64([1, 1, 1]));
      const { primal, tangent } = unpack_dual(d);
      expect(values(primal)).toEqual([1, 2, 3]);
      expect(values(tangent)).toEqual([1, 1, 1]);
      expect(unpack_dual(primal).tangent).toBeNull();
      expect(unpack_dual(primal.index("1:")).tangent).toBeNull(); // nor its views
      expect(unpack_dual(d.detach()).tangent).toBeNull();
      expect(unpack_dual(d.detach().exp()).tangent).toBeNull();
    });
  });

  test("no_grad does not stop forward mode, which records nothing for backward", () => {
    dual_level(() => {
      const d = make_dual(f64([0, 1]), f64([2, 3]));
      const y = no_grad(() => d.exp());
      expectClose(unpack_dual(y).tangent, [2, 3 * Math.E], 1e-12);
    });
  });

  test("integer and bool results have no tangent", () => {
    dual_level(() => {
      const d = make_dual(f64([0.5, -1, 2]), f64([1, 1, 1]));
      expect(unpack_dual(d.gt(0)).tangent).toBeNull();
      expect(unpack_dual(d.argmax()).tangent).toBeNull();
      expect(unpack_dual(d.sort().indices).tangent).toBeNull();
    });
  });

  test("in-place writes carry tangents: a view's write reaches its base, and copy_ of a plain value zeroes it", () => {
    dual_level(() => {
      const base = make_dual(f64([1, 2, 3, 4]), f64([1, 1, 1, 1]));
      const seen = base.index("0:2"); // a view taken before the writes
      base.index("1:3").mul_(f64([10, 100]));
      base.index("3:").copy_(f64([7]));
      expect(values(base)).toEqual([1, 20, 300, 7]);
      expect(values(unpack_dual(base).tangent)).toEqual([1, 10, 100, 0]);
      expect(values(unpack_dual(seen).tangent)).toEqual([1, 10]);
      const plain = f64([0, 0]);
      plain.add_(base.index("0:2")); // a plain tensor written from a dual one gains its tangent
      expect(values(unpack_dual(plain).tangent)).toEqual([1, 10]);
      base.zero_();
      expect(values(unpack_dual(base).tangent)).toEqual([0, 0, 0, 0]);
    });
  });
});

describe("forward mode composes with reverse mode", () => {
  test("an in-place write of a tangent that requires grad keeps its graph", () => {
    const v = f64([1, 2, 3]).requires_grad_();
    dual_level(() => {
      const target = f64([0, 0, 0, 0]);
      target.index("1:").copy_(make_dual(f64([5, 6, 7]), v));
      const tangent = unpack_dual(target).tangent!;
      expect(values(tangent)).toEqual([0, 1, 2, 3]);
      expect(tangent.requires_grad).toBe(true);
      const [g] = grad(tangent.mul(f64([10, 20, 30, 40])).sum(), [v]);
      expect(values(g)).toEqual([20, 30, 40]);
    });
  });

  // f(x) = sum(sin(x) * x^2) + prod(x[:2]): its Hessian-vector product in closed form
  const fn = (x: Tensor) => x.sin().mul(x.square()).sum().add(x.index(":2").prod());
  const hessianTimes = (x: number[], v: number[]) => x.map((xi, i) => {
    const diag = (2 - xi * xi) * Math.sin(xi) + 4 * xi * Math.cos(xi); // d2/dx2 of x^2 sin x
    const cross = i === 0 ? v[1] : i === 1 ? v[0] : 0; // d2 (x0 x1) / dx0 dx1 = 1
    return diag * v[i] + cross;
  });
  const x0 = [0.3, -1.2, 2.5, 0.7], v0 = [1, -0.5, 0.25, 2];

  test("forward over reverse: the tangent of the gradient is H v, as reverse over reverse gives", () => {
    const x = f64(x0).requires_grad_();
    const fwd = dual_level(() => {
      const d = make_dual(x, f64(v0));
      const [g] = grad(fn(d), [d]);
      return values(unpack_dual(g!).tangent);
    });
    expectClose(f64(fwd), hessianTimes(x0, v0), 1e-12, 1e-12);
    const [, rev] = autograd.functional.hvp(fn, x, f64(v0));
    expectClose(f64(fwd), values(rev as Tensor), 1e-12, 1e-12);
  });

  test("forward over reverse through backward() and .grad", () => {
    const x = f64(x0).requires_grad_();
    dual_level(() => {
      const d = make_dual(x, f64(v0));
      d.retain_grad();
      fn(d).backward();
      expectClose(unpack_dual(d.grad!).tangent, hessianTimes(x0, v0), 1e-12, 1e-12);
    });
  });

  test("reverse over forward: the gradient of the JVP <grad f, v> is H v", () => {
    const x = f64(x0).requires_grad_();
    const hv = dual_level(() => {
      const d = make_dual(x, f64(v0));
      const jvp = unpack_dual(fn(d)).tangent!;
      expect(jvp.requires_grad).toBe(true);
      return grad(jvp, [x])[0]!;
    });
    expectClose(hv, hessianTimes(x0, v0), 1e-12, 1e-12);
  });
});
