// A float64 reference for every op, written independently of wasmgrad (plain loops over
// row-major arrays), used for forward checks and central finite differences.

export interface Ref {
  shape: number[];
  data: Float64Array;
}

export const ref = (shape: number[], data: ArrayLike<number>): Ref => ({ shape: shape.slice(), data: Float64Array.from(data) });
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function stridesOf(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

function unravel(i: number, shape: number[]): number[] {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

export function map(x: Ref, f: (v: number) => number): Ref {
  return { shape: x.shape.slice(), data: x.data.map(f) };
}

export function zip(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const sa = pad(a.shape), sb = pad(b.shape);
  const shape = sa.map((n, d) => (n === 1 ? sb[d] : n));
  const ta = stridesOf(sa), tb = stridesOf(sb);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    let ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += (sa[d] === 1 ? 0 : idx[d]) * ta[d];
      ib += (sb[d] === 1 ? 0 : idx[d]) * tb[d];
    }
    out[i] = f(a.data[ia], b.data[ib]);
  }
  return { shape, data: out };
}

/** Reduces over `dims` (all when undefined) with f over the reduced values. */
export function reduce(x: Ref, dims: number[] | undefined, keepdim: boolean, f: (vals: number[]) => number): Ref {
  const rank = x.shape.length;
  const reduced = new Set((dims ?? x.shape.map((_, d) => d)).map((d) => (d < 0 ? d + rank : d)));
  const keptShape = x.shape.map((n, d) => (reduced.has(d) ? 1 : n));
  const groups = new Map<number, number[]>();
  const ks = stridesOf(keptShape);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    let key = 0;
    for (let d = 0; d < rank; d++) key += (reduced.has(d) ? 0 : idx[d]) * ks[d];
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(x.data[i]);
  }
  const out = new Float64Array(size(keptShape));
  for (let k = 0; k < out.length; k++) out[k] = f(groups.get(k) ?? []);
  return { shape: keepdim ? keptShape : x.shape.filter((_, d) => !reduced.has(d)), data: out };
}

export const sum = (vals: number[]) => vals.reduce((a, b) => a + b, 0);

export function matmul(a: Ref, b: Ref): Ref {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
  const rank = Math.max(A.shape.length, B.shape.length);
  const batchA = A.shape.length === 3 ? A.shape[0] : 1, batchB = B.shape.length === 3 ? B.shape[0] : 1;
  const batch = Math.max(batchA, batchB);
  const m = A.shape[A.shape.length - 2], k = A.shape[A.shape.length - 1], n = B.shape[B.shape.length - 1];
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const oa = batchA === 1 ? 0 : t * m * k, ob = batchB === 1 ? 0 : t * k * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A.data[oa + i * k + p] * B.data[ob + p * n + j];
      out[t * m * n + i * n + j] = s;
    }
  }
  let shape = rank === 3 ? [batch, m, n] : [m, n];
  if (a.shape.length === 1) shape = shape.filter((_, d) => d !== shape.length - 2);
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  return { shape, data: out };
}

export function transpose(x: Ref, d0: number, d1: number): Ref {
  const shape = x.shape.slice();
  [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
  const st = stridesOf(x.shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    [idx[d0], idx[d1]] = [idx[d1], idx[d0]];
    out[i] = x.data[idx.reduce((acc, v, d) => acc + v * st[d], 0)];
  }
  return { shape, data: out };
}

export function softmax(x: Ref, dim: number, log: boolean): Ref {
  const rank = x.shape.length;
  const d = dim < 0 ? dim + rank : dim;
  const st = stridesOf(x.shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    const base = i - idx[d] * st[d];
    let m = -Infinity;
    for (let r = 0; r < x.shape[d]; r++) m = Math.max(m, x.data[base + r * st[d]]);
    let s = 0;
    for (let r = 0; r < x.shape[d]; r++) s += Math.exp(x.data[base + r * st[d]] - m);
    out[i] = log ? x.data[i] - m - Math.log(s) : Math.exp(x.data[i] - m) / s;
  }
  return { shape: x.shape.slice(), data: out };
}

/** The tensor of `shape` whose element at each index is x's element at source(index). */
export function take(x: Ref, shape: number[], source: (idx: number[]) => number[]): Ref {
  const st = stridesOf(x.shape);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    out[i] = x.data[source(unravel(i, shape)).reduce((acc, v, d) => acc + v * st[d], 0)];
  }
  return { shape: shape.slice(), data: out };
}

/** A copy of x with each element of src written (or added) at x's index target(index of src). */
export function put(x: Ref, src: Ref, target: (idx: number[]) => number[], accumulate: boolean): Ref {
  const st = stridesOf(x.shape);
  const out = Float64Array.from(x.data);
  for (let i = 0; i < src.data.length; i++) {
    const at = target(unravel(i, src.shape)).reduce((acc, v, d) => acc + v * st[d], 0);
    out[at] = accumulate ? out[at] + src.data[i] : src.data[i];
  }
  return { shape: x.shape.slice(), data: out };
}

/**
 * erf(x) from its Maclaurin series, summed until the terms vanish: accurate to about 1e-15
 * for |x| <= 2 (beyond, the alternating terms cancel too much; the tests stay inside).
 */
export function erf(x: number): number {
  if (Math.abs(x) > 2) throw new Error(`reference erf: |x| = ${Math.abs(x)} is outside the series' range`);
  let term = x, sum = x;
  for (let n = 1; n < 100 && Math.abs(term) > 1e-18; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
