// erf(x) and erfc(x) on the lanes of a v128 of f32 or f64: fdlibm's algorithm (FreeBSD's
// s_erf.c and s_erff.c, as in musl), whose float version uses the double coefficients
// rounded to float, so one generic body serves both. Its four ranges of |x| each have a
// rational approximation:
//
//   A  |x| < 0.84375          erf(x) = x + x R(x^2)
//   B  0.84375 <= |x| < 1.25  erf(|x|) = erx + P(s) / Q(s), s = |x| - 1
//   C  1.25 <= |x| < 1/0.35   erfc(|x|) = exp(-x^2 - 0.5625 + R1(1/x^2) / S1(1/x^2)) / |x|
//   D  1/0.35 <= |x| < 28     the same with R2 / S2 (beyond 28, erfc is 0 in either type)
//
// erfc is computed directly in every range (never as 1 - erf where that cancels), so its
// tail keeps full relative accuracy down to the subnormals. Written without branches per
// lane: A and B share one rational with coefficients picked per lane; C and D (rare) have
// their own, and each part is evaluated only when some lane needs it. The exponent
// -x^2 - 0.5625 + R/S is split as -z^2 - 0.5625 (z = x cut to half its bits: exact) plus
// the small (z - x)(z + x) + R/S, which joins exp's reduced argument (expSumV), so that no
// rounding of x^2 reaches the result.
//
// Largest errors over 25,000 points covering every range and both tails, in ulps of the
// exact values (mpmath): float32 erf 0.73, erfc 2.08; float64 erf 0.85, erfc 1.95 (glibc's,
// through PyTorch: 0.78, 1.13; 0.82, 1.0). Both erfc maxima are fdlibm's own, in range A's
// 0.5 - (x y + (x - 0.5)). Speed, 1e6 float32 lanes on a shared 2-core machine: 3.1 ms in
// ranges A and B, 6 ms in C, 7.5 ms for normally distributed x (exp: 1.5 ms; libm's log1p,
// one element at a time: 6 ms); float64, 13.6 ms for normally distributed x.

import { expSumV } from "./simd";
import { expSumV64 } from "./simd64";

@inline function k<T>(c: f64): v128 {
  return v128.splat<T>(<T>c);
}

// c where mask, else d (the coefficient of one range or the other).
@inline function pick<T>(mask: v128, c: f64, d: f64): v128 {
  return v128.bitselect(k<T>(c), k<T>(d), mask);
}

// p * s + c, one Horner step.
@inline function step<T>(p: v128, s: v128, c: v128): v128 {
  return v128.add<T>(v128.mul<T>(p, s), c);
}

// exp(hi + lo), hi exact
@inline function expSumT<T>(hi: v128, lo: v128): v128 {
  if (sizeof<T>() == 8) return expSumV64(hi, lo);
  return expSumV(hi, lo);
}

const ERX: f64 = 8.45062911510467529297e-01; // erf(1) rounded to 24 bits
const EFX8: f64 = 1.02703333676410069053e+00; // 8 (2/sqrt(pi) - 1)
// Below these, x R would be subnormal and lose bits: erf(x) is taken as (8x + 8 (2/sqrt(pi) - 1) x) / 8
const TINY32: f64 = 7.52316384526264e-37; // 2^-120
const TINY64: f64 = 9.332636185032189e-302; // 2^-1000

// Range A: erf(x) = x + x R(x^2)
const PP0 = 1.28379167095512558561e-01, PP1 = -3.25042107247001499370e-01, PP2 = -2.84817495755985104766e-02,
  PP3 = -5.77027029648944159157e-03, PP4 = -2.37630166566501626084e-05;
const QQ1 = 3.97917223959155352819e-01, QQ2 = 6.50222499887672944485e-02, QQ3 = 5.08130628187576562776e-03,
  QQ4 = 1.32494738004321644526e-04, QQ5 = -3.96022827877536812320e-06;
// Range B: erf(1 + s) - erx
const PA0 = -2.36211856075265944077e-03, PA1 = 4.14856118683748331666e-01, PA2 = -3.72207876035701323847e-01,
  PA3 = 3.18346619901161753674e-01, PA4 = -1.10894694282396677476e-01, PA5 = 3.54783043256182359371e-02,
  PA6 = -2.16637559486879084300e-03;
const QA1 = 1.06420880400844228286e-01, QA2 = 5.40397917702171048937e-01, QA3 = 7.18286544141962662868e-02,
  QA4 = 1.26171219808761642112e-01, QA5 = 1.36370839120290507362e-02, QA6 = 1.19844998467991074170e-02;
// Range C
const RA0 = -9.86494403484714822705e-03, RA1 = -6.93858572707181764372e-01, RA2 = -1.05586262253232909814e+01,
  RA3 = -6.23753324503260060396e+01, RA4 = -1.62396669462573470355e+02, RA5 = -1.84605092906711035994e+02,
  RA6 = -8.12874355063065934246e+01, RA7 = -9.81432934416914548592e+00;
const SA1 = 1.96512716674392571292e+01, SA2 = 1.37657754143519042600e+02, SA3 = 4.34565877475229228821e+02,
  SA4 = 6.45387271733267880336e+02, SA5 = 4.29008140027567833386e+02, SA6 = 1.08635005541779435134e+02,
  SA7 = 6.57024977031928170135e+00, SA8 = -6.04244152148580987438e-02;
// Range D
const RB0 = -9.86494292470009928597e-03, RB1 = -7.99283237680523006574e-01, RB2 = -1.77579549177547519889e+01,
  RB3 = -1.60636384855821916062e+02, RB4 = -6.37566443368389627722e+02, RB5 = -1.02509513161107724954e+03,
  RB6 = -4.83519191608651397019e+02;
const SB1 = 3.03380607434824582924e+01, SB2 = 3.25792512996573918826e+02, SB3 = 1.53672958608443695994e+03,
  SB4 = 3.19985821950859553908e+03, SB5 = 2.55305040643316442583e+03, SB6 = 4.74528541206955367215e+02,
  SB7 = -2.24409524465858183362e+01;

// Ranges A and B: R(x^2) in A lanes (where inA), P(s) / Q(s) in B lanes.
@inline function nearRatio<T>(x: v128, a: v128, inA: v128): v128 {
  const s = v128.bitselect(v128.mul<T>(x, x), v128.sub<T>(a, k<T>(1)), inA);
  let p = pick<T>(inA, 0, PA6);
  p = step<T>(p, s, pick<T>(inA, 0, PA5));
  p = step<T>(p, s, pick<T>(inA, PP4, PA4));
  p = step<T>(p, s, pick<T>(inA, PP3, PA3));
  p = step<T>(p, s, pick<T>(inA, PP2, PA2));
  p = step<T>(p, s, pick<T>(inA, PP1, PA1));
  p = step<T>(p, s, pick<T>(inA, PP0, PA0));
  let q = pick<T>(inA, 0, QA6);
  q = step<T>(q, s, pick<T>(inA, QQ5, QA5));
  q = step<T>(q, s, pick<T>(inA, QQ4, QA4));
  q = step<T>(q, s, pick<T>(inA, QQ3, QA3));
  q = step<T>(q, s, pick<T>(inA, QQ2, QA2));
  q = step<T>(q, s, pick<T>(inA, QQ1, QA1));
  q = step<T>(q, s, k<T>(1));
  return v128.div<T>(p, q);
}

// Range C's R1(s) / S1(s) and range D's R2(s) / S2(s), s = 1 / a^2.
@inline function ratioC<T>(s: v128): v128 {
  let r = k<T>(RA7);
  r = step<T>(r, s, k<T>(RA6));
  r = step<T>(r, s, k<T>(RA5));
  r = step<T>(r, s, k<T>(RA4));
  r = step<T>(r, s, k<T>(RA3));
  r = step<T>(r, s, k<T>(RA2));
  r = step<T>(r, s, k<T>(RA1));
  r = step<T>(r, s, k<T>(RA0));
  let q = k<T>(SA8);
  q = step<T>(q, s, k<T>(SA7));
  q = step<T>(q, s, k<T>(SA6));
  q = step<T>(q, s, k<T>(SA5));
  q = step<T>(q, s, k<T>(SA4));
  q = step<T>(q, s, k<T>(SA3));
  q = step<T>(q, s, k<T>(SA2));
  q = step<T>(q, s, k<T>(SA1));
  q = step<T>(q, s, k<T>(1));
  return v128.div<T>(r, q);
}
@inline function ratioD<T>(s: v128): v128 {
  let r = k<T>(RB6);
  r = step<T>(r, s, k<T>(RB5));
  r = step<T>(r, s, k<T>(RB4));
  r = step<T>(r, s, k<T>(RB3));
  r = step<T>(r, s, k<T>(RB2));
  r = step<T>(r, s, k<T>(RB1));
  r = step<T>(r, s, k<T>(RB0));
  let q = k<T>(SB7);
  q = step<T>(q, s, k<T>(SB6));
  q = step<T>(q, s, k<T>(SB5));
  q = step<T>(q, s, k<T>(SB4));
  q = step<T>(q, s, k<T>(SB3));
  q = step<T>(q, s, k<T>(SB2));
  q = step<T>(q, s, k<T>(SB1));
  q = step<T>(q, s, k<T>(1));
  return v128.div<T>(r, q);
}

/**
 * a with the low bits of its significand cleared (masks 0xffffffff00000000 and 0xffffe000),
 * so that z * z, and z * z plus a small constant, are exact: the high part of an exp(-a^2)
 * argument split as hi + lo. (musl's float mask, 0xfffff000, leaves z * z one bit too many
 * when the sum crosses a power of two, as just below x = 8, which cost erfcf 57 ulps there.)
 */
@inline export function squareExact<T>(a: v128): v128 {
  return v128.and(a, sizeof<T>() == 8 ? i64x2.splat(-4294967296) : i32x4.splat(-8192));
}

// erfc(a) for a = |x| >= 1.25; 0 from 28 on (and for a = inf).
@inline function tail<T>(a: v128): v128 {
  const inverse = v128.div<T>(k<T>(1), a);
  const s = v128.mul<T>(inverse, inverse);
  // each range's rational only where some lane needs it (range D is rare: |x| >= 2.857)
  const inD = v128.ge<T>(a, k<T>(1 / 0.35)); // (near lanes may take either: they are not used)
  let ratio = k<T>(0);
  if (!i32x4.all_true(inD)) ratio = ratioC<T>(s);
  if (v128.any_true(inD)) ratio = v128.bitselect(ratioD<T>(s), ratio, inD);
  const z = squareExact<T>(a);
  const hi = v128.sub<T>(v128.neg<T>(v128.mul<T>(z, z)), k<T>(0.5625));
  const lo = v128.add<T>(v128.mul<T>(v128.sub<T>(z, a), v128.add<T>(z, a)), ratio);
  const e = v128.div<T>(expSumT<T>(hi, lo), a);
  return v128.andnot(e, v128.ge<T>(a, k<T>(28)));
}

/** erf(x), or erfc(x) when `complement`, for each lane; NaN stays NaN, erf(-0) = -0. */
@inline export function erfV<T>(x: v128, complement: bool): v128 {
  return erfLanes<T>(x, complement);
}

// One function per lane type, called by every erf, erfc and float64 gelu loop rather than
// inlined into each (it is long: inlined, it made the elementwise loops a third of the
// core; the call costs those loops about a quarter of their speed).
function erfLanes<T>(x: v128, complement: bool): v128 {
  const a = v128.abs<T>(x);
  const sign = v128.and(x, k<T>(-0.0));
  const negative = v128.lt<T>(x, k<T>(0));
  const inA = v128.lt<T>(a, k<T>(0.84375));
  const near = v128.lt<T>(a, k<T>(1.25));
  const one = k<T>(1);
  let nearValue = k<T>(0), farValue = k<T>(0);
  if (v128.any_true(near)) {
    const y = nearRatio<T>(x, a, inA);
    if (complement) {
      // A: 1 - (x + x y), or 0.5 - (x y + (x - 0.5)) for x >= 1/4, which does not cancel;
      // B: (1 - erx) - y for x > 0, 1 + (erx + y) for x < 0
      const xy = v128.mul<T>(x, y);
      const low = v128.sub<T>(one, v128.add<T>(x, xy));
      const high = v128.sub<T>(k<T>(0.5), v128.add<T>(xy, v128.sub<T>(x, k<T>(0.5))));
      const valueA = v128.bitselect(low, high, v128.lt<T>(x, k<T>(0.25)));
      const valueB = v128.bitselect(v128.add<T>(one, v128.add<T>(k<T>(ERX), y)),
        v128.sub<T>(k<T>(1 - ERX), y), negative);
      nearValue = v128.bitselect(valueA, valueB, inA);
    } else {
      const valueA = v128.bitselect(
        v128.mul<T>(k<T>(0.125), v128.add<T>(v128.mul<T>(x, k<T>(8)), v128.mul<T>(x, k<T>(EFX8)))),
        v128.add<T>(x, v128.mul<T>(x, y)), v128.lt<T>(a, k<T>(sizeof<T>() == 8 ? TINY64 : TINY32)));
      const valueB = v128.or(v128.add<T>(k<T>(ERX), y), sign);
      nearValue = v128.bitselect(valueA, valueB, inA);
    }
  }
  if (!i32x4.all_true(near)) { // (a lane's mask is all ones or all zeros)
    const e = tail<T>(a);
    farValue = complement
      ? v128.bitselect(v128.sub<T>(k<T>(2), e), e, negative)
      : v128.or(v128.sub<T>(one, e), sign);
  }
  return v128.bitselect(nearValue, farValue, near);
}

@inline export function erfS<T>(x: T, complement: bool): T {
  return v128.extract_lane<T>(erfV<T>(v128.splat<T>(x), complement), 0);
}
