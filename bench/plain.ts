// The plain-TypeScript reference: hand-written typed-array loops with hand-derived
// gradients, no library. Generic over the array type, so the Float64Array instance is
// the float64 reference that every contender's gradients are checked against.

export type Floats = Float32Array | Float64Array;
type Make = (n: number) => Floats;

/** loss = sum(tanh(x*w + b) * x); returns [loss, dL/dx, dL/dw]. */
export function ew(make: Make, x: Floats, w: Floats, b: Floats): [number, Floats, Floats] {
  const n = x.length;
  const gx = make(n), gw = make(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.tanh(x[i] * w[i] + b[i]);
    loss += t * x[i];
    const dz = x[i] * (1 - t * t); // d(t*x)/dz
    gx[i] = t + dz * w[i];
    gw[i] = dz * x[i];
  }
  return [loss, gx, gw];
}

/**
 * C (m x n) = op(A) op(B), row-major, where op transposes when asked: A is m x k (or k x m
 * when transA), B is k x n (or n x k when transB). i-k-j order, the cache-friendly plain loop.
 */
function matmul(make: Make, a: Floats, b: Floats, m: number, k: number, n: number, transA = false, transB = false): Floats {
  const c = make(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      if (transB) for (let j = 0; j < n; j++) c[row + j] += aip * b[j * k + p];
      else for (let j = 0; j < n; j++) c[row + j] += aip * b[p * n + j];
    }
  }
  return c;
}

/** loss = sum(A B); dA = G B^T, dB = A^T G with G = ones. Returns [loss, dA, dB]. */
export function mm(make: Make, a: Floats, b: Floats, n: number): [number, Floats, Floats] {
  const c = matmul(make, a, b, n, n, n);
  let loss = 0;
  for (let i = 0; i < c.length; i++) loss += c[i];
  const g = make(n * n).fill(1);
  return [loss, matmul(make, g, b, n, n, n, false, true), matmul(make, a, g, n, n, n, true, false)];
}

export interface Mlp {
  w1: Floats; b1: Floats; w2: Floats; b2: Floats;
}

/**
 * The MLP x -> relu(x W1 + b1) W2 + b2 -> mean softmax cross-entropy against one-hot rows
 * y (batch x classes). Returns [loss, dW1, db1, dW2, db2].
 */
export function mlp(make: Make, x: Floats, y: Floats, p: Mlp, batch: number, inputs: number, hidden: number,
                    classes: number): [number, Floats, Floats, Floats, Floats] {
  const h = matmul(make, x, p.w1, batch, inputs, hidden);
  for (let i = 0; i < batch; i++) for (let j = 0; j < hidden; j++) h[i * hidden + j] = Math.max(0, h[i * hidden + j] + p.b1[j]);
  const z = matmul(make, h, p.w2, batch, hidden, classes);
  const dz = make(batch * classes);
  let loss = 0;
  for (let i = 0; i < batch; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, (z[row + j] += p.b2[j]));
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(z[row + j] - max);
    for (let j = 0; j < classes; j++) {
      const logp = z[row + j] - max - Math.log(s);
      loss -= (y[row + j] * logp) / batch;
      dz[row + j] = (Math.exp(logp) - y[row + j]) / batch; // rows of y sum to 1
    }
  }
  const dw2 = matmul(make, h, dz, hidden, batch, classes, true);
  const db2 = make(classes);
  for (let i = 0; i < batch; i++) for (let j = 0; j < classes; j++) db2[j] += dz[i * classes + j];
  const dh = matmul(make, dz, p.w2, batch, classes, hidden, false, true);
  for (let i = 0; i < dh.length; i++) if (h[i] <= 0) dh[i] = 0;
  const dw1 = matmul(make, x, dh, inputs, batch, hidden, true);
  const db1 = make(hidden);
  for (let i = 0; i < batch; i++) for (let j = 0; j < hidden; j++) db1[j] += dh[i * hidden + j];
  return [loss, dw1, db1, dw2, db2];
}

/** y = y*a + b repeated `steps` times from y0; returns [y, dy/dy0, dy/da, dy/db]. */
export function stress(y0: number, a: number, b: number, steps: number): [number, number, number, number] {
  const ys = new Float64Array(steps + 1);
  ys[0] = y0;
  for (let i = 0; i < steps; i++) ys[i + 1] = ys[i] * a + b;
  let g = 1, ga = 0, gb = 0;
  for (let i = steps - 1; i >= 0; i--) {
    ga += g * ys[i];
    gb += g;
    g *= a;
  }
  return [ys[steps], g, ga, gb];
}

/** loss = sum(W[idx] * T), W vocab x dim, T tokens x dim; returns [loss, dL/dW]. */
export function embed(make: Make, w: Floats, t: Floats, idx: Int32Array, dim: number): [number, Floats] {
  const gw = make(w.length);
  let loss = 0;
  for (let k = 0; k < idx.length; k++) {
    const row = idx[k] * dim, at = k * dim;
    for (let j = 0; j < dim; j++) {
      loss += w[row + j] * t[at + j];
      gw[row + j] += t[at + j];
    }
  }
  return [loss, gw];
}
