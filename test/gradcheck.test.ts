// Every differentiable op against central finite differences of a float64 reference,
// on random shapes, broadcasting cases and 0-d tensors; second derivatives likewise.
import { describe, expect, test } from "vitest";
import { tensor, grad, gradcheck, gradgradcheck, type Tensor } from "../bindings/index.js";
import { OPS, type OpName } from "../bindings/generated/ops.js";
import * as R from "./reference.js";
import type { Ref } from "./reference.js";
import { binaryCases, otherCases, rng, sample, unaryCases, type Case } from "./op-cases.js";

function loss(c: Case, xs: Ref[], w: Float64Array): number {
  const out = c.ref(...xs);
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * out.data[i];
  return s;
}

/** Central differences of loss with respect to every element of every input, in float64. */
function numericGrads(f: (xs: Ref[]) => number, xs: Ref[], h = 1e-6): Float64Array[] {
  return xs.map((x, k) => Float64Array.from(x.data, (_, i) => {
    const plus = xs.map((y) => R.ref(y.shape, y.data)), minus = xs.map((y) => R.ref(y.shape, y.data));
    plus[k].data[i] += h;
    minus[k].data[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  }));
}

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = atol + rtol * Math.abs(want[i]);
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}\n got ${Array.from(got).join(", ")}\nwant ${Array.from(want).join(", ")}`);
    }
  }
}

function check(c: Case, seed: number): void {
  const next = rng(seed);
  // float32 inputs: the reference sees exactly the values wasmgrad sees.
  const xs = c.inputs.map(({ shape, domain }) => R.ref(shape, Float32Array.from(sample(shape, domain ?? "any", next))));
  const outRef = c.ref(...xs);
  const w = Float64Array.from(Float32Array.from(outRef.data, () => 2 * next() - 1));
  const ts = xs.map((x) => tensor(Float32Array.from(x.data), { shape: x.shape, requires_grad: true }));
  const out = c.wg(...ts);
  expect(out.shape, "output shape").toEqual(outRef.shape);
  expectNear(out.toTypedArray(), outRef.data, 1e-5, 1e-5, "forward");
  out.mul(tensor(Float32Array.from(w), { shape: outRef.shape })).sum().backward();
  const numeric = numericGrads((ys) => loss(c, ys, w), xs);
  ts.forEach((t, k) => expectNear(t.grad!.toTypedArray(), numeric[k], 2e-3, 2e-4, `grad of input ${k}`));

  if (c.secondOrder === false) return;
  // Second order: d/dx of v . (dL/dx), against nested central differences.
  const v = xs.map((x) => Float64Array.from(Float32Array.from(x.data, () => 2 * next() - 1)));
  const ts2 = xs.map((x) => tensor(Float32Array.from(x.data), { shape: x.shape, requires_grad: true }));
  const l = c.wg(...ts2).mul(tensor(Float32Array.from(w), { shape: outRef.shape })).sum();
  const firsts = grad(l, ts2, { create_graph: true, allow_unused: true });
  let s: Tensor | null = null;
  firsts.forEach((g, k) => {
    if (g === null) return;
    const term = g.mul(tensor(Float32Array.from(v[k]), { shape: xs[k].shape })).sum();
    s = s === null ? term : s.add(term);
  });
  if (s === null || !(s as Tensor).requires_grad) return; // linear: no second-order graph
  const seconds = grad(s, ts2, { allow_unused: true });
  const h = 1e-4;
  const directional = (ys: Ref[]) => {
    const up = ys.map((y, k) => R.ref(y.shape, y.data.map((val, i) => val + h * v[k][i])));
    const down = ys.map((y, k) => R.ref(y.shape, y.data.map((val, i) => val - h * v[k][i])));
    return (loss(c, up, w) - loss(c, down, w)) / (2 * h);
  };
  const numeric2 = numericGrads(directional, xs, h);
  seconds.forEach((g, k) => {
    const got = g === null ? new Float64Array(numeric2[k].length) : g.toTypedArray();
    expectNear(got, numeric2[k], 5e-3, 2e-3, `second derivative of input ${k}`);
  });
}

// In float64: the forward against the float64 reference, then wg.autograd.gradcheck and
// gradgradcheck with PyTorch's default tolerances, in reverse and in forward mode.
function checkFloat64(c: Case, seed: number): void {
  const next = rng(seed);
  const xs = c.inputs.map(({ shape, domain }) => R.ref(shape, sample(shape, domain ?? "any", next)));
  const outRef = c.ref(...xs);
  const ts = xs.map((x) => tensor(Float64Array.from(x.data), { shape: x.shape, requires_grad: true }));
  const out = c.wg(...ts);
  expect(out.dtype, "output dtype").toBe("float64");
  expect(out.shape, "output shape").toEqual(outRef.shape);
  expectNear(out.toTypedArray(), outRef.data, 1e-12, 1e-12, "forward");
  // forward mode too: JVPs against the same finite differences, and (in gradgradcheck)
  // forward over reverse, the JVPs of the backward rules
  expect(gradcheck(c.wg, ts, { check_forward_ad: true })).toBe(true);
  if (c.secondOrder !== false) expect(gradgradcheck(c.wg, ts, { check_forward_ad: true })).toBe(true);
}

describe("gradcheck in float64", () => {
  const all = [...unaryCases, ...binaryCases, ...otherCases];
  test.each(all.filter((c) => c.float64 !== false).map((c, i) => [c.name, c, i] as const))("%s",
    (_name, c, i) => checkFloat64(c, 4321 + i));
});

describe("gradients in float32 against float64 finite differences", () => {
  const all = [...unaryCases, ...binaryCases, ...otherCases];

  test("every differentiable op of the table has a case", () => {
    const covered = new Set(all.flatMap((c) => c.covers));
    const missing = (Object.keys(OPS) as OpName[]).filter((n) => OPS[n].gradFn !== null && !covered.has(n));
    expect(missing, "differentiable ops without a gradcheck case").toEqual([]);
  });
  test.each(all.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
    check(c, 1234 + i);
    check(c, 9876 + i);
  });

  test("reductions and softmax over random shapes and dims", () => {
    const next = rng(7);
    for (let trial = 0; trial < 24; trial++) {
      const rank = 1 + Math.floor(next() * 3);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(next() * 4));
      const dim = Math.floor(next() * rank) - (next() < 0.5 ? rank : 0);
      const keepdim = next() < 0.5;
      const d = dim < 0 ? dim + rank : dim;
      const cases: Case[] = [
        { name: "sum", covers: ["Sum"], inputs: [{ shape }], wg: (a) => a.sum(dim, keepdim), ref: (a) => R.reduce(a, [d], keepdim, R.sum) },
        { name: "mean", covers: ["Mean"], inputs: [{ shape }], wg: (a) => a.mean(dim, keepdim), ref: (a) => R.reduce(a, [d], keepdim, (v) => R.sum(v) / v.length) },
        { name: "max", covers: ["Max"], inputs: [{ shape }], wg: (a) => a.max(dim, keepdim).values, ref: (a) => R.reduce(a, [d], keepdim, (v) => Math.max(...v)), secondOrder: false },
        { name: "softmax", covers: ["Softmax"], inputs: [{ shape }], wg: (a) => a.softmax(dim), ref: (a) => R.softmax(a, dim, false) },
        { name: "log_softmax", covers: ["LogSoftmax"], inputs: [{ shape }], wg: (a) => a.log_softmax(dim), ref: (a) => R.softmax(a, dim, true) },
      ];
      check(cases[trial % cases.length], 500 + trial);
    }
  });

  test("random shapes with broadcasting", () => {
    const next = rng(42);
    const ops = binaryCases.filter((c) => !c.name.startsWith("pow"));
    for (let trial = 0; trial < 20; trial++) {
      const rank = Math.floor(next() * 4);
      const full = Array.from({ length: rank }, () => 1 + Math.floor(next() * 4));
      const drop = (s: number[]) => s.slice(Math.floor(next() * (s.length + 1))).map((n) => (next() < 0.3 ? 1 : n));
      const [sa, sb] = [drop(full), drop(full)];
      const base = ops[trial % ops.length];
      check({ ...base, name: `${base.name} random`, inputs: [{ shape: sa, domain: base.inputs[0].domain }, { shape: sb, domain: base.inputs[1].domain }] }, 100 + trial);
    }
  });
});
