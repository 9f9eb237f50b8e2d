// Special functions, division remainders and three-operand ops: erf, erfc and gelu (vector
// kernels on assembly/ops/erf.ts's erfV), fmod, remainder, the rounding divisions, lerp,
// addcmul and addcdiv. Each kernel sits beside its backward rule, written with the
// recording ops so that create_graph works; the hot rules also have a fused form for a plain
// backward (grad mode off), which must give the same values.

import {
  newTensor, newTensorLike, numel, ndim, dim, shapePtr, dtypeOf, dataPtr, dataBytes, release, retain, MAX_DIMS, F64, I32,
  zerosLike,
} from "../tensors";
import { at, put } from "../memory";
import { scratch } from "../scratch";
import { record1, recordN, input, needsGrad, paramI, paramF, setParamI, setParamF, setGrad, gradEnabled, fusedRules } from "../graph";
import { Op } from "../generated/table";
import {
  unaryInto, unaryFloat, binaryFloat, binaryNumeric, ternaryInto, constant, add, sub, mul, div, neg, exp, TanhK,
  mulBoth, addBoth, same,
} from "./elementwise";
import { expV, expSumV, tanhV } from "./simd";
import { expV64, tanhV64 } from "./simd64";
import { erfV, erfS, squareExact } from "./erf";

const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126; // 2 / sqrt(pi)
const SQRT1_2: f64 = 0.7071067811865476;          // 1 / sqrt(2)
const GELU_PDF: f64 = 0.3989422804014327;          // 1 / sqrt(2 pi): the normal density at 0
const TANH_BETA: f64 = 0.7978845608028654;         // sqrt(2 / pi)
const TANH_KAPPA: f64 = 0.044715;

@inline function k<T>(c: f64): v128 {
  return v128.splat<T>(<T>c);
}

@inline function expT<T>(x: v128): v128 {
  if (sizeof<T>() == 8) return expV64(x);
  return expV(x);
}

@inline function tanhT<T>(x: v128): v128 {
  if (sizeof<T>() == 8) return tanhV64(x);
  return tanhV(x);
}

// ---- erf, erfc ------------------------------------------------------------------------

@final export class ErfK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return erfV<T>(x, false); }
  @inline s<T>(x: T): T { return erfS<T>(x, false); } }
@final export class ErfcK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return erfV<T>(x, true); }
  @inline s<T>(x: T): T { return erfS<T>(x, true); } }

// scale exp(-x^2), recorded: (2 / sqrt(pi)) exp(-x^2) is erf's derivative
function scaledGaussian(x: i32, scale: f64): i32 {
  const square = mul(x, x);
  const negated = neg(square);
  release(square);
  const e = exp(negated);
  release(negated);
  const c = constant(scale, dtypeOf(x));
  const r = mul(e, c);
  release(e); release(c);
  return r;
}

// The fused rules: g (+-2 / sqrt(pi)) exp(-x^2) in one pass. This and the tanh gelu's bodies
// below are functions, not inlined, so that each is held once per lane type rather than in
// every loop of every kernel that uses it; the exact gelu's are inlined, being short
// (float32's phiFloat32) or a call already (float64's erfV).
function gaussianGradV<T>(g: v128, x: v128, scale: f64): v128 {
  return v128.mul<T>(g, v128.mul<T>(expT<T>(v128.neg<T>(v128.mul<T>(x, x))), k<T>(scale)));
}
@final export class ErfGradK { @inline vec(): bool { return true; }
  @inline v<T>(g: v128, x: v128): v128 { return gaussianGradV<T>(g, x, TWO_OVER_SQRT_PI); }
  @inline s<T>(g: T, x: T): T { return v128.extract_lane<T>(this.v<T>(v128.splat<T>(g), v128.splat<T>(x)), 0); } }
@final export class ErfcGradK { @inline vec(): bool { return true; }
  @inline v<T>(g: v128, x: v128): v128 { return gaussianGradV<T>(g, x, -TWO_OVER_SQRT_PI); }
  @inline s<T>(g: T, x: T): T { return v128.extract_lane<T>(this.v<T>(v128.splat<T>(g), v128.splat<T>(x)), 0); } }

export function erfBackward(t: i32, g: i32, grads: usize): void {
  if (fusedRules()) { setGrad(grads, 0, binaryFloat<ErfGradK>(Op.Erf, g, input(t, 0))); return; } // (nothing recorded)
  timesGaussian(t, g, grads, TWO_OVER_SQRT_PI);
}
export function erfcBackward(t: i32, g: i32, grads: usize): void {
  if (fusedRules()) { setGrad(grads, 0, binaryFloat<ErfcGradK>(Op.Erfc, g, input(t, 0))); return; }
  timesGaussian(t, g, grads, -TWO_OVER_SQRT_PI);
}

// The recorded rule (create_graph): g (scale exp(-x^2))
function timesGaussian(t: i32, g: i32, grads: usize, scale: f64): void {
  const d = scaledGaussian(input(t, 0), scale);
  setGrad(grads, 0, mul(g, d));
  release(d);
}

// ---- gelu -------------------------------------------------------------------------------

// x Phi(x), Phi the normal distribution function: PyTorch's x (1 + erf(x / sqrt 2)) / 2,
// taken as x erfc(-x / sqrt 2) / 2, the same where 1 + erf does not cancel and accurate in
// the left tail where it does.
@inline function phiV<T>(x: v128): v128 {
  if (sizeof<T>() == 4) return phiFloat32(x);
  return v128.mul<T>(k<T>(0.5), erfV<T>(v128.neg<T>(v128.mul<T>(x, k<T>(SQRT1_2))), true));
}

// Numerical Recipes' erfcc: erfc(u) = t exp(-u^2 + c(t)) for u >= 0, t = 1 / (1 + u / 2),
// c a Chebyshev fit of degree 9 whose relative error is below 1.2e-7 for every u.
const C0 = -1.26551223, C1 = 1.00002368, C2 = 0.37409196, C3 = 0.09678418, C4 = -0.18628806,
  C5 = 0.27886807, C6 = -1.13520398, C7 = 1.48851587, C8 = -0.82215223, C9 = 0.17087277;

// float32's Phi(x) in one branch-free pass, for the exact gelu that training runs (erfV's
// three ranges cost ten times PyTorch's approximation, whose absolute error of 1.5e-7 is all
// of Phi's left tail): Phi(-a) = erfc(a / sqrt 2) / 2 by erfcc and Phi(a) = 1 - Phi(-a),
// which puts gelu within 4.5e-7 (relative) of float64's down to where it turns subnormal,
// and makes it 1.45 times faster than through erfV. The exponent -a^2 / 2 is split as
// hi + lo with hi exact (squareExact), so that its rounding does not reach the tail; from
// a = 28 on, Phi(-a) is 0 in float32.
@inline function phiFloat32(x: v128): v128 {
  const a = f32x4.abs(x);
  const t = f32x4.div(k<f32>(1), f32x4.add(k<f32>(1), f32x4.mul(a, k<f32>(0.5 * SQRT1_2))));
  let c = k<f32>(C9);
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C8));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C7));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C6));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C5));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C4));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C3));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C2));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C1));
  c = f32x4.add(f32x4.mul(c, t), k<f32>(C0));
  const z = squareExact<f32>(a);
  const hi = f32x4.mul(f32x4.mul(z, z), k<f32>(-0.5));
  const lo = f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(z, a), f32x4.add(z, a)), k<f32>(0.5)), c);
  const left = v128.andnot(f32x4.mul(f32x4.mul(t, expSumV(hi, lo)), k<f32>(0.5)), f32x4.ge(a, k<f32>(28)));
  return v128.bitselect(left, f32x4.sub(k<f32>(1), left), f32x4.lt(x, k<f32>(0)));
}

@inline function geluV<T>(x: v128): v128 {
  return v128.mul<T>(x, phiV<T>(x));
}

@final export class GeluK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return geluV<T>(x); }
  @inline s<T>(x: T): T { return v128.extract_lane<T>(this.v<T>(v128.splat<T>(x)), 0); } }

// PyTorch's tanh form: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2
@inline function tanhInnerV<T>(x: v128): v128 {
  const cube = v128.mul<T>(v128.mul<T>(x, x), x);
  return v128.mul<T>(k<T>(TANH_BETA), v128.add<T>(x, v128.mul<T>(k<T>(TANH_KAPPA), cube)));
}

function geluTanhV<T>(x: v128): v128 {
  const th = tanhT<T>(tanhInnerV<T>(x));
  return v128.mul<T>(v128.mul<T>(k<T>(0.5), x), v128.add<T>(k<T>(1), th));
}

@final export class GeluTanhK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return geluTanhV<T>(x); }
  @inline s<T>(x: T): T { return v128.extract_lane<T>(this.v<T>(v128.splat<T>(x)), 0); } }

// The fused gradients (PyTorch's gelu_backward), g times:
//   exact  Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   tanh   (1 + t) / 2 + (x / 2) (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2), t = tanh(inner)
@inline function geluGradV<T>(g: v128, x: v128): v128 {
  const pdf = v128.mul<T>(k<T>(GELU_PDF), expT<T>(v128.mul<T>(v128.mul<T>(x, x), k<T>(-0.5))));
  return v128.mul<T>(g, v128.add<T>(phiV<T>(x), v128.mul<T>(x, pdf)));
}

@final export class GeluGradK { @inline vec(): bool { return true; }
  @inline v<T>(g: v128, x: v128): v128 { return geluGradV<T>(g, x); }
  @inline s<T>(g: T, x: T): T { return v128.extract_lane<T>(this.v<T>(v128.splat<T>(g), v128.splat<T>(x)), 0); } }
function geluTanhGradV<T>(g: v128, x: v128): v128 {
  const th = tanhT<T>(tanhInnerV<T>(x));
  const left = v128.mul<T>(k<T>(0.5), x);
  const dLeft = v128.mul<T>(k<T>(0.5), v128.add<T>(k<T>(1), th));
  const slope = v128.add<T>(k<T>(1), v128.mul<T>(k<T>(3 * TANH_KAPPA), v128.mul<T>(x, x)));
  const dRight = v128.mul<T>(v128.mul<T>(v128.mul<T>(left, v128.sub<T>(k<T>(1), v128.mul<T>(th, th))),
    k<T>(TANH_BETA)), slope);
  return v128.mul<T>(g, v128.add<T>(dLeft, dRight));
}

@final export class GeluTanhGradK { @inline vec(): bool { return true; }
  @inline v<T>(g: v128, x: v128): v128 { return geluTanhGradV<T>(g, x); }
  @inline s<T>(g: T, x: T): T { return v128.extract_lane<T>(this.v<T>(v128.splat<T>(g), v128.splat<T>(x)), 0); } }

/** gelu(x); `approximate` 1 is PyTorch's "tanh", 0 its "none". */
export function geluForward(op: i32, x: i32, approximate: i32): i32 {
  const out = newTensorLike(x);
  if (numel(x) > 0) {
    if (approximate != 0) {
      if (dtypeOf(x) == F64) unaryInto<GeluTanhK, f64>(x, out);
      else unaryInto<GeluTanhK, f32>(x, out);
    } else if (dtypeOf(x) == F64) unaryInto<GeluK, f64>(x, out);
    else unaryInto<GeluK, f32>(x, out);
  }
  setParamI(out, 0, approximate);
  record1(out, op, x);
  return out;
}

export function geluBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), approximate = paramI(t, 0);
  if (fusedRules()) { // one fused pass (recording nothing); create_graph records the formula
    setGrad(grads, 0, approximate != 0 ? binaryFloat<GeluTanhGradK>(Op.Gelu, g, x) : binaryFloat<GeluGradK>(Op.Gelu, g, x));
    return;
  }
  const d = approximate != 0 ? geluTanhSlope(x) : geluSlope(x);
  setGrad(grads, 0, mul(g, d));
  release(d);
}

// Recorded arithmetic for the create_graph rules; each releases the temporaries it is
// handed (the "Drop" and "Both" forms), never a borrowed input.
function scaledDrop(x: i32, c: f64): i32 { // c x
  const s = constant(c, dtypeOf(x));
  const r = mul(x, s);
  release(s); release(x);
  return r;
}
function shiftedDrop(x: i32, c: f64): i32 { // x + c
  const s = constant(c, dtypeOf(x));
  const r = add(x, s);
  release(s); release(x);
  return r;
}
function scaled(x: i32, c: f64): i32 { return scaledDrop(same(x), c); }

// Phi(x) + x phi(x)
function geluSlope(x: i32): i32 {
  const u = scaled(x, -SQRT1_2);
  const cdf = scaledDrop(unaryFloat<ErfcK>(Op.Erfc, u), 0.5);
  release(u);
  const v = scaled(x, SQRT1_2);
  const pdf = scaledGaussian(v, GELU_PDF); // exp(-(x / sqrt 2)^2) = exp(-x^2 / 2)
  release(v);
  return addBoth(cdf, mulBoth(pdf, same(x)));
}

// (1 + t) / 2 + (x / 2) (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2), t = tanh(inner)
function geluTanhSlope(x: i32): i32 {
  const cube = mulBoth(mul(x, x), same(x));
  const inner = scaledDrop(addBoth(same(x), scaledDrop(cube, TANH_KAPPA)), TANH_BETA);
  const th = unaryFloat<TanhK>(Op.Tanh, inner);
  release(inner);
  const dLeft = scaledDrop(shiftedDrop(same(th), 1), 0.5);
  const sech2 = shiftedDrop(scaledDrop(mul(th, th), -1), 1);
  release(th);
  const slope = shiftedDrop(scaledDrop(mul(x, x), 3 * TANH_KAPPA), 1);
  const dRight = mulBoth(mulBoth(scaled(x, 0.5 * TANH_BETA), sech2), slope);
  return addBoth(dLeft, dRight);
}

// ---- fmod, remainder and the rounding divisions -------------------------------------------

// The family's entries into elementwise's generic loops (the op table names them here).
export function mathUnary<K>(op: i32, a: i32): i32 { return unaryFloat<K>(op, a); }
export function mathBinary<K>(op: i32, a: i32, b: i32): i32 { return binaryNumeric<K>(op, a, b); }

// Integer division and remainder that cannot trap: the bindings refuse a zero divisor (as
// PyTorch's ZeroDivisionError), but it is defined here all the same (as 0), and
// INT_MIN / -1 wraps to INT_MIN as int32 arithmetic does (where PyTorch's CPU kernel traps).
@inline function intDiv(a: i32, b: i32): i32 { return b == 0 ? 0 : b == -1 ? -a : a / b; }
@inline function intRem(a: i32, b: i32): i32 { return b == 0 || b == -1 ? 0 : a % b; }

// a - trunc(a / b) b, exactly (C's fmod): the sign of the dividend
@final export class FmodK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T {
    if (isInteger<T>()) return <T>intRem(<i32>a, <i32>b);
    if (sizeof<T>() == 8) return <T>NativeMath.mod(<f64>a, <f64>b);
    return <T>NativeMathf.mod(<f32>a, <f32>b);
  } }
// a - floor(a / b) b: the sign of the divisor, as Python's % (PyTorch's kernel: fmod, then
// b added where the signs differ)
@final export class RemainderK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T {
    const r = changetype<FmodK>(0).s<T>(a, b);
    return r != <T>0 && (r < <T>0) != (b < <T>0) ? r + b : r;
  } }
// trunc(a / b); integers divide exactly
@final export class DivTruncK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T {
    if (isInteger<T>()) return <T>intDiv(<i32>a, <i32>b);
    return trunc<T>(a / b);
  } }
// floor(a / b) as Python's // (PyTorch's div_floor): from the exact remainder, so that a
// quotient that rounds up to an integer is not floored past the true one
@final export class FloorDivideK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T {
    if (isInteger<T>()) {
      const q = intDiv(<i32>a, <i32>b), r = intRem(<i32>a, <i32>b);
      return <T>(r != 0 && (<i32>a < 0) != (<i32>b < 0) ? q - 1 : q);
    }
    if (b == <T>0) return a / b;
    const mod = changetype<FmodK>(0).s<T>(a, b);
    let q = (a - mod) / b;
    if (mod != <T>0 && (b < <T>0) != (mod < <T>0)) q -= <T>1;
    if (q == <T>0) return copysign<T>(<T>0, a / b);
    let f = floor<T>(q);
    if (q - f > <T>0.5) f += <T>1;
    return f;
  } }

// PyTorch's rules: d/da = g for both; d/db = -g trunc(a / b) (fmod), -g floor(a / b) (remainder)
function divisionRemainderBackward<Quotient>(t: i32, g: i32, grads: usize, op: i32): void {
  if (needsGrad(t, 0)) setGrad(grads, 0, same(g));
  if (needsGrad(t, 1)) {
    const q = binaryFloat<Quotient>(op, input(t, 0), input(t, 1));
    const m = mulBoth(same(g), q);
    setGrad(grads, 1, neg(m));
    release(m);
  }
}
export function fmodBackward(t: i32, g: i32, grads: usize): void { divisionRemainderBackward<DivTruncK>(t, g, grads, Op.DivTrunc); }
export function remainderBackward(t: i32, g: i32, grads: usize): void { divisionRemainderBackward<FloorDivideK>(t, g, grads, Op.FloorDivide); }

// The rounding divisions are piecewise constant: zero gradients for both inputs (as
// PyTorch's div with a rounding mode), constants outside the graph.
function zeroGrads(t: i32, g: i32, grads: usize): void {
  if (needsGrad(t, 0)) setGrad(grads, 0, zerosLike(g));
  if (needsGrad(t, 1)) setGrad(grads, 1, zerosLike(g));
}
export function divTruncBackward(t: i32, g: i32, grads: usize): void { zeroGrads(t, g, grads); }
export function floorDivideBackward(t: i32, g: i32, grads: usize): void { zeroGrads(t, g, grads); }

// ---- lerp, addcmul, addcdiv ---------------------------------------------------------------

// PyTorch's formula: weight (end - self) added to self where |weight| < 0.5, else
// (end - self)(1 - weight) taken from end, so that weights 0 and 1 give the ends exactly.
@final export class LerpK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128, w: v128): v128 {
    const d = v128.sub<T>(b, a);
    const fromSelf = v128.add<T>(a, v128.mul<T>(w, d));
    const fromEnd = v128.sub<T>(b, v128.mul<T>(d, v128.sub<T>(k<T>(1), w)));
    return v128.bitselect(fromSelf, fromEnd, v128.lt<T>(v128.abs<T>(w), k<T>(0.5)));
  }
  @inline s<T>(a: T, b: T, w: T): T {
    const d = b - a;
    return abs<T>(w) < <T>0.5 ? a + w * d : b - d * (<T>1 - w);
  } }

/** lerp(self, end, weight), all of one floating dtype, into the broadcast shape (of rank `rank`) in scratch. */
export function lerpForward(op: i32, self: i32, end: i32, weight: i32, rank: i32): i32 {
  const out = newTensor(rank, scratch, dtypeOf(self));
  if (dtypeOf(self) == F64) ternaryInto<LerpK, f64>(self, end, weight, out);
  else ternaryInto<LerpK, f32>(self, end, weight, out);
  record3(out, op, self, end, weight);
  return out;
}

const triple = heap.alloc(3 << 2);

function record3(out: i32, op: i32, a: i32, b: i32, c: i32): bool {
  store<i32>(triple, a);
  store<i32>(triple, b, 4);
  store<i32>(triple, c, 8);
  return recordN(out, op, triple, 3);
}

// PyTorch's rules: g (1 - weight), g weight, g (end - self)
export function lerpBackward(t: i32, g: i32, grads: usize): void {
  const self = input(t, 0), end = input(t, 1), weight = input(t, 2);
  if (needsGrad(t, 0)) {
    const one = constant(1, dtypeOf(weight));
    setGrad(grads, 0, mulBoth(same(g), sub(one, weight)));
    release(one);
  }
  if (needsGrad(t, 1)) setGrad(grads, 1, mul(g, weight));
  if (needsGrad(t, 2)) setGrad(grads, 2, mulBoth(same(g), sub(end, self)));
}

// addcmul's and addcdiv's `value`, set for the one loop that runs (as the activations'
// parameters are) and kept in the node for the rule. PyTorch's order: self + (value t1) * t2.
let addcValue: f64 = 0;

@final export class AddcmulK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128, c: v128): v128 {
    return v128.add<T>(a, v128.mul<T>(v128.mul<T>(v128.splat<T>(<T>addcValue), b), c));
  }
  @inline s<T>(a: T, b: T, c: T): T { return a + <T>addcValue * b * c; } }
@final export class AddcdivK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128, c: v128): v128 {
    return v128.add<T>(a, v128.div<T>(v128.mul<T>(v128.splat<T>(<T>addcValue), b), c));
  }
  @inline s<T>(a: T, b: T, c: T): T { return a + <T>addcValue * b / c; } }

/** self + value t1 t2, all of one dtype (int32 too), into the broadcast shape (of rank `rank`) in scratch. */
export function addcmulForward(op: i32, self: i32, t1: i32, t2: i32, value: f64, rank: i32): i32 {
  const out = newTensor(rank, scratch, dtypeOf(self));
  addcValue = value;
  if (dtypeOf(self) == F64) ternaryInto<AddcmulK, f64>(self, t1, t2, out);
  else if (dtypeOf(self) == I32) ternaryInto<AddcmulK, i32>(self, t1, t2, out);
  else ternaryInto<AddcmulK, f32>(self, t1, t2, out);
  setParamF(out, 0, value);
  record3(out, op, self, t1, t2);
  return out;
}

/** self + value t1 / t2, all of one floating dtype, into the broadcast shape in scratch. */
export function addcdivForward(op: i32, self: i32, t1: i32, t2: i32, value: f64, rank: i32): i32 {
  const out = newTensor(rank, scratch, dtypeOf(self));
  addcValue = value;
  if (dtypeOf(self) == F64) ternaryInto<AddcdivK, f64>(self, t1, t2, out);
  else ternaryInto<AddcdivK, f32>(self, t1, t2, out);
  setParamF(out, 0, value);
  record3(out, op, self, t1, t2);
  return out;
}

// PyTorch's rules: g; g t2 value; g t1 value
export function addcmulBackward(t: i32, g: i32, grads: usize): void {
  const value = paramF(t, 0);
  if (needsGrad(t, 0)) setGrad(grads, 0, same(g));
  if (needsGrad(t, 1)) setGrad(grads, 1, scaledDrop(mul(g, input(t, 2)), value));
  if (needsGrad(t, 2)) setGrad(grads, 2, scaledDrop(mul(g, input(t, 1)), value));
}

// PyTorch's rules: g; g value / t2; -g value t1 / t2^2
export function addcdivBackward(t: i32, g: i32, grads: usize): void {
  const value = paramF(t, 0), t1 = input(t, 1), t2 = input(t, 2);
  if (needsGrad(t, 0)) setGrad(grads, 0, same(g));
  if (needsGrad(t, 1)) {
    const gv = scaled(g, value);
    setGrad(grads, 1, div(gv, t2));
    release(gv);
  }
  if (needsGrad(t, 2)) {
    const numerator = mulBoth(scaled(g, -value), same(t1));
    const square = mul(t2, t2);
    setGrad(grads, 2, div(numerator, square));
    release(numerator); release(square);
  }
}
