// wg.autograd.gradcheck and gradgradcheck, as torch.autograd's: they pass for right
// gradients and name the output, the input and both Jacobians for wrong ones.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { tensor, type Tensor } from "../bindings/index.js";

const f64 = (values: number[], shape?: number[]) =>
  tensor(Float64Array.from(values), { shape, requires_grad: true });

// x * x with the second factor detached from the graph: the gradient comes out as x, not 2x.
const halfDetached = (x: Tensor) => x.mul(x.detach());
// (2 + d) x c - (1 + d) c c with c = x detached: its value is x², its gradient (2 + d) x.
const squareWithError = (d: number) => (x: Tensor) => {
  const c = x.detach();
  return x.mul(c).mul(2 + d).sub(c.mul(c).mul(1 + d));
};
// x² whose gradient has the right values (2x) but is a constant of the graph: its
// derivative comes out as 0, not 2.
const squareWithDetachedTerms = squareWithError(0);

describe("gradcheck", () => {
  test("passes for right gradients, over several inputs and outputs", () => {
    const a = f64([0.3, -1.2, 2], [3]), b = f64([0.7, 0.1, -0.5, 1.5, 2, -2], [2, 3]);
    expect(wg.autograd.gradcheck((x, y) => x.mul(y).tanh().sum(0), [a, b])).toBe(true);
    expect(wg.gradcheck((x, y) => [x.exp(), y.matmul(x).sigmoid()], [a, b])).toBe(true);
    const constant = tensor([1, 2], { dtype: "float64" }); // not differentiated
    expect(wg.gradcheck((x, c) => x.pow(c.add(1)), [f64([1.5, 0.5]), constant])).toBe(true);
  });

  test("names the output, the input and both Jacobians on a mismatch", () => {
    const x = f64([1, 2]);
    let message = "";
    try {
      wg.autograd.gradcheck(halfDetached, [x]);
    } catch (error) {
      expect(error).toBeInstanceOf(wg.GradcheckError);
      message = (error as Error).message;
    }
    expect(message).toBe("Jacobian mismatch for output 0 with respect to input 0 (output shape [2], input shape [2]),\n" +
      "numerical:tensor([[2.0000, 0.0000],\n        [0.0000, 4.0000]], dtype=torch.float64)\n" +
      "analytical:tensor([[1., 0.],\n        [0., 2.]], dtype=torch.float64)\n");
    expect(wg.gradcheck(halfDetached, [x], { raise_exception: false })).toBe(false);
  });

  test("tolerances and eps are options, checked like every options object", () => {
    const x = f64([1, 2]);
    expect(wg.gradcheck(squareWithError(1e-3), [x])).toBe(true); // a relative error of 5e-4
    expect(wg.gradcheck(squareWithError(1e-2), [x], { raise_exception: false })).toBe(false);
    expect(wg.gradcheck(squareWithError(1e-2), [x], { rtol: 1e-2 })).toBe(true);
    expect(() => wg.gradcheck((t) => t, [x], { tol: 1 } as never)).toThrow("gradcheck(): unexpected option 'tol'");
    expect(() => wg.gradcheck((t) => t, [tensor([1], { dtype: "float64" })]))
      .toThrow("gradcheck expects at least one input tensor to require gradient");
  });

  test("float32 inputs are refused loudly by the tolerances, with a note why", () => {
    const x = tensor([0.5, 1.5], { requires_grad: true });
    expect(() => wg.gradcheck((t) => t.exp(), [x])).toThrow(/input 0 is float32: gradcheck is meant for float64 inputs/);
  });
});

describe("gradgradcheck", () => {
  test("passes for right second derivatives", () => {
    const a = f64([0.3, -1.2, 2], [3]), b = f64([0.7, 0.1, -0.5, 1.5, 2, -2], [2, 3]);
    expect(wg.autograd.gradgradcheck((x, y) => x.mul(y).tanh().sum(0), [a, b])).toBe(true);
    expect(wg.gradgradcheck((x) => x.softmax(0), [a])).toBe(true);
    const v = tensor([1, -1, 2], { dtype: "float64" });
    expect(wg.gradgradcheck((x) => x.exp(), [a], { grad_outputs: v })).toBe(true);
  });

  test("catches a first derivative whose values are right but whose graph is not", () => {
    const x = f64([1.5, -0.5]);
    expect(wg.gradcheck(squareWithDetachedTerms, [x])).toBe(true);
    expect(() => wg.gradgradcheck(squareWithDetachedTerms, [x])).toThrow(wg.GradcheckError);
  });
});
