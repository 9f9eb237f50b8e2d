// Linear algebra: dot, (batched) matmul and vector norms.

import {
  newTensor, dataPtr, numel, ndim, dim, shapePtr, release, retain, dtypeOf, isStrided, strideOf, MAX_DIMS, F64, zerosLike,
} from "../tensors";
import { record2, record1, gradEnabled, input, needsGrad, paramF, paramI, setParamF, setParamI, setGrad, argAt, tangentAt, fusedRules } from "../graph";
import { gemm } from "./gemm";
import { Op } from "../generated/table";
import { hsum, expand, reduceSum, reductionTangent } from "./reduce";
import {
  mul, div, pow, sign, zeroWhere, constant, maskOf, combineMasks, unaryFloat, mulBoth, same, addTangents, AbsK, EqK, NeK,
} from "./elementwise";
import { scratch } from "../scratch";
import { gathered, transposed } from "./views";

function dotSpan<T>(a: usize, b: usize, n: i32): T {
  const w = <i32>(16 / sizeof<T>()), size = sizeof<T>();
  let s0 = v128.splat<T>(<T>0), s1 = s0, s2 = s0, s3 = s0;
  let i = 0;
  for (; i + 4 * w <= n; i += 4 * w) {
    const off = <usize>i * size;
    s0 = v128.add<T>(s0, v128.mul<T>(v128.load(a + off), v128.load(b + off)));
    s1 = v128.add<T>(s1, v128.mul<T>(v128.load(a + off, 16), v128.load(b + off, 16)));
    s2 = v128.add<T>(s2, v128.mul<T>(v128.load(a + off, 32), v128.load(b + off, 32)));
    s3 = v128.add<T>(s3, v128.mul<T>(v128.load(a + off, 48), v128.load(b + off, 48)));
  }
  for (; i + w <= n; i += w) {
    const off = <usize>i * size;
    s0 = v128.add<T>(s0, v128.mul<T>(v128.load(a + off), v128.load(b + off)));
  }
  let s = hsum<T>(v128.add<T>(v128.add<T>(s0, s1), v128.add<T>(s2, s3)));
  for (; i < n; i++) s += load<T>(a + <usize>i * size) * load<T>(b + <usize>i * size);
  return s;
}

// A 0-d result: the dot product of a and b.
function dotInto(out: i32, x: i32, y: i32): void {
  const a = gathered(x), b = y == x ? a : gathered(y);
  const p = dataPtr(out);
  if (dtypeOf(a) == F64) store<f64>(p, dotSpan<f64>(dataPtr(a), dataPtr(b), numel(a)));
  else store<f32>(p, dotSpan<f32>(dataPtr(a), dataPtr(b), numel(a)));
  if (a != x) release(a);
  if (b != y && b != a) release(b);
}

export function dotForward(op: i32, a: i32, b: i32): i32 {
  const out = newTensor(0, 0, dtypeOf(a));
  dotInto(out, a, b);
  record2(out, op, a, b);
  return out;
}

// ---- vector norms -----------------------------------------------------------------------

// The p-norm of one row of n elements, accumulated in float64; NaN propagates.
function rowNorm<T>(row: usize, n: i32, p: f64): f64 {
  const size = <usize>sizeof<T>();
  if (n == 0) return 0; // also for ±inf, as torch.norm
  if (p == 2) return Math.sqrt(<f64>dotSpan<T>(row, row, n));
  if (p == Infinity || p == -Infinity) {
    let m: f64 = p > 0 ? 0 : Infinity;
    for (let i = 0; i < n; i++) {
      const v = Math.abs(<f64>load<T>(row + <usize>i * size));
      if (v != v) return v;
      m = p > 0 ? Math.max(m, v) : Math.min(m, v);
    }
    return m;
  }
  let acc: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(<f64>load<T>(row + <usize>i * size));
    acc += p == 0 ? <f64>(v != 0) : p == 1 ? v : Math.pow(v, p);
  }
  return p == 0 || p == 1 ? acc : Math.pow(acc, 1 / p);
}

function normRows<T>(src: usize, dst: usize, rows: i32, n: i32, p: f64): void {
  for (let r = 0; r < rows; r++) {
    store<T>(dst + <usize>r * sizeof<T>(), <T>rowNorm<T>(src + <usize>(r * n) * sizeof<T>(), n, p));
  }
}

/**
 * The p-norm of a over its trailing dims [start, rank(a)) (the bindings move the reduced
 * dims there); the output shape (of rank `rank`) is in the core's scratch.
 */
export function normForward(op: i32, a: i32, p: f64, start: i32, rank: i32): i32 {
  const out = newTensor(rank, scratch, dtypeOf(a));
  let n = 1;
  for (let d = start; d < ndim(a); d++) n *= dim(a, d);
  if (numel(out) > 0) {
    const src = gathered(a);
    if (dtypeOf(a) == F64) normRows<f64>(dataPtr(src), dataPtr(out), numel(out), n, p);
    else normRows<f32>(dataPtr(src), dataPtr(out), numel(out), n, p);
    if (src != a) release(src);
  }
  setParamF(out, 0, p);
  setParamI(out, 1, start);
  record1(out, op, a);
  return out;
}

const outShape = heap.alloc(MAX_DIMS << 2);

// Whether t's last two dims lie in memory as the transpose of a contiguous matrix (x.T,
// x.mT or x.transpose(-1, -2) of a contiguous x), each matrix of a batch after the other:
// the GEMM then reads it in place, transposed.
function storedTransposed(t: i32): bool {
  const r = ndim(t);
  if (!isStrided(t) || r < 2) return false;
  const rows = dim(t, r - 2), cols = dim(t, r - 1);
  if (strideOf(t, r - 2) != 1 || strideOf(t, r - 1) != rows) return false;
  return r == 2 || dim(t, 0) == 1 || strideOf(t, 0) == rows * cols;
}

// op(a) @ op(b) for a and b both of rank 2 or both of rank 3 (a batch of 1 broadcasts),
// where op transposes the last two dims when asked; a and b contiguous or transposed
// views (storedTransposed), other views are gathered first. Not recorded.
function product(x: i32, y: i32, transA: bool, transB: bool): i32 {
  const a = isStrided(x) && !storedTransposed(x) ? gathered(x) : x;
  const b = isStrided(y) && !storedTransposed(y) ? gathered(y) : y;
  const out = productOf(a, b, transA != storedTransposed(a), transB != storedTransposed(b), transA, transB);
  if (a != x) release(a);
  if (b != y) release(b);
  return out;
}

// The product with the shapes read through the op's transposes (opA, opB) and the data
// through the layout's (transA, transB).
function productOf(a: i32, b: i32, transA: bool, transB: bool, opA: bool, opB: bool): i32 {
  const rank = ndim(a);
  const m = dim(a, opA ? rank - 1 : rank - 2), k = dim(a, opA ? rank - 2 : rank - 1);
  const n = dim(b, opB ? rank - 2 : rank - 1);
  let batch = 1, batchA = 1, batchB = 1;
  if (rank == 3) {
    batchA = dim(a, 0); batchB = dim(b, 0);
    batch = batchA == 1 ? batchB : batchA; // 1 broadcasts, also against 0
    store<i32>(outShape, batch);
  }
  store<i32>(outShape + (<usize>(rank - 2) << 2), m);
  store<i32>(outShape + (<usize>(rank - 1) << 2), n);
  const dtype = dtypeOf(a);
  const out = newTensor(rank, outShape, dtype);
  const pa = dataPtr(a), pb = dataPtr(b), pc = dataPtr(out);
  const shift = dtype == F64 ? 3 : 2;
  for (let i = 0; i < batch; i++) {
    const ai = pa + (<usize>(batchA == 1 ? 0 : i * m * k) << shift);
    const bi = pb + (<usize>(batchB == 1 ? 0 : i * k * n) << shift);
    const ci = pc + (<usize>(i * m * n) << shift);
    if (dtype == F64) gemm<f64>(ai, bi, ci, m, k, n, transA, transB);
    else gemm<f32>(ai, bi, ci, m, k, n, transA, transB);
  }
  return out;
}

export function matmulForward(op: i32, a: i32, b: i32): i32 {
  const out = product(a, b, false, false);
  record2(out, op, a, b);
  return out;
}

export function dotBackward(t: i32, g: i32, grads: usize): void {
  if (needsGrad(t, 0)) setGrad(grads, 0, mul(g, input(t, 1)));
  if (needsGrad(t, 1)) setGrad(grads, 1, mul(g, input(t, 0)));
}

// PyTorch's norm_backward, with the norm and g broadcast back over the reduced dims:
// zero where the norm is zero (p > 1) or the element is (p < 1), the sign for p = 1, and
// for p = ±inf the gradient shared evenly between the elements whose |x| is the norm (or
// NaN). The masks are constants; the rest are recorded ops, for create_graph.
export function normBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0), p = paramF(t, 0), mask = normMask(x, paramI(t, 1));
  if (p == 0) { setGrad(grads, 0, zerosLike(x)); return; }
  const ge = expand(g, mask, ndim(x), shapePtr(x));
  if (p == 1) { setGrad(grads, 0, mulBoth(sign(x), ge)); return; }
  const norm = expand(t, mask, ndim(x), shapePtr(x));
  const zero = constant(0, dtypeOf(x));
  if (p == 2) {
    setGrad(grads, 0, mulBoth(same(ge), zeroWhereDrop(div(x, norm), maskOf<EqK>(norm, zero))));
  } else if (p == Infinity || p == -Infinity) {
    const ax = absOf(x);
    const hit = combineMasks(maskOf<EqK>(ax, norm), maskOf<NeK>(ax, ax), true);
    const count = reduceSum(Op.Sum, hit, mask, ndim(x), keptShape(x, mask));
    setGrad(grads, 0, mulBoth(sign(x), mulBoth(div(ge, count), same(hit))));
    release(ax); release(hit); release(count);
  } else if (p < 1) {
    const scaled = mulBoth(sign(x), zeroWhereDrop(powOf(absOf(x), p - 1), maskOf<EqK>(x, zero)));
    setGrad(grads, 0, mulBoth(mulBoth(scaled, same(ge)), powOf(same(norm), 1 - p)));
  } else {
    const scaled = p < 2 ? mulBoth(sign(x), powOf(absOf(x), p - 1)) : mulBoth(same(x), powOf(absOf(x), p - 2));
    const denominator = powOf(same(norm), p - 1);
    const scale = zeroWhereDrop(div(ge, denominator), maskOf<EqK>(norm, zero));
    setGrad(grads, 0, mulBoth(scaled, scale));
    release(denominator);
  }
  release(ge); release(norm); release(zero);
}

// The bit mask of x's dims from start on.
function normMask(x: i32, start: i32): i32 {
  let mask = 0;
  for (let d = start; d < ndim(x); d++) mask |= 1 << d;
  return mask;
}

const kept = heap.alloc(MAX_DIMS << 2);

// x's shape with size 1 along the masked dims.
function keptShape(x: i32, mask: i32): usize {
  for (let d = 0; d < ndim(x); d++) store<i32>(kept + (<usize>d << 2), mask & (1 << d) ? 1 : dim(x, d));
  return kept;
}


function absOf(x: i32): i32 {
  return unaryFloat<AbsK>(Op.Abs, x);
}

// x^e, releasing x.
function powOf(x: i32, e: f64): i32 {
  const c = constant(e, dtypeOf(x));
  const r = pow(x, c);
  release(c); release(x);
  return r;
}

// x with zeros where m is 1, releasing both.
function zeroWhereDrop(x: i32, m: i32): i32 {
  const r = zeroWhere(x, m);
  release(x); release(m);
  return r;
}

export function matmulBackward(t: i32, g: i32, grads: usize): void {
  const a = input(t, 0), b = input(t, 1);
  if (fusedRules()) { // dA = G·Bᵀ, dB = Aᵀ·G, transposes read in place
    if (needsGrad(t, 0)) setGrad(grads, 0, product(g, b, false, true));
    if (needsGrad(t, 1)) setGrad(grads, 1, product(a, g, true, false));
    return;
  }
  // create_graph: the same products as recorded ops (of recorded transposed views, read in
  // place), so they can be differentiated
  const r = ndim(a);
  if (needsGrad(t, 0)) {
    const bt = transposed(b, r - 2, r - 1);
    setGrad(grads, 0, matmulForward(Op.Matmul, g, bt));
    release(bt);
  }
  if (needsGrad(t, 1)) {
    const at = transposed(a, r - 2, r - 1);
    setGrad(grads, 1, matmulForward(Op.Matmul, at, g));
    release(at);
  }
}

// ---- forward-mode rules ------------------------------------------------------------------

// A product is linear in each factor: d(ab) = da b + a db.
function productTangent(op: i32, args: usize, tangents: usize, product: (op: i32, a: i32, b: i32) => i32): i32 {
  const ta = tangentAt(tangents, 0), tb = tangentAt(tangents, 1);
  return addTangents(ta != 0 ? product(op, ta, argAt(args, 1)) : 0, tb != 0 ? product(op, argAt(args, 0), tb) : 0);
}

export function dotJvp(out: i32, args: usize, tangents: usize): i32 {
  return productTangent(Op.Dot, args, tangents, dotForward);
}

export function matmulJvp(out: i32, args: usize, tangents: usize): i32 {
  return productTangent(Op.Matmul, args, tangents, matmulForward);
}

export function normJvp(out: i32, args: usize, tangents: usize): i32 {
  return reductionTangent(out, tangentAt(tangents, 0), normMask(argAt(args, 0), paramI(out, 1)), normBackward);
}
