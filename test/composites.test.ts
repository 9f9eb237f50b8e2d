// The composite ops (bindings/composite-ops.ts) against PyTorch 1.13
// (test/fixtures/composites.json, from generate_composites.py): values, dtypes and the
// gradients of sum(out * weights) in float64; then their refusals.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import type { Tensor } from "../bindings/index.js";
import fixture from "./fixtures/composites.json" with { type: "json" };

type Value = number | string | null;
interface Spec { shape: number[]; values: Value[] }
interface Case { name: string; inputs: Spec[]; out: Spec & { dtype: string }; weights?: Value[]; grads?: (Value[] | null)[] }

const number = (v: Value) => (v === null ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v));
const input = (s: Spec, requires_grad: boolean) =>
  wg.tensor(Float64Array.from(s.values.map(number)), { shape: s.shape, requires_grad });
const sums = (parts: Tensor[]) => wg.stack(parts.map((p) => p.sum()));

const RUN: Record<string, (...xs: Tensor[]) => Tensor> = {
  "hypot": (a, b) => a.hypot(b),
  "logit": (x) => x.logit(),
  "logit eps": (x) => wg.logit(x, 0.2),
  "deg2rad": (x) => x.deg2rad(),
  "rad2deg": (x) => wg.rad2deg(x),
  "sinc": (x) => x.sinc(),
  "logaddexp2": (a, b) => a.logaddexp2(b),
  "logaddexp2 large": (x) => x.mul(400).logaddexp2(x.mul(300)),
  "copysign": (a, b) => a.copysign(b),
  "float_power": (x) => x.float_power(2.5),
  "addmm": (s, a, b) => s.addmm(a, b, { beta: 0.5, alpha: 2 }),
  "addmm broadcast": (s, a, b) => wg.addmm(s, a, b),
  "addmv": (s, a, v) => s.addmv(a, v, { alpha: -1.5 }),
  "addbmm": (s, a, b) => s.addbmm(a, b, { beta: 2 }),
  "baddbmm": (s, a, b) => s.baddbmm(a, b, { alpha: 0.5 }),
  "inner": (a, b) => a.inner(b),
  "inner 1-D": (a, b) => wg.inner(a, b),
  "vdot": (a, b) => a.vdot(b),
  "dist": (a, b) => a.dist(b),
  "dist p=1": (a, b) => a.dist(b, 1),
  "ravel of a transpose": (x) => x.t().ravel(),
  "tensor_split sections": (x) => sums(x.tensor_split(3)),
  "tensor_split indices": (x) => sums(x.tensor_split([1, 5, 9], 1)),
  "dstack": (a, b) => wg.dstack([a, b]),
  "column_stack": (a, b) => wg.column_stack([a, b]),
  "atleast_3d of a matrix": (x) => wg.atleast_3d(x),
  "var_mean": (x) => wg.stack(x.var_mean(1)),
  "std_mean correction 0": (x) => wg.stack(x.std_mean(0, { correction: 0 })),
  "diagflat": (x) => x.diagflat(1),
  "hsplit": (x) => wg.stack(x.hsplit(3).map((p, i) => p.sum().mul(i + 1))),
  "vsplit indices": (x) => wg.stack(wg.vsplit(x, [1, 3]).map((p, i) => p.sum().mul(i + 1))),
  "dsplit": (x) => wg.stack(x.dsplit(2).map((p, i) => p.sum().mul(i + 1))),
  "isin": (x) => x.isin(wg.tensor([2, 6, 9, NaN], { dtype: "float64" })),
  "isin invert": (x) => wg.isin(x, 3, { invert: true }),
  "tril_indices": () => wg.tril_indices(3, 4, -1),
  "triu_indices": () => wg.triu_indices(4, 3, 1),
  "aminmax": (x) => { const { min, max } = x.aminmax({ dim: 1 }); return wg.stack([min, max]); },
  "signbit": (x) => x.signbit(),
  "isposinf": (x) => x.isposinf(),
  "isneginf": (x) => wg.isneginf(x),
  "heaviside": (x) => x.heaviside(wg.tensor([0.5, 0.25, 0.5, 0.75], { dtype: "float64" })),
  "isclose": (x) => x.isclose(wg.tensor([1, 1, 1, NaN, Infinity], { dtype: "float64" })),
  "isclose equal_nan": (x) => x.isclose(wg.tensor([1.001, NaN], { dtype: "float64" }), { rtol: 1e-2, equal_nan: true }),
};

function expectClose(got: Tensor, want: Value[], what: string) {
  const values = Array.from(got.toTypedArray() as ArrayLike<number>, Number);
  expect(values.length, what).toBe(want.length);
  want.map(number).forEach((w, i) => {
    if (Number.isNaN(w)) expect(values[i], `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(w)) expect(values[i], `${what}[${i}]`).toBe(w);
    else expect(Math.abs(values[i] - w), `${what}[${i}]: ${values[i]} vs ${w}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w)));
  });
}

describe("composite ops match PyTorch", () => {
  const cases = (fixture as unknown as { cases: Case[] }).cases;
  test("every case has a runner", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(RUN).sort());
  });
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const xs = c.inputs.map((s) => input(s, c.grads !== undefined));
    const out = RUN[c.name](...xs);
    expect(out.shape).toEqual(c.out.shape);
    expect(out.dtype).toBe(c.out.dtype);
    expectClose(out, c.out.values, "out");
    if (!c.grads) return;
    out.mul(input({ shape: c.out.shape, values: c.weights! }, false)).sum().backward();
    // an input PyTorch gives a zero gradient may have none here (copysign's sign source)
    c.grads.forEach((g, i) => { if (g !== null) expectClose(xs[i].grad ?? wg.zeros_like(xs[i]), g, `grad ${i}`); });
  });
});

describe("refusals", () => {
  const m = wg.zeros([2, 3]);
  test.each([
    ["inner of mismatched dims", () => m.inner(wg.zeros([3, 2])), "inner() the last dimension must match"],
    ["vdot of matrices", () => m.vdot(m), "1D tensors expected"],
    ["tensor_split into 0 parts", () => m.tensor_split(0), "number of sections must be larger than 0"],
    ["isclose with a negative rtol", () => m.isclose(m, { rtol: -1 }), "rtol must be greater than or equal to zero"],
    ["aminmax of an empty tensor", () => wg.zeros([0]).aminmax(), "cannot compute aminmax over an empty dimension"],
    ["hsplit into uneven parts", () => m.hsplit(2), "hsplit attempted to split along dimension 1, but the size of the dimension 3 is not divisible by the split_size 2!"],
    ["vsplit of a vector", () => wg.zeros([4]).vsplit(2), "vsplit requires a tensor with at least 2 dimension"],
    ["addmm with an unknown option", () => m.addmm(m, m.T, { gamma: 1 } as never), "unexpected option 'gamma'"],
  ] as const)("%s", (_name, run, message) => {
    expect(run).toThrow(message);
  });

  test("squeeze over a list of dims (PyTorch 2.0's form), and empty_like", () => {
    const t = wg.zeros([1, 3, 1, 1]);
    expect(t.squeeze([0, 3]).shape).toEqual([3, 1]);
    expect(wg.squeeze(t, [-1, 1]).shape).toEqual([1, 3, 1]);
    expect(wg.empty_like(t, { dtype: "int32" }).dtype).toBe("int32");
  });

  test("allclose and equal", () => {
    expect(m.allclose(m.add(1e-9))).toBe(true);
    expect(m.allclose(m.add(1e-3))).toBe(false);
    expect(m.equal(wg.zeros([2, 3]))).toBe(true);
    expect(m.equal(wg.zeros([3, 2]))).toBe(false);
  });
});
