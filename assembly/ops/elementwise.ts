// Elementwise ops: unary maps and broadcasting binary ops, each kernel beside its
// backward rule. A kernel is a small "kernel class" whose inlined methods give the vector
// form (`v`, on one v128 of lanes of T) and the scalar form (`s`) once, generic over the
// element type T (f32, f64, or i32 for the ops integers have): every branch on T is decided
// at compile time. The op table (spec/ops.ts) instantiates the generic loops once per op
// and dtype, so no op switch runs per call or per element.

import {
  newTensor, newTensorLike, dataPtr, dataBytes, numel, ndim, dim, shapePtr, geti, release, retain, dtypeOf,
  isStrided, strideOf, MAX_DIMS, OP, EDGES, FLAGS, FLAG_RETAINS_GRAD, F32, F64, I32, BOOL, zerosLike,
} from "../tensors";
import { at, put } from "../memory";
import { record1, record2, gradEnabled, input, needsGrad, setGrad, argAt, tangentAt, fusedRules } from "../graph";
import { Op } from "../generated/table";
import { expV, expS, logV, logS, tanhV, tanhS, sinCosV } from "./simd";
import { expV64, expS64, logV64, logS64, tanhV64, tanhS64, sinCosV64 } from "./simd64";
import { gathered } from "./views";

/** Lanes of T in a v128. */
@inline function width<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

// ---- unary kernels ------------------------------------------------------------------

@final export class NegK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.neg<T>(x); }
  @inline s<T>(x: T): T { return -x; } }
@final export class AbsK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.abs<T>(x); }
  @inline s<T>(x: T): T { return abs<T>(x); } }
@final export class ExpK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (sizeof<T>() == 8) return expV64(x); return expV(x); }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>expS64(<f64>x); return <T>expS(<f32>x); } }
@final export class LogK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (sizeof<T>() == 8) return logV64(x); return logV(x); }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>logS64(<f64>x); return <T>logS(<f32>x); } }
@final export class SqrtK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.sqrt<T>(x); }
  @inline s<T>(x: T): T { return sqrt<T>(x); } }
@final export class SinK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (sizeof<T>() == 8) return sinCosV64(x, false); return sinCosV(x, false); }
  @inline s<T>(x: T): T { return scalarOf<T>(this.v<T>(v128.splat<T>(x))); } }
@final export class CosK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (sizeof<T>() == 8) return sinCosV64(x, true); return sinCosV(x, true); }
  @inline s<T>(x: T): T { return scalarOf<T>(this.v<T>(v128.splat<T>(x))); } }
@final export class TanhK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (sizeof<T>() == 8) return tanhV64(x); return tanhV(x); }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>tanhS64(<f64>x); return <T>tanhS(<f32>x); } }
@final export class SigmoidK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 {
    const one = v128.splat<T>(<T>1);
    return v128.div<T>(one, v128.add<T>(one, changetype<ExpK>(0).v<T>(v128.neg<T>(x))));
  }
  @inline s<T>(x: T): T { return <T>1 / (<T>1 + changetype<ExpK>(0).s<T>(-x)); } }
@final export class ReluK { @inline vec(): bool { return true; }
  // max propagates NaN, as PyTorch's relu does
  @inline v<T>(x: v128): v128 { return v128.max<T>(x, v128.splat<T>(<T>0)); }
  @inline s<T>(x: T): T { return x > <T>0 || x != x ? x : <T>0; } }
@final export class ReciprocalK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.div<T>(v128.splat<T>(<T>1), x); }
  @inline s<T>(x: T): T { return <T>1 / x; } }
@final export class SquareK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.mul<T>(x, x); }
  @inline s<T>(x: T): T { return x * x; } }
@final export class RsqrtK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.div<T>(v128.splat<T>(<T>1), v128.sqrt<T>(x)); }
  @inline s<T>(x: T): T { return <T>1 / sqrt<T>(x); } }
@final export class SiluK { @inline vec(): bool { return true; } // x sigmoid(x)
  @inline v<T>(x: v128): v128 {
    return v128.div<T>(x, v128.add<T>(v128.splat<T>(<T>1), changetype<ExpK>(0).v<T>(v128.neg<T>(x))));
  }
  @inline s<T>(x: T): T { return x / (<T>1 + changetype<ExpK>(0).s<T>(-x)); } }
// Accurate near 0 (and not hot enough for vector forms yet): the libm functions, per element.
@final export class Log1pK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.log1p(<f64>x); return <T>NativeMathf.log1p(<f32>x); } }
@final export class Expm1K { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.expm1(<f64>x); return <T>NativeMathf.expm1(<f32>x); } }
@final export class Log2K { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.log2(<f64>x); return <T>NativeMathf.log2(<f32>x); } }
@final export class Log10K { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.log10(<f64>x); return <T>NativeMathf.log10(<f32>x); } }
@final export class Exp2K { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.pow(2.0, <f64>x); return <T>NativeMathf.pow(2.0, <f32>x); } }
// Trigonometric and hyperbolic functions beyond sin, cos and tanh: libm, per element.
@final export class TanK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.tan(<f64>x); return <T>NativeMathf.tan(<f32>x); } }
@final export class SinhK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.sinh(<f64>x); return <T>NativeMathf.sinh(<f32>x); } }
@final export class CoshK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.cosh(<f64>x); return <T>NativeMathf.cosh(<f32>x); } }
@final export class AsinK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.asin(<f64>x); return <T>NativeMathf.asin(<f32>x); } }
@final export class AcosK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.acos(<f64>x); return <T>NativeMathf.acos(<f32>x); } }
@final export class AtanK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.atan(<f64>x); return <T>NativeMathf.atan(<f32>x); } }
@final export class AsinhK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.asinh(<f64>x); return <T>NativeMathf.asinh(<f32>x); } }
@final export class AcoshK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.acosh(<f64>x); return <T>NativeMathf.acosh(<f32>x); } }
@final export class AtanhK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { if (sizeof<T>() == 8) return <T>NativeMath.atanh(<f64>x); return <T>NativeMathf.atanh(<f32>x); } }
// Rounding, SIMD; integers are their own floor, ceil, round and trunc. round() rounds half
// to even, as PyTorch's does. frac(x) = x - trunc(x).
@final export class FloorK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (isInteger<T>()) return x; return v128.floor<T>(x); }
  @inline s<T>(x: T): T { if (isInteger<T>()) return x; return floor<T>(x); } }
@final export class CeilK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (isInteger<T>()) return x; return v128.ceil<T>(x); }
  @inline s<T>(x: T): T { if (isInteger<T>()) return x; return ceil<T>(x); } }
@final export class RoundK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (isInteger<T>()) return x; return v128.nearest<T>(x); }
  @inline s<T>(x: T): T { if (isInteger<T>()) return x; return nearest<T>(x); } }
@final export class TruncK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { if (isInteger<T>()) return x; return v128.trunc<T>(x); }
  @inline s<T>(x: T): T { if (isInteger<T>()) return x; return trunc<T>(x); } }
@final export class FracK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.sub<T>(x, v128.trunc<T>(x)); }
  @inline s<T>(x: T): T { return x - trunc<T>(x); } }
@final export class SignK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T { return x > <T>0 ? <T>1 : x < <T>0 ? <T>-1 : <T>0; } } // NaN: 0, as PyTorch 1.13
@final export class PositiveK { @inline vec(): bool { return true; } // 1 where x > 0, else 0
  @inline v<T>(x: v128): v128 { return v128.and(v128.gt<T>(x, v128.splat<T>(<T>0)), v128.splat<T>(<T>1)); }
  @inline s<T>(x: T): T { return x > <T>0 ? <T>1 : <T>0; } }

@inline function scalarOf<T>(v: v128): T {
  return v128.extract_lane<T>(v, 0);
}

// One row of n outputs from an input stepping by `step` elements: the vector loop when the
// input is contiguous, the scalar one for its tail and for rows with gaps.
function unaryRow<K, T>(src: usize, step: i32, dst: usize, n: i32): void {
  const k = changetype<K>(0);
  const w = width<T>();
  let i = 0;
  if (k.vec() && step == 1) {
    for (; i + w <= n; i += w) {
      const off = <usize>i * sizeof<T>();
      v128.store(dst + off, k.v<T>(v128.load(src + off)));
    }
  }
  for (; i < n; i++) {
    store<T>(dst + <usize>i * sizeof<T>(), k.s<T>(load<T>(src + <usize>(i * step) * sizeof<T>())));
  }
}

// The walk over rows (the last dim) shared by every kernel, so that each instance holds only
// its row loop: beginWalk sets up out's rows for up to three inputs broadcast to out's shape
// (or any strides), walkOffset(i) is input i's element offset at the current row and
// nextRow steps to the next one.
const walkStrides = heap.alloc(3 * MAX_DIMS << 2);
const walkCounter = heap.alloc(MAX_DIMS << 2);
const walkOffsets = heap.alloc(3 << 2);
let walkShape: usize = 0;
let walkRank = 0;
let walkInputs = 0;
let walkRow = 0; // the rows' length

/** Starts the walk over `out`'s rows; returns their count (0 for an empty or 0-d out). */
function beginWalk(out: i32, a: i32, b: i32, c: i32): i32 {
  const rank = ndim(out), inputs = c >= 0 ? 3 : b >= 0 ? 2 : 1;
  walkShape = shapePtr(out); walkRank = rank; walkInputs = inputs;
  walkRow = rank == 0 ? 1 : dim(out, rank - 1);
  broadcastStrides(a, rank, walkShape, walkStrides);
  if (inputs > 1) broadcastStrides(b, rank, walkShape, walkStrides + (MAX_DIMS << 2));
  if (inputs > 2) broadcastStrides(c, rank, walkShape, walkStrides + (MAX_DIMS << 3));
  for (let d = 0; d < rank; d++) put(walkCounter, d, 0);
  for (let i = 0; i < 3; i++) put(walkOffsets, i, 0);
  return rank == 0 ? 0 : numel(out) / walkRow;
}

/** For a binary op whose operands are contiguous, each of out's size or one element: their
 * steps (1 or 0) as sa | sb << 1, for one row over all of out; -1 for any other. */
function flatSteps(a: i32, b: i32, out: i32): i32 {
  const n = numel(out), na = numel(a), nb = numel(b);
  if (isStrided(a) || isStrided(b) || !(na == n || na == 1) || !(nb == n || nb == 1)) return -1;
  return (na == n ? 1 : 0) | (nb == n ? 2 : 0);
}

/** Input i's stride along the last dim (0 where it is broadcast). */
@inline function walkStep(i: i32): i32 {
  return at(walkStrides + <usize>(i * MAX_DIMS << 2), walkRank - 1);
}

@inline function walkOffset(i: i32): i32 {
  return at(walkOffsets, i);
}

function nextRow(): void {
  for (let d = walkRank - 2; d >= 0; d--) {
    const c = at(walkCounter, d) + 1;
    const done = c >= at(walkShape, d);
    for (let i = 0; i < walkInputs; i++) {
      const stride = at(walkStrides + <usize>(i * MAX_DIMS << 2), d);
      put(walkOffsets, i, at(walkOffsets, i) + (done ? stride * (1 - c) : stride));
    }
    if (!done) { put(walkCounter, d, c); return; }
    put(walkCounter, d, 0);
  }
}

// out = K(a) for a contiguous out and an a of any strides.
export function unaryInto<K, T>(a: i32, out: i32): void {
  const src = dataPtr(a), dst = dataPtr(out), strided = isStrided(a);
  // a contiguous a is one row; unaryRow has this one call, so that it is inlined here
  const rows = strided ? beginWalk(a, a, -1, -1) : 1, row = strided ? walkRow : numel(a);
  const step = strided ? walkStep(0) : 1;
  for (let r = 0; r < rows; r++) {
    unaryRow<K, T>(src + <usize>(strided ? walkOffset(0) : 0) * sizeof<T>(), step, dst + <usize>(r * row) * sizeof<T>(), row);
    if (strided) nextRow();
  }
}

/** A unary op of floating tensors (the bindings convert other inputs first), of any strides. */
export function unaryFloat<K>(op: i32, a: i32): i32 {
  const out = newTensorLike(a);
  if (numel(a) > 0) {
    if (dtypeOf(a) == F64) unaryInto<K, f64>(a, out);
    else unaryInto<K, f32>(a, out);
  }
  record1(out, op, a);
  return out;
}

/** A unary op of floating and int32 tensors. */
export function unaryNumeric<K>(op: i32, a: i32): i32 {
  const dtype = dtypeOf(a);
  if (dtype != I32) return unaryFloat<K>(op, a);
  const out = newTensorLike(a);
  if (numel(a) > 0) unaryInto<K, i32>(a, out);
  return out;
}

// ---- binary kernels -----------------------------------------------------------------

@final export class AddK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.add<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return a + b; } }
@final export class SubK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.sub<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return a - b; } }
@final export class MulK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.mul<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return a * b; } }
@final export class DivK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.div<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return a / b; } }
@final export class PowK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T {
    if (isInteger<T>()) return <T>intPow(<i32>a, <i32>b);
    if (sizeof<T>() == 8) return <T>Math.pow(<f64>a, <f64>b);
    return <T>Mathf.pow(<f32>a, <f32>b);
  } }

// a ** b for integers, wrapping as int32 arithmetic does; a negative b gives 0 unless a is
// 1 or -1 (the integer part of the true power).
function intPow(a: i32, b: i32): i32 {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) != 0 ? -1 : 1) : 0;
  let result = 1;
  while (b != 0) {
    if (b & 1) result *= a;
    a *= a;
    b >>= 1;
  }
  return result;
}
// maximum and minimum propagate NaN, as PyTorch's do (wasm's min and max do)
@final export class MaximumK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.max<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return max<T>(a, b); } }
@final export class MinimumK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.min<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return min<T>(a, b); } }
@final export class MaxK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.max<T>(a, b); }
  @inline s<T>(a: T, b: T): T { return max<T>(a, b); } }
@final export class ZeroWhereK { @inline vec(): bool { return true; } // a, or 0 where m != 0
  @inline v<T>(a: v128, m: v128): v128 { return v128.andnot(a, v128.ne<T>(m, v128.splat<T>(<T>0))); }
  @inline s<T>(a: T, m: T): T { return m != <T>0 ? <T>0 : a; } }
@final export class NeK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(v128.ne<T>(a, b), v128.splat<T>(<T>1)); }
  @inline s<T>(a: T, b: T): T { return a != b ? <T>1 : <T>0; } }
// atan2, logaddexp and xlogy (libm, per element) and the NaN-ignoring fmin and fmax.
@final export class Atan2K { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T { if (sizeof<T>() == 8) return <T>NativeMath.atan2(<f64>a, <f64>b); return <T>NativeMathf.atan2(<f32>a, <f32>b); } }
@final export class LogaddexpK { @inline vec(): bool { return false; } // log(e^a + e^b), without overflow
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T {
    if (a == b && abs<T>(a) == <T>Infinity) return a; // inf - inf would give NaN
    const m = max<T>(a, b), d = -abs<T>(a - b);
    if (sizeof<T>() == 8) return <T>(<f64>m + NativeMath.log1p(NativeMath.exp(<f64>d)));
    return <T>(<f32>m + NativeMathf.log1p(NativeMathf.exp(<f32>d)));
  } }
@final export class XlogyK { @inline vec(): bool { return false; } // x log y, and 0 where x = 0 (y not NaN)
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(x: T, y: T): T {
    if (y != y) return y;
    if (x == <T>0) return <T>0;
    if (sizeof<T>() == 8) return <T>(<f64>x * NativeMath.log(<f64>y));
    return <T>(<f32>x * NativeMathf.log(<f32>y));
  } }
@final export class FminK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T { if (a != a) return b; if (b != b) return a; return min<T>(a, b); } }
@final export class FmaxK { @inline vec(): bool { return false; }
  @inline v<T>(a: v128, b: v128): v128 { return a; }
  @inline s<T>(a: T, b: T): T { if (a != a) return b; if (b != b) return a; return max<T>(a, b); } }
// Logical ops, on bool (0/1 bytes) operands.
@final export class AndK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(a, b); }
  @inline s<T>(a: T, b: T): T { return a & b; } }
@final export class OrK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.or(a, b); }
  @inline s<T>(a: T, b: T): T { return a | b; } }
@final export class XorK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.xor(a, b); }
  @inline s<T>(a: T, b: T): T { return a ^ b; } }
// Comparisons give 1 or 0 in their inputs' type; compare() then narrows that to bool.
@final export class GtK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(v128.gt<T>(a, b), v128.splat<T>(<T>1)); }
  @inline s<T>(a: T, b: T): T { return a > b ? <T>1 : <T>0; } }
@final export class LtK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(v128.lt<T>(a, b), v128.splat<T>(<T>1)); }
  @inline s<T>(a: T, b: T): T { return a < b ? <T>1 : <T>0; } }
@final export class GeK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(v128.ge<T>(a, b), v128.splat<T>(<T>1)); }
  @inline s<T>(a: T, b: T): T { return a >= b ? <T>1 : <T>0; } }
@final export class LeK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(v128.le<T>(a, b), v128.splat<T>(<T>1)); }
  @inline s<T>(a: T, b: T): T { return a <= b ? <T>1 : <T>0; } }
@final export class EqK { @inline vec(): bool { return true; }
  @inline v<T>(a: v128, b: v128): v128 { return v128.and(v128.eq<T>(a, b), v128.splat<T>(<T>1)); }
  @inline s<T>(a: T, b: T): T { return a == b ? <T>1 : <T>0; } }

// One row: n outputs; each input steps by 1 (contiguous), 0 (broadcast) or, along the last
// dim of a strided view, by its stride. The vector loops cover the first three; the scalar
// loop takes their tails and everything else.
function binaryRow<K, T>(pa: usize, sa: i32, pb: usize, sb: i32, po: usize, n: i32): void {
  const k = changetype<K>(0);
  const w = width<T>();
  let i = 0;
  if (k.vec()) {
    if (sa == 1 && sb == 1) {
      for (; i + w <= n; i += w) {
        const off = <usize>i * sizeof<T>();
        v128.store(po + off, k.v<T>(v128.load(pa + off), v128.load(pb + off)));
      }
    } else if (sa == 1 && sb == 0) {
      const yv = v128.splat<T>(load<T>(pb));
      for (; i + w <= n; i += w) {
        const off = <usize>i * sizeof<T>();
        v128.store(po + off, k.v<T>(v128.load(pa + off), yv));
      }
    } else if (sa == 0 && sb == 1) {
      const xv = v128.splat<T>(load<T>(pa));
      for (; i + w <= n; i += w) {
        const off = <usize>i * sizeof<T>();
        v128.store(po + off, k.v<T>(xv, v128.load(pb + off)));
      }
    }
  }
  for (; i < n; i++) {
    const x = load<T>(pa + <usize>(i * sa) * sizeof<T>()), y = load<T>(pb + <usize>(i * sb) * sizeof<T>());
    store<T>(po + <usize>i * sizeof<T>(), k.s<T>(x, y));
  }
}

// Scratch for the broadcast shape of two operands.
const outShape = heap.alloc(MAX_DIMS << 2);

// Strides (in elements) of tensor t, a view or not, broadcast to a rank-`rank` shape: 0
// along broadcast dims.
export function broadcastStrides(t: i32, rank: i32, shape: usize, strides: usize): void {
  const offset = rank - ndim(t);
  for (let d = rank - 1; d >= 0; d--) {
    const td = d - offset;
    const size = td >= 0 ? dim(t, td) : 1;
    put(strides, d, size == 1 && at(shape, d) != 1 ? 0 : td >= 0 ? strideOf(t, td) : 0);
  }
}

// out = K(a, b, c), the three broadcast to out's shape, of any strides. Rows (the last dim)
// along which a and b step by 1 take the vector loop, c stepping by 1 or broadcast (a
// number weight).
export function ternaryInto<K, T>(a: i32, b: i32, c: i32, out: i32): void {
  const n = numel(out);
  if (n == 0) return;
  const kernel = changetype<K>(0);
  const pa = dataPtr(a), pb = dataPtr(b), pc = dataPtr(c), po = dataPtr(out);
  if (ndim(out) == 0) {
    store<T>(po, kernel.s<T>(load<T>(pa), load<T>(pb), load<T>(pc)));
    return;
  }
  const rows = beginWalk(out, a, b, c), row = walkRow;
  const sa = walkStep(0), sb = walkStep(1), sc = walkStep(2);
  const lanes = width<T>();
  const vector = sa == 1 && sb == 1 && (sc == 1 || sc == 0);
  for (let r = 0; r < rows; r++) {
    const ra = pa + <usize>walkOffset(0) * sizeof<T>(), rb = pb + <usize>walkOffset(1) * sizeof<T>();
    const rc = pc + <usize>walkOffset(2) * sizeof<T>(), ro = po + <usize>(r * row) * sizeof<T>();
    let j = 0;
    if (vector) {
      const cs = v128.splat<T>(load<T>(rc));
      for (; j + lanes <= row; j += lanes) {
        const off = <usize>j * sizeof<T>();
        v128.store(ro + off, kernel.v<T>(v128.load(ra + off), v128.load(rb + off), sc == 0 ? cs : v128.load(rc + off)));
      }
    }
    for (; j < row; j++) {
      store<T>(ro + <usize>j * sizeof<T>(), kernel.s<T>(load<T>(ra + <usize>(j * sa) * sizeof<T>()),
        load<T>(rb + <usize>(j * sb) * sizeof<T>()), load<T>(rc + <usize>(j * sc) * sizeof<T>())));
    }
    nextRow();
  }
}

// out = a (K) b, a and b (of element type T) broadcast to out's shape.
function binaryKernel<K, T>(a: i32, b: i32, out: i32): void {
  const n = numel(out);
  if (n == 0) return;
  const pa = dataPtr(a), pb = dataPtr(b), po = dataPtr(out);
  // operands contiguous (of out's size or one element) are one row, without the walk's
  // setup; binaryRow has this one call, so that it is inlined here
  const flat = flatSteps(a, b, out), walk = flat < 0;
  const rows = walk ? beginWalk(out, a, b, -1) : 1, row = walk ? walkRow : n;
  const sa = walk ? walkStep(0) : flat & 1, sb = walk ? walkStep(1) : flat >> 1;
  for (let r = 0; r < rows; r++) {
    binaryRow<K, T>(pa + <usize>(walk ? walkOffset(0) : 0) * sizeof<T>(), sa, pb + <usize>(walk ? walkOffset(1) : 0) * sizeof<T>(), sb,
      po + <usize>(r * row) * sizeof<T>(), row);
    if (walk) nextRow();
  }
}

/** out = a (K) b for any numeric dtype of a and b (the same one). */
export function binaryInto<K>(a: i32, b: i32, out: i32): void {
  const dtype = dtypeOf(a);
  if (dtype == F64) binaryKernel<K, f64>(a, b, out);
  else if (dtype == I32) binaryKernel<K, i32>(a, b, out);
  else binaryKernel<K, f32>(a, b, out);
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

/** A binary op of floating tensors of one dtype (the bindings convert the inputs first). */
export function binaryFloat<K>(op: i32, a: i32, b: i32): i32 {
  const out = newTensor(broadcastShape(a, b), outShape, dtypeOf(a));
  if (dtypeOf(a) == F64) binaryKernel<K, f64>(a, b, out);
  else binaryKernel<K, f32>(a, b, out);
  record2(out, op, a, b);
  return out;
}

/** A binary op of floating or int32 tensors of one dtype. */
export function binaryNumeric<K>(op: i32, a: i32, b: i32): i32 {
  if (dtypeOf(a) != I32) return binaryFloat<K>(op, a, b);
  const out = newTensor(broadcastShape(a, b), outShape, I32);
  binaryKernel<K, i32>(a, b, out);
  return out;
}

/** A comparison of two tensors of one numeric dtype: a bool tensor. */
export function compare<K>(op: i32, a: i32, b: i32): i32 {
  const flags = newTensor(broadcastShape(a, b), outShape, dtypeOf(a));
  binaryInto<K>(a, b, flags);
  const out = newTensor(ndim(flags), shapePtr(flags), BOOL);
  convertInto(flags, out);
  release(flags);
  return out;
}

/** A logical op of two bool tensors (the bindings convert other dtypes first): a bool tensor. */
export function logical<K>(op: i32, a: i32, b: i32): i32 {
  const out = newTensor(broadcastShape(a, b), outShape, BOOL);
  binaryKernel<K, u8>(a, b, out);
  return out;
}

// Tests of each element, 1 or 0 in its own type, narrowed to bool by classify().
@final export class NotK { @inline vec(): bool { return true; } // true where x is 0
  @inline v<T>(x: v128): v128 { return v128.and(v128.eq<T>(x, v128.splat<T>(<T>0)), v128.splat<T>(<T>1)); }
  @inline s<T>(x: T): T { return x == <T>0 ? <T>1 : <T>0; } }
@final export class IsNanK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.and(v128.ne<T>(x, x), v128.splat<T>(<T>1)); }
  @inline s<T>(x: T): T { return x != x ? <T>1 : <T>0; } }
@final export class IsInfK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 {
    if (isInteger<T>()) return v128.splat<T>(<T>0);
    return v128.and(v128.eq<T>(v128.abs<T>(x), v128.splat<T>(<T>Infinity)), v128.splat<T>(<T>1));
  }
  @inline s<T>(x: T): T { if (isInteger<T>()) return <T>0; return abs<T>(x) == <T>Infinity ? <T>1 : <T>0; } }
@final export class IsFiniteK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 {
    if (isInteger<T>()) return v128.splat<T>(<T>1);
    return v128.and(v128.lt<T>(v128.abs<T>(x), v128.splat<T>(<T>Infinity)), v128.splat<T>(<T>1));
  }
  @inline s<T>(x: T): T { if (isInteger<T>()) return <T>1; return abs<T>(x) < <T>Infinity ? <T>1 : <T>0; } }

/** A test of each element of a tensor of any dtype: a bool tensor. */
export function classify<K>(op: i32, a: i32): i32 {
  const dtype = dtypeOf(a);
  if (dtype == BOOL) {
    const out = newTensorLike(a);
    if (numel(a) > 0) unaryInto<K, u8>(a, out);
    return out;
  }
  const flags = newTensorLike(a);
  if (numel(a) > 0) {
    if (dtype == F64) unaryInto<K, f64>(a, flags);
    else if (dtype == I32) unaryInto<K, i32>(a, flags);
    else unaryInto<K, f32>(a, flags);
  }
  const out = newTensor(ndim(a), shapePtr(a), BOOL);
  convertInto(flags, out);
  release(flags);
  return out;
}

// ---- conversion ---------------------------------------------------------------------

function convertLoop<S, D>(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const x = load<S>(src + <usize>i * sizeof<S>());
    const y: D = sizeof<D>() == 1 ? <D>(x != <S>0) : <D>x; // to bool: nonzero (and NaN) is true
    store<D>(dst + <usize>i * sizeof<D>(), y);
  }
}

function convertFrom<S>(src: usize, dst: usize, n: i32, to: i32): void {
  if (to == F32) convertLoop<S, f32>(src, dst, n);
  else if (to == F64) convertLoop<S, f64>(src, dst, n);
  else if (to == I32) convertLoop<S, i32>(src, dst, n);
  else convertLoop<S, u8>(src, dst, n);
}

/** Copies src into dst (same shape), converting its elements to dst's dtype. */
export function convertInto(src: i32, dst: i32): void {
  const from = dtypeOf(src), to = dtypeOf(dst);
  const ps = dataPtr(src), pd = dataPtr(dst), n = numel(src);
  if (from == to) memory.copy(pd, ps, dataBytes(src));
  else if (from == F32) convertFrom<f32>(ps, pd, n, to);
  else if (from == F64) convertFrom<f64>(ps, pd, n, to);
  else if (from == I32) convertFrom<i32>(ps, pd, n, to);
  else convertFrom<u8>(ps, pd, n, to);
}

/** x as dtype `dtype` (a new tensor, also when the dtype is the same). */
export function toForward(op: i32, x: i32, dtype: i32): i32 {
  const out = newTensor(ndim(x), shapePtr(x), dtype);
  const src = gathered(x);
  convertInto(src, out);
  if (src != x) release(src);
  record1(out, op, x);
  return out;
}

export function toBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, toForward(Op.To, g, dtypeOf(input(t, 0))));
}

// ---- the ops the backward rules are written with --------------------------------------

export function add(a: i32, b: i32): i32 { return binaryFloat<AddK>(Op.Add, a, b); }
export function sub(a: i32, b: i32): i32 { return binaryFloat<SubK>(Op.Sub, a, b); }
export function mul(a: i32, b: i32): i32 { return binaryFloat<MulK>(Op.Mul, a, b); }
export function div(a: i32, b: i32): i32 { return binaryFloat<DivK>(Op.Div, a, b); }
export function pow(a: i32, b: i32): i32 { return binaryFloat<PowK>(Op.Pow, a, b); }
export function neg(a: i32): i32 { return unaryFloat<NegK>(Op.Neg, a); }
export function exp(a: i32): i32 { return unaryFloat<ExpK>(Op.Exp, a); }
export function log(a: i32): i32 { return unaryFloat<LogK>(Op.Log, a); }
export function sin(a: i32): i32 { return unaryFloat<SinK>(Op.Sin, a); }
export function cos(a: i32): i32 { return unaryFloat<CosK>(Op.Cos, a); }
export function sign(a: i32): i32 { return unaryFloat<SignK>(Op.Sign, a); }
export function positive(a: i32): i32 { return unaryFloat<PositiveK>(Op.Positive, a); }
export function sigmoid(a: i32): i32 { return unaryFloat<SigmoidK>(Op.Sigmoid, a); }
export function zeroWhere(a: i32, mask: i32): i32 { return binaryFloat<ZeroWhereK>(Op.ZeroWhere, a, mask); }

// dst[0..n] += src[0..n] and dst = max(dst, src) on raw spans of T, for the reductions.
export function addSpan<T>(dst: usize, src: usize, n: i32): void {
  binaryRow<AddK, T>(dst, 1, src, 1, dst, n);
}
export function maxSpanInto<T>(dst: usize, src: usize, n: i32): void {
  binaryRow<MaxK, T>(dst, 1, src, 1, dst, n);
}

// target (op)= src elementwise, with src broadcast to target's shape. Never recorded.
export function addInPlace(target: i32, src: i32): void {
  binaryInto<AddK>(target, src, target);
}
export function mulInPlace(target: i32, src: i32): void {
  binaryInto<MulK>(target, src, target);
}

/** A 0-d tensor of dtype `dtype` holding value. */
export function constant(value: f64, dtype: i32): i32 {
  const t = newTensor(0, 0, dtype);
  const p = dataPtr(t);
  if (dtype == F64) store<f64>(p, value);
  else if (dtype == F32) store<f32>(p, <f32>value);
  else if (dtype == I32) store<i32>(p, <i32>value);
  else store<u8>(p, value != 0 ? 1 : 0);
  return t;
}

/** A 0-d constant of t's dtype. */
function constantLike(value: f64, t: i32): i32 {
  return constant(value, dtypeOf(t));
}

// ---- backward rules -----------------------------------------------------------------

// Fused forms of the hottest rules, for a plain backward (no create_graph, when the rules
// must be recorded ops): one pass instead of two to four, no temporaries.
@final export class TanhGradK { @inline vec(): bool { return true; } // g (1 - y^2)
  @inline v<T>(g: v128, y: v128): v128 {
    return v128.mul<T>(g, v128.sub<T>(v128.splat<T>(<T>1), v128.mul<T>(y, y)));
  }
  @inline s<T>(g: T, y: T): T { return g * (<T>1 - y * y); } }
@final export class SigmoidGradK { @inline vec(): bool { return true; } // g y (1 - y)
  @inline v<T>(g: v128, y: v128): v128 {
    return v128.mul<T>(g, v128.mul<T>(y, v128.sub<T>(v128.splat<T>(<T>1), y)));
  }
  @inline s<T>(g: T, y: T): T { return g * (y * (<T>1 - y)); } }
@final export class ReluGradK { @inline vec(): bool { return true; } // g where y > 0
  @inline v<T>(g: v128, y: v128): v128 { return v128.and(g, v128.gt<T>(y, v128.splat<T>(<T>0))); }
  @inline s<T>(g: T, y: T): T { return y > <T>0 ? g : <T>0; } }

// The fused rules also take a one-element g standing for a constant gradient (what a full
// sum hands down, see reduce.ts), so that no buffer is filled with it.

// g and the node's output y through K into a new tensor of y's shape.
function fusedGrad<K>(g: i32, y: i32): i32 {
  const out = newTensorLike(y);
  const sg = numel(g) == 1 ? 0 : 1;
  if (dtypeOf(y) == F64) binaryRow<K, f64>(dataPtr(g), sg, dataPtr(y), 1, dataPtr(out), numel(y));
  else binaryRow<K, f32>(dataPtr(g), sg, dataPtr(y), 1, dataPtr(out), numel(y));
  return out;
}

@inline function canFuse(t: i32, g: i32): bool {
  return fusedRules() && (numel(g) == numel(t) || numel(g) == 1);
}

/** Whether node t's rule is a fused one that accepts a one-element gradient. */
export function takesScalarGrad(t: i32): bool {
  if ((geti(t, FLAGS) & FLAG_RETAINS_GRAD) != 0) return false; // its .grad must have its shape
  const op = geti(t, OP);
  if (op == Op.Tanh || op == Op.Sigmoid || op == Op.Relu) return true;
  if (op != Op.Mul || (geti(t, EDGES) & 3) != 3) return false;
  const a = input(t, 0), b = input(t, 1);
  return numel(a) == numel(t) && numel(b) == numel(t) && !isStrided(a) && !isStrided(b);
}

// Both gradients of a product of same-shape a and b in one pass: g*b and g*a.
function mulGradsOf<T>(g: i32, a: i32, b: i32, ga: i32, gb: i32): void {
  const pg = dataPtr(g), pa = dataPtr(a), pb = dataPtr(b), oa = dataPtr(ga), ob = dataPtr(gb);
  const n = numel(a), w = width<T>();
  const scalar = numel(g) == 1;
  const g0 = load<T>(pg), gs = v128.splat<T>(g0);
  let i = 0;
  for (; i + w <= n; i += w) {
    const off = <usize>i * sizeof<T>();
    const gv = scalar ? gs : v128.load(pg + off);
    v128.store(oa + off, v128.mul<T>(gv, v128.load(pb + off)));
    v128.store(ob + off, v128.mul<T>(gv, v128.load(pa + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i * sizeof<T>();
    const gv = scalar ? g0 : load<T>(pg + off);
    store<T>(oa + off, gv * load<T>(pb + off));
    store<T>(ob + off, gv * load<T>(pa + off));
  }
}

function mulGrads(g: i32, a: i32, b: i32, grads: usize): void {
  const ga = newTensorLike(a), gb = newTensorLike(b);
  if (dtypeOf(a) == F64) mulGradsOf<f64>(g, a, b, ga, gb);
  else mulGradsOf<f32>(g, a, b, ga, gb);
  setGrad(grads, 0, ga);
  setGrad(grads, 1, gb);
}

// g * x, releasing the temporary x: keeps the rules below to one line per formula.
function mulDrop(g: i32, x: i32): i32 { const r = mul(g, x); release(x); return r; }
// x + y, releasing both temporaries.
export function addBoth(x: i32, y: i32): i32 { const r = add(x, y); release(x); release(y); return r; }
// x * y, releasing both temporaries.
export function mulBoth(x: i32, y: i32): i32 { const r = mul(x, y); release(x); release(y); return r; }
// g itself, as a new reference.
export function same(g: i32): i32 { retain(g); return g; }

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
  const sq = mul(t, t), one = constantLike(1, t);
  const d = sub(one, sq);
  release(sq); release(one);
  setGrad(grads, 0, mulDrop(g, d));
}
export function sigmoidBackward(t: i32, g: i32, grads: usize): void {
  if (canFuse(t, g)) { setGrad(grads, 0, fusedGrad<SigmoidGradK>(g, t)); return; }
  const one = constantLike(1, t);
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
export function squareBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mulBoth(mul(g, input(t, 0)), constantLike(2, t))); // 2 x g
}
export function rsqrtBackward(t: i32, g: i32, grads: usize): void {
  const cube = mulBoth(mul(t, t), same(t)); // y^3, then times -g/2
  setGrad(grads, 0, mulBoth(mulDrop(g, cube), constantLike(-0.5, t)));
}
export function siluBackward(t: i32, g: i32, grads: usize): void {
  // d/dx x s(x) = s (1 + x (1 - s)), s = sigmoid(x)
  const x = input(t, 0), s = sigmoid(x), one = constantLike(1, t);
  const xs = mulDrop(x, sub(one, s));
  const inner = add(one, xs);
  release(xs);
  setGrad(grads, 0, mulDrop(g, mulBoth(s, inner)));
  release(one);
}
export function log1pBackward(t: i32, g: i32, grads: usize): void {
  const one = constantLike(1, t);
  const u = add(input(t, 0), one);
  setGrad(grads, 0, div(g, u));
  release(u); release(one);
}
export function expm1Backward(t: i32, g: i32, grads: usize): void {
  const one = constantLike(1, t);
  const u = add(t, one); // e^x = y + 1
  setGrad(grads, 0, mulDrop(g, u));
  release(one);
}
// g / (x ln b) for log base b, with 1 / ln b given
function logBaseBackward(t: i32, g: i32, grads: usize, invLn: f64): void {
  const scale = constantLike(invLn, t);
  setGrad(grads, 0, mulBoth(div(g, input(t, 0)), scale));
}
export function log2Backward(t: i32, g: i32, grads: usize): void { logBaseBackward(t, g, grads, 1 / Math.LN2); }
export function log10Backward(t: i32, g: i32, grads: usize): void { logBaseBackward(t, g, grads, 1 / Math.LN10); }
export function exp2Backward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mulBoth(mul(g, t), constantLike(Math.LN2, t))); // g y ln 2
}
export function tanBackward(t: i32, g: i32, grads: usize): void {
  const one = constantLike(1, t);
  setGrad(grads, 0, mulDrop(g, addBoth(same(one), mul(t, t)))); // g (1 + y^2)
  release(one);
}
export function sinhBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mulDrop(g, unaryFloat<CoshK>(Op.Cosh, input(t, 0))));
}
export function coshBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, mulDrop(g, unaryFloat<SinhK>(Op.Sinh, input(t, 0))));
}
// g / f(x^2) for the inverse functions, f(s) = c + k s (k = +-1), under a square root or not
function overSquareForm(t: i32, g: i32, grads: usize, c: f64, k: f64, root: bool, negate: bool): void {
  const x = input(t, 0);
  const cs = constantLike(c, t), ks = constantLike(k, t);
  let d = addBoth(same(cs), mulBoth(mul(x, x), same(ks)));
  if (root) { const r = unaryFloat<SqrtK>(Op.Sqrt, d); release(d); d = r; }
  const q = div(g, d);
  release(d); release(cs); release(ks);
  if (negate) { setGrad(grads, 0, neg(q)); release(q); } else setGrad(grads, 0, q);
}
export function asinBackward(t: i32, g: i32, grads: usize): void { overSquareForm(t, g, grads, 1, -1, true, false); }
export function acosBackward(t: i32, g: i32, grads: usize): void { overSquareForm(t, g, grads, 1, -1, true, true); }
export function atanBackward(t: i32, g: i32, grads: usize): void { overSquareForm(t, g, grads, 1, 1, false, false); }
export function asinhBackward(t: i32, g: i32, grads: usize): void { overSquareForm(t, g, grads, 1, 1, true, false); }
export function acoshBackward(t: i32, g: i32, grads: usize): void { overSquareForm(t, g, grads, -1, 1, true, false); }
export function atanhBackward(t: i32, g: i32, grads: usize): void { overSquareForm(t, g, grads, 1, -1, false, false); }

// Piecewise-constant ops: a zero gradient, a constant outside the graph (as PyTorch's
// zeros_like), so that even a NaN in g gives 0.
function zeroGrad(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, zerosLike(g));
}
export function floorBackward(t: i32, g: i32, grads: usize): void { zeroGrad(t, g, grads); }
export function ceilBackward(t: i32, g: i32, grads: usize): void { zeroGrad(t, g, grads); }
export function roundBackward(t: i32, g: i32, grads: usize): void { zeroGrad(t, g, grads); }
export function truncBackward(t: i32, g: i32, grads: usize): void { zeroGrad(t, g, grads); }
export function signBackward(t: i32, g: i32, grads: usize): void { zeroGrad(t, g, grads); }
export function fracBackward(t: i32, g: i32, grads: usize): void { setGrad(grads, 0, same(g)); }

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
// maximum's and minimum's gradients (PyTorch's): each input takes g where it is the one
// chosen, half of g where the two are equal, and g where the other is NaN.
// Loses is the comparison under which input 0 is not chosen (Lt for maximum), Wins input 1's.
function extremumBackward<Loses, Wins>(t: i32, g: i32, grads: usize): void {
  const a = input(t, 0), b = input(t, 1);
  const weight = maskOf<EqK>(a, b); // then 1 - tie / 2: a constant, outside the graph
  const half = constantLike(0.5, g), one = constantLike(1, g);
  binaryInto<MulK>(weight, half, weight);
  binaryInto<SubK>(one, weight, weight);
  release(half); release(one);
  for (let i = 0; i < 2; i++) {
    if (!needsGrad(t, i)) continue;
    const other = i == 0 ? maskOf<Loses>(a, b) : maskOf<Wins>(a, b); // 1 where input i is not chosen
    const share = mul(g, weight);
    setGrad(grads, i, zeroWhere(share, other));
    release(share); release(other);
  }
  release(weight);
}
export function atan2Backward(t: i32, g: i32, grads: usize): void {
  // d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
  const a = input(t, 0), b = input(t, 1);
  const r = addBoth(mul(a, a), mul(b, b));
  const q = div(g, r);
  release(r);
  if (needsGrad(t, 0)) setGrad(grads, 0, mul(q, b));
  if (needsGrad(t, 1)) { const m = mul(q, a); setGrad(grads, 1, neg(m)); release(m); }
  release(q);
}
export function logaddexpBackward(t: i32, g: i32, grads: usize): void {
  // d/da = g / (1 + e^(b - a)) = g sigmoid(a - b), and the same with a and b swapped
  const a = input(t, 0), b = input(t, 1);
  if (needsGrad(t, 0)) setGrad(grads, 0, mulDrop(g, sigmoidOfDifference(a, b)));
  if (needsGrad(t, 1)) setGrad(grads, 1, mulDrop(g, sigmoidOfDifference(b, a)));
}
function sigmoidOfDifference(a: i32, b: i32): i32 {
  const d = sub(a, b);
  const s = sigmoid(d);
  release(d);
  return s;
}
export function xlogyBackward(t: i32, g: i32, grads: usize): void {
  // d/dx = g log y, 0 where x = 0 (PyTorch's xlogy(x != 0, y)); d/dy = g x / y
  const x = input(t, 0), y = input(t, 1);
  if (needsGrad(t, 0)) {
    const zero = constantLike(0, x);
    const nonzero = maskOf<NeK>(x, zero);
    release(zero);
    const l = binaryFloat<XlogyK>(Op.Xlogy, nonzero, y);
    release(nonzero);
    setGrad(grads, 0, mulDrop(g, l));
  }
  if (needsGrad(t, 1)) setGrad(grads, 1, mulDrop(g, div(x, y)));
}
// fmin/fmax (PyTorch's): input 0 keeps g where it is chosen (Keep: Ge for fmax, Le for fmin)
// or input 1 is NaN; input 1 takes g elsewhere. Ties all go to input 0.
function fExtremumBackward<Keep>(t: i32, g: i32, grads: usize): void {
  const a = input(t, 0), b = input(t, 1);
  const toFirst = combineMasks(maskOf<Keep>(a, b), maskOf<NeK>(b, b), true);
  if (needsGrad(t, 1)) setGrad(grads, 1, zeroWhere(g, toFirst));
  if (needsGrad(t, 0)) {
    const toSecond = complementOf(toFirst);
    setGrad(grads, 0, zeroWhere(g, toSecond));
    release(toSecond);
  }
  release(toFirst);
}
export function fmaxBackward(t: i32, g: i32, grads: usize): void { fExtremumBackward<GeK>(t, g, grads); }
export function fminBackward(t: i32, g: i32, grads: usize): void { fExtremumBackward<LeK>(t, g, grads); }

export function maximumBackward(t: i32, g: i32, grads: usize): void { extremumBackward<LtK, GtK>(t, g, grads); }
export function minimumBackward(t: i32, g: i32, grads: usize): void { extremumBackward<GtK, LtK>(t, g, grads); }

export function zeroWhereBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, zeroWhere(g, input(t, 1)));
}

// A 0/1 mask of a (K) b in their (common) dtype, outside the graph.
export function maskOf<K>(a: i32, b: i32): i32 {
  const m = newTensor(broadcastShape(a, b), outShape, dtypeOf(a));
  binaryInto<K>(a, b, m);
  return m;
}

/** 1 - m for a 0/1 mask m, as a new mask (m may be saved by a node already: never written). */
export function complementOf(m: i32): i32 {
  const one = constantLike(1, m), r = newTensorLike(m);
  binaryInto<SubK>(one, m, r);
  release(one);
  return r;
}

/** a and b (a b), or a or b (a + b - a b), of 0/1 masks, broadcast; releases a and b. */
export function combineMasks(a: i32, b: i32, or: bool): i32 {
  const r = newTensor(broadcastShape(a, b), outShape, dtypeOf(a));
  binaryInto<MulK>(a, b, r);
  if (or) {
    binaryInto<SubK>(b, r, r);
    binaryInto<AddK>(a, r, r);
  }
  release(a);
  release(b);
  return r;
}

export function powBackward(t: i32, g: i32, grads: usize): void {
  // d/da = g b a^(b-1), 0 where b = 0;  d/db = g out log(a), 0 where a = 0 and b >= 0.
  // The masks are PyTorch's: without them 0^-1 and log(0) turn the gradient into NaN.
  const a = input(t, 0), b = input(t, 1);
  const zero = constantLike(0, b);
  if (needsGrad(t, 0)) {
    const one = constantLike(1, b);
    const bm1 = sub(b, one);
    release(one);
    const p = pow(a, bm1);
    release(bm1);
    // the local derivative masked, then times g, in PyTorch's order (so grad_fn is Mul's)
    const d = mulBoth(same(b), p);
    const m = maskOf<EqK>(b, zero);
    setGrad(grads, 0, mulDrop(g, zeroWhere(d, m)));
    release(d); release(m);
  }
  if (needsGrad(t, 1)) {
    const d = mulBoth(same(t), log(a));
    const m = mulBoth(maskOf<EqK>(a, zero), maskOf<GeK>(b, zero));
    setGrad(grads, 1, mulDrop(g, zeroWhere(d, m)));
    release(d); release(m);
  }
  release(zero);
}

// ---- forward mode ---------------------------------------------------------------------------
// What the forward-mode rules of every family share (see assembly/forward.ts).

/** The sum of two tangents (owned), either of which may be 0 (none). */
export function addTangents(a: i32, b: i32): i32 {
  if (a == 0) return b;
  if (b == 0) return a;
  return addBoth(a, b);
}

/** Input i's tangent (a new reference), or zeros of its shape when it has none. */
export function tangentOrZeros(args: usize, tangents: usize, i: i32): i32 {
  const t = tangentAt(tangents, i);
  if (t == 0) return zerosLike(argAt(args, i));
  retain(t);
  return t;
}

/** Ones of t's shape and dtype: the gradient whose rule gives each element's derivative. */
export function onesLike(t: i32): i32 {
  return addBoth(zerosLike(t), constant(1, dtypeOf(t)));
}

// A conversion's tangent is the tangent converted.
export function toJvp(out: i32, args: usize, tangents: usize): i32 {
  return toForward(Op.To, tangentAt(tangents, 0), dtypeOf(out));
}
