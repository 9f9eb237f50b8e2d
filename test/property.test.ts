// Property test: random programs of 1-12 ops over random broadcastable shapes. Each
// program runs twice, on wasmgrad and on the float64 reference of test/reference.ts; the
// gradients wasmgrad's backward() gives must match central finite differences of the
// reference. The seed is fixed so that CI is reproducible; FC_SEED=<n> explores others.
import { expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type DType } from "../bindings/index.js";
import * as R from "./reference.js";
import { fuzzSeed } from "./helpers.js";
import type { Ref } from "./reference.js";
import { BINARY, REDUCE, SHAPE, UNARY, VIEW, reference, run, wasmgrad, type Step } from "./programs.js";

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY), src: fc.nat(20) }),
  fc.record({ kind: fc.constant("binary" as const), op: fc.constantFrom(...BINARY), a: fc.nat(20), b: fc.nat(20) }),
  fc.record({ kind: fc.constant("reduce" as const), op: fc.constantFrom(...REDUCE), src: fc.nat(20), dim: fc.nat(5), keepdim: fc.boolean() }),
  fc.record({ kind: fc.constant("shape" as const), op: fc.constantFrom(...SHAPE), src: fc.nat(20) }),
  fc.record({ kind: fc.constant("view" as const), op: fc.constantFrom(...VIEW), src: fc.nat(20) }),
);

// 1-3 inputs whose shapes broadcast against a common shape of rank 0-3.
const inputShapes: fc.Arbitrary<number[][]> = fc
  .array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 })
  .chain((full) => fc.array(
    fc.tuple(fc.nat(full.length), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
      .map(([drop, ones]) => full.slice(drop).map((n, d) => (ones[d] ? 1 : n))),
    { minLength: 1, maxLength: 3 }));

const values = (n: number) => fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n });

const program = inputShapes.chain((shapes) => fc.record({
  shapes: fc.constant(shapes),
  data: fc.tuple(...shapes.map((s) => values(s.reduce((x, y) => x * y, 1)))),
  steps: fc.array(step, { minLength: 1, maxLength: 12 }),
  weightSeed: fc.nat(),
}));

function weights(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(2 * (s / 2 ** 32) - 1);
  });
}

const dotWith = (r: Ref, w: Float64Array) => r.data.reduce((acc, v, i) => acc + v * w[i], 0);

// Each input in its own dtype (float32, float64, or mixed, so that ops promote); the
// tolerance is that of the widest float32 path the program may take.
const DTYPES: [string, (k: number) => DType, number, number][] = [
  ["float32", () => "float32", 2e-3, 1e-3],
  ["float64", () => "float64", 1e-6, 1e-7],
  ["mixed float32 and float64 inputs", (k) => (k % 2 === 0 ? "float64" : "float32"), 2e-3, 1e-3],
];

test.each(DTYPES)("random programs in %s: backward() matches float64 central differences", (_name, dtypeOf, rtol, atol) => {
  let checked = 0;
  fc.assert(fc.property(program, ({ shapes, data, steps, weightSeed }) => {
    const refs = shapes.map((s, k) => R.ref(s, data[k].map(Math.fround)));
    const out = run(reference, refs, steps);
    fc.pre(out.data.length > 0 && out.data.every((v) => Number.isFinite(v) && Math.abs(v) < 1e4));
    const w = weights(out.data.length, weightSeed);

    const xs = refs.map((r, k) => tensor(Float64Array.from(r.data), { shape: r.shape, dtype: dtypeOf(k), requires_grad: true }));
    const y = run(wasmgrad, xs, steps);
    expect(y.shape).toEqual(out.shape);
    y.mul(tensor(Float32Array.from(w), { shape: out.shape })).sum().backward();

    const h = 1e-6;
    refs.forEach((r, k) => {
      const grad = xs[k].grad;
      if (grad !== null) expect(grad.dtype).toBe(xs[k].dtype);
      const got = grad?.toTypedArray() ?? new Float64Array(r.data.length);
      const want = Float64Array.from(r.data, (_, i) => {
        const at = (delta: number) => {
          const moved = refs.map((q) => R.ref(q.shape, q.data));
          moved[k].data[i] += delta;
          return dotWith(run(reference, moved, steps), w);
        };
        return (at(h) - at(-h)) / (2 * h);
      });
      const scale = Math.max(1, ...want.map(Math.abs));
      want.forEach((v, i) => {
        if (!(Math.abs(got[i] - v) <= rtol * Math.abs(v) + atol * scale)) {
          throw new Error(`input ${k} element ${i}: wasmgrad ${got[i]}, finite differences ${v}\n` +
            `program ${JSON.stringify(steps)} shapes ${JSON.stringify(shapes)}`);
        }
      });
    });
    checked++;
  }), { numRuns: 300, seed: fuzzSeed });
  expect(checked).toBeGreaterThan(200);
});
