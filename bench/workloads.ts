// The benchmark's workloads: seeded float32 data, the same for every contender, and the
// float64 reference gradients every contender is checked against.
import * as plain from "./plain.js";
import type { Floats } from "./plain.js";

export const WORKLOADS = ["ew", "ew-f64", "mm256", "mm512", "mm512-f64", "mlp", "lenet", "embed", "stress"] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

// ew and mm also run in float64 (the -f64 workloads): their arrays are then Float64Arrays.
export type Precision = "float32" | "float64";
export interface EwData { kind: "ew"; dtype: Precision; n: number; x: Floats; w: Floats; b: Floats }
export interface MmData { kind: "mm"; dtype: Precision; n: number; a: Floats; b: Floats }
export interface MlpData {
  kind: "mlp"; batch: number; inputs: number; hidden: number; classes: number; lr: number;
  x: Float32Array; y: Float32Array; w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array;
}
export interface LeNetData extends plain.LeNetSizes {
  kind: "lenet"; lr: number; x: Float32Array; y: Float32Array;
  w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array; w3: Float32Array; b3: Float32Array;
}
export interface EmbedData { kind: "embed"; vocab: number; dim: number; tokens: number; w: Float32Array; t: Float32Array; idx: Int32Array }
export interface StressData { kind: "stress"; steps: number; y0: number; a: number; b: number }
export type Data = EwData | MmData | MlpData | LeNetData | EmbedData | StressData;

export const DESCRIPTIONS: Record<WorkloadId, string> = {
  ew: "N = 1e6: sum(tanh(x*w + b) * x), grads x, w",
  "ew-f64": "ew in float64",
  mm256: "sum(A @ B), 256x256, grads A, B",
  mm512: "sum(A @ B), 512x512, grads A, B",
  "mm512-f64": "mm512 in float64",
  mlp: "784-128-10 MLP, ReLU, mean softmax cross-entropy, batch 64, one SGD step",
  lenet: "LeNet: conv 6@5x5, ReLU, maxpool 2, conv 16@5x5, ReLU, maxpool 2, linear 256-10, cross-entropy, batch 64 of 28x28, one SGD step",
  embed: "embedding lookup: sum(W[idx] * T), W 5000x64, 2048 indices (with repeats), grad W",
  stress: "0-d: y = y*a + b x 5000 (10,000 ops), then backward",
};

/** Seeded uniform values in [-scale, scale). */
export function uniform(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return scale * (s / 2 ** 31 - 1);
  });
}

const precisionOf = (id: WorkloadId): Precision => (id.endsWith("-f64") ? "float64" : "float32");
// The float64 workloads take the same (float32-representable) values as the float32 ones.
const cast = (a: Float32Array, dtype: Precision): Floats => (dtype === "float64" ? Float64Array.from(a) : a);

export function makeData(id: WorkloadId): Data {
  switch (id) {
    case "ew": case "ew-f64": {
      const n = 1_000_000, dtype = precisionOf(id);
      return { kind: "ew", dtype, n, x: cast(uniform(n, 1), dtype), w: cast(uniform(n, 2), dtype), b: cast(uniform(n, 3), dtype) };
    }
    case "mm256": case "mm512": case "mm512-f64": {
      const n = id === "mm256" ? 256 : 512, dtype = precisionOf(id);
      return { kind: "mm", dtype, n, a: cast(uniform(n * n, 4), dtype), b: cast(uniform(n * n, 5), dtype) };
    }
    case "mlp": {
      const batch = 64, inputs = 784, hidden = 128, classes = 10;
      const labels = uniform(batch, 6).map((u) => Math.floor((u + 1) * 5) % classes);
      const y = new Float32Array(batch * classes);
      labels.forEach((c, i) => { y[i * classes + c] = 1; });
      return {
        kind: "mlp", batch, inputs, hidden, classes, lr: 0.05, x: uniform(batch * inputs, 7), y,
        w1: uniform(inputs * hidden, 8, 1 / Math.sqrt(inputs)), b1: uniform(hidden, 9, 0.1),
        w2: uniform(hidden * classes, 10, 1 / Math.sqrt(hidden)), b2: uniform(classes, 11, 0.1),
      };
    }
    case "lenet": {
      const batch = 64, c1 = 6, c2 = 16, classes = 10;
      const labels = uniform(batch, 15).map((u) => Math.floor((u + 1) * 5) % classes);
      const y = new Float32Array(batch * classes);
      labels.forEach((c, i) => { y[i * classes + c] = 1; });
      return {
        kind: "lenet", batch, c1, c2, classes, lr: 0.05, x: uniform(batch * 28 * 28, 16), y,
        w1: uniform(c1 * 25, 17, 1 / 5), b1: uniform(c1, 18, 0.1), w2: uniform(c2 * c1 * 25, 19, 1 / Math.sqrt(c1 * 25)),
        b2: uniform(c2, 20, 0.1), w3: uniform(classes * c2 * 16, 21, 1 / 16), b3: uniform(classes, 22, 0.1),
      };
    }
    case "embed": {
      const vocab = 5000, dim = 64, tokens = 2048;
      const idx = Int32Array.from(uniform(tokens, 12), (u) => Math.floor((u + 1) / 2 * vocab) % vocab);
      return { kind: "embed", vocab, dim, tokens, w: uniform(vocab * dim, 13), t: uniform(tokens * dim, 14), idx };
    }
    case "stress":
      return { kind: "stress", steps: 5000, y0: Math.fround(0.5), a: Math.fround(0.999), b: Math.fround(0.001) };
  }
}

const f64 = (n: number) => new Float64Array(n);
const wide = (a: Floats) => Float64Array.from(a);

/** The float64 reference gradients, in the order contenders return theirs. */
export function referenceGrads(d: Data): ArrayLike<number>[] {
  switch (d.kind) {
    case "ew": return plain.ew(f64, wide(d.x), wide(d.w), wide(d.b)).slice(1) as Float64Array[];
    case "mm": return plain.mm(f64, wide(d.a), wide(d.b), d.n).slice(1) as Float64Array[];
    case "mlp": return plain.mlp(f64, wide(d.x), wide(d.y), { w1: wide(d.w1), b1: wide(d.b1), w2: wide(d.w2), b2: wide(d.b2) },
      d.batch, d.inputs, d.hidden, d.classes).slice(1) as Float64Array[];
    case "lenet": return plain.lenet(f64, wide(d.x), wide(d.y), {
      w1: wide(d.w1), b1: wide(d.b1), w2: wide(d.w2), b2: wide(d.b2), w3: wide(d.w3), b3: wide(d.b3) }, d).slice(1) as Float64Array[];
    case "embed": return [plain.embed(f64, wide(d.w), wide(d.t), d.idx, d.dim)[1]];
    case "stress": return [plain.stress(d.y0, d.a, d.b, d.steps).slice(1)];
  }
}

/** A throughput for the table, from the median time of one call. */
export function rate(d: Data, ms: number): string {
  switch (d.kind) {
    case "mm": return `${((6 * d.n ** 3) / (ms * 1e6)).toFixed(1)} GFLOP/s`;
    case "mlp": case "lenet": return `${(1000 / ms).toFixed(0)} steps/s`;
    case "embed": return `${(d.tokens / (ms * 1000)).toFixed(1)} M rows/s`;
    case "stress": return `${((ms * 1000) / (2 * d.steps)).toFixed(3)} µs/op`;
    default: return "";
  }
}

/** One contender set up for one workload. */
export interface Session {
  /** The gradients at the initial values, for the check; called before any step. */
  grads(): ArrayLike<number>[] | Promise<ArrayLike<number>[]>;
  /** One timed call: the loss and every gradient computed (for mlp, plus the SGD update). */
  step(): unknown;
}

export type Setup = (d: Data) => Promise<Session | null>;
