// Activations with parameters: leaky_relu, elu (and selu, an elu with fixed constants),
// hardtanh (and relu6) and softplus. The parameters are set in `p0` and `p1` for the one
// loop that runs, read there by the kernels, and kept in the node for the rule.

import { newTensorLike, numel, dtypeOf, release, F64 } from "../tensors";
import { record1, input, paramF, setParamF, setGrad } from "../graph";
import {
  unaryInto, constant, maskOf, complementOf, binaryInto, mul, add, exp, sigmoid, zeroWhere, GtK, GeK, LeK, AddK, MulK,
} from "./elementwise";

let p0: f64 = 0;
let p1: f64 = 0;

// x where x > 0, else p0 x (NaN stays NaN)
@final export class LeakyReluK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 {
    return v128.bitselect(x, v128.mul<T>(x, v128.splat<T>(<T>p0)), v128.gt<T>(x, v128.splat<T>(<T>0)));
  }
  @inline s<T>(x: T): T { return x > <T>0 ? x : x * <T>p0; } }
// p1 x where x > 0, else p1 p0 expm1(x): elu (p1 = 1) and selu
@final export class EluK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T {
    if (x > <T>0) return <T>p1 * x;
    const e: f64 = sizeof<T>() == 8 ? NativeMath.expm1(<f64>x) : <f64>NativeMathf.expm1(<f32>x);
    return <T>(p1 * p0 * e);
  } }
// x clamped to [p0, p1]; NaN propagates
@final export class HardtanhK { @inline vec(): bool { return true; }
  @inline v<T>(x: v128): v128 { return v128.min<T>(v128.max<T>(x, v128.splat<T>(<T>p0)), v128.splat<T>(<T>p1)); }
  @inline s<T>(x: T): T { return min<T>(max<T>(x, <T>p0), <T>p1); } }
// log1p(exp(p0 x)) / p0, or x where p0 x > p1 (PyTorch's threshold)
@final export class SoftplusK { @inline vec(): bool { return false; }
  @inline v<T>(x: v128): v128 { return x; }
  @inline s<T>(x: T): T {
    const bx = <f64>x * p0;
    if (bx > p1) return x;
    return <T>(NativeMath.log1p(NativeMath.exp(bx)) / p0);
  } }

function activation<K>(op: i32, x: i32, a: f64, b: f64): i32 {
  const out = newTensorLike(x);
  p0 = a;
  p1 = b;
  if (numel(x) > 0) {
    if (dtypeOf(x) == F64) unaryInto<K, f64>(x, out);
    else unaryInto<K, f32>(x, out);
  }
  setParamF(out, 0, a);
  setParamF(out, 1, b);
  record1(out, op, x);
  return out;
}

export function leakyReluForward(op: i32, x: i32, slope: f64): i32 { return activation<LeakyReluK>(op, x, slope, 0); }
export function eluForward(op: i32, x: i32, alpha: f64, scale: f64): i32 { return activation<EluK>(op, x, alpha, scale); }
export function hardtanhForward(op: i32, x: i32, lo: f64, hi: f64): i32 { return activation<HardtanhK>(op, x, lo, hi); }
export function softplusForward(op: i32, x: i32, beta: f64, threshold: f64): i32 { return activation<SoftplusK>(op, x, beta, threshold); }

// a + (b - a) mask, a constant of g's dtype outside the graph
function blend(mask: i32, a: f64, b: f64, like: i32): i32 {
  const scale = constant(b - a, dtypeOf(like)), offset = constant(a, dtypeOf(like));
  binaryInto<MulK>(mask, scale, mask);
  const r = add(mask, offset); // not recorded: neither requires grad
  release(scale); release(offset); release(mask);
  return r;
}

// PyTorch's rules. leaky_relu: g where x > 0, else slope g.
export function leakyReluBackward(t: i32, g: i32, grads: usize): void {
  const zero = constant(0, dtypeOf(g));
  const factor = blend(maskOf<GtK>(input(t, 0), zero), paramF(t, 0), 1, g);
  release(zero);
  setGrad(grads, 0, mul(g, factor));
  release(factor);
}

// a where mask is 1, the recorded b elsewhere (b zeroed there, not multiplied by 0, so an
// infinite b does not turn into NaN), so that the second derivative flows through b.
// Releases mask and b.
function either(mask: i32, a: f64, b: i32): i32 {
  const scale = constant(a, dtypeOf(b));
  const kept = zeroWhere(b, mask);
  binaryInto<MulK>(mask, scale, mask); // a mask
  const r = add(kept, mask);
  release(kept); release(mask); release(b); release(scale);
  return r;
}

// elu and selu: g scale, or g scale alpha e^x where x <= 0 (not g (y + scale alpha), which
// cancels for very negative x)
export function eluBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), alpha = paramF(t, 0), scale = paramF(t, 1);
  const zero = constant(0, dtypeOf(g)), sa = constant(scale * alpha, dtypeOf(g));
  const ex = exp(x);
  const below = mul(ex, sa);
  release(ex);
  // scale unless x <= 0, so NaN takes scale, as PyTorch's scalar rule
  const nonPositive = maskOf<LeK>(x, zero), positive = complementOf(nonPositive);
  release(nonPositive);
  const factor = either(positive, scale, below);
  setGrad(grads, 0, mul(g, factor));
  release(factor); release(zero); release(sa);
}

// hardtanh: 0 where x <= lo or x >= hi, else g (so NaN passes g, as PyTorch's scalar rule)
export function hardtanhBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  const lo = constant(paramF(t, 0), dtypeOf(g)), hi = constant(paramF(t, 1), dtypeOf(g));
  const low = maskOf<LeK>(x, lo), high = maskOf<GeK>(x, hi);
  binaryInto<AddK>(low, high, low); // nonzero where the gradient is dropped
  setGrad(grads, 0, zeroWhere(g, low));
  release(low); release(high); release(lo); release(hi);
}

// softplus: g sigmoid(beta x), or g where beta x > threshold
export function softplusBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), beta = paramF(t, 0), threshold = paramF(t, 1);
  const b = constant(beta, dtypeOf(g)), at = constant(threshold, dtypeOf(g));
  const bx = mul(x, b);
  const factor = either(maskOf<GtK>(bx, at), 1, sigmoid(bx));
  setGrad(grads, 0, mul(g, factor));
  release(factor); release(bx); release(b); release(at);
}
