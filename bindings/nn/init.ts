// nn.init: PyTorch 1.13's initialisations, each filling a tensor in place (under no_grad)
// and returning it. The samples come from the global generator (manual_seed); the
// distributions are PyTorch's, the draws are not (its generator is a different one).

import { Tensor } from "../tensor.js";
import { tensor } from "../create.js";
import { no_grad } from "../autograd.js";
import { uniform, normal } from "../random.js";
import { describe, formatShape } from "../shape.js";

export type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" |
  "conv_transpose3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";
export type FanMode = "fan_in" | "fan_out";

function checkTensor(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`nn.init.${op}(): expected a Tensor, got ${describe(t)}`);
  return t;
}

// Writes `values` (row-major, computed in float64) into t, whatever its dtype.
function fill(t: Tensor, values: Float64Array): Tensor {
  const source = tensor(values, { shape: t.shape, dtype: "float64" });
  try {
    no_grad(() => t.copy_(source));
  } finally {
    source.dispose();
  }
  return t;
}

const sampled = (t: Tensor, draw: () => number) => {
  const values = new Float64Array(t.numel());
  for (let i = 0; i < values.length; i++) values[i] = draw();
  return fill(t, values);
};

/** The gain PyTorch recommends for a nonlinearity (param: leaky_relu's negative slope). */
export function calculate_gain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d":
    case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
      return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) throw new TypeError(`negative_slope ${describe(param)} not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu": return 3 / 4;
    default: throw new Error(`Unsupported nonlinearity ${describe(nonlinearity)}`);
  }
}

/** fan_in = size(1)·receptive field, fan_out = size(0)·receptive field (a weight's two fans). */
export function calculateFans(op: string, t: Tensor): { fan_in: number; fan_out: number } {
  if (t.ndim < 2) {
    throw new Error(`nn.init.${op}(): Fan in and fan out can not be computed for tensor with fewer than 2 dimensions ` +
      `(got shape ${formatShape(t.shape)})`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fan_in: t.shape[1] * receptive, fan_out: t.shape[0] * receptive };
}

function fanOf(op: string, t: Tensor, mode: FanMode): number {
  if (mode !== "fan_in" && mode !== "fan_out") throw new Error(`nn.init.${op}(): Mode ${describe(mode)} not supported, please use one of fan_in, fan_out`);
  const fans = calculateFans(op, t);
  return mode === "fan_in" ? fans.fan_in : fans.fan_out;
}

/** Samples from U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  checkTensor("uniform_", t);
  if (!(a <= b)) throw new RangeError(`nn.init.uniform_(): expects a <= b, but got a=${a} and b=${b}`);
  return sampled(t, () => a + (b - a) * uniform());
}

/** Samples from N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  checkTensor("normal_", t);
  if (!(std >= 0)) throw new RangeError(`nn.init.normal_(): expects std >= 0.0, but found std ${std}`);
  return sampled(t, () => mean + std * normal());
}

/** Samples from N(mean, std²) redrawn until inside [a, b]. */
export function trunc_normal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  checkTensor("trunc_normal_", t);
  if (!(std > 0) || !(a < b)) throw new RangeError(`nn.init.trunc_normal_(): expects std > 0 and a < b, got std=${std}, a=${a}, b=${b}`);
  return sampled(t, () => {
    for (;;) {
      const v = mean + std * normal();
      if (v >= a && v <= b) return v;
    }
  });
}

export function constant_(t: Tensor, val: number): Tensor {
  checkTensor("constant_", t);
  return fill(t, new Float64Array(t.numel()).fill(val));
}

export function ones_(t: Tensor): Tensor { return constant_(checkTensor("ones_", t), 1); }
export function zeros_(t: Tensor): Tensor { return constant_(checkTensor("zeros_", t), 0); }

/** The identity matrix (of a 2-D tensor). */
export function eye_(t: Tensor): Tensor {
  checkTensor("eye_", t);
  if (t.ndim !== 2) throw new Error(`nn.init.eye_(): Only tensors with 2 dimensions are supported (got shape ${formatShape(t.shape)})`);
  const [rows, cols] = t.shape;
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = 1;
  return fill(t, values);
}

/** Glorot: U(-a, a) with a = gain·√(6 / (fan_in + fan_out)). */
export function xavier_uniform_(t: Tensor, gain = 1): Tensor {
  const { fan_in, fan_out } = calculateFans("xavier_uniform_", checkTensor("xavier_uniform_", t));
  const a = gain * Math.sqrt(6 / (fan_in + fan_out));
  return sampled(t, () => a * (2 * uniform() - 1));
}

/** Glorot: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)). */
export function xavier_normal_(t: Tensor, gain = 1): Tensor {
  const { fan_in, fan_out } = calculateFans("xavier_normal_", checkTensor("xavier_normal_", t));
  const std = gain * Math.sqrt(2 / (fan_in + fan_out));
  return sampled(t, () => std * normal());
}

export interface KaimingOptions {
  /** leaky_relu's negative slope (PyTorch's `a`). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  checkTensor(op, t);
  const gain = calculate_gain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  return gain / Math.sqrt(fanOf(op, t, options.mode ?? "fan_in"));
}

/** He: U(-bound, bound) with bound = gain·√(3 / fan). */
export function kaiming_uniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd("kaiming_uniform_", t, options);
  return sampled(t, () => bound * (2 * uniform() - 1));
}

/** He: N(0, std²) with std = gain / √fan. */
export function kaiming_normal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd("kaiming_normal_", t, options);
  return sampled(t, () => std * normal());
}

/**
 * A (semi-)orthogonal matrix, times gain, from the QR decomposition of a normal sample, as
 * PyTorch (dims after the first are flattened).
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  checkTensor("orthogonal_", t);
  if (t.ndim < 2) throw new Error(`nn.init.orthogonal_(): Only tensors with 2 or more dimensions are supported (got shape ${formatShape(t.shape)})`);
  const rows = t.shape[0], cols = t.numel() / rows;
  if (rows === 0 || cols === 0) return t;
  // QR of the tall orientation; its Q's columns (signs fixed by R's diagonal) are orthonormal
  const m = Math.max(rows, cols), n = Math.min(rows, cols);
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = normal();
  const q = orthonormalColumns(a, m, n);
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) values[i * cols + j] = gain * (rows >= cols ? q[i * n + j] : q[j * n + i]);
  }
  return fill(t, values);
}

// Q of the QR decomposition of the m×n (m ≥ n, row-major) matrix a, by Householder
// reflections, with each column's sign making R's diagonal positive (so Q is uniform).
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k * n + k] > 0 ? -norm : norm; // R's diagonal entry
    signs[k] = alpha < 0 ? -1 : 1;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = a[i * n + k];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i] * a[i * n + j];
        const f = (2 * dot) / vv;
        for (let i = k; i < m; i++) a[i * n + j] -= f * v[i];
      }
    }
    vs.push(v);
  }
  // Q = H_0 ... H_{n-1} applied to the first n columns of the identity
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * q[i * n + j];
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) q[i * n + j] -= f * v[i];
    }
  }
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) q[i * n + j] *= signs[j];
  return q;
}
