// The language of the random programs used by the property test and the PyTorch
// fixtures: a list of steps over a pool of values, run by one interpreter on two backends,
// wasmgrad tensors and the float64 references of test/reference.ts.
// test/fixtures/programs.py has the same interpreter over PyTorch; keep them in step.
import type { Tensor } from "../bindings/index.js";
import * as R from "./reference.js";
import type { Ref } from "./reference.js";

export const UNARY = ["neg", "sin", "cos", "tanh", "sigmoid", "expTanh", "logOnePlusSquare", "sqrtOnePlusSquare", "square"] as const;
export const BINARY = ["add", "sub", "mul", "divByOnePlusSquare"] as const;
export const REDUCE = ["sum", "mean", "sumAll", "softmax", "log_softmax"] as const;
export const SHAPE = ["transposeLastTwo", "flatten", "unsqueeze", "matmulTransposed"] as const;
/** Views with gaps, broadcast strides or permuted dims (not in the PyTorch fixtures' programs). */
export const VIEW = ["narrowLast", "selectLast", "expandNew", "reverseDims", "permuteCycle"] as const;

export type Step =
  | { kind: "unary"; op: (typeof UNARY)[number]; src: number }
  | { kind: "binary"; op: (typeof BINARY)[number]; a: number; b: number }
  | { kind: "reduce"; op: (typeof REDUCE)[number]; src: number; dim: number; keepdim: boolean }
  | { kind: "shape"; op: (typeof SHAPE)[number]; src: number }
  | { kind: "view"; op: (typeof VIEW)[number]; src: number };

/** The same program on two backends: wasmgrad tensors and float64 references. */
export interface Backend<T> {
  shape(t: T): number[];
  unary(op: Step["op"], t: T): T;
  binary(op: Step["op"], a: T, b: T): T;
  reduce(op: (typeof REDUCE)[number], t: T, dim: number, keepdim: boolean): T;
  transpose(t: T, d0: number, d1: number): T;
  reshape(t: T, shape: number[]): T;
  matmul(a: T, b: T): T;
  /** A view op of VIEW on a tensor whose shape allows it (see run). */
  view(op: (typeof VIEW)[number], t: T): T;
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

export const reference: Backend<Ref> = {
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
  view(op, t) {
    const shape = t.shape, rank = shape.length;
    switch (op) {
      case "narrowLast": return R.take(t, [...shape.slice(0, -1), shape[rank - 1] - 1],
        (idx) => [...idx.slice(0, -1), idx[rank - 1] + 1]);
      case "selectLast": return R.take(t, shape.slice(1), (idx) => [shape[0] - 1, ...idx]);
      case "expandNew": return R.take(t, [2, ...shape], (idx) => idx.slice(1));
      case "reverseDims": return R.take(t, shape.slice().reverse(), (idx) => idx.slice().reverse());
      case "permuteCycle": return R.take(t, [...shape.slice(1), shape[0]], (idx) => [idx[rank - 1], ...idx.slice(0, -1)]);
    }
  },
};

export const wasmgrad: Backend<Tensor> = {
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
  view(op, t) {
    const shape = t.shape, rank = shape.length;
    switch (op) {
      case "narrowLast": return t.narrow(rank - 1, 1, shape[rank - 1] - 1);
      case "selectLast": return t.select(0, shape[0] - 1);
      case "expandNew": return t.unsqueeze(0).expand([2, ...shape]);
      case "reverseDims": return t.T;
      case "permuteCycle": return t.permute([...Array.from({ length: rank - 1 }, (_, d) => d + 1), 0]);
    }
  },
};

function broadcasts(a: number[], b: number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** Runs the program; each step reads earlier values by index (modulo what exists). */
export function run<T>(be: Backend<T>, inputs: T[], steps: Step[]): T {
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
    } else if (s.kind === "shape") {
      const t = pick(s.src);
      const shape = be.shape(t);
      if (s.op === "transposeLastTwo" && shape.length >= 2) values.push(be.transpose(t, shape.length - 2, shape.length - 1));
      else if (s.op === "matmulTransposed" && shape.length === 2) values.push(be.matmul(t, be.transpose(t, 0, 1)));
      else if (s.op === "unsqueeze") values.push(be.reshape(t, [1, ...shape]));
      else values.push(be.reshape(t, [shape.reduce((x, y) => x * y, 1)]));
    } else if (s.kind === "view") {
      const t = pick(s.src);
      const shape = be.shape(t), rank = shape.length;
      const fits = s.op === "narrowLast" ? rank >= 1 && shape[rank - 1] >= 2
        : s.op === "selectLast" ? rank >= 1
        : s.op === "expandNew" ? rank <= 3
        : rank >= 2;
      values.push(fits ? be.view(s.op, t) : t);
    }
  }
  return values[values.length - 1];
}
