// float64 vector math shared by the kernels: two lanes through NativeMath for now.

@inline function lanes(x: v128, y0: f64, y1: f64): v128 {
  return f64x2.replace_lane(f64x2.splat(y0), 1, y1);
}

@inline export function expS64(x: f64): f64 { return Math.exp(x); }
@inline export function logS64(x: f64): f64 { return Math.log(x); }
@inline export function tanhS64(x: f64): f64 { return Math.tanh(x); }

@inline export function expV64(x: v128): v128 {
  return lanes(x, Math.exp(f64x2.extract_lane(x, 0)), Math.exp(f64x2.extract_lane(x, 1)));
}
@inline export function logV64(x: v128): v128 {
  return lanes(x, Math.log(f64x2.extract_lane(x, 0)), Math.log(f64x2.extract_lane(x, 1)));
}
@inline export function tanhV64(x: v128): v128 {
  return lanes(x, Math.tanh(f64x2.extract_lane(x, 0)), Math.tanh(f64x2.extract_lane(x, 1)));
}
@inline export function sinCosV64(x: v128, cosine: bool): v128 {
  const a = f64x2.extract_lane(x, 0), b = f64x2.extract_lane(x, 1);
  return cosine ? lanes(x, Math.cos(a), Math.cos(b)) : lanes(x, Math.sin(a), Math.sin(b));
}
@inline export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
