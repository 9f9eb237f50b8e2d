// Forward mode (wg.autograd.forward_ad) against PyTorch 1.13's torch.autograd.forward_ad
// (test/fixtures/forward_ad.json from generate_forward_ad.py): each case calls one function
// of FUNCTIONS, the same as the generator's under the same name, on fixed float64 inputs,
// some of them dual, inside dual_level, and compares the primal and tangent of every output.
// Where torch 1.13 has no forward AD for an op, the fixture's tangents come from reverse
// mode (J . t) or from an equivalent call, and the case says so (`tangent_from`).
import { describe, expect, test } from "vitest";
import {
  autograd, grad, pow, scope, tensor, where, zeros, type FunctionCtx, type Tensor,
} from "../bindings/index.js";
import * as F from "../bindings/nn/functional.js";
import { OPS, type OpName } from "../bindings/generated/ops.js";
import fixture from "./fixtures/forward_ad.json" with { type: "json" };

const { dual_level, make_dual, unpack_dual } = autograd.forward_ad;

type Value = number | string | boolean | null;
interface Input {
  shape: number[]; values: Value[]; transposed: boolean; requires_grad: boolean;
  tangent: { values: Value[]; transposed: boolean } | null;
}
interface Output { shape: number[]; dtype: string; primal: Value[]; tangent: Value[] | null }
interface Case {
  name: string; fn: string; covers: string[]; inputs: Input[]; outputs?: Output[]; rtol?: number;
  expect_error?: boolean; torch_error?: string; torch_tangent?: string; tangent_from?: string;
}
const CASES = fixture as unknown as Case[];

/** A JSON value as a number: NaN is null, the infinities are strings, booleans count as 0/1. */
function decoded(v: Value): number {
  if (v === null) return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return Number(v);
}

/** float64 values of `shape`, stored reversed and seen through .T when transposed (2-D). */
function built(shape: number[], values: Value[], transposed: boolean, requires_grad = false): Tensor {
  const stored = transposed ? shape.slice().reverse() : shape;
  const leaf = tensor(Float64Array.from(values, decoded), { shape: stored, requires_grad });
  return transposed ? leaf.T : leaf;
}

// ---- the functions, as generate_forward_ad.py defines them ------------------------------

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];
const GATHER = [[0, 3], [1, 1], [2, 0]];
const SCATTER = [[0, 1, 2, 0], [2, 0, 1, 1]]; // one write per target
const SCATTER_ADD = [[0, 1, 1, 0], [0, 1, 2, 0]]; // repeated targets
const grad1 = (out: Tensor, x: Tensor) => grad(out, x, { create_graph: true })[0]!;

// x^3 with its backward written by hand and no jvp.
class Cube extends autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor) { ctx.save_for_backward(x); return x.pow(3); }
  static override backward(ctx: FunctionCtx, g: Tensor) { const [x] = ctx.saved_tensors; return g.mul(x.square()).mul(3); }
}

const UNARY: Record<string, (x: Tensor) => Tensor> = {
  neg: (x) => x.neg(), exp: (x) => x.exp(), log: (x) => x.log(), sqrt: (x) => x.sqrt(), abs: (x) => x.abs(),
  sin: (x) => x.sin(), cos: (x) => x.cos(), tanh: (x) => x.tanh(), sigmoid: (x) => x.sigmoid(), relu: (x) => x.relu(),
  reciprocal: (x) => x.reciprocal(), square: (x) => x.square(), rsqrt: (x) => x.rsqrt(), silu: (x) => x.silu(),
  log1p: (x) => x.log1p(), expm1: (x) => x.expm1(), log2: (x) => x.log2(), log10: (x) => x.log10(), exp2: (x) => x.exp2(),
  tan: (x) => x.tan(), sinh: (x) => x.sinh(), cosh: (x) => x.cosh(),
  asin: (x) => x.mul(0.8).asin(), acos: (x) => x.mul(0.8).acos(), atan: (x) => x.atan(), asinh: (x) => x.asinh(),
  acosh: (x) => x.add(1).acosh(), atanh: (x) => x.mul(0.8).atanh(),
  floor: (x) => x.mul(0.1).add(0.25).floor(), ceil: (x) => x.mul(0.1).add(0.25).ceil(),
  round: (x) => x.mul(0.1).add(0.25).round(), trunc: (x) => x.mul(0.1).add(0.25).trunc(),
  frac: (x) => x.mul(0.1).add(0.25).frac(), sign: (x) => x.mul(0.1).add(0.25).sign(),
  erf: (x) => x.erf(), erfc: (x) => x.erfc(),
};

const norms: Record<string, Fn> = Object.fromEntries([2, 1, 3, Infinity].map((p) =>
  [`norm_p${p === Infinity ? "inf" : p}`, (a: Tensor) => a.norm(p, [0, 2], true)]));

const scatterReduces: Record<string, Fn> = Object.fromEntries((["sum", "prod", "mean", "amax", "amin"] as const)
  .flatMap((reduce) => [true, false].map((include_self) => [`scatter_reduce_${reduce}${include_self ? "" : "_without_self"}`,
    (a: Tensor, b: Tensor) => a.scatter_reduce(0, SCATTER_ADD, b, reduce, { include_self })])));

const FUNCTIONS: Record<string, Fn> = {
  ...UNARY,
  add: (a, b) => a.add(b), sub: (a, b) => a.sub(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b), pow: (a, b) => a.pow(b),
  rsub_number: (a) => a.neg().add(2),
  pow_number_exponent: (a) => a.pow(3),
  pow_fractional_exponent: (a) => a.pow(0.5),
  pow_number_base: (a) => pow(2, a),
  same_twice: (a) => a.mul(a).add(a),
  composite_chain: (a, b) => a.mul(b).tanh().sum(0).exp(),
  maximum: (a, b) => a.maximum(b.mul(0.7)),
  minimum: (a, b) => a.minimum(b.mul(0.7)),
  fmax_fmin: (a, b) => a.fmax(b.mul(0.7)).add(a.fmin(b.mul(0.3))),
  fmax_fmin_plain: (a, b) => [a.fmax(b), a.fmin(b)],
  atan2: (a, b) => a.atan2(b),
  logaddexp: (a, b) => a.mul(3).logaddexp(b),
  xlogy: (a, b) => a.xlogy(b),
  where: (a, b) => where(a.gt(0), a.mul(a), b.sin()),
  clamp_numbers: (x) => x.clamp(-0.4, 0.5),
  clamp_min_only: (x) => x.clamp({ min: -0.2 }),
  clamp_tensors: (x, lo, hi) => x.mul(2).clamp(lo.mul(0.5), hi.mul(0.5).add(1)),

  leaky_relu: (x) => x.leaky_relu(0.2),
  elu: (x) => x.elu(0.7),
  selu: (x) => x.selu(),
  hardtanh: (x) => x.mul(3).hardtanh(-0.5, 1.5),
  relu6: (x) => x.mul(4).relu6(),
  softplus: (x) => x.softplus(2, 1),
  softplus_default: (x) => x.softplus(),
  gelu: (x) => x.mul(2).gelu(),
  gelu_tanh: (x) => x.mul(2).gelu("tanh"),
  fmod: (a, b) => a.mul(0.2).add(2.4).fmod(b.mul(0.05).add(1)),
  remainder: (a, b) => a.mul(0.2).add(2.4).neg().remainder(b.mul(0.05).add(1)),
  fmod_remainder_number: (a) => [a.mul(0.2).add(2.4).fmod(1.1), a.mul(0.2).add(2.4).neg().remainder(1.1)],
  div_trunc: (a, b) => a.mul(0.2).add(2.4).div(b.mul(0.05).add(1), { rounding_mode: "trunc" }),
  div_floor: (a, b) => a.mul(0.2).add(2.4).neg().div(b.mul(0.05).add(1), { rounding_mode: "floor" }),
  floor_divide: (a, b) => a.mul(0.2).add(2.4).neg().floor_divide(b.mul(0.05).add(1)),
  rounded_times: (a, b) => {
    const x = a.mul(0.2).add(2.4), y = b.mul(0.05).add(1);
    return x.div(y, { rounding_mode: "trunc" }).mul(a).add(x.neg().div(y, { rounding_mode: "floor" }).mul(b));
  },
  lerp_tensor: (a, b, w) => a.lerp(b, w.mul(1.2)),
  lerp_number: (a, b) => a.lerp(b.mul(b), 0.7),
  addcmul: (a, b, c) => a.addcmul(b, c, { value: -1.5 }),
  addcdiv: (a, b, c) => a.addcdiv(b, c, { value: 0.5 }),
  to_float32: (a) => a.to("float32"),
  to_float32_and_back: (a) => a.to("float32").mul(3).to("float64").mul(a),

  sum_all: (a) => a.sum(),
  sum_dim0: (a) => a.sum(0),
  sum_dims: (a) => a.sum([0, 2]),
  sum_keepdim: (a) => a.sum(-1, true),
  mean_all: (a) => a.mean(),
  mean_dim: (a) => a.mean(1, true),
  max_all: (a) => a.max(),
  max_dim: (a) => { const { values, indices } = a.max(0); return [values, indices]; },
  max_dim_keepdim: (a) => a.max(-1, true).values,
  amax: (a) => a.amax(1),
  amax_dims: (a) => a.amax([0, 2], true),
  min_amin: (a) => [a.min(), a.amin(0), a.min(1).values],
  argmax: (a) => [a.argmax(), a.argmax(1)],
  cumsum: (a) => a.cumsum(1),
  cumsum0: (a) => a.cumsum(0),
  cumprod: (a) => a.cumprod(1),
  cumprod_t: (a) => a.t().cumprod(0),
  logcumsumexp: (a) => a.logcumsumexp(0),
  logcumsumexp1: (a) => a.logcumsumexp(1),
  prod_all: (a) => a.prod(),
  prod_dim: (a) => a.prod(1, true),
  prod_0d: (a) => a.prod().mul(a),
  sort: (a) => { const { values, indices } = a.sort(-1); return [values, indices]; },
  sort_desc_t: (a) => a.t().sort(1, true).values,
  topk: (a) => [a.topk(2).values, a.topk(3, 1, false).values],
  kthvalue_t: (a) => a.t().kthvalue(2, 1).values,
  median_dim: (a) => a.median(1, true).values,
  median_all: (a) => a.median(),
  nanmedian_dim: (a) => a.nanmedian(0).values,
  nanmedian_all: (a) => a.nanmedian(),
  mode: (a) => a.mode(1).values,
  cummax_cummin: (a) => [a.cummax(1).values, a.t().cummin(0).values.t()],
  dot: (a, b) => a.dot(b),
  matmul: (a, b) => a.matmul(b),
  mm_mv_outer_bmm: (a, b, v, c) => [a.mm(b), a.mv(v), v.outer(v), c.bmm(c.transpose(1, 2))],
  norm: (a) => a.norm(),
  ...norms,
  norm_p1_all: (a) => a.norm(1),
  norm_inf_all: (a) => a.norm(Infinity),
  norm_p3_dim: (a) => a.norm({ p: 3, dim: 1 }),
  softmax: (a) => a.softmax(-1),
  softmax0: (a) => a.softmax(0),
  softmax_mid: (a) => a.softmax(1),
  log_softmax: (a) => a.log_softmax(-1),
  log_softmax0: (a) => a.log_softmax(0),

  gather: (a) => a.gather(1, GATHER),
  index_select: (a) => a.index_select(0, [2, 0, 2]),
  scatter: (a, b) => a.scatter(0, SCATTER, b),
  scatter_add: (a, b) => a.scatter_add(0, SCATTER_ADD, b),
  ...scatterReduces,
  index_add: (a, b) => a.index_add(0, [1, 3, 1], b, { alpha: 2 }),
  index_copy: (a, b) => a.index_copy(0, [3, 0], b),

  view_reshape: (a) => [a.view(3, 4), a.reshape(-1, 2), a.t().reshape(12)],
  squeeze_unsqueeze: (a) => a.squeeze(1).unsqueeze(0),
  flatten: (a) => a.flatten(),
  transpose: (a) => a.transpose(0, 2),
  T: (a) => a.T,
  permute: (a) => a.permute(2, 0, 1),
  permute_of_transpose: (a) => a.transpose(0, 1).permute(2, 0, 1).mul(2),
  expand: (a) => a.expand(2, 3, 4),
  expand_0d: (a) => a.expand(2, 3).mul(1.5),
  narrow: (a) => a.narrow(1, 1, 3).exp(),
  slice_step: (a) => a.index("1::2", "::3"),
  select: (a) => a.select(0, -1).sin(),
  index_mixed: (a) => a.index("1::2", [4, -1, 0], 1).exp(),
  diagonal: (a) => [a.diagonal(1), a.diagonal(-1)],
  diagonal_3d: (a) => a.diagonal(0, 1, 2),
  unfold_view: (a) => a.unfold(0, 3, 1).mul(a.unfold(0, 3, 1)),
  unfold_view_step: (a) => a.unfold(1, 2, 2),
  flip: (a) => a.T.flip([0, 1]).mul(a.T),
  flip1: (a) => a.flip([1]),
  contiguous: (a) => a.t().contiguous().mul(a.t()),
  clone: (a) => a.clone().mul(a),
  detach: (a) => [a.detach(), a.detach().mul(a)],
  no_dual: (a, b) => [a.mul(b), a.gt(b)],
  comparisons: (a) => [a.gt(0), a.isnan(), a.floor()],

  inplace_mul_sin: (x) => { const y = x.clone(); y.mul_(2); y.index("0:2").sin_(); return y; },
  inplace_view_base: (a, b) => { const c = a.mul(1); c.narrow(0, 1, 2).mul_(b); return c.sin(); },
  inplace_strided_view: (a, s) => { const c = a.mul(1); const v = c.index(":", "1::2"); v.mul_(s); return [c, v]; },
  inplace_view_of_transpose: (a, b) => { const c = a.mul(1); c.t().narrow(0, 1, 2).mul_(b); return c; },
  view_used_after: (a, b) => { const c = a.mul(1); const v = c.select(0, 1); v.add_(b.mul(b)); return v.mul(c.select(0, 0)); },
  view_before_base_write: (a, b) => { const c = a.mul(1); const v = c.index("::2"); c.mul_(b); return [v.exp(), c]; },
  copy_into_plain: (x) => { const y = zeros([4], { dtype: "float64" }); y.index("1:3").copy_(x); return y; },
  add_into_plain: (x, s) => { const y = x.clone(); y.add_(s, { alpha: 2 }); return y; },
  inplace_on_dual: (x) => { x.mul_(2); return x; },
  inplace_chain: (x, z, a, b, e) => {
    const y = x.clone();
    y.exp_(); y.div_(z); y.clamp_(-1.5, 1.5); y.addcmul_(a, b, { value: 0.5 }); y.lerp_(e, 0.3);
    return y;
  },
  inplace_index: (x, s, t) => {
    const y = x.clone();
    y.index_add_(0, [1, 0], s, { alpha: 2 }); y.scatter_add_(0, [[2, 0, 1]], t);
    return y;
  },
  inplace_zero_fill: (x) => { const y = x.clone(); y.index("1:3").zero_(); y.index(0).fill_(2); return y; },
  inplace_leaky_hardtanh: (x) => { const y = x.mul(3); y.leaky_relu_(0.1); y.hardtanh_(-0.5, 2.0); return y; },

  conv2d: (x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }),
  conv_transpose2d: (x, w) => F.conv_transpose2d(x, w, null, { stride: 2, padding: 1 }),
  unfold: (x) => F.unfold(x, [2, 3], { dilation: [1, 2], padding: [1, 0], stride: [2, 1] }),
  fold: (x) => F.fold(x, [5, 6], [2, 3], { dilation: [1, 2], padding: [1, 0], stride: [2, 1] }),
  max_pool2d: (x) => F.max_pool2d(x, 3, { stride: 2, padding: 1 }),
  max_pool2d_dilation: (x) => F.max_pool2d(x, 2, { stride: 1, dilation: 2 }),
  adaptive_max_pool2d: (x) => F.adaptive_max_pool2d(x, [3, 4]),

  fwr_pow: (x, y, w) => grad(x.pow(y).mul(w).sum(), [x, y], { create_graph: true }) as Tensor[],
  fwr_clamp: (x, w) => grad1(x.clamp(-0.5, 0.5).mul(w).sum(), x),
  fwr_sum: (x, w) => grad1(x.sum(0).exp().mul(w).sum(), x),
  fwr_narrow: (x, w) => grad1(x.narrow(1, 1, 2).exp().mul(w).sum(), x),
  fwr_unfold: (x, w) => grad1(x.unfold(0, 3, 1).square().mul(w).sum(), x),
  fwr_cumprod: (x, w) => grad1(x.cumprod(1).mul(w).sum(), x),
  fwr_prod: (x, w) => grad1(x.prod(1).mul(w).sum(), x),
  fwr_max_pool2d: (a, w) => grad1(F.max_pool2d(a, 3, { stride: 2, padding: 1 }).mul(w).sum(), a),
  fwr_max_pool2d_second: (a, v, u) =>
    grad1(grad1(F.max_pool2d(a, 3, { stride: 2, padding: 1 }).mul(v).sum(), a).mul(u).sum(), v),
  fwr_hvp: (x) => grad1(x.sin().mul(x).sum(), x),

  custom_function: (x) => Cube.apply(x),
};

// Differentiable ops of the table that no case covers, each with the reason.
const NOT_COVERED: Partial<Record<OpName, string>> = {
  Custom: "a wg.autograd.Function's tangent is its author's jvp: test/custom-function.test.ts checks it in closed form, " +
    "and the case \"a custom Function without jvp refuses dual inputs\" that one without jvp refuses, as PyTorch does",
};

// ---- comparing ---------------------------------------------------------------------------

function expectValues(got: ArrayLike<number>, want: Value[], rtol: number, what: string): void {
  const w = want.map(decoded);
  const show = () => `\n got ${Array.from(got).join(", ")}\nwant ${w.join(", ")}`;
  if (got.length !== w.length) throw new Error(`${what}: ${got.length} values, want ${w.length}${show()}`);
  for (let i = 0; i < w.length; i++) {
    const g = got[i], v = w[i];
    const ok = Number.isNaN(v) ? Number.isNaN(g) : !Number.isFinite(v) ? g === v : Math.abs(g - v) <= rtol * Math.max(1, Math.abs(v));
    if (!ok) throw new Error(`${what}[${i}]: got ${g}, want ${v}${show()}`);
  }
}

function checkOutput(y: Tensor, want: Output, c: Case, k: number): void {
  const { primal, tangent } = unpack_dual(y);
  const what = `output ${k}`;
  const rtol = c.rtol ?? (want.dtype === "float32" ? 1e-5 : 1e-10);
  expect(primal.shape, `${what} primal shape`).toEqual(want.shape);
  expect(primal.dtype, `${what} primal dtype`).toBe(want.dtype);
  expectValues(Array.from(primal.toTypedArray() as ArrayLike<number>, Number), want.primal, rtol, `${what} primal`);
  if (want.tangent === null) {
    expect(tangent, `${what}: PyTorch gives no tangent`).toBeNull();
    return;
  }
  if (tangent === null) throw new Error(`${what}: no tangent, want ${want.tangent.map(decoded).join(", ")}`);
  expect(tangent.shape, `${what} tangent shape`).toEqual(want.shape);
  expect(tangent.dtype, `${what} tangent dtype`).toBe(want.dtype);
  expectValues(Array.from(tangent.toTypedArray() as ArrayLike<number>, Number), want.tangent, rtol, `${what} tangent`);
}

function run(c: Case): void {
  const f = FUNCTIONS[c.fn];
  scope(() => dual_level(() => {
    const xs = c.inputs.map((input) => {
      const x = built(input.shape, input.values, input.transposed, input.requires_grad);
      if (input.tangent === null) return x;
      return make_dual(x, built(input.shape, input.tangent.values, input.tangent.transposed));
    });
    if (c.expect_error) {
      expect(() => f(...xs), `PyTorch: ${c.torch_error}`).toThrow();
      return;
    }
    const out = f(...xs);
    const outs = Array.isArray(out) ? out : [out];
    expect(outs.length, "number of outputs").toBe(c.outputs!.length);
    outs.forEach((y, k) => checkOutput(y, c.outputs![k], c, k));
  }));
}

describe("forward mode against torch.autograd.forward_ad", () => {
  test("every differentiable op of the table has a case", () => {
    const names = Object.keys(OPS) as OpName[];
    const covered = new Set(CASES.flatMap((c) => c.covers));
    for (const n of covered) expect(names, `covers names an op of the table: ${n}`).toContain(n);
    const missing = names.filter((n) => OPS[n].gradFn !== null && !covered.has(n) && NOT_COVERED[n] === undefined);
    expect(missing, "differentiable ops without a forward-mode case").toEqual([]);
    for (const n of Object.keys(NOT_COVERED) as OpName[]) {
      expect(OPS[n].gradFn, `${n} is differentiable`).not.toBeNull();
      expect(covered.has(n), `${n} is listed as not covered`).toBe(false);
    }
  });

  test("the fixture's functions and these are the same set", () => {
    const used = new Set(CASES.map((c) => c.fn));
    expect([...used].filter((fn) => FUNCTIONS[fn] === undefined), "functions the fixture calls").toEqual([]);
    expect(Object.keys(FUNCTIONS).filter((fn) => !used.has(fn)), "functions no case calls").toEqual([]);
  });

  const label = (c: Case) => (c.tangent_from !== undefined ? `${c.name} (expected tangent: ${c.tangent_from})` : c.name);
  test.each(CASES.map((c) => [label(c), c] as const))("%s", (_name, c) => run(c));
});
