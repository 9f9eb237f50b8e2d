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

/** C = A B for n x n row-major matrices (i-k-j order, the cache-friendly plain loop). */
function matmul(make: Make, a: Floats, b: Floats, n: number, transA = false, transB = false): Floats {
  const c = make(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = transA ? a[k * n + i] : a[i * n + k];
      const row = i * n;
      if (transB) for (let j = 0; j < n; j++) c[row + j] += aik * b[j * n + k];
      else for (let j = 0; j < n; j++) c[row + j] += aik * b[k * n + j];
    }
  }
  return c;
}

/** loss = sum(A B); dA = G B^T, dB = A^T G with G = ones. Returns [loss, dA, dB]. */
export function mm(make: Make, a: Floats, b: Floats, n: number): [number, Floats, Floats] {
  const c = matmul(make, a, b, n);
  let loss = 0;
  for (let i = 0; i < c.length; i++) loss += c[i];
  const g = make(n * n).fill(1);
  return [loss, matmul(make, g, b, n, false, true), matmul(make, a, g, n, true, false)];
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
