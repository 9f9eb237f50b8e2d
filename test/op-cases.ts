// The op table's cases: every differentiable op called on random inputs of given shapes and
// domains, with a float64 reference of the same function (test/reference.ts). The gradient
// checks (gradcheck.test.ts) and vmap's (vmap.test.ts) run them.
import { tensor, grad, where, autograd, type Tensor, type FunctionCtx } from "../bindings/index.js";
import { OPS, type OpName } from "../bindings/generated/ops.js";
import * as R from "./reference.js";
import { unfold, fold } from "../bindings/nn/conv.js";

// The custom Function of the Custom op's case: x^3, its backward and jvp written by hand.
class Cube extends autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor) { ctx.save_for_backward(x); return x.pow(3); }
  static override backward(ctx: FunctionCtx, g: Tensor) { const [x] = ctx.saved_tensors; return g.mul(x.square()).mul(3); }
  static override jvp(ctx: FunctionCtx, t: Tensor) { const [x] = ctx.saved_tensors; return t.mul(x.square()).mul(3); }
}
import { max_pool2d, adaptive_max_pool2d } from "../bindings/nn/pooling.js";
import { im2colRef, col2imRef, maxPoolRef, slidingWindows, adaptiveWindows, type Geometry2 } from "./conv-reference.js";
import type { Ref } from "./reference.js";

// A small deterministic generator, independent of wasmgrad's.
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export type Domain = "any" | "positive" | "awayFromZero";

export interface Case {
  name: string;
  /** The ops of the table whose backward rules this case checks. */
  covers: OpName[];
  inputs: { shape: number[]; domain?: Domain }[];
  wg: (...xs: Tensor[]) => Tensor;
  ref: (...xs: Ref[]) => Ref;
  /** piecewise-linear ops have no meaningful second derivative check near kinks */
  secondOrder?: boolean;
  /** false: only the float32 check applies (the case converts dtypes) */
  float64?: boolean;
}

/** The table's op whose method is `method`. */
function opNamed(method: string): OpName {
  const name = (Object.keys(OPS) as OpName[]).find((n) => OPS[n].method === method);
  if (name === undefined) throw new Error(`no op with method ${method}`);
  return name;
}

const exp = (x: Ref) => R.map(x, Math.exp);

const GATHER_AT = [[0, 3], [1, 1], [2, 0]];
const SCATTER_AT = [[0, 1, 2, 0], [2, 0, 1, 1]]; // one write per target
const SCATTER_ADD_AT = [[0, 1, 1, 0], [0, 1, 2, 0]];
const GATHER = tensor(GATHER_AT, { dtype: "int32" });
const SCATTER = tensor(SCATTER_AT, { dtype: "int32" });
const SCATTER_ADD = tensor(SCATTER_ADD_AT, { dtype: "int32" });
export const unaryCases: Case[] = ([
  ["neg", (t: Tensor) => t.neg(), (x: Ref) => R.map(x, (v) => -v), "any"],
  ["exp", (t: Tensor) => t.exp(), exp, "any"],
  ["log", (t: Tensor) => t.log(), (x: Ref) => R.map(x, Math.log), "positive"],
  ["sqrt", (t: Tensor) => t.sqrt(), (x: Ref) => R.map(x, Math.sqrt), "positive"],
  ["abs", (t: Tensor) => t.abs(), (x: Ref) => R.map(x, Math.abs), "awayFromZero"],
  ["sin", (t: Tensor) => t.sin(), (x: Ref) => R.map(x, Math.sin), "any"],
  ["cos", (t: Tensor) => t.cos(), (x: Ref) => R.map(x, Math.cos), "any"],
  ["tanh", (t: Tensor) => t.tanh(), (x: Ref) => R.map(x, Math.tanh), "any"],
  ["sigmoid", (t: Tensor) => t.sigmoid(), (x: Ref) => R.map(x, (v) => 1 / (1 + Math.exp(-v))), "any"],
  ["relu", (t: Tensor) => t.relu(), (x: Ref) => R.map(x, (v) => Math.max(v, 0)), "awayFromZero"],
  ["reciprocal", (t: Tensor) => t.reciprocal(), (x: Ref) => R.map(x, (v) => 1 / v), "awayFromZero"],
  ["square", (t: Tensor) => t.square(), (x: Ref) => R.map(x, (v) => v * v), "any"],
  ["rsqrt", (t: Tensor) => t.rsqrt(), (x: Ref) => R.map(x, (v) => 1 / Math.sqrt(v)), "positive"],
  ["silu", (t: Tensor) => t.silu(), (x: Ref) => R.map(x, (v) => v / (1 + Math.exp(-v))), "any"],
  ["log1p", (t: Tensor) => t.log1p(), (x: Ref) => R.map(x, Math.log1p), "positive"],
  ["expm1", (t: Tensor) => t.expm1(), (x: Ref) => R.map(x, Math.expm1), "any"],
  ["log2", (t: Tensor) => t.log2(), (x: Ref) => R.map(x, Math.log2), "positive"],
  ["log10", (t: Tensor) => t.log10(), (x: Ref) => R.map(x, Math.log10), "positive"],
  ["exp2", (t: Tensor) => t.exp2(), (x: Ref) => R.map(x, (v) => 2 ** v), "any"],
  ["tan", (t: Tensor) => t.tan(), (x: Ref) => R.map(x, Math.tan), "any"],
  ["sinh", (t: Tensor) => t.sinh(), (x: Ref) => R.map(x, Math.sinh), "any"],
  ["cosh", (t: Tensor) => t.cosh(), (x: Ref) => R.map(x, Math.cosh), "any"],
  // the inverse functions away from their singular points
  ["asin", (t: Tensor) => t.mul(0.8).asin(), (x: Ref) => R.map(x, (v) => Math.asin(0.8 * v)), "any"],
  ["acos", (t: Tensor) => t.mul(0.8).acos(), (x: Ref) => R.map(x, (v) => Math.acos(0.8 * v)), "any"],
  ["atan", (t: Tensor) => t.atan(), (x: Ref) => R.map(x, Math.atan), "any"],
  ["asinh", (t: Tensor) => t.asinh(), (x: Ref) => R.map(x, Math.asinh), "any"],
  ["acosh", (t: Tensor) => t.add(1).acosh(), (x: Ref) => R.map(x, (v) => Math.acosh(v + 1)), "positive"],
  ["atanh", (t: Tensor) => t.mul(0.8).atanh(), (x: Ref) => R.map(x, (v) => Math.atanh(0.8 * v)), "any"],
  // piecewise constant, on (0.15, 0.35) where no step lies
  ["floor", (t: Tensor) => t.mul(0.1).add(0.25).floor(), (x: Ref) => R.map(x, (v) => Math.floor(0.1 * v + 0.25)), "any"],
  ["ceil", (t: Tensor) => t.mul(0.1).add(0.25).ceil(), (x: Ref) => R.map(x, (v) => Math.ceil(0.1 * v + 0.25)), "any"],
  ["round", (t: Tensor) => t.mul(0.1).add(0.25).round(), (x: Ref) => R.map(x, (v) => Math.round(0.1 * v + 0.25)), "any"],
  ["trunc", (t: Tensor) => t.mul(0.1).add(0.25).trunc(), (x: Ref) => R.map(x, (v) => Math.trunc(0.1 * v + 0.25)), "any"],
  ["frac", (t: Tensor) => t.mul(0.1).add(0.25).frac(), (x: Ref) => R.map(x, (v) => 0.1 * v + 0.25), "any"],
  ["sign", (t: Tensor) => t.mul(0.1).add(0.25).sign(), (x: Ref) => R.map(x, () => 1), "any"],
  ["erf", (t: Tensor) => t.erf(), (x: Ref) => R.map(x, R.erf), "any"],
  ["erfc", (t: Tensor) => t.erfc(), (x: Ref) => R.map(x, (v) => 1 - R.erf(v)), "any"],
] as const).flatMap(([name, wg, ref, domain]) =>
  [[], [5], [3, 4], [2, 3, 2]].map((shape) => ({
    name: `${name} ${JSON.stringify(shape)}`,
    covers: [opNamed(name)],
    inputs: [{ shape, domain: domain as Domain }],
    wg: wg as (t: Tensor) => Tensor,
    ref: ref as (x: Ref) => Ref,
    secondOrder: name !== "relu" && name !== "abs",
  })));

const broadcastPairs: [number[], number[]][] = [
  [[], []], [[4], [4]], [[3, 4], [4]], [[3, 1], [1, 4]], [[2, 3, 4], [3, 1]], [[4], []], [[], [2, 3]],
  [[2, 1, 3], [4, 1]],
];
export const binaryCases: Case[] = ([
  ["add", (a: Tensor, b: Tensor) => a.add(b), (x: number, y: number) => x + y, "any", "any"],
  ["sub", (a: Tensor, b: Tensor) => a.sub(b), (x: number, y: number) => x - y, "any", "any"],
  ["mul", (a: Tensor, b: Tensor) => a.mul(b), (x: number, y: number) => x * y, "any", "any"],
  ["div", (a: Tensor, b: Tensor) => a.div(b), (x: number, y: number) => x / y, "any", "awayFromZero"],
  ["pow", (a: Tensor, b: Tensor) => a.pow(b), (x: number, y: number) => x ** y, "positive", "any"],
] as const).flatMap(([name, wg, f, da, db]) =>
  broadcastPairs.map(([sa, sb]) => ({
    name: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
    covers: [opNamed(name)],
    inputs: [{ shape: sa, domain: da as Domain }, { shape: sb, domain: db as Domain }],
    wg: wg as (a: Tensor, b: Tensor) => Tensor,
    ref: (a: Ref, b: Ref) => R.zip(a, b, f),
  })));

export const otherCases: Case[] = [
  { name: "sub with a number on the left", covers: ["Neg", "Add"], inputs: [{ shape: [3] }], wg: (a) => a.neg().add(2), ref: (a) => R.map(a, (v) => 2 - v) },
  { name: "pow with a number exponent", covers: ["Pow"], inputs: [{ shape: [2, 3], domain: "any" }], wg: (a) => a.pow(3), ref: (a) => R.map(a, (v) => v ** 3) },
  { name: "where with broadcasting", covers: ["Where"], inputs: [{ shape: [3, 4], domain: "awayFromZero" }, { shape: [4] }],
    wg: (a, b) => where(a.gt(0), a.mul(a), b.sin()), ref: (a, b) => R.zip(a, b, (x, y) => (x > 0 ? x * x : Math.sin(y))) },
  { name: "maximum with broadcasting", covers: ["Maximum"], inputs: [{ shape: [3, 4] }, { shape: [4] }],
    wg: (a, b) => a.maximum(b.mul(0.7)), ref: (a, b) => R.zip(a, b, (x, y) => Math.max(x, 0.7 * y)) },
  { name: "minimum with broadcasting", covers: ["Minimum"], inputs: [{ shape: [2, 3] }, { shape: [2, 1] }],
    wg: (a, b) => a.minimum(b.mul(0.7)), ref: (a, b) => R.zip(a, b, (x, y) => Math.min(x, 0.7 * y)) },
  { name: "clamp with tensor bounds", covers: ["Clamp"], inputs: [{ shape: [3, 4] }, { shape: [4] }, { shape: [3, 1] }],
    wg: (x, lo, hi) => x.mul(2).clamp(lo.mul(0.5), hi.mul(0.5).add(1)),
    ref: (x, lo, hi) => R.zip(R.zip(x, lo, (v, l) => Math.max(2 * v, 0.5 * l)), hi, (v, h) => Math.min(v, 0.5 * h + 1)) },
  { name: "fmax and fmin", covers: ["Fmax", "Fmin"], inputs: [{ shape: [3, 4] }, { shape: [4] }],
    wg: (a, b) => a.fmax(b.mul(0.7)).add(a.fmin(b.mul(0.3))),
    ref: (a, b) => R.zip(a, b, (x, y) => Math.max(x, 0.7 * y) + Math.min(x, 0.3 * y)) },
  { name: "atan2", covers: ["Atan2"], inputs: [{ shape: [3, 4] }, { shape: [3, 1], domain: "awayFromZero" }],
    wg: (a, b) => a.atan2(b), ref: (a, b) => R.zip(a, b, Math.atan2) },
  { name: "logaddexp", covers: ["Logaddexp"], inputs: [{ shape: [2, 3] }, { shape: [3] }],
    wg: (a, b) => a.mul(3).logaddexp(b), ref: (a, b) => R.zip(a, b, (x, y) => Math.log(Math.exp(3 * x) + Math.exp(y))) },
  { name: "xlogy", covers: ["Xlogy"], inputs: [{ shape: [2, 3] }, { shape: [2, 3], domain: "positive" }],
    wg: (a, b) => a.xlogy(b), ref: (a, b) => R.zip(a, b, (x, y) => x * Math.log(y)) },
  { name: "cumsum along the last dim", covers: ["Cumsum"], inputs: [{ shape: [3, 4] }],
    wg: (a) => a.cumsum(1).mul(a),
    ref: (a) => R.ref(a.shape, Array.from(a.data, (v, k) => {
      const row = Math.floor(k / 4) * 4;
      let s = 0;
      for (let j = row; j <= k; j++) s += a.data[j];
      return s * v;
    })) },
  // activations with parameters, on inputs away from their kinks
  { name: "leaky_relu", covers: ["LeakyRelu"], inputs: [{ shape: [3, 4], domain: "awayFromZero" }],
    wg: (x) => x.leaky_relu(0.2), ref: (x) => R.map(x, (v) => (v > 0 ? v : 0.2 * v)), secondOrder: false },
  { name: "elu and selu", covers: ["Elu"], inputs: [{ shape: [3, 4], domain: "awayFromZero" }],
    wg: (x) => x.elu(0.7).add(x.selu()),
    ref: (x) => R.map(x, (v) => (v > 0 ? v : 0.7 * Math.expm1(v)) + 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))) },
  { name: "hardtanh", covers: ["Hardtanh"], inputs: [{ shape: [3, 4] }],
    wg: (x) => x.mul(3).hardtanh(-0.5, 1.5), ref: (x) => R.map(x, (v) => Math.min(Math.max(3 * v, -0.5), 1.5)), secondOrder: false },
  { name: "softplus", covers: ["Softplus"], inputs: [{ shape: [3, 4] }],
    wg: (x) => x.softplus(2, 1), ref: (x) => R.map(x, (v) => (2 * v > 1 ? v : Math.log1p(Math.exp(2 * v)) / 2)) },
  // gelu, and the division remainders away from the quotients' integer steps (a / b in
  // (2.09, 2.74) and its negation)
  { name: "gelu", covers: ["Gelu", "Erfc"], inputs: [{ shape: [3, 4] }],
    wg: (x) => x.mul(2).gelu(), ref: (x) => R.map(x, (v) => v * (1 + R.erf(v * Math.SQRT2))) },
  { name: "gelu tanh", covers: ["Gelu", "Tanh"], inputs: [{ shape: [3, 4] }],
    wg: (x) => x.mul(2).gelu("tanh"),
    ref: (x) => R.map(x, (v) => v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (2 * v + 0.044715 * (2 * v) ** 3)))) },
  { name: "fmod and remainder", covers: ["Fmod", "Remainder", "DivTrunc", "FloorDivide"],
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    wg: (a, b) => { const x = a.mul(0.2).add(2.4), y = b.mul(0.05).add(1); return x.fmod(y).add(x.neg().remainder(y)); },
    ref: (a, b) => R.zip(a, b, (u, v) => {
      const x = 0.2 * u + 2.4, y = 0.05 * v + 1;
      return x - Math.trunc(x / y) * y + (-x - Math.floor(-x / y) * y);
    }) },
  { name: "div rounding modes and floor_divide", covers: ["DivTrunc", "FloorDivide"], inputs: [{ shape: [2, 3] }, { shape: [3] }],
    wg: (a, b) => { const x = a.mul(0.2).add(2.4), y = b.mul(0.05).add(1);
      return x.div(y, { rounding_mode: "trunc" }).mul(a).add(x.neg().floor_divide(y).mul(b)); },
    ref: (a, b) => R.zip(a, b, (u, v) => {
      const x = 0.2 * u + 2.4, y = 0.05 * v + 1;
      return Math.trunc(x / y) * u + Math.floor(-x / y) * v;
    }) },
  // lerp's weights span both sides of 0.5, where its formula switches ends
  { name: "lerp with a tensor weight", covers: ["Lerp"], inputs: [{ shape: [3, 4] }, { shape: [4] }, { shape: [3, 1] }],
    wg: (a, b, w) => a.lerp(b, w.mul(1.2)),
    ref: (a, b, w) => R.zip(R.zip(R.zip(a, b, (x, y) => y - x), w, (d, v) => 1.2 * v * d), a, (p, x) => x + p) },
  { name: "lerp with a number weight", covers: ["Lerp"], inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    wg: (a, b) => a.lerp(b.mul(b), 0.7), ref: (a, b) => R.zip(a, b, (x, y) => x + 0.7 * (y * y - x)) },
  { name: "addcmul with broadcasting", covers: ["Addcmul"], inputs: [{ shape: [3, 4] }, { shape: [4] }, { shape: [3, 1] }],
    wg: (a, b, c) => a.addcmul(b, c, { value: -1.5 }),
    ref: (a, b, c) => R.zip(a, R.zip(b, c, (x, y) => -1.5 * x * y), (x, p) => x + p) },
  { name: "addcdiv with broadcasting", covers: ["Addcdiv"], inputs: [{ shape: [3, 4] }, { shape: [3, 1] }, { shape: [4], domain: "awayFromZero" }],
    wg: (a, b, c) => a.addcdiv(b, c, { value: 0.5 }),
    ref: (a, b, c) => R.zip(a, R.zip(b, c, (x, y) => (0.5 * x) / y), (x, p) => x + p) },
  // pow's rules mask 0 * inf points with ZeroWhere, whose own rule the second-order check runs
  { name: "pow with a tensor exponent", covers: ["Pow", "ZeroWhere"], inputs: [{ shape: [2, 3], domain: "positive" }, { shape: [3] }], wg: (a, b) => a.pow(b), ref: (a, b) => R.zip(a, b, (x, y) => x ** y) },
  { name: "pow with a fractional exponent", covers: ["Pow"], inputs: [{ shape: [4], domain: "positive" }], wg: (a) => a.pow(0.5), ref: (a) => R.map(a, Math.sqrt) },
  { name: "sum all", covers: ["Sum"], inputs: [{ shape: [3, 4] }], wg: (a) => a.sum(), ref: (a) => R.reduce(a, undefined, false, R.sum) },
  { name: "sum 0-d", covers: ["Sum"], inputs: [{ shape: [] }], wg: (a) => a.sum(), ref: (a) => a },
  { name: "sum dim 0", covers: ["Sum"], inputs: [{ shape: [3, 4] }], wg: (a) => a.sum(0), ref: (a) => R.reduce(a, [0], false, R.sum) },
  { name: "sum dim -1 keepdim", covers: ["Sum"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.sum(-1, true), ref: (a) => R.reduce(a, [-1], true, R.sum) },
  { name: "sum dims [0, 2]", covers: ["Sum"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.sum([0, 2]), ref: (a) => R.reduce(a, [0, 2], false, R.sum) },
  { name: "sum dim 1 (middle)", covers: ["Sum"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.sum(1), ref: (a) => R.reduce(a, [1], false, R.sum) },
  { name: "mean all", covers: ["Mean"], inputs: [{ shape: [3, 4] }], wg: (a) => a.mean(), ref: (a) => R.reduce(a, undefined, false, (v) => R.sum(v) / v.length) },
  { name: "mean dim 1 keepdim", covers: ["Mean"], inputs: [{ shape: [3, 5] }], wg: (a) => a.mean(1, true), ref: (a) => R.reduce(a, [1], true, (v) => R.sum(v) / v.length) },
  { name: "max all", covers: ["Max"], inputs: [{ shape: [3, 4] }], wg: (a) => a.max(), ref: (a) => R.reduce(a, undefined, false, (v) => Math.max(...v)), secondOrder: false },
  { name: "max dim 0", covers: ["Max"], inputs: [{ shape: [3, 4] }], wg: (a) => a.max(0).values, ref: (a) => R.reduce(a, [0], false, (v) => Math.max(...v)), secondOrder: false },
  { name: "max dim -1 keepdim", covers: ["Max"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.max(-1, true).values, ref: (a) => R.reduce(a, [-1], true, (v) => Math.max(...v)), secondOrder: false },
  { name: "dot", covers: ["Dot"], inputs: [{ shape: [5] }, { shape: [5] }], wg: (a, b) => a.dot(b), ref: (a, b) => R.matmul(a, b) },
  { name: "matmul 2-D", covers: ["Matmul"], inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "matmul 1-D @ 2-D", covers: ["Matmul"], inputs: [{ shape: [4] }, { shape: [4, 3] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "matmul 2-D @ 1-D", covers: ["Matmul"], inputs: [{ shape: [3, 4] }, { shape: [4] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "matmul 1-D @ 1-D", covers: ["Matmul"], inputs: [{ shape: [4] }, { shape: [4] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "matmul batched", covers: ["Matmul"], inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "matmul batch broadcast", covers: ["Matmul"], inputs: [{ shape: [1, 3, 4] }, { shape: [3, 4, 2] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "matmul 2-D @ batched", covers: ["Matmul"], inputs: [{ shape: [3, 4] }, { shape: [2, 4, 5] }], wg: (a, b) => a.matmul(b), ref: (a, b) => R.matmul(R.ref([1, ...a.shape], a.data), b) },
  { name: "matmul odd sizes", covers: ["Matmul"], inputs: [{ shape: [7, 9] }, { shape: [9, 6] }], wg: (a, b) => a.matmul(b), ref: R.matmul },
  { name: "norm", covers: ["Norm"], inputs: [{ shape: [2, 3] }], wg: (a) => a.norm(), ref: (a) => R.ref([], [Math.hypot(...a.data)]) },
  // products and norms (bindings/sort-ops.ts); the rules of Prod and Cumprod are made of
  // Shift and Recurrence, which their second-order checks differentiate
  { name: "prod all", covers: ["Prod", "Cumprod", "Shift", "Recurrence"], inputs: [{ shape: [3, 4], domain: "awayFromZero" }],
    wg: (a) => a.prod(), ref: (a) => R.reduce(a, undefined, false, product) },
  { name: "prod dim 1 keepdim", covers: ["Prod"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.prod(1, true), ref: (a) => R.reduce(a, [1], true, product) },
  { name: "prod 0-d", covers: ["Prod"], inputs: [{ shape: [] }], wg: (a) => a.prod().mul(a), ref: (a) => R.map(a, (v) => v * v) },
  { name: "cumprod dim 1", covers: ["Cumprod", "Shift", "Recurrence"], inputs: [{ shape: [3, 4] }], wg: (a) => a.cumprod(1), ref: (a) => cumprodRef(a, 1) },
  { name: "cumprod dim 0 of a transposed view", covers: ["Cumprod"], inputs: [{ shape: [4, 3] }], wg: (a) => a.t().cumprod(0),
    ref: (a) => cumprodRef(R.transpose(a, 0, 1), 0) },
  { name: "logcumsumexp dim 0", covers: ["Logcumsumexp"], inputs: [{ shape: [4, 3] }], wg: (a) => a.logcumsumexp(0),
    ref: (a) => R.map(cumsumRef(R.map(a, Math.exp), 0), Math.log) },
  ...[2, 1, 3, 1.5, 0.5, -1.5, Infinity, -Infinity].map((p): Case => ({
    name: `norm p=${p} over dims [0, 2] keepdim`, covers: ["Norm"], inputs: [{ shape: [2, 3, 4], domain: "awayFromZero" }],
    wg: (a) => a.norm(p, [0, 2], true), ref: (a) => R.reduce(a, [0, 2], true, (v) => pNorm(v, p)),
    secondOrder: p !== 1 && Math.abs(p) !== Infinity,
  })),
  { name: "sort along the last dim", covers: ["Sort"], inputs: [{ shape: [3, 5] }], wg: (a) => a.sort(-1).values,
    ref: (a) => sortedRows(a, false, 5) },
  { name: "sort descending of a transposed view", covers: ["Sort"], inputs: [{ shape: [5, 3] }], wg: (a) => a.t().sort(1, true).values,
    ref: (a) => sortedRows(R.transpose(a, 0, 1), true, 5) },
  { name: "topk", covers: ["Topk"], inputs: [{ shape: [3, 6] }], wg: (a) => a.topk(2).values.mul(a.topk(3, 1, false).values.sum(1, true)),
    ref: (a) => { const big = sortedRows(a, true, 2), small = sortedRows(a, false, 3);
      return R.ref(big.shape, big.data.map((v, i) => v * R.sum(Array.from(small.data.slice(3 * Math.floor(i / 2), 3 * Math.floor(i / 2) + 3))))); } },
  { name: "kthvalue of a transposed view", covers: ["Kthvalue"], inputs: [{ shape: [3, 5] }], wg: (a) => a.t().kthvalue(2, 1).values,
    ref: (a) => R.reduce(R.transpose(a, 0, 1), [1], false, (v) => ascending(v)[1]) },
  { name: "median along a dim, kept", covers: ["MedianDim"], inputs: [{ shape: [3, 4] }], wg: (a) => a.median(1, true).values,
    ref: (a) => R.reduce(a, [1], true, (v) => ascending(v)[1]) },
  { name: "nanmedian along dim 0", covers: ["NanmedianDim"], inputs: [{ shape: [5, 3] }], wg: (a) => a.nanmedian({ dim: 0 }).values,
    ref: (a) => R.reduce(a, [0], false, (v) => ascending(v)[2]) },
  { name: "median of all elements", covers: ["Max"], inputs: [{ shape: [3, 3] }], wg: (a) => a.median(),
    ref: (a) => R.reduce(a, undefined, false, (v) => ascending(v)[4]) },
  { name: "mode of distinct values (the smallest)", covers: ["Mode"], inputs: [{ shape: [3, 4] }], wg: (a) => a.mode(1).values,
    ref: (a) => R.reduce(a, [1], false, (v) => Math.min(...v)) },
  { name: "cummax and cummin", covers: ["Cummax", "Cummin"], inputs: [{ shape: [3, 5] }],
    wg: (a) => a.cummax(1).values.mul(a.t().cummin(0).values.t()),
    ref: (a) => R.zip(running(a, Math.max), running(a, Math.min), (x, y) => x * y) },
  { name: "norm p=3 dim 1", covers: ["Norm"], inputs: [{ shape: [3, 4] }], wg: (a) => a.norm({ p: 3, dim: 1 }), ref: (a) => R.reduce(a, [1], false, (v) => pNorm(v, 3)) },
  { name: "reshape", covers: ["View"], inputs: [{ shape: [2, 6] }], wg: (a) => a.reshape([3, -1]).mul(a.reshape(3, 4)), ref: (a) => R.map(R.ref([3, 4], a.data), (v) => v * v) },
  { name: "transpose", covers: ["Transpose"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.transpose(0, 2), ref: (a) => R.transpose(a, 0, 2) },
  { name: "transpose last two", covers: ["Transpose"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.transpose(-1, -2), ref: (a) => R.transpose(a, 1, 2) },
  { name: ".T", covers: ["Transpose"], inputs: [{ shape: [3, 5] }], wg: (a) => a.T, ref: (a) => R.transpose(a, 0, 1) },
  { name: "permute", covers: ["Permute"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.permute(2, 0, 1),
    ref: (a) => R.take(a, [4, 2, 3], ([i, j, k]) => [j, k, i]) },
  { name: "permute of a transpose, then a product", covers: ["Permute", "Transpose", "Contiguous"], inputs: [{ shape: [2, 3, 4] }],
    wg: (a) => a.transpose(0, 1).permute(2, 0, 1).mul(2),
    ref: (a) => R.map(R.take(a, [4, 3, 2], ([i, j, k]) => [k, j, i]), (v) => 2 * v) },
  { name: "expand", covers: ["Expand"], inputs: [{ shape: [3, 1] }], wg: (a) => a.expand(2, 3, 4),
    ref: (a) => R.take(a, [2, 3, 4], ([, j]) => [j, 0]) },
  { name: "narrow", covers: ["Narrow", "NarrowScatter"], inputs: [{ shape: [3, 5] }], wg: (a) => a.narrow(1, 1, 3).exp(),
    ref: (a) => R.map(R.take(a, [3, 3], ([i, j]) => [i, j + 1]), Math.exp) },
  { name: "select", covers: ["Select", "NarrowScatter"], inputs: [{ shape: [3, 4] }], wg: (a) => a.select(0, -1).sin(),
    ref: (a) => R.map(R.take(a, [4], ([j]) => [2, j]), Math.sin) },
  { name: "contiguous copy of a strided view", covers: ["Contiguous", "Transpose"], inputs: [{ shape: [3, 4] }],
    wg: (a) => a.t().contiguous().mul(a.t()), ref: (a) => R.map(R.transpose(a, 0, 1), (v) => v * v) },
  { name: "clone", covers: ["Contiguous"], inputs: [{ shape: [4] }], wg: (a) => a.clone().mul(a), ref: (a) => R.map(a, (v) => v * v) },
  { name: "diagonal", covers: ["Diagonal"], inputs: [{ shape: [3, 4] }], wg: (a) => a.diagonal(1).exp(),
    ref: (a) => R.map(R.take(a, [3], ([i]) => [i, i + 1]), Math.exp) },
  { name: "a custom Function (x^3 with its own backward)", covers: ["Custom"], inputs: [{ shape: [2, 3], domain: "any" }],
    wg: (a) => Cube.apply(a), ref: (a) => R.map(a, (v) => v ** 3) },
  { name: "unfold with overlapping windows", covers: ["Unfold"], inputs: [{ shape: [5] }], wg: (a) => a.unfold(0, 3, 1).mul(a.unfold(0, 3, 1)),
    ref: (a) => R.map(R.take(a, [3, 3], ([i, j]) => [i + j]), (v) => v * v) },
  { name: "in-place through a view of a non-leaf", covers: ["CopySlices", "ScatterRegion"], inputs: [{ shape: [4] }, { shape: [2] }],
    wg: (a, b) => { const c = a.mul(1); c.narrow(0, 1, 2).mul_(b); return c.sin(); },
    ref: (a, b) => R.map(R.ref([4], [a.data[0], a.data[1] * b.data[0], a.data[2] * b.data[1], a.data[3]]), Math.sin) },
  { name: "the view written in place, used after", covers: ["CopySlices", "Region"], inputs: [{ shape: [2, 3] }, { shape: [3] }],
    wg: (a, b) => { const c = a.mul(1); const v = c.select(0, 1); v.add_(b.mul(b)); return v.mul(c.select(0, 0)); },
    ref: (a, b) => R.ref([3], [0, 1, 2].map((j) => (a.data[3 + j] + b.data[j] ** 2) * a.data[j])) },
  // Indexing: fixed int32 indices, with repeats where the op adds them up; squared so that
  // the second-order check runs each rule's own rule.
  { name: "gather with repeated indices", covers: ["Gather", "ScatterAdd"], inputs: [{ shape: [3, 4] }],
    wg: (a) => a.gather(1, GATHER).square(),
    ref: (a) => R.map(R.take(a, [3, 2], ([i, j]) => [i, GATHER_AT[i][j]]), (v) => v * v) },
  { name: "index_select with repeated indices", covers: ["IndexSelect", "IndexAdd"], inputs: [{ shape: [4, 3] }],
    wg: (a) => a.index_select(0, [2, 0, 2]).square(),
    ref: (a) => R.map(R.take(a, [3, 3], ([i, j]) => [[2, 0, 2][i], j]), (v) => v * v) },
  { name: "scatter", covers: ["Scatter", "Gather"], inputs: [{ shape: [3, 4] }, { shape: [2, 4] }],
    wg: (a, b) => a.scatter(0, SCATTER, b).square(),
    ref: (a, b) => R.map(R.put(a, b, ([i, j]) => [SCATTER_AT[i][j], j], false), (v) => v * v) },
  { name: "scatter_add with repeated indices", covers: ["ScatterAdd", "Gather"], inputs: [{ shape: [3, 4] }, { shape: [2, 4] }],
    wg: (a, b) => a.scatter_add(0, SCATTER_ADD, b).square(),
    ref: (a, b) => R.map(R.put(a, b, ([i, j]) => [SCATTER_ADD_AT[i][j], j], true), (v) => v * v) },
  ...(["sum", "prod", "mean", "amax", "amin"] as const).flatMap((reduce) => [true, false].map((include_self) => ({
    name: `scatter_reduce ${reduce}${include_self ? "" : " without self"}`, covers: ["ScatterReduce"] as OpName[],
    inputs: [{ shape: [3, 4], domain: "awayFromZero" as Domain }, { shape: [2, 4], domain: "awayFromZero" as Domain }],
    wg: (a: Tensor, b: Tensor) => a.scatter_reduce(0, SCATTER_ADD, b, reduce, { include_self }),
    ref: (a: Ref, b: Ref) => scatterReduceRef(a, b, SCATTER_ADD_AT, reduce, include_self),
    secondOrder: reduce !== "amax" && reduce !== "amin",
  }))),
  { name: "index_add with alpha", covers: ["IndexAdd", "IndexSelect"], inputs: [{ shape: [4, 3] }, { shape: [3, 3] }],
    wg: (a, b) => a.index_add(0, [1, 3, 1], b, { alpha: 2 }).square(),
    ref: (a, b) => R.map(R.put(a, R.map(b, (v) => 2 * v), ([i, j]) => [[1, 3, 1][i], j], true), (v) => v * v) },
  { name: "index_copy", covers: ["IndexCopy", "IndexSelect"], inputs: [{ shape: [4, 3] }, { shape: [2, 3] }],
    wg: (a, b) => a.index_copy(0, [3, 0], b).square(),
    ref: (a, b) => R.map(R.put(a, b, ([i, j]) => [[3, 0][i], j], false), (v) => v * v) },
  { name: "x.index with steps, an integer and an index array", covers: ["Narrow", "Select", "IndexSelect"],
    inputs: [{ shape: [5, 6, 2] }], wg: (a) => a.index("1::2", [4, -1, 0], 1).exp(),
    ref: (a) => R.map(R.take(a, [2, 3], ([i, j]) => [1 + 2 * i, [4, 5, 0][j], 1]), Math.exp) },
  { name: "flip of a transposed view", covers: ["Flip"], inputs: [{ shape: [3, 4] }], wg: (a) => a.T.flip([0, 1]).mul(a.T),
    ref: (a) => R.ref([4, 3], R.take(a, [4, 3], ([i, j]) => [2 - j, 3 - i]).data.map((v, n) => v * R.transpose(a, 0, 1).data[n])) },
  { name: "unsqueeze, squeeze", covers: ["View"], inputs: [{ shape: [3, 1, 2] }], wg: (a) => a.squeeze(1).unsqueeze(0), ref: (a) => R.ref([1, 3, 2], a.data) },
  { name: "softmax dim -1", covers: ["Softmax"], inputs: [{ shape: [3, 5] }], wg: (a) => a.softmax(-1), ref: (a) => R.softmax(a, -1, false) },
  { name: "softmax dim 0", covers: ["Softmax"], inputs: [{ shape: [4, 3] }], wg: (a) => a.softmax(0), ref: (a) => R.softmax(a, 0, false) },
  { name: "softmax 3-D middle", covers: ["Softmax"], inputs: [{ shape: [2, 3, 4] }], wg: (a) => a.softmax(1), ref: (a) => R.softmax(a, 1, false) },
  { name: "log_softmax dim -1", covers: ["LogSoftmax"], inputs: [{ shape: [3, 5] }], wg: (a) => a.log_softmax(-1), ref: (a) => R.softmax(a, -1, true) },
  { name: "log_softmax dim 0", covers: ["LogSoftmax"], inputs: [{ shape: [4, 3] }], wg: (a) => a.log_softmax(0), ref: (a) => R.softmax(a, 0, true) },
  { name: "to float64 and back", covers: ["To"], float64: false, inputs: [{ shape: [2, 3] }], wg: (a) => a.double().mul(a).float(), ref: (a) => R.map(a, (v) => v * v) },
  { name: "same tensor twice", covers: ["Mul", "Add"], inputs: [{ shape: [4] }], wg: (a) => a.mul(a).add(a), ref: (a) => R.map(a, (v) => v * v + v) },
  // Broadcast is the sum's rule: its own rule runs in the second-order check.
  { name: "composite chain", covers: ["Mul", "Tanh", "Sum", "Exp", "Broadcast"], inputs: [{ shape: [3, 4] }, { shape: [4] }], wg: (a, b) => a.mul(b).tanh().sum(0).exp(), ref: (a, b) => R.map(R.reduce(R.map(R.zip(a, b, (x, y) => x * y), Math.tanh), [0], false, R.sum), Math.exp) },
  ...convCases(),
];

// im2col and col2im with every parameter away from its default, and max pooling, whose
// internal scatter and gather ops are the gradient (of the output gradient) and its gradient.
function convCases(): Case[] {
  const g: Geometry2 = { kernel: [2, 3], dilation: [1, 2], padding: [1, 0], stride: [2, 1] };
  const options = { dilation: g.dilation, padding: g.padding, stride: g.stride };
  // max_pool2d(a, 3, stride 2, padding 1) of [1, 2, 5, 5]: 3 x 3 windows
  const windows = slidingWindows(3, 3, 2, 1);
  const pooled = (a: Ref) => maxPoolRef(a, windows, windows);
  // v scattered (added) into zeros of a's shape at the argmax of each window of a
  const scattered = (a: Ref, v: Ref) => {
    const out = new Float64Array(a.data.length), { at } = pooled(a), plane = 25;
    at.forEach((k, i) => { out[Math.floor(i / 9) * plane + k] += v.data[i]; });
    return R.ref(a.shape, out);
  };
  const gradOfPool = (a: Tensor, v: Tensor) =>
    grad(max_pool2d(a, 3, { stride: 2, padding: 1 }).mul(v).sum(), a, { create_graph: true })[0]!;
  return [
    { name: "unfold (im2col) with padding, stride and dilation", covers: ["Im2Col"], inputs: [{ shape: [2, 2, 5, 6] }],
      wg: (a) => unfold(a, g.kernel, options), ref: (a) => im2colRef(a, g) },
    { name: "fold (col2im), overlapping blocks", covers: ["Col2Im"], inputs: [{ shape: [2, 12, 6] }],
      wg: (a) => fold(a, [5, 6], g.kernel, options), ref: (a) => col2imRef(a, [5, 6], g) },
    { name: "max_pool2d with padding", covers: ["MaxPool2d"], inputs: [{ shape: [1, 2, 5, 5] }],
      wg: (a) => max_pool2d(a, 3, { stride: 2, padding: 1 }), ref: (a) => pooled(a).out },
    { name: "adaptive_max_pool2d", covers: ["AdaptiveMaxPool2d"], inputs: [{ shape: [1, 2, 5, 7] }],
      wg: (a) => adaptive_max_pool2d(a, [3, 4]), ref: (a) => maxPoolRef(a, adaptiveWindows(5, 3), adaptiveWindows(7, 4)).out },
    // (plus a, and below plus the pooled a and v, so that every input has a gradient)
    { name: "max_pool2d's gradient, in the output gradient", covers: ["PoolScatter"],
      inputs: [{ shape: [1, 2, 5, 5] }, { shape: [1, 2, 3, 3] }], wg: (a, v) => gradOfPool(a, v).add(a),
      ref: (a, v) => R.zip(scattered(a, v), a, (x, y) => x + y) },
    { name: "max_pool2d's second derivative, in the gradient's weights", covers: ["PoolGather"],
      inputs: [{ shape: [1, 2, 5, 5] }, { shape: [1, 2, 3, 3] }, { shape: [1, 2, 5, 5] }],
      wg: (a, v, u) => grad(gradOfPool(a, v).mul(u).sum(), v, { create_graph: true })[0]!.add(max_pool2d(a, 3, { stride: 2, padding: 1 })).add(v),
      ref: (a, v, u) => {
        const { out, at } = pooled(a);
        return R.ref([1, 2, 3, 3], at.map((k, i) => u.data[Math.floor(i / 9) * 25 + k] + out.data[i] + v.data[i]));
      } },
  ];
}

// scatter_reduce along dim 0: each target reduces self's value (if included) and its sources.
function scatterReduceRef(a: Ref, b: Ref, at: number[][], reduce: string, includeSelf: boolean): Ref {
  const [, cols] = a.shape;
  const groups = Array.from(a.data, (v) => (includeSelf ? [v] : []));
  at.forEach((row, i) => row.forEach((target, j) => groups[target * cols + j].push(b.data[i * cols + j])));
  return R.ref(a.shape, groups.map((g, k) => {
    if (g.length === 0) return a.data[k];
    if (reduce === "sum") return R.sum(g);
    if (reduce === "mean") return R.sum(g) / g.length;
    if (reduce === "prod") return product(g);
    return reduce === "amax" ? Math.max(...g) : Math.min(...g);
  }));
}

function product(vals: number[]): number {
  return vals.reduce((a, b) => a * b, 1);
}

// The running products (or sums) along dim.
function scanRef(x: Ref, dim: number, sum: boolean): Ref {
  return R.ref(x.shape, Array.from(x.data, (_, i) => {
    const stride = x.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const k = Math.floor(i / stride) % x.shape[dim];
    let acc = sum ? 0 : 1;
    for (let j = 0; j <= k; j++) acc = sum ? acc + x.data[i - (k - j) * stride] : acc * x.data[i - (k - j) * stride];
    return acc;
  }));
}
const cumprodRef = (x: Ref, dim: number) => scanRef(x, dim, false);
const cumsumRef = (x: Ref, dim: number) => scanRef(x, dim, true);

// The first k of each row (the last dim of a 2-D x) in order.
function sortedRows(x: Ref, descending: boolean, k: number): Ref {
  const [rows, n] = x.shape;
  const data: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.data.slice(r * n, (r + 1) * n)).sort((a, b) => (descending ? b - a : a - b));
    data.push(...row.slice(0, k));
  }
  return R.ref([rows, k], data);
}

function ascending(vals: number[]): number[] {
  return [...vals].sort((a, b) => a - b);
}

// The running extreme along the last dim of a 2-D reference.
function running(x: Ref, pick: (a: number, b: number) => number): Ref {
  const [rows, n] = x.shape;
  const data = Array.from(x.data);
  for (let r = 0; r < rows; r++) for (let k = 1; k < n; k++) data[r * n + k] = pick(data[r * n + k - 1], data[r * n + k]);
  return R.ref([rows, n], data);
}

function pNorm(vals: number[], p: number): number {
  const a = vals.map(Math.abs);
  if (p === Infinity) return Math.max(...a);
  if (p === -Infinity) return Math.min(...a);
  return a.reduce((s, v) => s + v ** p, 0) ** (1 / p);
}

export function sample(shape: number[], domain: Domain, next: () => number): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, () => {
    const u = next();
    if (domain === "positive") return 0.5 + 1.5 * u;
    if (domain === "awayFromZero") return (u < 0.5 ? -1 : 1) * (0.3 + u);
    return 2 * u - 1;
  });
}

