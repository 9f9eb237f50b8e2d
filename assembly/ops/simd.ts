// Vector math shared by the kernels.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.72283935546875;  // ln(FLT_MAX): above it exp overflows to +inf
const EXP_LO: f32 = -104.0;             // below it even a subnormal result rounds to 0

// x clamped to [lo, hi], NaN kept: pmax/pmin (single instructions, unlike min/max, whose
// NaN rules cost a sequence) return their first operand when the comparison fails.
@inline function clamp(x: v128, lo: f32, hi: f32): v128 {
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(lo)), f32x4.splat(hi));
}

// exp(x) for four lanes: a degree-6 polynomial on [-ln2/2, ln2/2] scaled by 2^n
// (Cephes expf). Relative error about 1e-7; NaN in, NaN out; +-inf handled.
@inline export function expV(x: v128): v128 {
  return expParts(x, x, false);
}

// exp(hi + lo) for an hi exact in float32 and a small lo (erfc's exp(-x^2)): lo joins the
// reduced argument, which is small, so that the sum loses none of its bits.
@inline export function expSumV(hi: v128, lo: v128): v128 {
  return expParts(hi, lo, true);
}

@inline function expParts(hi: v128, lo: v128, split: bool): v128 {
  const x = split ? f32x4.add(hi, lo) : hi;
  const over = f32x4.gt(x, f32x4.splat(EXP_HI));
  const under = f32x4.lt(x, f32x4.splat(EXP_LO));
  let v = clamp(x, EXP_LO, EXP_HI);
  const n = f32x4.floor(f32x4.add(f32x4.mul(v, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  // (a clamped lane's value is replaced by the masks below, so hi itself may be used)
  if (split) v = f32x4.add(f32x4.sub(hi, f32x4.mul(n, f32x4.splat(LN2_HI))), lo);
  else v = f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_HI)));
  v = f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(v, v);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), v), f32x4.splat(1.0));
  // Scale by 2^n as 2^(n/2) * 2^(n - n/2): both factors stay normal for n in [-150, 128],
  // so results down in the subnormal range come out right.
  // n is an integer in [-151, 128]: adding 1.5 * 2^23 puts it in the low mantissa bits,
  // which is cheaper than trunc_sat (a long sequence on x64)
  const ni = i32x4.sub(f32x4.add(n, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
  const half = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  y = f32x4.mul(f32x4.mul(y, s1), s2);
  y = v128.bitselect(f32x4.splat(Infinity), y, over);
  return v128.andnot(y, under);
}

@inline export function expS(x: f32): f32 {
  return f32x4.extract_lane(expV(f32x4.splat(x)), 0);
}

// Sum of the four lanes.
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

const SQRT_HALF: f32 = 0.707106781186547524;

// log(x) for four lanes (Cephes logf): x = m 2^e with m in [sqrt(1/2), sqrt(2)), then a
// degree-9 polynomial in m - 1. Lanes outside the normal positive range (0, negatives,
// subnormals, inf, NaN) take the scalar path, so they get exactly Mathf.log's answer.
@inline export function logV(x: v128): v128 {
  const special = v128.or(
    f32x4.lt(x, f32x4.splat(1.17549435e-38)),
    v128.not(f32x4.lt(x, f32x4.splat(Infinity))));
  const bits = i32x4.shr_s(x, 23);
  let e = f32x4.convert_i32x4_s(i32x4.sub(v128.and(bits, i32x4.splat(0xff)), i32x4.splat(126)));
  let m = v128.or(v128.and(x, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
  // m in [0.5, 1): fold to [sqrt(1/2), sqrt(2)) so the polynomial argument stays small.
  const small = f32x4.lt(m, f32x4.splat(SQRT_HALF));
  e = f32x4.sub(e, v128.and(small, f32x4.splat(1.0)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), f32x4.splat(1.0));
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(e, f32x4.splat(LN2_HI)));
  if (v128.any_true(special)) {
    r = f32x4.replace_lane(r, 0, Mathf.log(f32x4.extract_lane(x, 0)));
    r = f32x4.replace_lane(r, 1, Mathf.log(f32x4.extract_lane(x, 1)));
    r = f32x4.replace_lane(r, 2, Mathf.log(f32x4.extract_lane(x, 2)));
    r = f32x4.replace_lane(r, 3, Mathf.log(f32x4.extract_lane(x, 3)));
  }
  return r;
}

@inline export function logS(x: f32): f32 {
  return f32x4.extract_lane(logV(f32x4.splat(x)), 0);
}

// tanh(x) for four lanes: the odd rational function of Eigen's fast tanh, a degree-13
// numerator over a degree-6 denominator on [-7.9, 7.9] (where tanh rounds to +-1 beyond),
// one division and no exp. Tiny |x| returns x itself; NaN propagates through min/max.
@inline export function tanhV(x: v128): v128 {
  const c = clamp(x, -7.90531110763549805, 7.90531110763549805);
  const z = f32x4.mul(c, c);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(5.12229709037114e-8));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.48572235717979e-5));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(6.37261928875436e-4));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(4.89352455891786e-3));
  p = f32x4.mul(p, c);
  let q = f32x4.splat(1.19825839466702e-6);
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(1.18534705686654e-4));
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(2.26843463243900e-3));
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(4.89352518554385e-3));
  const tiny = f32x4.lt(f32x4.abs(x), f32x4.splat(0.0004));
  return v128.bitselect(x, f32x4.div(p, q), tiny);
}

@inline export function tanhS(x: f32): f32 {
  return f32x4.extract_lane(tanhV(f32x4.splat(x)), 0);
}

const FOUR_OVER_PI: f32 = 1.27323954473516;
const DP1: f32 = 0.78515625;
const DP2: f32 = 2.4187564849853515625e-4;
const DP3: f32 = 3.77489497744594108e-8;
const TRIG_LIMIT: f32 = 8192.0;

// sin(x) or cos(x) for four lanes (Cephes sinf/cosf): reduce |x| by multiples of pi/4 in
// three exact-ish steps, evaluate the sine or cosine polynomial on [-pi/4, pi/4], and fix
// the sign by octant. Lanes with |x| > 8192, inf or NaN take the scalar f64 path.
@inline export function sinCosV(x: v128, cosine: bool): v128 {
  const ax = f32x4.abs(x);
  let j = i32x4.trunc_sat_f32x4_s(f32x4.mul(ax, f32x4.splat(FOUR_OVER_PI)));
  j = v128.and(i32x4.add(j, i32x4.splat(1)), i32x4.splat(~1)); // round up to even
  const y = f32x4.convert_i32x4_s(j);
  let r = f32x4.sub(ax, f32x4.mul(y, f32x4.splat(DP1)));
  r = f32x4.sub(r, f32x4.mul(y, f32x4.splat(DP2)));
  r = f32x4.sub(r, f32x4.mul(y, f32x4.splat(DP3)));
  const z = f32x4.mul(r, r);
  let s = f32x4.splat(-1.9515295891e-4);
  s = f32x4.add(f32x4.mul(s, z), f32x4.splat(8.3321608736e-3));
  s = f32x4.add(f32x4.mul(s, z), f32x4.splat(-1.6666654611e-1));
  s = f32x4.add(f32x4.mul(f32x4.mul(s, z), r), r);
  let c = f32x4.splat(2.443315711809948e-5);
  c = f32x4.add(f32x4.mul(c, z), f32x4.splat(-1.388731625493765e-3));
  c = f32x4.add(f32x4.mul(c, z), f32x4.splat(4.166664568298827e-2));
  c = f32x4.add(f32x4.sub(f32x4.mul(f32x4.mul(c, z), z), f32x4.mul(z, f32x4.splat(0.5))), f32x4.splat(1.0));
  const octant2 = i32x4.ne(v128.and(j, i32x4.splat(2)), i32x4.splat(0));
  const bit4 = i32x4.shl(v128.and(j, i32x4.splat(4)), 29); // sign flip in the upper half turn
  let result: v128;
  let sign: v128;
  if (cosine) {
    result = v128.bitselect(s, c, octant2);
    sign = v128.xor(bit4, v128.and(octant2, i32x4.splat(0x80000000)));
  } else {
    result = v128.bitselect(c, s, octant2);
    sign = v128.xor(bit4, v128.and(x, i32x4.splat(0x80000000)));
  }
  result = v128.xor(result, sign);
  const special = v128.not(f32x4.le(ax, f32x4.splat(TRIG_LIMIT)));
  if (v128.any_true(special)) {
    result = f32x4.replace_lane(result, 0, trigScalar(f32x4.extract_lane(x, 0), cosine));
    result = f32x4.replace_lane(result, 1, trigScalar(f32x4.extract_lane(x, 1), cosine));
    result = f32x4.replace_lane(result, 2, trigScalar(f32x4.extract_lane(x, 2), cosine));
    result = f32x4.replace_lane(result, 3, trigScalar(f32x4.extract_lane(x, 3), cosine));
  }
  return result;
}

function trigScalar(x: f32, cosine: bool): f32 {
  return <f32>(cosine ? Math.cos(<f64>x) : Math.sin(<f64>x));
}
