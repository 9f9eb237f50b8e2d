// Property test: random programs of 1-12 ops over random broadcastable shapes. Each
// program runs twice, on wasmgrad and on the float64 reference of test/reference.ts; the
// gradients wasmgrad's backward() gives must match central finite differences of the
// reference. The seed is fixed so that CI is reproducible; FC_SEED=<n> explores others.
import { expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor } from "../bindings/index.js";
import * as R from "./reference.js";
import { fuzzSeed } from "./helpers.js";
import type { Ref } from "./reference.js";

const UNARY = ["neg", "sin", "cos", "tanh", "sigmoid", "expTanh", "logOnePlusSquare", "sqrtOnePlusSquare", "square"] as const;
const BINARY = ["add", "sub", "mul", "divByOnePlusSquare"] as const;
const REDUCE = ["sum", "mean", "sumAll", "softmax", "log_softmax"] as const;
const SHAPE = ["transposeLastTwo", "flatten", "unsqueeze", "matmulTransposed"] as const;

type Step =
  | { kind: "unary"; op: (typeof UNARY)[number]; src: number }
  | { kind: "binary"; op: (typeof BINARY)[number]; a: number; b: number }
  | { kind: "reduce"; op: (typeof REDUCE)[number]; src: number; dim: number; keepdim: boolean }
  | { kind: "shape"; op: (typeof SHAPE)[number]; src: number };

/** The same program on two backends: wasmgrad tensors and float64 references. */
interface Backend<T> {
  shape(t: T): number[];
  unary(op: Step["op"], t: T): T;
  binary(op: Step["op"], a: T, b: T): T;
  reduce(op: (typeof REDUCE)[number], t: T, dim: number, keepdim: boolean): T;
  transpose(t: T, d0: number, d1: number): T;
  reshape(t: T, shape: number[]): T;
  matmul(a: T, b: T): T;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const unaryRef: Record<(typeof UNARY)[number], (v: number) => number> = {
  neg: (v) => -v, sin: Math.sin, cos: Math.cos, tanh: Math.tanh, sigmoid,
  expTanh: (v) => Math.exp(Math.tanh(v)), logOnePlusSquare: (v) => Math.log(1 + v * v),
  sqrtOnePlusSquare: (v) => Math.sqrt(1 + v * v), square: (v) => v * v,
};
const binaryRef: Record<(typeof BINARY)[number], (x: number, y: number) => number> = {
  add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, divByOnePlusSquare: (x, y) => x / (1 + y * y),
};

const reference: Backend<Ref> = {
  shape: (t) => t.shape,
  unary: (op, t) => R.map(t, unaryRef[op as (typeof UNARY)[number]]),
  binary: (op, a, b) => R.zip(a, b, binaryRef[op as (typeof BINARY)[number]]),
  reduce(op, t, dim, keepdim) {
    if (op === "sumAll") return R.reduce(t, undefined, false, R.sum);
    if (op === "softmax" || op === "log_softmax") {
      const rows = t.shape.length === 0 ? R.ref([1], t.data) : t; // a 0-d tensor is one row
      return R.ref(t.shape, R.softmax(rows, dim, op === "log_softmax").data);
    }
    const f = op === "sum" ? R.sum : (v: number[]) => R.sum(v) / v.length;
    return t.shape.length === 0 ? t : R.reduce(t, [dim], keepdim, f);
  },
  transpose: (t, d0, d1) => R.transpose(t, d0, d1),
  reshape: (t, shape) => R.ref(shape, t.data),
  matmul: R.matmul,
};

const wasmgrad: Backend<Tensor> = {
  shape: (t) => t.shape,
  unary(op, t) {
    switch (op) {
      case "expTanh": return t.tanh().exp();
      case "logOnePlusSquare": return t.mul(t).add(1).log();
      case "sqrtOnePlusSquare": return t.mul(t).add(1).sqrt();
      case "square": return t.mul(t);
      default: return (t[op as "neg"] as () => Tensor).call(t);
    }
  },
  binary: (op, a, b) => (op === "divByOnePlusSquare" ? a.div(b.mul(b).add(1)) : a[op as "add"](b)),
  reduce(op, t, dim, keepdim) {
    if (op === "sumAll") return t.sum();
    if (op === "softmax" || op === "log_softmax") return t[op](dim);
    return t.ndim === 0 ? t[op]() : t[op](dim, keepdim);
  },
  transpose: (t, d0, d1) => t.transpose(d0, d1),
  reshape: (t, shape) => t.reshape(shape),
  matmul: (a, b) => a.matmul(b),
};

function broadcasts(a: number[], b: number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** Runs the program; each step reads earlier values by index (modulo what exists). */
function run<T>(be: Backend<T>, inputs: T[], steps: Step[]): T {
  const values = inputs.slice();
  const pick = (i: number) => values[i % values.length];
  for (const s of steps) {
    if (s.kind === "unary") values.push(be.unary(s.op, pick(s.src)));
    else if (s.kind === "binary") {
      const a = pick(s.a);
      let b = pick(s.b);
      if (!broadcasts(be.shape(a), be.shape(b))) b = be.reduce("sumAll", b, 0, false); // 0-d always fits
      values.push(be.binary(s.op, a, b));
    } else if (s.kind === "reduce") {
      const t = pick(s.src);
      const rank = be.shape(t).length;
      values.push(be.reduce(s.op, t, rank === 0 ? 0 : s.dim % rank, s.keepdim));
    } else {
      const t = pick(s.src);
      const shape = be.shape(t);
      if (s.op === "transposeLastTwo" && shape.length >= 2) values.push(be.transpose(t, shape.length - 2, shape.length - 1));
      else if (s.op === "matmulTransposed" && shape.length === 2) values.push(be.matmul(t, be.transpose(t, 0, 1)));
      else if (s.op === "unsqueeze") values.push(be.reshape(t, [1, ...shape]));
      else values.push(be.reshape(t, [shape.reduce((x, y) => x * y, 1)]));
    }
  }
  return values[values.length - 1];
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY), src: fc.nat(20) }),
  fc.record({ kind: fc.constant("binary" as const), op: fc.constantFrom(...BINARY), a: fc.nat(20), b: fc.nat(20) }),
  fc.record({ kind: fc.constant("reduce" as const), op: fc.constantFrom(...REDUCE), src: fc.nat(20), dim: fc.nat(5), keepdim: fc.boolean() }),
  fc.record({ kind: fc.constant("shape" as const), op: fc.constantFrom(...SHAPE), src: fc.nat(20) }),
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

test("random programs: backward() matches float64 central differences", () => {
  let checked = 0;
  fc.assert(fc.property(program, ({ shapes, data, steps, weightSeed }) => {
    const refs = shapes.map((s, k) => R.ref(s, data[k].map(Math.fround)));
    const out = run(reference, refs, steps);
    fc.pre(out.data.length > 0 && out.data.every((v) => Number.isFinite(v) && Math.abs(v) < 1e4));
    const w = weights(out.data.length, weightSeed);

    const xs = refs.map((r) => tensor(Float32Array.from(r.data), { shape: r.shape, requires_grad: true }));
    const y = run(wasmgrad, xs, steps);
    expect(y.shape).toEqual(out.shape);
    y.mul(tensor(Float32Array.from(w), { shape: out.shape })).sum().backward();

    const h = 1e-6;
    refs.forEach((r, k) => {
      const got = xs[k].grad?.toTypedArray() ?? new Float32Array(r.data.length);
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
        if (!(Math.abs(got[i] - v) <= 2e-3 * Math.abs(v) + 1e-3 * scale)) {
          throw new Error(`input ${k} element ${i}: wasmgrad ${got[i]}, finite differences ${v}\n` +
            `program ${JSON.stringify(steps)} shapes ${JSON.stringify(shapes)}`);
        }
      });
    });
    checked++;
  }), { numRuns: 300, seed: fuzzSeed });
  expect(checked).toBeGreaterThan(200);
});
