// Vector math shared by the float64 kernels: the f64x2 counterparts of simd.ts.
//
// Measured by scripts/check-math64.mjs (1e6 points per range, vector loop and scalar form
// alike; they agree bit for bit). "exact": max error in ulps of the true value, from a
// BigInt reference, on a 3000-point sample of each range plus every point where the
// kernel and Math.* differ. "Math": distance in doubles to V8's Math.*, which is itself
// up to 0.85 ulp off (2.1 for tanh). No special-value mismatches (NaN, +-inf, +-0,
// overflow to inf, underflow to subnormals and 0).
//
//   kernel  range                                   exact  Math
//   exp     |x| < 1e-3, [-1, 1], [-40, 40]          0.79   0
//           [-708, 709.78]                          0.82   0
//           subnormal results [-745.2, -708.3]      0.68   0
//           overflow edge [709, 710]                0.75   0
//           |x| log-uniform 1e-320..1e3, specials   0.67   1  (Math.exp(1) is special-cased)
//   log     all binades, subnormals through max     0.69   1
//           [0.5, 2], 1 +- 1e-3, 1 + 1e-16..0.4     0.76   1
//           negatives, 0, inf, NaN                  exact  0
//   tanh    |x| log-uniform 1e-320..1, |x| < 1e-3   0.98   2
//           [-0.9, 0.9], |x| in [0.7, 1.3],         1.26   2
//             [-3, 3], [-25, 25]
//           |x| log-uniform 1..1e300, specials      0.84   1
//   sin     |x| log-uniform 1e-320..1               0.68   1
//   cos     [-pi, pi] .. [-1.6e6, 1.6e6]            0.75   1
//           doubles closest to n pi/2, |x| < 1.6e6  0.50   0
//           |x| > 1.6e6 (NativeMath lanes)          2.50   2
//
// tanh's worst errors are at |x| in [0.75, 1.2] (its large form with k = 2 and 3; the
// rational form alone, |x| < 0.75, stays below 0.9): with 2e5 exact points per range
// (--only tanh --points 10000000 --exact 200000) the largest was 1.29, Math.tanh's 2.12.
//
// Speed, 1e6 doubles, ms (median of 42 runs, in rounds of short blocks per loop; node 20,
// x64, shared machine: times moved by up to 15% between runs, so compare within a run):
//
//   kernel  input                    vector  NativeMath loop  speed-up
//   exp     [-20, 20]                2.61    3.94             1.5x
//   log     log-uniform 1e-10..1e10  4.15    5.28             1.3x
//   tanh    [-5, 5]                  2.82    15.1             5.4x
//   sin     [-100, 100]              6.17    21.4             3.5x
//   cos     [-100, 100]              5.82    21.0             3.6x
//
// tanh took 1.08x exp's time in this run, 1.04-1.3x over a dozen runs (the most while other
// processes loaded the machine). The previous tanh (a full expV64(2|x|) and Cephes' rational
// on |x| <= 0.625, both computed for every lane) took 6.7-7.0 ms in the same harness, 2.6x
// exp's time.
//
// The scalar forms (for loop tails) cost a whole vector evaluation each: 2-2.3x the
// NativeMath call for exp and log, 0.5-0.75x for tanh, sin and cos; fine for at most one
// element per loop.
//
// The kernels are fdlibm/Cephes algorithms with their double coefficients (tanh: Cephes'
// rational form, refitted for a wider interval and combined with exp's reduction), written
// without branches: each lane evaluates every path and masks pick the result, because a
// lane-dependent branch would have to split the vector and run scalar code. (The one
// exception: sin/cos arguments beyond 1.6e6, see sinCosV64.) Plain wasm
// SIMD has no fused multiply-add, so every exact step relies on products that are exact by
// construction (constants with trailing zero bits) and on two-sum error terms.

const ROUND64: f64 = 6755399441055744.0; // 1.5 * 2^52: adding it rounds to an integer
const ROUND64_BITS: i64 = 0x4338000000000000;
const TINY64: f64 = 7.450580596923828125e-9; // 2^-27: below it sin(x) rounds to x

// Rounds x to the nearest integer (ties to even) and also gives that integer as an i64
// (the low mantissa bits of x + 1.5 * 2^52): f64x2 has no conversion to 64-bit integers.
// Valid for |x| < 2^51.
@inline function roundBits(x: v128): v128 {
  return f64x2.add(x, f64x2.splat(ROUND64));
}
@inline function roundedValue(t: v128): v128 {
  return f64x2.sub(t, f64x2.splat(ROUND64));
}
@inline function roundedInt(t: v128): v128 {
  return i64x2.sub(t, i64x2.splat(ROUND64_BITS));
}

const LOG2E64: f64 = 1.44269504088896338700e+00;
const LN2_HI64: f64 = 6.93147180369123816490e-01; // 32 significant bits: k * LN2_HI64 is exact
const LN2_LO64: f64 = 1.90821492927058770002e-10;
// Outside [EXP64_LO, EXP64_HI] the result is 0 or +inf; clamping there (instead of masking)
// lets the scaling below produce them, and those just inside are subnormal or overflow
// through the same multiplications, so the thresholds are Math.exp's.
const EXP64_HI: f64 = 710.0;
const EXP64_LO: f64 = -746.0;
const EP1: f64 = 1.66666666666666019037e-01;
const EP2: f64 = -2.77777777770155933842e-03;
const EP3: f64 = 6.61375632143793436117e-05;
const EP4: f64 = -1.65339022054652515390e-06;
const EP5: f64 = 4.13813679705723846039e-08;

// exp(x) for two lanes (fdlibm exp): x = k ln2 + hi - lo with a two-part ln2, then the
// Remez rational form 1 + r + r c / (2 - c) on |r| <= ln2/2, keeping the low part of the
// reduction apart until the end. Error below 1 ulp; NaN in, NaN out; +-inf handled.
@inline export function expV64(x: v128): v128 {
  return expParts64(x, x, false);
}

// exp(hi + lo) for an hi exact in float64 and a small lo (erfc's exp(-x^2)): lo joins the
// reduced argument, which is small, so that the sum loses none of its bits.
@inline export function expSumV64(hi: v128, lo: v128): v128 {
  return expParts64(hi, lo, true);
}

@inline function expParts64(xHi: v128, xLo: v128, split: bool): v128 {
  const x = split ? f64x2.add(xHi, xLo) : xHi;
  // pmin/pmax return their first operand when the comparison fails, so NaN stays NaN.
  const v = f64x2.pmin(f64x2.pmax(x, f64x2.splat(EXP64_LO)), f64x2.splat(EXP64_HI));
  const t = roundBits(f64x2.mul(v, f64x2.splat(LOG2E64)));
  const kf = roundedValue(t);
  const k = roundedInt(t);
  let hi = f64x2.sub(v, f64x2.mul(kf, f64x2.splat(LN2_HI64)));
  if (split) { // a clamped lane keeps the clamped value (its scaling gives 0 or inf), others hi + lo
    const kept = f64x2.eq(v, x);
    hi = v128.bitselect(f64x2.add(f64x2.sub(xHi, f64x2.mul(kf, f64x2.splat(LN2_HI64))), xLo), hi, kept);
  }
  const lo = f64x2.mul(kf, f64x2.splat(LN2_LO64));
  const r = f64x2.sub(hi, lo);
  const z = f64x2.mul(r, r);
  let p = f64x2.splat(EP5);
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(EP4));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(EP3));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(EP2));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(EP1));
  const c = f64x2.sub(r, f64x2.mul(z, p));
  let y = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c));
  y = f64x2.sub(f64x2.splat(1.0), f64x2.sub(f64x2.sub(lo, y), hi));
  // 2^k as 2^(k>>1) * 2^(k - (k>>1)): k spans [-1076, 1025], beyond one exponent field,
  // but each half stays normal. The first product is exact and the second rounds once,
  // so subnormal results are correctly rounded from y and overflow gives +inf.
  // k fits in 32 bits, so a 32-bit lane shift gives k>>1 (the high half, all sign bits,
  // is unchanged by it): i64x2.shr_s is a multi-instruction sequence on x64.
  const k1 = i32x4.shr_s(k, 1);
  const s1 = i64x2.shl(i64x2.add(k1, i64x2.splat(1023)), 52);
  const s2 = i64x2.shl(i64x2.add(i64x2.sub(k, k1), i64x2.splat(1023)), 52);
  return f64x2.mul(f64x2.mul(y, s1), s2);
}

@inline export function expS64(x: f64): f64 {
  return f64x2.extract_lane(expV64(f64x2.splat(x)), 0);
}

// Sum of the two lanes.
@inline export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;
const MIN_NORMAL64: f64 = 2.2250738585072014e-308;
const TWO54: f64 = 18014398509481984.0;

// log(x) for two lanes (fdlibm log): x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)),
// s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)) with R of degree 14, and
// k ln2 added in two parts last. Error below 1 ulp. Subnormal inputs are scaled by 2^54
// first; 0 -> -inf, negatives -> NaN, +inf -> +inf, NaN -> NaN by masks.
@inline export function logV64(x: v128): v128 {
  const sub = f64x2.lt(x, f64x2.splat(MIN_NORMAL64));
  const xs = v128.bitselect(f64x2.mul(x, f64x2.splat(TWO54)), x, sub);
  // Adding 1 - sqrt(2)/2's worth of mantissa to the bits carries into the exponent
  // exactly for mantissas >= sqrt(2)/2 * 2, so one shift yields k for the folded range.
  const ix = i64x2.add(xs, i64x2.splat(0x00095f6200000000));
  let k = i64x2.sub(i64x2.shr_u(ix, 52), i64x2.splat(0x3ff));
  k = i64x2.add(k, v128.and(sub, i64x2.splat(-54)));
  const m = i64x2.add(v128.and(ix, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3fe6a09e00000000));
  const dk = roundedValue(i64x2.add(k, i64x2.splat(ROUND64_BITS)));
  const f = f64x2.sub(m, f64x2.splat(1.0));
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  let t1 = f64x2.add(f64x2.mul(w, f64x2.splat(LG6)), f64x2.splat(LG4));
  t1 = f64x2.mul(w, f64x2.add(f64x2.mul(w, t1), f64x2.splat(LG2)));
  let t2 = f64x2.add(f64x2.mul(w, f64x2.splat(LG7)), f64x2.splat(LG5));
  t2 = f64x2.add(f64x2.mul(w, t2), f64x2.splat(LG3));
  t2 = f64x2.mul(z, f64x2.add(f64x2.mul(w, t2), f64x2.splat(LG1)));
  const R = f64x2.add(t2, t1);
  let y = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.mul(dk, f64x2.splat(LN2_LO64)));
  y = f64x2.add(f64x2.sub(y, hfsq), f);
  y = f64x2.add(y, f64x2.mul(dk, f64x2.splat(LN2_HI64)));
  y = v128.bitselect(x, y, v128.not(f64x2.lt(x, f64x2.splat(Infinity)))); // +inf, NaN
  y = v128.bitselect(f64x2.splat(NaN), y, f64x2.lt(x, f64x2.splat(0.0)));
  return v128.bitselect(f64x2.splat(-Infinity), y, f64x2.eq(x, f64x2.splat(0.0)));
}

@inline export function logS64(x: f64): f64 {
  return f64x2.extract_lane(logV64(f64x2.splat(x)), 0);
}

// tanh(h) = h + h s P(s)/Q(s), s = h^2: Cephes' rational form (P of degree 2, Q monic of
// degree 3), its coefficients refitted for |h| <= 0.75 instead of Cephes' 0.625 (weighted
// minimax of the relative error of tanh; 7e-18 in exact arithmetic, 1e-17 with these
// rounded coefficients).
const TP0: f64 = -0.9644483176495601;
const TP1: f64 = -99.41344388094447;
const TP2: f64 = -1617.2842969759552;
const TQ0: f64 = 112.94785306110163;
const TQ1: f64 = 2238.981488013543;
const TQ2: f64 = 4851.8528909278775;
const TANH_SPLIT: f64 = 0.75;
// |x| is clamped to TQ0 = 112.9 (tanh rounds to +-1 from 19.06 on): any bound in
// [19.1, 354] works, and reusing a constant keeps one register free in the loops.
const TANH_CLAMP: f64 = TQ0;
const LOG2E64_2: f64 = 2.0 * LOG2E64;
const LN2_HI64_H: f64 = 0.5 * LN2_HI64; // still 32 significant bits: kf * LN2_HI64_H is exact
const LN2_LO64_H: f64 = 0.5 * LN2_LO64;
// 1.5 * 2^52 + 1022: a + ROUND64_K rounds a to the integer k and leaves k + 1022 in the low
// mantissa bits, which one shift turns into the exponent field of 2^(k - 1).
const ROUND64_K: f64 = 6755399441055744.0 + 1022.0;

// tanh(x) for two lanes, on a = |x| (the sign is put back last, so the result is odd and
// tanh(-0) = -0):
// - a < 0.75: t = tanh(a) by the rational form above, which never subtracts nearly equal
//   numbers, so tiny a and subnormals come out exact.
// - a >= 0.75 (t >= 0.63): 2a = k ln2 + 2h with |h| <= ln2/4 (k = round(2a/ln2) >= 2,
//   ln2/2 in two parts as in exp), tau = tanh(h) by the same rational (one evaluation
//   serves both kinds of lanes), so e^2a = 2^k (1 + tau)/(1 - tau) and
//   t = 1 - 2/(e^2a + 1) = 1 - (1 - tau)/((2^(k-1) + 1/2) + (2^(k-1) - 1/2) tau):
//   the division's error is scaled by d = 1 - t <= 0.37. k <= 326 after the clamp.
// Two divisions and no exp call; the small lanes get k = 0 and 2^(k-1) = 0, which makes
// the large form exactly -1 there, so a max picks the lane's result. NaN propagates; +-inf
// gives +-1.
@inline export function tanhV64(x: v128): v128 {
  const ax = f64x2.abs(x);
  const v = f64x2.pmin(ax, f64x2.splat(TANH_CLAMP)); // NaN stays NaN (see expV64)
  const large = f64x2.ge(v, f64x2.splat(TANH_SPLIT));
  const t = f64x2.add(f64x2.mul(v, f64x2.splat(LOG2E64_2)), f64x2.splat(ROUND64_K));
  const kf = v128.and(f64x2.sub(t, f64x2.splat(ROUND64_K)), large);
  const hi = f64x2.sub(v, f64x2.mul(kf, f64x2.splat(LN2_HI64_H))); // exact
  const h = f64x2.sub(hi, f64x2.mul(kf, f64x2.splat(LN2_LO64_H)));
  const s = f64x2.mul(h, h);
  let p = f64x2.add(f64x2.mul(f64x2.splat(TP0), s), f64x2.splat(TP1));
  p = f64x2.add(f64x2.mul(p, s), f64x2.splat(TP2));
  let q = f64x2.add(s, f64x2.splat(TQ0));
  q = f64x2.add(f64x2.mul(q, s), f64x2.splat(TQ1));
  q = f64x2.add(f64x2.mul(q, s), f64x2.splat(TQ2));
  const tau = f64x2.add(h, f64x2.div(f64x2.mul(f64x2.mul(h, s), p), q));
  const sc = v128.and(i64x2.shl(t, 52), large); // 2^(k-1); +0 in the small lanes
  const den = f64x2.add(f64x2.add(sc, f64x2.splat(0.5)), f64x2.mul(f64x2.sub(sc, f64x2.splat(0.5)), tau));
  const far = f64x2.sub(f64x2.splat(1.0), f64x2.div(f64x2.sub(f64x2.splat(1.0), tau), den));
  // far >= 0.63 > tau in the large lanes; far = 1 - (1 - tau)/((1 - tau)/2) = -1 < tau in
  // the small ones (halving commutes with rounding). pmax keeps NaN (both are NaN then).
  return v128.or(f64x2.pmax(far, tau), v128.and(x, i64x2.splat(0x8000000000000000)));
}

@inline export function tanhS64(x: f64): f64 {
  return f64x2.extract_lane(tanhV64(f64x2.splat(x)), 0);
}

const INV_PIO2: f64 = 6.36619772367581382433e-01;
// pi/2 in 33-bit pieces (fdlibm __rem_pio2) and a full-precision tail: with n < 2^20 every
// n * PIO2_i is exact, and the four together carry about 150 bits of pi/2.
const PIO2_1: f64 = 1.57079632673412561417e+00;
const PIO2_2: f64 = 6.07710050630396597660e-11;
const PIO2_3: f64 = 2.02226624871116645580e-21;
const PIO2_3T: f64 = 8.47842766036889956997e-32;
const TRIG64_LIMIT: f64 = 1.6e6; // n = round(x 2/pi) stays below 2^20
const S1: f64 = -1.66666666666666324348e-01;
const S2: f64 = 8.33333333332248946124e-03;
const S3: f64 = -1.98412698298579493134e-04;
const S4: f64 = 2.75573137070700676789e-06;
const S5: f64 = -2.50507602534068634195e-08;
const S6: f64 = 1.58969099521155010221e-10;
const C1: f64 = 4.16666666666666019037e-02;
const C2: f64 = -1.38888888888741095749e-03;
const C3: f64 = 2.48015872894767294178e-05;
const C4: f64 = -2.75573143513906633035e-07;
const C5: f64 = 2.08757232129817482790e-09;
const C6: f64 = -1.13596475577881948265e-11;

// a - b as hi + lo exactly (Knuth's two-sum: no assumption on which is larger).
@inline function twoDiffLo(a: v128, b: v128, hi: v128): v128 {
  const bb = f64x2.sub(hi, a);
  return f64x2.sub(f64x2.sub(a, f64x2.sub(hi, bb)), f64x2.add(b, bb));
}

// sin(x) or cos(x) for two lanes: x = n pi/2 + r, with r = hi + lo carried as a
// double-double, so that near a multiple of pi/2, where the subtraction cancels most of x,
// r keeps its full relative precision; then fdlibm's __kernel_sin/__kernel_cos on
// [-pi/4, pi/4] with the tail lo, and n mod 4 picks the polynomial and the sign. Error
// below 1 ulp for |x| <= 1.6e6 (the reduction's products are exact only while n < 2^20);
// inf and NaN give NaN. Lanes beyond 1.6e6 take NativeMath's Payne-Hanek reduction behind
// one branch that in-range data never takes (as simd.ts's sinCosV does past 8192): without
// it they would get garbage rather than a less accurate answer.
@inline export function sinCosV64(x: v128, cosine: bool): v128 {
  const t = roundBits(f64x2.mul(x, f64x2.splat(INV_PIO2)));
  const n = roundedValue(t);
  const r1 = f64x2.sub(x, f64x2.mul(n, f64x2.splat(PIO2_1))); // exact (Sterbenz)
  const w2 = f64x2.mul(n, f64x2.splat(PIO2_2));
  const a = f64x2.sub(r1, w2);
  const ae = twoDiffLo(r1, w2, a);
  const w3 = f64x2.mul(n, f64x2.splat(PIO2_3));
  const b = f64x2.sub(a, w3);
  const be = twoDiffLo(a, w3, b);
  const tail = f64x2.sub(f64x2.add(ae, be), f64x2.mul(n, f64x2.splat(PIO2_3T)));
  const hi = f64x2.add(b, tail);
  const lo = f64x2.sub(tail, f64x2.sub(hi, b));

  const z = f64x2.mul(hi, hi);
  const w = f64x2.mul(z, z);
  const v = f64x2.mul(z, hi);
  let sr = f64x2.add(f64x2.mul(z, f64x2.splat(S6)), f64x2.splat(S5));
  sr = f64x2.mul(f64x2.mul(z, w), sr);
  let sr2 = f64x2.add(f64x2.mul(z, f64x2.splat(S4)), f64x2.splat(S3));
  sr = f64x2.add(f64x2.add(f64x2.mul(z, sr2), f64x2.splat(S2)), sr);
  // hi - ((z (lo/2 - v sr) - lo) - v S1)
  let sn = f64x2.sub(f64x2.mul(f64x2.splat(0.5), lo), f64x2.mul(v, sr));
  sn = f64x2.sub(f64x2.mul(z, sn), lo);
  sn = f64x2.sub(hi, f64x2.sub(sn, f64x2.mul(v, f64x2.splat(S1))));

  let cr = f64x2.add(f64x2.mul(z, f64x2.splat(C3)), f64x2.splat(C2));
  cr = f64x2.mul(z, f64x2.add(f64x2.mul(z, cr), f64x2.splat(C1)));
  let cr2 = f64x2.add(f64x2.mul(z, f64x2.splat(C6)), f64x2.splat(C5));
  cr2 = f64x2.add(f64x2.mul(z, cr2), f64x2.splat(C4));
  cr = f64x2.add(cr, f64x2.mul(f64x2.mul(w, w), cr2));
  const hz = f64x2.mul(f64x2.splat(0.5), z);
  const cw = f64x2.sub(f64x2.splat(1.0), hz);
  // w + (((1 - w) - hz) + (z r - hi lo)): 1 - hz rounded, its error added back
  let cs = f64x2.sub(f64x2.sub(f64x2.splat(1.0), cw), hz);
  cs = f64x2.add(cs, f64x2.sub(f64x2.mul(z, cr), f64x2.mul(hi, lo)));
  cs = f64x2.add(cw, cs);

  const q = roundedInt(t);
  const odd = i64x2.ne(v128.and(q, i64x2.splat(1)), i64x2.splat(0));
  let result: v128;
  if (cosine) {
    result = v128.bitselect(sn, cs, odd);
    result = v128.xor(result, i64x2.shl(v128.and(i64x2.add(q, i64x2.splat(1)), i64x2.splat(2)), 62));
  } else {
    result = v128.bitselect(cs, sn, odd);
    result = v128.xor(result, i64x2.shl(v128.and(q, i64x2.splat(2)), 62));
    // keeps the sign of -0 (the reduction's additions would turn it into +0)
    result = v128.bitselect(x, result, f64x2.lt(f64x2.abs(x), f64x2.splat(TINY64)));
  }
  const ax = f64x2.abs(x);
  const far = v128.and(f64x2.gt(ax, f64x2.splat(TRIG64_LIMIT)), f64x2.lt(ax, f64x2.splat(Infinity))); // inf: NaN above
  if (v128.any_true(far)) {
    result = f64x2.replace_lane(result, 0, trigScalar64(f64x2.extract_lane(x, 0), cosine));
    result = f64x2.replace_lane(result, 1, trigScalar64(f64x2.extract_lane(x, 1), cosine));
  }
  return result;
}

@inline export function sinCosS64(x: f64, cosine: bool): f64 {
  return f64x2.extract_lane(sinCosV64(f64x2.splat(x), cosine), 0);
}

function trigScalar64(x: f64, cosine: bool): f64 {
  return cosine ? Math.cos(x) : Math.sin(x);
}
