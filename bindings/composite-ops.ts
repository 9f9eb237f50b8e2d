// Ops PyTorch defines from others, written the same way here (so their gradients are those
// of their parts): shape helpers (view_as, reshape_as, ravel, atleast_1d/2d/3d, dstack,
// column_stack, row_stack, tensor_split), elementwise formulas (hypot, logit, deg2rad,
// rad2deg, sinc, logaddexp2, copysign, heaviside, float_power, signbit, isposinf,
// isneginf), products with a scaled sum (addmm, addmv, addbmm, baddbmm, inner, vdot, dist)
// and reductions and tests (aminmax, var_mean, std_mean, isclose, allclose, equal).

import { Tensor, tensorArg, type TensorLike } from "./tensor.js";
import { cat, hstack, vstack } from "./join-ops.js";
import { searchsorted } from "./misc-ops.js";
import { full, tensor, zeros_like, type CreateOptions } from "./create.js";
import { scope } from "./lifetime.js";
import { checkOptions } from "./options.js";
import { fail, normalizeDim } from "./shape.js";

type Dims = number | number[] | null;

declare module "./tensor.js" {
  interface Tensor {
    /** view(other.shape) */ view_as(other: Tensor): Tensor;
    /** Whether each element is among test_elements (a tensor or a number), or not with invert. */
    isin(test_elements: TensorLike, options?: { invert?: boolean }): Tensor;
    /** tensor_split along dim 1 (dim 0 for 1-D tensors) */ hsplit(sections: number | number[]): Tensor[];
    /** tensor_split along dim 0 */ vsplit(sections: number | number[]): Tensor[];
    /** tensor_split along dim 2 */ dsplit(sections: number | number[]): Tensor[];
    /** The flattened tensor on the offset diagonal of a matrix. */ diagflat(offset?: number): Tensor;
    /** reshape(other.shape) */ reshape_as(other: Tensor): Tensor;
    /** reshape(-1): a view when the strides allow */ ravel(): Tensor;
    /** Splits into `sections` nearly equal parts, or at the given indices, along dim (views). */
    tensor_split(indices_or_sections: number | number[], dim?: number): Tensor[];
    /** sqrt(self² + other²) */ hypot(other: TensorLike): Tensor;
    /** log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given */ logit(eps?: number | null): Tensor;
    deg2rad(): Tensor;
    rad2deg(): Tensor;
    /** sin(pi x) / (pi x), 1 at 0 */ sinc(): Tensor;
    /** log2(2^self + 2^other), without overflow */ logaddexp2(other: TensorLike): Tensor;
    /** |self| with the sign of other */ copysign(other: TensorLike): Tensor;
    /** 0 below 0, values at 0, 1 above */ heaviside(values: TensorLike): Tensor;
    /** self ** exponent in float64 */ float_power(exponent: TensorLike): Tensor;
    /** whether the sign bit is set (true for -0) */ signbit(): Tensor;
    isposinf(): Tensor;
    isneginf(): Tensor;
    /** beta self + alpha mat1 @ mat2 */ addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
    /** beta self + alpha mat @ vec */ addmv(mat: Tensor, vec: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
    /** beta self + alpha sum_b batch1[b] @ batch2[b] */ addbmm(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
    /** beta self + alpha batch1 @ batch2 */ baddbmm(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
    /** The sum of products over the last dims */ inner(other: Tensor): Tensor;
    /** The dot product of the flattened tensors (real: dot) */ vdot(other: Tensor): Tensor;
    /** norm(self - other, p) */ dist(other: Tensor, p?: number): Tensor;
    /** { min, max } over dim (all by default) */ aminmax(options?: { dim?: number | null; keepdim?: boolean }): { min: Tensor; max: Tensor };
    /** [var, mean] over dims */ var_mean(dim?: Dims, options?: { correction?: number; keepdim?: boolean }): [Tensor, Tensor];
    /** [std, mean] over dims */ std_mean(dim?: Dims, options?: { correction?: number; keepdim?: boolean }): [Tensor, Tensor];
    /** |self - other| <= atol + rtol |other|, elementwise (bool) */ isclose(other: TensorLike, options?: CloseOptions): Tensor;
    /** whether isclose holds everywhere */ allclose(other: TensorLike, options?: CloseOptions): boolean;
    /** same shape and the same elements */ equal(other: Tensor): boolean;
  }
}

export interface CloseOptions { rtol?: number; atol?: number; equal_nan?: boolean }
const CLOSE = { rtol: "number", atol: "number", equal_nan: "boolean" } as const;
const SCALES = { beta: "number", alpha: "number" } as const;
const proto = Tensor.prototype;

// ---- shape ---------------------------------------------------------------------------------

proto.view_as = function view_as(this: Tensor, other) { return this.view(tensorArg("view_as", "other", other).shape); };
proto.reshape_as = function reshape_as(this: Tensor, other) { return this.reshape(tensorArg("reshape_as", "other", other).shape); };
proto.ravel = function ravel(this: Tensor) { return this.reshape([-1]); };

proto.isin = function isin(this: Tensor, test_elements, options = {}) {
  checkOptions("isin", options, { invert: "boolean" });
  return scope(() => {
    // each element looked up by binary search in the sorted test elements
    const tests = typeof test_elements === "number" ? tensor([test_elements], { dtype: this.dtype }) : test_elements.reshape([-1]);
    if (tests.numel() === 0) return full(this.shape, options.invert ? 1 : 0, { dtype: "bool" });
    const sorted = tests.sort().values;
    const at = searchsorted(sorted, this).clamp(null, sorted.numel() - 1);
    const found = sorted.index(at.reshape([-1])).reshape(this.shape).eq(this);
    return options.invert ? found.logical_not() : found;
  });
};

function splitAlong(x: Tensor, op: string, dim: number, least: number, sections: number | number[]): Tensor[] {
  if (x.ndim < least) fail(op, `${op} requires a tensor with at least ${least} dimension, but got a tensor with ${x.ndim} dimensions!`);
  if (typeof sections === "number" && x.shape[dim] % sections !== 0) {
    fail(op, `${op} attempted to split along dimension ${dim}, but the size of the dimension ${x.shape[dim]} is not divisible by the split_size ${sections}!`);
  }
  return x.tensor_split(sections, dim);
}
proto.hsplit = function hsplit(this: Tensor, sections) { return splitAlong(this, "hsplit", this.ndim === 1 ? 0 : 1, 1, sections); };
proto.vsplit = function vsplit(this: Tensor, sections) { return splitAlong(this, "vsplit", 0, 2, sections); };
proto.dsplit = function dsplit(this: Tensor, sections) { return splitAlong(this, "dsplit", 2, 3, sections); };

proto.diagflat = function diagflat(this: Tensor, offset = 0) {
  return scope(() => this.reshape([-1]).diag(offset));
};

proto.tensor_split = function tensor_split(this: Tensor, indices_or_sections, dim = 0) {
  if (this.ndim === 0) fail("tensor_split", "expected at least a 1-dimensional tensor");
  const d = normalizeDim("tensor_split", dim, this.ndim);
  const size = this.shape[d];
  let cuts: number[];
  if (typeof indices_or_sections === "number") {
    const n = indices_or_sections;
    if (!Number.isInteger(n) || n <= 0) fail("tensor_split", `number of sections must be larger than 0, got ${n}`);
    // as PyTorch: the first size % n parts get one element more
    const base = Math.floor(size / n), extra = size % n;
    cuts = Array.from({ length: n - 1 }, (_, i) => (i + 1) * base + Math.min(i + 1, extra));
  } else {
    cuts = indices_or_sections.slice();
  }
  const bounds = [0, ...cuts.map((c) => Math.min(Math.max(c < 0 ? c + size : c, 0), size)), size];
  return bounds.slice(1).map((end, i) => {
    const start = Math.min(bounds[i], end);
    return this.narrow(d, start, Math.max(end - start, 0));
  });
};

/** The tensors with at least 1, 2 or 3 dims (0-d: [1], 1-D: [1, n], 2-D: [m, n, 1]), as PyTorch's atleast_*d. */
export function atleast_1d(x: Tensor): Tensor { return x.ndim >= 1 ? x : x.reshape([1]); }
export function atleast_2d(x: Tensor): Tensor { return x.ndim >= 2 ? x : atleast_1d(x).unsqueeze(0); }
export function atleast_3d(x: Tensor): Tensor {
  if (x.ndim >= 3) return x;
  if (x.ndim === 2) return x.unsqueeze(-1);
  return atleast_1d(x).reshape([1, -1, 1]);
}

/** cat along dim 2 of atleast_3d of each. */
export function dstack(tensors: Tensor[]): Tensor {
  return scope(() => cat(tensors.map(atleast_3d), 2));
}

/** The tensors as columns: 0-d and 1-D ones become [n, 1], then hstack. */
export function column_stack(tensors: Tensor[]): Tensor {
  return scope(() => hstack(tensors.map((t) => (t.ndim <= 1 ? atleast_1d(t).reshape([-1, 1]) : t))));
}

/** vstack. */
export const row_stack = vstack;

/** zeros_like: wasm memory is always initialised. */
export function empty_like(t: Tensor, options?: CreateOptions): Tensor { return zeros_like(t, options); }

/** The row and column indices (int32 [2, count]) of the lower (or upper) triangle of a row x col matrix, offset diagonals in. */
export function tril_indices(row: number, col: number, offset = 0): Tensor { return triangleIndices("tril_indices", row, col, offset, true); }
export function triu_indices(row: number, col: number, offset = 0): Tensor { return triangleIndices("triu_indices", row, col, offset, false); }

function triangleIndices(op: string, row: number, col: number, offset: number, lower: boolean): Tensor {
  for (const [name, v] of [["row", row], ["col", col], ["offset", offset]] as const) {
    if (!Number.isInteger(v)) fail(op, `${name} must be an integer, got ${v}`);
  }
  if (row < 0 || col < 0) fail(op, `row and col must be non-negative, got ${row} and ${col}`);
  const rows: number[] = [], cols: number[] = [];
  for (let i = 0; i < row; i++) {
    for (let j = 0; j < col; j++) {
      if (lower ? j - i <= offset : j - i >= offset) { rows.push(i); cols.push(j); }
    }
  }
  return tensor([rows, cols], { dtype: "int32" });
}

// ---- elementwise formulas ------------------------------------------------------------------

proto.hypot = function hypot(this: Tensor, other) {
  return scope(() => this.square().add(typeof other === "number" ? other * other : other.square()).sqrt());
};

proto.logit = function logit(this: Tensor, eps = null) {
  return scope(() => {
    const p = eps === null ? this : this.clamp(eps, 1 - eps);
    return p.div(p.neg().add(1)).log();
  });
};

proto.deg2rad = function deg2rad(this: Tensor) { return this.mul(Math.PI / 180); };
proto.rad2deg = function rad2deg(this: Tensor) { return this.mul(180 / Math.PI); };

proto.sinc = function sinc(this: Tensor) {
  return scope(() => {
    const px = this.mul(Math.PI);
    // at 0 the limit 1; the where keeps 0/0 out of the gradient too
    const zero = px.eq(0);
    const safe = px.where(zero.logical_not(), 1);
    return safe.sin().div(safe).where(zero.logical_not(), 1);
  });
};

proto.logaddexp2 = function logaddexp2(this: Tensor, other) {
  return scope(() => {
    const scale = Math.LN2;
    const b = typeof other === "number" ? other * scale : other.mul(scale);
    return this.mul(scale).logaddexp(b).div(scale);
  });
};

proto.copysign = function copysign(this: Tensor, other) {
  return scope(() => {
    const negative = typeof other === "number" ? tensor(Object.is(other, -0) || other < 0) : other.signbit();
    const magnitude = this.abs();
    return magnitude.neg().where(negative, magnitude);
  });
};

proto.heaviside = function heaviside(this: Tensor, values) {
  if (!(values instanceof Tensor) && typeof values !== "number") throw new TypeError("heaviside(): argument 'values' must be a Tensor");
  return scope(() => {
    const step = this.gt(0).to(this.dtype);
    return step.where(this.ne(0), values);
  });
};

proto.float_power = function float_power(this: Tensor, exponent) {
  return scope(() => this.double().pow(typeof exponent === "number" ? exponent : exponent.double()));
};

proto.signbit = function signbit(this: Tensor) {
  if (!this.is_floating_point) return this.lt(0);
  // -0 has the sign bit: 1 / -0 is -inf
  return scope(() => this.lt(0).logical_or(this.eq(0).logical_and(this.reciprocal().lt(0))));
};

proto.isposinf = function isposinf(this: Tensor) { return this.eq(Infinity); };
proto.isneginf = function isneginf(this: Tensor) { return this.eq(-Infinity); };

// ---- products with a scaled sum ------------------------------------------------------------

// beta self + alpha product; with beta = 0 self is ignored (NaN included), as in PyTorch,
// though it still sets the broadcast shape.
function scaledSum(op: string, self: Tensor, product: Tensor, options: { beta?: number; alpha?: number }): Tensor {
  checkOptions(op, options, SCALES);
  const beta = options.beta ?? 1, alpha = options.alpha ?? 1;
  const scaled = alpha === 1 ? product : product.mul(alpha);
  if (beta === 0) return scaled.add(zeros_like(self));
  return (beta === 1 ? self : self.mul(beta)).add(scaled);
}

proto.addmm = function addmm(this: Tensor, mat1, mat2, options = {}) {
  return scope(() => scaledSum("addmm", this, tensorArg("addmm", "mat1", mat1).mm(mat2), options));
};
proto.addmv = function addmv(this: Tensor, mat, vec, options = {}) {
  return scope(() => scaledSum("addmv", this, tensorArg("addmv", "mat", mat).mv(vec), options));
};
proto.addbmm = function addbmm(this: Tensor, batch1, batch2, options = {}) {
  return scope(() => scaledSum("addbmm", this, tensorArg("addbmm", "batch1", batch1).bmm(batch2).sum(0), options));
};
proto.baddbmm = function baddbmm(this: Tensor, batch1, batch2, options = {}) {
  return scope(() => scaledSum("baddbmm", this, tensorArg("baddbmm", "batch1", batch1).bmm(batch2), options));
};

proto.inner = function inner(this: Tensor, other) {
  tensorArg("inner", "other", other);
  if (this.ndim === 0 || other.ndim === 0) return this.mul(other);
  const n = this.shape[this.ndim - 1];
  if (other.shape[other.ndim - 1] !== n) {
    fail("inner", `inner() the last dimension must match on both input tensors but got shapes ` +
      `[${this.shape.join(", ")}] and [${other.shape.join(", ")}]`);
  }
  return scope(() => {
    const a = this.reshape([-1, n]), b = other.reshape([-1, n]);
    return a.matmul(b.T).reshape([...this.shape.slice(0, -1), ...other.shape.slice(0, -1)]);
  });
};

proto.vdot = function vdot(this: Tensor, other) {
  tensorArg("vdot", "other", other);
  if (this.ndim !== 1 || other.ndim !== 1) fail("vdot", `1D tensors expected, but got ${this.ndim}D and ${other.ndim}D tensors`);
  return this.dot(other);
};

proto.dist = function dist(this: Tensor, other, p = 2) {
  return scope(() => this.sub(tensorArg("dist", "other", other)).norm(p));
};

// ---- reductions and tests ------------------------------------------------------------------

proto.aminmax = function aminmax(this: Tensor, options = {}) {
  checkOptions("aminmax", options, { dim: { expected: "an integer or null", test: (v) => v === null || Number.isInteger(v) }, keepdim: "boolean" });
  const dim = options.dim ?? null, keepdim = options.keepdim ?? false;
  if (this.numel() === 0) fail("aminmax", "cannot compute aminmax over an empty dimension as the operation has no identity.");
  return { min: this.amin(dim, keepdim), max: this.amax(dim, keepdim) };
};

proto.var_mean = function var_mean(this: Tensor, dim = null, options = {}) {
  return [this.var(dim, options), this.mean(dim, options.keepdim ?? false)];
};
proto.std_mean = function std_mean(this: Tensor, dim = null, options = {}) {
  return [this.std(dim, options), this.mean(dim, options.keepdim ?? false)];
};

proto.isclose = function isclose(this: Tensor, other, options = {}) {
  checkOptions("isclose", options, CLOSE);
  const rtol = options.rtol ?? 1e-5, atol = options.atol ?? 1e-8, equalNan = options.equal_nan ?? false;
  if (rtol < 0) fail("isclose", `rtol must be greater than or equal to zero, but got ${rtol}`);
  if (atol < 0) fail("isclose", `atol must be greater than or equal to zero, but got ${atol}`);
  return scope(() => {
    const b = typeof other === "number" ? tensor(other, { dtype: this.is_floating_point ? this.dtype : "float32" }) : other;
    const exact = this.eq(b);
    if (!this.is_floating_point && !b.is_floating_point) return exact;
    const a = this.double(), bd = b.double();
    const close = a.sub(bd).abs().le(bd.abs().mul(rtol).add(atol)).logical_and(a.isfinite().logical_and(bd.isfinite()));
    const result = exact.logical_or(close);
    return equalNan ? result.logical_or(a.isnan().logical_and(bd.isnan())) : result;
  });
};

proto.allclose = function allclose(this: Tensor, other, options = {}) {
  return scope(() => this.isclose(other, options).all().item() !== 0);
};

proto.equal = function equal(this: Tensor, other) {
  tensorArg("equal", "other", other);
  if (this.ndim !== other.ndim || this.shape.some((s, d) => s !== other.shape[d])) return false;
  return scope(() => this.eq(other).all().item() !== 0);
};
