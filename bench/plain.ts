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

// The mean softmax cross-entropy of logits z + b (z is changed in place) against one-hot
// rows y; returns it and its gradient in z.
function crossEntropy(make: Make, z: Floats, b: Floats, y: Floats, batch: number, classes: number): [number, Floats] {
  const dz = make(batch * classes);
  let loss = 0;
  for (let i = 0; i < batch; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, (z[row + j] += b[j]));
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(z[row + j] - max);
    for (let j = 0; j < classes; j++) {
      const logp = z[row + j] - max - Math.log(s);
      loss -= (y[row + j] * logp) / batch;
      dz[row + j] = (Math.exp(logp) - y[row + j]) / batch; // rows of y sum to 1
    }
  }
  return [loss, dz];
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
  const [loss, dz] = crossEntropy(make, z, p.b2, y, batch, classes);
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

export interface LeNet { w1: Floats; b1: Floats; w2: Floats; b2: Floats; w3: Floats; b3: Floats }
/** LeNet's sizes: 1@28×28 → conv 5×5 → c1@24×24 → pool 2 → conv 5×5 → c2@8×8 → pool 2 → classes. */
export interface LeNetSizes { batch: number; c1: number; c2: number; classes: number }

// Valid 5×5 convolution (cross-correlation) of x (n, cin, h, h) with w (cout, cin, 5, 5) plus b.
function conv5(make: Make, x: Floats, w: Floats, b: Floats, n: number, cin: number, cout: number, h: number): Floats {
  const o = h - 4, out = make(n * cout * o * o);
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < cout; co++) {
      const base = (s * cout + co) * o * o;
      for (let i = 0; i < o * o; i++) out[base + i] = b[co];
      for (let ci = 0; ci < cin; ci++) {
        const xin = (s * cin + ci) * h * h;
        for (let ki = 0; ki < 5; ki++) {
          for (let kj = 0; kj < 5; kj++) {
            const wv = w[((co * cin + ci) * 5 + ki) * 5 + kj];
            for (let i = 0; i < o; i++) {
              const xr = xin + (i + ki) * h + kj, orow = base + i * o;
              for (let j = 0; j < o; j++) out[orow + j] += wv * x[xr + j];
            }
          }
        }
      }
    }
  }
  return out;
}

// conv5's gradients: of its input (when dx is given), of w and of b, from dout.
function conv5Backward(x: Floats, w: Floats, dout: Floats, dx: Floats | null, dw: Floats, db: Floats,
                       n: number, cin: number, cout: number, h: number): void {
  const o = h - 4;
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < cout; co++) {
      const base = (s * cout + co) * o * o;
      for (let i = 0; i < o * o; i++) db[co] += dout[base + i];
      for (let ci = 0; ci < cin; ci++) {
        const xin = (s * cin + ci) * h * h;
        for (let ki = 0; ki < 5; ki++) {
          for (let kj = 0; kj < 5; kj++) {
            const wi = ((co * cin + ci) * 5 + ki) * 5 + kj, wv = w[wi];
            let acc = 0;
            for (let i = 0; i < o; i++) {
              const xr = xin + (i + ki) * h + kj, orow = base + i * o;
              for (let j = 0; j < o; j++) {
                acc += dout[orow + j] * x[xr + j];
                if (dx !== null) dx[xr + j] += wv * dout[orow + j];
              }
            }
            dw[wi] += acc;
          }
        }
      }
    }
  }
}

// ReLU then 2×2 max pooling of (planes, h, h) in place of a copy; `at` gets each window's
// (first) maximum's position, for the backward pass.
function reluPool(make: Make, x: Floats, planes: number, h: number, at: Int32Array): Floats {
  const o = h / 2, out = make(planes * o * o);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < o; i++) {
      for (let j = 0; j < o; j++) {
        let best = -Infinity, where = 0;
        for (let di = 0; di < 2; di++) {
          for (let dj = 0; dj < 2; dj++) {
            const k = (p * h + 2 * i + di) * h + 2 * j + dj, v = Math.max(0, x[k]);
            if (v > best) { best = v; where = k; }
          }
        }
        out[(p * o + i) * o + j] = best;
        at[(p * o + i) * o + j] = where;
      }
    }
  }
  return out;
}

// reluPool's gradient: each window's gradient to its maximum, where the ReLU was active.
function reluPoolBackward(make: Make, pre: Floats, dout: Floats, at: Int32Array): Floats {
  const dx = make(pre.length);
  for (let i = 0; i < dout.length; i++) if (pre[at[i]] > 0) dx[at[i]] += dout[i];
  return dx;
}

/**
 * A LeNet step's loss and gradients: conv-ReLU-maxpool twice, then a linear layer (w3 as
 * (classes, c2·16), PyTorch's layout) and the mean softmax cross-entropy with one-hot y.
 * Returns [loss, dw1, db1, dw2, db2, dw3, db3].
 */
export function lenet(make: Make, x: Floats, y: Floats, p: LeNet, z: LeNetSizes): [number, ...Floats[]] {
  const { batch: n, c1, c2, classes } = z;
  const a1 = conv5(make, x, p.w1, p.b1, n, 1, c1, 28);
  const at1 = new Int32Array(n * c1 * 144);
  const h1 = reluPool(make, a1, n * c1, 24, at1);
  const a2 = conv5(make, h1, p.w2, p.b2, n, c1, c2, 12);
  const at2 = new Int32Array(n * c2 * 16);
  const h2 = reluPool(make, a2, n * c2, 8, at2); // (n, c2·16), flattened as NCHW
  const features = c2 * 16;
  const logits = matmul(make, h2, p.w3, n, features, classes, false, true);
  const [loss, dz] = crossEntropy(make, logits, p.b3, y, n, classes);
  const dw3 = matmul(make, dz, h2, classes, n, features, true);
  const db3 = make(classes);
  for (let i = 0; i < n; i++) for (let j = 0; j < classes; j++) db3[j] += dz[i * classes + j];
  const dh2 = matmul(make, dz, p.w3, n, classes, features);
  const da2 = reluPoolBackward(make, a2, dh2, at2);
  const dw2 = make(p.w2.length), db2 = make(c2), dh1 = make(h1.length);
  conv5Backward(h1, p.w2, da2, dh1, dw2, db2, n, c1, c2, 12);
  const da1 = reluPoolBackward(make, a1, dh1, at1);
  const dw1 = make(p.w1.length), db1 = make(c1);
  conv5Backward(x, p.w1, da1, null, dw1, db1, n, 1, c1, 28);
  return [loss, dw1, db1, dw2, db2, dw3, db3];
}
