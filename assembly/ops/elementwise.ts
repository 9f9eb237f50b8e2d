// Elementwise ops: unary maps and broadcasting binary ops, each kernel beside its
// backward rule. Kernels are small "kernel classes" whose inlined methods give the vector
// (f32x4) and scalar forms; the op table (spec/ops.ts) instantiates the generic loops once
// per op, so no op switch runs per call or per element.

import {
  newTensor, newTensorLike, dataPtr, numel, ndim, dim, shapePtr, geti, release, retain,
  MAX_DIMS, OP, EDGES,
} from "../tensors";
import { at, put } from "../memory";
import { record1, record2, gradEnabled, input, needsGrad, setGrad } from "../graph";
import { Op } from "../generated/table";
import { expV, expS, logV, logS, tanhV, tanhS, sinCosV } from "./simd";

// ---- unary kernels ------------------------------------------------------------------

@final export class NegK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return f32x4.neg(x); } @inline s(x: f32): f32 { return -x; } }
@final export class ExpK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return expV(x); } @inline s(x: f32): f32 { return expS(x); } }
@final export class LogK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return logV(x); } @inline s(x: f32): f32 { return logS(x); } }
@final export class SqrtK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return f32x4.sqrt(x); } @inline s(x: f32): f32 { return Mathf.sqrt(x); } }
@final export class AbsK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return f32x4.abs(x); } @inline s(x: f32): f32 { return Mathf.abs(x); } }
@final export class SinK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return sinCosV(x, false); }
  @inline s(x: f32): f32 { return f32x4.extract_lane(sinCosV(f32x4.splat(x), false), 0); } }
@final export class CosK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return sinCosV(x, true); }
  @inline s(x: f32): f32 { return f32x4.extract_lane(sinCosV(f32x4.splat(x), true), 0); } }
@final export class TanhK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return tanhV(x); } @inline s(x: f32): f32 { return tanhS(x); } }
@final export class SigmoidK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 {
    const one = f32x4.splat(1.0);
    return f32x4.div(one, f32x4.add(one, expV(f32x4.neg(x))));
  }
  @inline s(x: f32): f32 { return 1.0 / (1.0 + expS(-x)); } }
@final export class ReluK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return v128.and(x, f32x4.gt(x, f32x4.splat(0))); }
  @inline s(x: f32): f32 { return x > 0 ? x : 0; } }
@final export class ReciprocalK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return f32x4.div(f32x4.splat(1), x); }
  @inline s(x: f32): f32 { return 1 / x; } }
@final export class SignK { @inline vec(): bool { return false; }
  @inline v(x: v128): v128 { return x; }
  @inline s(x: f32): f32 { return x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x; } }
@final export class PositiveK { @inline vec(): bool { return true; }
  @inline v(x: v128): v128 { return v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.splat(1.0)); }
  @inline s(x: f32): f32 { return x > 0 ? 1 : 0; } }

function unaryLoop<K>(src: usize, dst: usize, n: i32): void {
  const k = changetype<K>(0);
  let i = 0;
  if (k.vec()) {
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(dst + off, k.v(v128.load(src + off)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, k.s(load<f32>(src + off)));
  }
}

export function unary<K>(op: i32, a: i32): i32 {
  const out = newTensorLike(a);
  unaryLoop<K>(dataPtr(a), dataPtr(out), numel(a));
  record1(out, op, a);
  return out;
}

// ---- binary kernels -----------------------------------------------------------------

@final export class AddK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return f32x4.add(a, b); } @inline s(a: f32, b: f32): f32 { return a + b; } }
@final export class SubK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return f32x4.sub(a, b); } @inline s(a: f32, b: f32): f32 { return a - b; } }
@final export class MulK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return f32x4.mul(a, b); } @inline s(a: f32, b: f32): f32 { return a * b; } }
@final export class DivK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return f32x4.div(a, b); } @inline s(a: f32, b: f32): f32 { return a / b; } }
@final export class PowK { @inline vec(): bool { return false; }
  @inline v(a: v128, b: v128): v128 { return a; } @inline s(a: f32, b: f32): f32 { return Mathf.pow(a, b); } }
@final export class GtK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return v128.and(f32x4.gt(a, b), f32x4.splat(1.0)); }
  @inline s(a: f32, b: f32): f32 { return a > b ? 1 : 0; } }
@final export class LtK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return v128.and(f32x4.lt(a, b), f32x4.splat(1.0)); }
  @inline s(a: f32, b: f32): f32 { return a < b ? 1 : 0; } }
@final export class GeK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return v128.and(f32x4.ge(a, b), f32x4.splat(1.0)); }
  @inline s(a: f32, b: f32): f32 { return a >= b ? 1 : 0; } }
@final export class LeK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return v128.and(f32x4.le(a, b), f32x4.splat(1.0)); }
  @inline s(a: f32, b: f32): f32 { return a <= b ? 1 : 0; } }
@final export class EqK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return v128.and(f32x4.eq(a, b), f32x4.splat(1.0)); }
  @inline s(a: f32, b: f32): f32 { return a == b ? 1 : 0; } }

// One row: n outputs; each input steps by 1 (contiguous) or 0 (broadcast).
function binaryRow<K>(pa: usize, sa: i32, pb: usize, sb: i32, po: usize, n: i32): void {
  const k = changetype<K>(0);
  let i = 0;
  if (sa == 1 && sb == 1) {
    if (k.vec()) {
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2;
        v128.store(po + off, k.v(v128.load(pa + off), v128.load(pb + off)));
      }
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      store<f32>(po + off, k.s(load<f32>(pa + off), load<f32>(pb + off)));
    }
  } else if (sa == 1) {
    const y = load<f32>(pb);
    if (k.vec()) {
      const yv = f32x4.splat(y);
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2;
        v128.store(po + off, k.v(v128.load(pa + off), yv));
      }
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      store<f32>(po + off, k.s(load<f32>(pa + off), y));
    }
  } else if (sb == 1) {
    const x = load<f32>(pa);
    if (k.vec()) {
      const xv = f32x4.splat(x);
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2;
        v128.store(po + off, k.v(xv, v128.load(pb + off)));
      }
    }
    for (; i < n; i++) {
      const off = <usize>i << 2;
      store<f32>(po + off, k.s(x, load<f32>(pb + off)));
    }
  } else {
    const r = k.s(load<f32>(pa), load<f32>(pb));
    for (; i < n; i++) store<f32>(po + (<usize>i << 2), r);
  }
}

// Scratch for the broadcasting walk: output shape, input strides, counters.
const outShape = heap.alloc(MAX_DIMS << 2);
const strideA = heap.alloc(MAX_DIMS << 2);
const strideB = heap.alloc(MAX_DIMS << 2);
const counter = heap.alloc(MAX_DIMS << 2);


// Strides (in elements) of tensor t broadcast to a rank-`rank` shape: 0 along broadcast dims.
function broadcastStrides(t: i32, rank: i32, shape: usize, strides: usize): void {
  const offset = rank - ndim(t);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    const td = d - offset;
    const size = td >= 0 ? dim(t, td) : 1;
    put(strides, d, size == 1 && at(shape, d) != 1 ? 0 : stride);
    stride *= size;
  }
}

export function binaryKernel<K>(a: i32, b: i32, out: i32): void {
  const n = numel(out);
  if (n == 0) return;
  const pa = dataPtr(a), pb = dataPtr(b), po = dataPtr(out);
  const na = numel(a), nb = numel(b);
  if (na == n && nb == n) { binaryRow<K>(pa, 1, pb, 1, po, n); return; }
  if (na == n && nb == 1) { binaryRow<K>(pa, 1, pb, 0, po, n); return; }
  if (na == 1 && nb == n) { binaryRow<K>(pa, 0, pb, 1, po, n); return; }
  // General broadcast: walk the output row by row (last dim), stepping each input's offset.
  const rank = ndim(out);
  const shape = shapePtr(out);
  broadcastStrides(a, rank, shape, strideA);
  broadcastStrides(b, rank, shape, strideB);
  const row = dim(out, rank - 1);
  const sa = at(strideA, rank - 1), sb = at(strideB, rank - 1);
  const rows = n / row;
  for (let d = 0; d < rank; d++) put(counter, d, 0);
  let offA = 0, offB = 0;
  for (let r = 0; r < rows; r++) {
    binaryRow<K>(pa + (<usize>offA << 2), sa, pb + (<usize>offB << 2), sb,
      po + (<usize>(r * row) << 2), row);
    for (let d = rank - 2; d >= 0; d--) {
      const c = at(counter, d) + 1;
      offA += at(strideA, d);
      offB += at(strideB, d);
      if (c < at(shape, d)) { put(counter, d, c); break; }
      put(counter, d, 0);
      offA -= at(strideA, d) * c;
      offB -= at(strideB, d) * c;
    }
  }
}

// The broadcast shape of a and b, written to outShape; returns its rank.
function broadcastShape(a: i32, b: i32): i32 {
  const ra = ndim(a), rb = ndim(b);
  const rank = ra > rb ? ra : rb;
  for (let d = 0; d < rank; d++) {
    const da = d - (rank - ra), db = d - (rank - rb);
    const sa = da >= 0 ? dim(a, da) : 1;
    const sb = db >= 0 ? dim(b, db) : 1;
    put(outShape, d, sa == 1 ? sb : sa);
  }
  return rank;
}

export function binary<K>(op: i32, a: i32, b: i32): i32 {
  const out = newTensor(broadcastShape(a, b), outShape);
  binaryKernel<K>(a, b, out);
  record2(out, op, a, b);
  return out;
}

// The ops the backward rules are written with.
export function add(a: i32, b: i32): i32 { return binary<AddK>(Op.Add, a, b); }
export function sub(a: i32, b: i32): i32 { return binary<SubK>(Op.Sub, a, b); }
export function mul(a: i32, b: i32): i32 { return binary<MulK>(Op.Mul, a, b); }
export function div(a: i32, b: i32): i32 { return binary<DivK>(Op.Div, a, b); }
export function pow(a: i32, b: i32): i32 { return binary<PowK>(Op.Pow, a, b); }
export function neg(a: i32): i32 { return unary<NegK>(Op.Neg, a); }
export function exp(a: i32): i32 { return unary<ExpK>(Op.Exp, a); }
export function log(a: i32): i32 { return unary<LogK>(Op.Log, a); }
export function sin(a: i32): i32 { return unary<SinK>(Op.Sin, a); }
export function cos(a: i32): i32 { return unary<CosK>(Op.Cos, a); }
export function sign(a: i32): i32 { return unary<SignK>(Op.Sign, a); }
export function positive(a: i32): i32 { return unary<PositiveK>(Op.Positive, a); }

// dst[0..n] += src[0..n] and dst = max(dst, src) on raw spans, for the reductions.
export function addSpan(dst: usize, src: usize, n: i32): void {
  binaryRow<AddK>(dst, 1, src, 1, dst, n);
}

@final export class MaxK { @inline vec(): bool { return true; }
  @inline v(a: v128, b: v128): v128 { return f32x4.max(a, b); } @inline s(a: f32, b: f32): f32 { return Mathf.max(a, b); } }

export function maxSpanInto(dst: usize, src: usize, n: i32): void {
  binaryRow<MaxK>(dst, 1, src, 1, dst, n);
}

// target += src elementwise, with src broadcast to target's shape. Never recorded.
export function addInPlace(target: i32, src: i32): void {
  binaryKernel<AddK>(target, src, target);
}

export function constant(value: f32): i32 {
  const t = newTensor(0, 0);
  store<f32>(dataPtr(t), value);
  return t;
}

// ---- backward rules -----------------------------------------------------------------

// Fused forms of the hottest rules, for a plain backward (no create_graph, when the rules
// must be recorded ops): one pass instead of two to four, no temporaries.
@final export class TanhGradK { @inline vec(): bool { return true; } // g (1 - y^2)
  @inline v(g: v128, y: v128): v128 { return f32x4.mul(g, f32x4.sub(f32x4.splat(1.0), f32x4.mul(y, y))); }
  @inline s(g: f32, y: f32): f32 { return g * (1 - y * y); } }
@final export class SigmoidGradK { @inline vec(): bool { return true; } // g y (1 - y)
  @inline v(g: v128, y: v128): v128 { return f32x4.mul(g, f32x4.mul(y, f32x4.sub(f32x4.splat(1.0), y))); }
  @inline s(g: f32, y: f32): f32 { return g * (y * (1 - y)); } }
@final export class ReluGradK { @inline vec(): bool { return true; } // g where y > 0
  @inline v(g: v128, y: v128): v128 { return v128.and(g, f32x4.gt(y, f32x4.splat(0))); }
  @inline s(g: f32, y: f32): f32 { return y > 0 ? g : 0; } }

// The fused rules also take a one-element g standing for a constant gradient (what a full
// sum hands down, see reduce.ts), so that no buffer is filled with it.

// g and the node's output y through K into a new tensor of y's shape.
function fusedGrad<K>(g: i32, y: i32): i32 {
  const out = newTensorLike(y);
  binaryRow<K>(dataPtr(g), numel(g) == 1 ? 0 : 1, dataPtr(y), 1, dataPtr(out), numel(y));
  return out;
}

@inline function canFuse(t: i32, g: i32): bool {
  return !gradEnabled && (numel(g) == numel(t) || numel(g) == 1);
}

/** Whether node t's rule is a fused one that accepts a one-element gradient. */
export function takesScalarGrad(t: i32): bool {
  const op = geti(t, OP);
  if (op == Op.Tanh || op == Op.Sigmoid || op == Op.Relu) return true;
  return op == Op.Mul && (geti(t, EDGES) & 3) == 3 &&
    numel(input(t, 0)) == numel(t) && numel(input(t, 1)) == numel(t);
}

// Both gradients of a product of same-shape a and b in one pass: g*b and g*a.
function mulGrads(g: i32, a: i32, b: i32, grads: usize): void {
  const ga = newTensorLike(a), gb = newTensorLike(b);
  const pg = dataPtr(g), pa = dataPtr(a), pb = dataPtr(b), oa = dataPtr(ga), ob = dataPtr(gb);
  const n = numel(a);
  const scalar = numel(g) == 1;
  const g0 = load<f32>(pg), gs = f32x4.splat(g0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const gv = scalar ? gs : v128.load(pg + off);
    v128.store(oa + off, f32x4.mul(gv, v128.load(pb + off)));
    v128.store(ob + off, f32x4.mul(gv, v128.load(pa + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const gv = scalar ? g0 : load<f32>(pg + off);
    store<f32>(oa + off, gv * load<f32>(pb + off));
    store<f32>(ob + off, gv * load<f32>(pa + off));
  }
  setGrad(grads, 0, ga);
  setGrad(grads, 1, gb);
}

// g * x, releasing the temporary x: keeps the rules below to one line per formula.
function mulDrop(g: i32, x: i32): i32 { const r = mul(g, x); release(x); return r; }
// x * y, releasing both temporaries.
function mulBoth(x: i32, y: i32): i32 { const r = mul(x, y); release(x); release(y); return r; }
// g itself, as a new reference.
function same(g: i32): i32 { retain(g); return g; }

export function negBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, neg(g));
}
export function expBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mul(g, t));
}
export function logBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, div(g, input(t, 0)));
}
export function sqrtBackward(t: i32, g: i32, grads: usize): void {
  const two = add(t, t);
  setGrad(grads, 0, div(g, two));
  release(two);
}
export function absBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mulDrop(g, sign(input(t, 0))));
}
export function sinBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mulDrop(g, cos(input(t, 0))));
}
export function cosBackward(t: i32, g: i32, grads: usize): void {
  const s = mulDrop(g, sin(input(t, 0)));
  setGrad(grads, 0, neg(s));
  release(s);
}
export function tanhBackward(t: i32, g: i32, grads: usize): void {
  if (canFuse(t, g)) { setGrad(grads, 0, fusedGrad<TanhGradK>(g, t)); return; }
  const sq = mul(t, t), one = constant(1);
  const d = sub(one, sq);
  release(sq); release(one);
  setGrad(grads, 0, mulDrop(g, d));
}
export function sigmoidBackward(t: i32, g: i32, grads: usize): void {
  if (canFuse(t, g)) { setGrad(grads, 0, fusedGrad<SigmoidGradK>(g, t)); return; }
  const one = constant(1);
  const c = sub(one, t);
  release(one);
  setGrad(grads, 0, mulDrop(g, mulDrop(t, c)));
}
export function reluBackward(t: i32, g: i32, grads: usize): void {
  if (canFuse(t, g)) setGrad(grads, 0, fusedGrad<ReluGradK>(g, t));
  else setGrad(grads, 0, mulDrop(g, positive(t)));
}
export function reciprocalBackward(t: i32, g: i32, grads: usize): void {
  const m = mulBoth(mul(g, t), same(t)); // g y², then negated
  setGrad(grads, 0, neg(m));
  release(m);
}
export function addBackward(t: i32, g: i32, grads: usize): void {
  if (needsGrad(t, 0)) setGrad(grads, 0, same(g));
  if (needsGrad(t, 1)) setGrad(grads, 1, same(g));
}
export function subBackward(t: i32, g: i32, grads: usize): void {
  if (needsGrad(t, 0)) setGrad(grads, 0, same(g));
  if (needsGrad(t, 1)) setGrad(grads, 1, neg(g));
}
export function mulBackward(t: i32, g: i32, grads: usize): void {
  const a = input(t, 0), b = input(t, 1);
  if (canFuse(t, g) && takesScalarGrad(t)) { mulGrads(g, a, b, grads); return; }
  if (needsGrad(t, 0)) setGrad(grads, 0, mul(g, b));
  if (needsGrad(t, 1)) setGrad(grads, 1, mul(g, a));
}
export function divBackward(t: i32, g: i32, grads: usize): void {
  // d/da = g / b;  d/db = -g a / b^2 = -(g / b) * out
  const gb = div(g, input(t, 1));
  if (needsGrad(t, 1)) { const m = mul(gb, t); setGrad(grads, 1, neg(m)); release(m); }
  if (needsGrad(t, 0)) setGrad(grads, 0, gb); else release(gb);
}
export function powBackward(t: i32, g: i32, grads: usize): void {
  // d/da = g b a^(b-1);  d/db = g out log(a)
  const a = input(t, 0), b = input(t, 1);
  if (needsGrad(t, 0)) {
    const one = constant(1);
    const bm1 = sub(b, one);
    release(one);
    const p = pow(a, bm1);
    release(bm1);
    setGrad(grads, 0, mulBoth(mul(g, b), p));
  }
  if (needsGrad(t, 1)) setGrad(grads, 1, mulBoth(mul(g, t), log(a)));
}
