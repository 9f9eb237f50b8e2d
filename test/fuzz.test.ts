// API-call fuzz: random sequences of create, ops, backward, zero_, dispose, detach, no_grad,
// scope and allocation bursts (which make tensors move out of wasm memory and back) never
// corrupt memory: every live tensor holds the values a plain model of it predicts, at every
// check and at the end. Values are small integers, so float32 results are exact.
import { expect, test } from "vitest";
import fc from "fast-check";
import { tensor, zeros, no_grad, scope, type Tensor } from "../bindings/index.js";
import * as R from "./reference.js";
import { fuzzSeed } from "./helpers.js";

interface Entry {
  t: Tensor;
  shape: number[];
  values: number[];
  /** expected .grad of a leaf that requires grad (null before its first backward) */
  grad: number[] | null;
  leaf: boolean;
}

const SHAPES = [[], [3], [2, 3], [2, 1], [0, 3]];

type Call =
  | { kind: "create"; shape: number; requiresGrad: boolean; seed: number }
  | { kind: "add" | "mul"; a: number; b: number }
  | { kind: "scale"; a: number; c: number }
  | { kind: "neg" | "detach" | "clone" | "flatten" | "sum" | "zeroGrad" | "dispose" | "check"; a: number }
  | { kind: "backward"; a: number; c: number }
  | { kind: "noGradAdd"; a: number; c: number }
  | { kind: "scoped"; a: number; c: number }
  | { kind: "burst" };

const index = fc.nat(50);
const small = fc.integer({ min: -2, max: 2 });
const call: fc.Arbitrary<Call> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("create" as const), shape: fc.nat(SHAPES.length - 1), requiresGrad: fc.boolean(), seed: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("add" as const, "mul" as const), a: index, b: index }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("scale" as const), a: index, c: small }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom("neg" as const, "detach" as const, "clone" as const, "flatten" as const, "sum" as const, "zeroGrad" as const, "dispose" as const, "check" as const), a: index }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("backward" as const, "noGradAdd" as const, "scoped" as const), a: index, c: small }) },
  { weight: 1, arbitrary: fc.constant({ kind: "burst" as const }) },
);

function ints(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 29) - 4; // -4..3
  });
}

const numel = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
const broadcastable = (a: number[], b: number[]) => {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
};
const zip = (a: Entry, b: Entry, f: (x: number, y: number) => number) => {
  const r = R.zip(R.ref(a.shape, a.values), R.ref(b.shape, b.values), f);
  return { shape: r.shape, values: Array.from(r.data) };
};

// The sign of zero is not what this test is about.
const plain = (values: ArrayLike<number>) => Array.from(values, (v) => v + 0);

let seenEvicted = 0;

function expectEntry(e: Entry, where: string): void {
  if (e.t._evicted !== null) seenEvicted++;
  expect(e.t.shape, where).toEqual(e.shape);
  expect(plain(e.t.toTypedArray()), where).toEqual(plain(e.values));
  if (e.grad !== null) expect(plain(e.t.grad!.toTypedArray()), `${where} grad`).toEqual(plain(e.grad));
}

function apply(live: Entry[], c: Call): void {
  const pick = (i: number): Entry | undefined => live[i % Math.max(live.length, 1)];
  const push = (t: Tensor, shape: number[], values: number[]) =>
    live.push({ t, shape, values, grad: null, leaf: !t.requires_grad });
  const big = (e: Entry) => e.values.some((v) => Math.abs(v) > 2 ** 20);
  if (c.kind === "create") {
    const shape = SHAPES[c.shape];
    const values = ints(numel(shape), c.seed);
    const t = tensor(Float32Array.from(values), { shape, requires_grad: c.requiresGrad });
    live.push({ t, shape, values, grad: null, leaf: true });
    return;
  }
  if (c.kind === "burst") {
    for (let i = 0; i < 12; i++) zeros([1024, 1024]); // two eviction passes or more
    return;
  }
  const e = pick(c.a);
  if (e === undefined) return;
  switch (c.kind) {
    case "add": case "mul": {
      const f = pick(c.b)!;
      if (!broadcastable(e.shape, f.shape) || big(e) || big(f)) return;
      const r = zip(e, f, c.kind === "add" ? (x, y) => x + y : (x, y) => x * y);
      push(c.kind === "add" ? e.t.add(f.t) : e.t.mul(f.t), r.shape, r.values);
      return;
    }
    case "scale": if (!big(e)) push(e.t.mul(c.c), e.shape, e.values.map((v) => v * c.c)); return;
    case "neg": push(e.t.neg(), e.shape, e.values.map((v) => -v)); return;
    // detach and flatten are views: they share the values array, which writes update in place
    case "detach": live.push({ t: e.t.detach(), shape: e.shape, values: e.values, grad: null, leaf: true }); return;
    case "clone": push(e.t.clone(), e.shape, e.values.slice()); return;
    case "flatten": push(e.t.flatten(), [numel(e.shape)], e.values); return;
    case "sum": push(e.t.sum(), [], [e.values.reduce((x, y) => x + y, 0)]); return;
    case "backward":
      if (!e.leaf || !e.t.requires_grad) return;
      e.t.mul(c.c).sum().backward();
      e.grad = (e.grad ?? e.values.map(() => 0)).map((g) => g + c.c);
      return;
    case "zeroGrad":
      if (e.grad === null) return;
      e.t.grad!.zero_();
      e.grad = e.grad.map(() => 0);
      return;
    case "noGradAdd":
      no_grad(() => e.t.add_(c.c));
      for (let i = 0; i < e.values.length; i++) e.values[i] = Math.fround(e.values[i] + c.c);
      return;
    case "scoped": {
      if (big(e)) return;
      const kept = scope(() => { e.t.add(1); return e.t.mul(c.c).add(1); });
      push(kept, e.shape, e.values.map((v) => v * c.c + 1));
      return;
    }
    case "dispose":
      e.t.dispose();
      live.splice(live.indexOf(e), 1);
      expect(() => e.t.add(1)).toThrow(/disposed/);
      return;
    case "check":
      live.forEach((x, i) => expectEntry(x, `entry ${i}`));
      return;
  }
}

test("random API call sequences keep every live tensor intact", () => {
  fc.assert(fc.property(fc.array(call, { minLength: 1, maxLength: 80 }), (calls) => {
    const live: Entry[] = [];
    try {
      for (const c of calls) apply(live, c);
      live.forEach((x, i) => expectEntry(x, `entry ${i} at the end`));
    } finally {
      for (const x of live) x.t.dispose();
    }
  }), { numRuns: 120, seed: fuzzSeed });
  expect(seenEvicted).toBeGreaterThan(0); // the bursts did move tensors out and back
});
