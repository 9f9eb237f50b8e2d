// npm run bench: wasmgrad against the plain-TypeScript reference on standard workloads.
// Every contender's gradients are first checked against the float64 reference; then each
// is warmed up and timed, and the table reports medians, min/max and ratios to wasmgrad.
// Each wasmgrad step runs in scope(), as a hot synchronous loop should: without it, dropped
// tensors wait for the garbage collector's finalizers, which only run once the loop yields.
import * as wg from "../bindings/index.js";
import * as plain from "./plain.js";

const f32 = (n: number) => new Float32Array(n);
const f64 = (n: number) => new Float64Array(n);

// Seeded uniform data in [-1, 1), the same for every contender.
function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0, err = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / Math.max(scale, 1e-30);
}

interface Contender {
  name: string;
  /** Runs one timed call; returns the gradients for the correctness check. */
  run: () => ArrayLike<number>[];
}

interface Workload {
  id: string;
  description: string;
  reference: ArrayLike<number>[];
  contenders: Contender[];
  /** extra column: a throughput derived from the median time */
  rate?: (ms: number) => string;
  repeats: number;
}

function ewWorkload(): Workload {
  const n = 1_000_000;
  const x = data(n, 1), w = data(n, 2), b = data(n, 3);
  const [, rx, rw] = plain.ew(f64, Float64Array.from(x), Float64Array.from(w), Float64Array.from(b));
  const xt = wg.tensor(x, { requires_grad: true }), wt = wg.tensor(w, { requires_grad: true }), bt = wg.tensor(b);
  return {
    id: "ew", description: "N = 1e6: sum(tanh(x*w + b) * x), grads x, w", reference: [rx, rw], repeats: 15,
    contenders: [
      {
        name: "wasmgrad", run: () => wg.scope(() => {
          xt.grad = null; wt.grad = null;
          xt.mul(wt).add(bt).tanh().mul(xt).sum().backward();
          return [xt.grad!.toTypedArray(), wt.grad!.toTypedArray()];
        }),
      },
      { name: "plain TS", run: () => plain.ew(f32, x, w, b).slice(1) as Float32Array[] },
    ],
  };
}

function mmWorkload(n: number): Workload {
  const a = data(n * n, 4), b = data(n * n, 5);
  const [, ra, rb] = plain.mm(f64, Float64Array.from(a), Float64Array.from(b), n);
  const at = wg.tensor(a, { shape: [n, n], requires_grad: true });
  const bt = wg.tensor(b, { shape: [n, n], requires_grad: true });
  return {
    id: `mm${n}`, description: `sum(A @ B), ${n}x${n}, grads A, B`, reference: [ra, rb], repeats: n > 300 ? 7 : 15,
    rate: (ms) => `${((6 * n ** 3) / (ms * 1e6)).toFixed(1)} GFLOP/s`,
    contenders: [
      {
        name: "wasmgrad", run: () => wg.scope(() => {
          at.grad = null; bt.grad = null;
          at.matmul(bt).sum().backward();
          return [at.grad!.toTypedArray(), bt.grad!.toTypedArray()];
        }),
      },
      { name: "plain TS", run: () => plain.mm(f32, a, b, n).slice(1) as Float32Array[] },
    ],
  };
}

function stressWorkload(): Workload {
  const steps = 5000, y0 = 0.5, a = 0.999, b = 0.001;
  const [, g0, ga, gb] = plain.stress(y0, a, b, steps);
  return {
    id: "stress", description: "0-d: y = y*a + b x 5000 (10,000 ops), backward", reference: [[g0, ga, gb]], repeats: 15,
    rate: (ms) => `${((ms * 1000) / (2 * steps)).toFixed(3)} µs/op`,
    contenders: [
      {
        name: "wasmgrad", run: () => wg.scope(() => {
          const y0t = wg.tensor(y0, { requires_grad: true });
          const at = wg.tensor(a, { requires_grad: true });
          const bt = wg.tensor(b, { requires_grad: true });
          let y = y0t;
          for (let i = 0; i < steps; i++) y = y.mul(at).add(bt);
          y.backward();
          return [[y0t.grad!.item(), at.grad!.item(), bt.grad!.item()]];
        }),
      },
      {
        name: "plain TS", run: () => {
          const [, r0, ra, rb] = plain.stress(Math.fround(y0), Math.fround(a), Math.fround(b), steps);
          return [[r0, ra, rb]];
        },
      },
    ],
  };
}

function time(run: () => unknown, repeats: number): number[] {
  for (let i = 0; i < 3; i++) run(); // warm-up: V8 tiers up the wasm and JS
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return times.sort((p, q) => p - q);
}

const rows: string[] = [
  "| workload | contender | median ms | min | max | vs wasmgrad | rate | max rel. grad error |",
  "|---|---|---|---|---|---|---|---|",
];
for (const make of [ewWorkload, () => mmWorkload(256), () => mmWorkload(512), stressWorkload]) {
  const w = make();
  console.error(`${w.id}: ${w.description}`);
  let base = 0;
  for (const c of w.contenders) {
    const grads = c.run();
    const error = Math.max(...grads.map((g, i) => maxRelError(g, w.reference[i])));
    if (!(error < 1e-3)) throw new Error(`${w.id}/${c.name}: gradients differ from the float64 reference (max rel. error ${error})`);
    const times = time(c.run, w.repeats);
    const median = times[Math.floor(times.length / 2)];
    if (c.name === "wasmgrad") base = median;
    rows.push(`| ${w.id} | ${c.name} | ${median.toFixed(2)} | ${times[0].toFixed(2)} | ${times[times.length - 1].toFixed(2)} | ` +
      `${(median / base).toFixed(2)}x | ${w.rate?.(median) ?? ""} | ${error.toExponential(1)} |`);
  }
}
console.log(rows.join("\n"));
