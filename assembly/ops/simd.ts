// Vector math shared by the kernels.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.72283935546875;  // ln(FLT_MAX): above it exp overflows to +inf
const EXP_LO: f32 = -87.33654475;       // below it the result is (nearly) 0

// exp(x) for four lanes: a degree-6 polynomial on [-ln2/2, ln2/2] scaled by 2^n
// (Cephes expf). Relative error about 1e-7; NaN in, NaN out; +-inf handled.
@inline export function expV(x: v128): v128 {
  const over = f32x4.gt(x, f32x4.splat(EXP_HI));
  const under = f32x4.lt(x, f32x4.splat(EXP_LO));
  let v = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.floor(f32x4.add(f32x4.mul(v, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  v = f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_HI)));
  v = f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(v, v);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), v), f32x4.splat(1.0));
  // 2^(n-1) * 2 keeps the biased exponent in range for n = 128.
  const bits = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(126)), 23);
  y = f32x4.mul(f32x4.mul(y, bits), f32x4.splat(2.0));
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
