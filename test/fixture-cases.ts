// Reading the PyTorch fixtures of test/fixtures/generate_sort.py and generate_order.py: one
// case is a method called with positional arguments (and PyTorch's keywords as an options
// object) on an input given by its values, perhaps transposed.
import { expect } from "vitest";
import { Tensor, tensor, type DType } from "../bindings/index.js";

export type Value = number | boolean | string | null;
export interface Spec { shape: number[]; dtype?: DType; values: Value[]; transposed?: boolean }
export interface Described { shape: number[]; dtype: string; values: Value[] }
export interface MethodCase {
  name: string; method: string; args: Value[]; kwargs: Record<string, Value>; input: Spec;
  out?: Described; values?: Described; indices?: Described; outs?: Described[]; weights?: Value[]; grad?: Value[];
}

/** A JSON value as a number: NaN is null, the infinities are strings, booleans count as 0/1. */
export function decoded(v: Value): number {
  if (v === null) return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return Number(v);
}
export const numbers = (vs: Value[]) => vs.map(decoded);
export const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>);

/** The leaf holding the values (floating ones require grad), and the op's input (its transpose when the case says so). */
export function inputOf(spec: Spec): { leaf: Tensor; x: Tensor } {
  const stored = spec.transposed ? spec.shape.slice().reverse() : spec.shape;
  const dtype = spec.dtype ?? "float64";
  const leaf = dtype === "bool"
    ? tensor(spec.values.map(Boolean), { dtype: "bool" }).reshape(stored)
    : tensor({ float32: Float32Array, float64: Float64Array, int32: Int32Array }[dtype].from(numbers(spec.values)),
      { shape: stored, requires_grad: dtype !== "int32" });
  return { leaf, x: spec.transposed ? leaf.T : leaf };
}

export function expectClose(got: number[], want: Value[], what: string): void {
  expect(got.length, what).toBe(want.length);
  numbers(want).forEach((v, i) => {
    if (Number.isNaN(v)) expect(got[i], `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(v)) expect(got[i], `${what}[${i}]`).toBe(v);
    else expect(got[i], `${what}[${i}]`).toBeCloseTo(v, 5);
  });
}

export function expectTensor(t: Tensor, want: Described, what: string): void {
  expect(t.shape, what).toEqual(want.shape);
  expect(t.dtype, what).toBe(want.dtype);
  expectClose(flat(t), want.values, what);
}

/** The case's call: positional arguments (NaN and the infinities decoded), then the keywords as an options object. */
export function call<R>(c: MethodCase, x: Tensor): R {
  const args = c.args.map((a) => (a === null || a === "inf" || a === "-inf" ? decoded(a) : a));
  const method = (x as unknown as Record<string, (...a: unknown[]) => R>)[c.method];
  return Object.keys(c.kwargs).length > 0 ? method.call(x, ...args, c.kwargs) : method.call(x, ...args);
}

/** A case's gradient check: none when PyTorch's result needs none, else d sum(out * weights) / d leaf. */
export function expectWeightedGrad(out: Tensor, leaf: Tensor, c: MethodCase): void {
  if (c.grad === undefined) {
    expect(out.requires_grad, "requires_grad").toBe(false);
    return;
  }
  out.mul(tensor(Float64Array.from(numbers(c.weights!)), { shape: out.shape }).to(out.dtype)).sum().backward();
  expectClose(flat(leaf.grad!), c.grad, "grad");
}

/** A float64 leaf that requires grad, 1-D unless shape is given. */
export const f64 = (values: number[], shape?: number[]) =>
  tensor(Float64Array.from(values), { shape: shape ?? [values.length], requires_grad: true });
