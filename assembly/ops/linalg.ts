// Linear algebra: dot, (batched) matmul and the 2-norm.

import {
  newTensor, dataPtr, numel, ndim, dim, shapePtr, release, dtypeOf, isStrided, strideOf, MAX_DIMS, F64,
} from "../tensors";
import { record2, record1, gradEnabled, input, needsGrad, setGrad } from "../graph";
import { gemm } from "./gemm";
import { Op } from "../generated/table";
import { hsum } from "./reduce";
import { mul, div } from "./elementwise";
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

// A 0-d result: the dot product of a and b, or with `root` its square root.
function dotInto(out: i32, x: i32, y: i32, root: bool): void {
  const a = gathered(x), b = y == x ? a : gathered(y);
  dotOf(out, a, b, root);
  if (a != x) release(a);
  if (b != y && b != a) release(b);
}

function dotOf(out: i32, a: i32, b: i32, root: bool): void {
  const p = dataPtr(out);
  if (dtypeOf(a) == F64) {
    const s = dotSpan<f64>(dataPtr(a), dataPtr(b), numel(a));
    store<f64>(p, root ? Math.sqrt(s) : s);
  } else {
    const s = dotSpan<f32>(dataPtr(a), dataPtr(b), numel(a));
    store<f32>(p, root ? Mathf.sqrt(s) : s);
  }
}

export function dotForward(op: i32, a: i32, b: i32): i32 {
  const out = newTensor(0, 0, dtypeOf(a));
  dotInto(out, a, b, false);
  record2(out, op, a, b);
  return out;
}

export function normForward(op: i32, a: i32): i32 {
  const out = newTensor(0, 0, dtypeOf(a));
  dotInto(out, a, a, true);
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

export function normBackward(t: i32, g: i32, grads: usize): void {
  // d|a|/da = a / |a|, and 0 at a = 0 (the subgradient PyTorch picks)
  const a = input(t, 0);
  const wide = dtypeOf(t) == F64;
  if ((wide ? load<f64>(dataPtr(t)) : <f64>load<f32>(dataPtr(t))) == 0) {
    const zero = newTensor(ndim(a), shapePtr(a), dtypeOf(a));
    memory.fill(dataPtr(zero), 0, <usize>numel(zero) << (wide ? 3 : 2));
    setGrad(grads, 0, zero);
    return;
  }
  const s = div(g, t);
  setGrad(grads, 0, mul(a, s));
  release(s);
}

export function matmulBackward(t: i32, g: i32, grads: usize): void {
  const a = input(t, 0), b = input(t, 1);
  if (!gradEnabled) { // dA = G·Bᵀ, dB = Aᵀ·G, transposes read in place
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
