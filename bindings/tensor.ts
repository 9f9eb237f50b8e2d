// The Tensor class: a handle on a tensor of the wasm core, with PyTorch's names.
// Each method checks its arguments, makes one call into the core and wraps the result.

import { isBatched, batchDims, refuseBatchedRead, writing } from "./batching.js";
import { core, ops, heapOf, dataIndex, writeScratch } from "./core.js";
import { gradFnOf, type GradFn } from "./graph-nodes.js";
import { TableMethods } from "./generated/methods.js";
import {
  type Shape, broadcastShapes, checkSize, describe, fail, formatShape, inferShape, normalizeDim,
  numelOf, sameShape,
  MAX_DIMS,
} from "./shape.js";
import { formatTensor } from "./format.js";
import { runBackward, type BackwardOptions } from "./autograd.js";
import { adopt, epoch, releaseHandle, restore, transfer, type Evicted } from "./lifetime.js";
import { checkOptions } from "./options.js";
import { expanded, isContiguousLayout, overlaps, transposed, viewStrides } from "./views.js";
import { batchedProduct } from "./contraction.js";
import {
  DTYPES, DTYPE_CODE, type AnyTypedArray, type DType, canCast, checkDtype, floating,
  isFloating, resultType, scalarTypeName, torchName,
} from "./dtype.js";

/** A tensor or a plain number (a 0-d constant), accepted wherever an op takes a tensor. */
export type TensorLike = Tensor | number;

// Number operands become 0-d core tensors that live for one call.
const temporaries: number[] = [];

function releaseTemporaries(): void {
  while (temporaries.length > 0) core.releaseTensor(temporaries.pop()!);
}

/** A new core tensor of the given shape and dtype (uninitialised), as an id. */
/** The first `count` elements of core tensor id's data (contiguous), as a typed array. */
function valuesOf(id: number, dtype: DType, count: number): AnyTypedArray {
  const start = dataIndex(id, dtype);
  return heapOf(dtype).slice(start, start + count);
}

/** The same of a strided id (all its elements unless count says), through a contiguous copy. */
function contiguousValuesOf(id: number, dtype: DType, count = core.numelOf(id)): AnyTypedArray {
  const copy = ops.opContiguous(id);
  const values = valuesOf(copy, dtype, count);
  core.releaseTensor(copy);
  return values;
}

export function allocate(shape: Shape, dtype: DType): number {
  writeScratch(shape);
  return core.create(shape.length, DTYPE_CODE[dtype]);
}

/** A 0-d core tensor of dtype `dtype` holding value. */
export function scalarId(value: number, dtype: DType): number {
  const id = core.create(0, DTYPE_CODE[dtype]);
  heapOf(dtype)[dataIndex(id, dtype)] = value;
  return id;
}

/** x, which argument `name` of op requires to be a Tensor. */
export function tensorArg(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}(): argument '${name}' must be a Tensor, got ${describe(x)}`);
  return x;
}

function checkOperand(op: string, x: unknown, name: string): asserts x is TensorLike {
  if (!(x instanceof Tensor) && typeof x !== "number") {
    throw new TypeError(`${op}(): argument '${name}' must be a Tensor or a number, got ${describe(x)}`);
  }
}

// The core id of operand x in dtype `dtype`: a tensor, of any strides (every kernel reads
// views), converted if need be by a recorded op, so that gradients flow back in the
// tensor's own dtype; or a number (a 0-d temporary).
function operand(op: string, x: TensorLike, dtype: DType): number {
  if (typeof x === "number") {
    const id = scalarId(x, dtype);
    temporaries.push(id);
    return id;
  }
  let id = x._live(op);
  if (x._dtype === dtype) return id;
  id = ops.opTo(id, DTYPE_CODE[dtype]);
  temporaries.push(id);
  return id;
}

// Set by the first in-place op recorded on shared data: from then on, views are checked for
// a history that such an op made out of date (see Tensor._regenerate).
let historyRewritten = false;

/**
 * The dtype op computes in for operands a and b under the op's dtype rule, and the dtype
 * of its result: bools are added and multiplied as integers, then turned back into bools.
 */
function dtypesOf(op: string, rule: DtypeRule, a: Tensor, b: TensorLike): [DType, DType] {
  const common = resultType(a, b);
  if (rule === "float") return [floating(common), floating(common)];
  if (rule === "bool") return [common === "bool" ? "int32" : common, "bool"];
  if (common !== "bool" && a._dtype !== "bool" && (typeof b === "number" || b._dtype !== "bool")) return [common, common];
  refuseBool(op, a._dtype === "bool" && typeof b !== "number" && b._dtype === "bool");
  return common === "bool" ? ["int32", "bool"] : [common, common];
}

function shapeOf(x: TensorLike): Shape {
  return x instanceof Tensor ? x._shape : [];
}

// PyTorch's refusals of bool arithmetic.
function refuseBool(op: string, both: boolean): void {
  if (op === "sub" || op === "sub_") {
    fail(op, both
      ? "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
      : "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, " +
        "use the `~` or `logical_not()` operator instead.");
  }
  if (op === "pow" && both) fail(op, `"pow" not implemented for 'Bool'`);
}

// Whether an in-place op on t must be recorded; throws for a leaf that requires grad.
function recordsInPlace(op: string, t: Tensor, src: unknown): boolean {
  if (!core.isGradEnabled()) return false;
  const id = t._live(op);
  if (core.requiresGradOf(id) && core.isLeafTensor(id)) {
    fail(op, "a leaf Variable that requires grad is being used in an in-place operation. " +
      "Update parameters inside no_grad(() => ...)");
  }
  if (t._base !== null && core.requiresGradOf(id)) {
    const root = core.rootTensor(id);
    if (core.requiresGradOf(root) && core.isLeafTensor(root)) {
      fail(op, "a view of a leaf Variable that requires grad is being used in an in-place operation. " +
        "Update parameters inside no_grad(() => ...)");
    }
  }
  return core.requiresGradOf(id) !== 0 || (src instanceof Tensor && core.requiresGradOf(src._live(op)) !== 0);
}

export interface MaxResult {
  values: Tensor;
  indices: Tensor;
}

type Entry = (...ids: number[]) => number;

type DtypeRule = "same" | "promote" | "float" | "bool";

export class Tensor extends TableMethods {
  /** @internal core tensor id; 0 once disposed or evicted */
  _id: number;
  /** @internal never mutated, so tensors of the same shape may share it */
  readonly _shape: readonly number[];
  /** @internal */
  readonly _dtype: DType;
  /** @internal whether the data is laid out row-major without gaps (false for some views) */
  _contiguous: boolean;
  /** @internal for a view, the tensor whose data it shares (PyTorch's _base) */
  _base: Tensor | null = null;
  /** @internal the data and state of an evicted tensor (see lifetime.ts) */
  _evicted: Evicted | null = null;
  /** @internal the eviction pass during which the handle was last used */
  _used = 0;
  private _gradHandle: Tensor | null = null;

  /** @internal Use tensor(), zeros(), ... to create tensors. */
  constructor(id: number, shape: readonly number[], dtype?: DType, contiguous = true) {
    super();
    this._id = id;
    this._shape = shape;
    this._dtype = dtype ?? DTYPES[core.dtypeCode(id)];
    this._contiguous = contiguous;
    adopt(this);
  }

  /** @internal The core id (brought back if evicted), or a clear error if disposed. */
  _live(op: string): number {
    const id = this._id;
    if (id !== 0) {
      this._used = epoch;
      if (historyRewritten && this._base !== null && core.isStaleView(id)) return this._regenerate(op, id);
      return id;
    }
    if (this._evicted === null) fail(op, "this tensor was disposed and can no longer be used");
    return restore(this, this._evicted);
  }

  // A view taken before an in-place op rewrote its base's history sees the new values. As
  // in PyTorch, its history is then regenerated from the base's current one (a region of
  // it, AsStridedBackward), so gradients flow through what was written.
  private _regenerate(op: string, id: number): number {
    if (!core.isGradEnabled()) return id; // nothing is recorded: the shared values suffice
    const base = this._base!;
    const history = base._id !== 0 || base._evicted !== null ? base._live(op) : core.currentHistory(id);
    if (history === 0) {
      fail(op, "this view was taken before an in-place operation changed the history of its data, and nothing " +
        "holds that history any more (the tensor it is a view of was disposed); keep that tensor alive");
    }
    const region = new Tensor(ops.opRegion(history, id), this._shape, this._dtype, this._contiguous);
    transfer(region, this);
    return this._id;
  }

  // ---- properties ---------------------------------------------------------------------

  get shape(): number[] {
    return this._shape.slice();
  }

  /** The element type: "float32" (the default), "float64", "int32" or "bool". */
  get dtype(): DType {
    return this._dtype;
  }

  /** Whether the dtype is float32 or float64. */
  get is_floating_point(): boolean {
    return isFloating(this._dtype);
  }

  /** A copy converted to `dtype` (this tensor itself when it has that dtype already). */
  to(dtype: DType): Tensor {
    this._live("to");
    const d = checkDtype("to", dtype);
    if (d === this._dtype) return this;
    const out = ops.opTo(operand("to", this, this._dtype), DTYPE_CODE[d]);
    releaseTemporaries();
    return new Tensor(out, this._shape, d);
  }

  float(): Tensor { return this.to("float32"); }
  double(): Tensor { return this.to("float64"); }
  int(): Tensor { return this.to("int32"); }
  bool(): Tensor { return this.to("bool"); }

  get ndim(): number {
    return this._shape.length;
  }

  /** PyTorch's size(): the shape, or the size of one dim. */
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.shape;
    return this._shape[normalizeDim("size", dim, this.ndim)];
  }

  dim(): number {
    return this._shape.length;
  }

  numel(): number {
    return numelOf(this._shape);
  }

  get requires_grad(): boolean {
    return core.requiresGradOf(this._live("requires_grad")) !== 0;
  }

  set requires_grad(flag: boolean) {
    this.requires_grad_(flag);
  }

  requires_grad_(flag = true): this {
    const id = this._live("requires_grad_");
    if (typeof flag !== "boolean") fail("requires_grad_", `expected a boolean, got ${describe(flag)}`);
    if (!core.isLeafTensor(id)) {
      fail("requires_grad_", "you can only change requires_grad flags of leaf variables. If you " +
        "want to use a computed variable in a subgraph that doesn't require differentiation use " +
        "var_no_grad = var.detach().");
    }
    if (flag && !isFloating(this._dtype)) {
      fail("requires_grad_", `only Tensors of floating point dtype can require gradients (this one is ${this._dtype}; ` +
        "convert it with .float() or .double() first)");
    }
    core.setRequiresGrad(id, flag);
    return this;
  }

  /** How many in-place ops wrote this tensor (PyTorch's _version). */
  get _version(): number {
    return core.versionOf(this._live("_version"));
  }

  get is_leaf(): boolean {
    return core.isLeafTensor(this._live("is_leaf")) !== 0;
  }

  get grad_fn(): GradFn | null {
    return gradFnOf(this);
  }

  /**
   * Keeps this non-leaf's gradient in .grad at the next backward passes, as a leaf's is (a
   * no-op on a leaf, as in PyTorch).
   */
  retain_grad(): void {
    const id = this._live("retain_grad");
    if (!core.requiresGradOf(id)) fail("retain_grad", "can't retain_grad on Tensor that has requires_grad=False");
    if (!core.isLeafTensor(id)) core.setRetainsGrad(id);
  }

  /** Whether retain_grad() was called on this non-leaf. */
  get retains_grad(): boolean {
    const id = this._live("retains_grad");
    return !core.isLeafTensor(id) && core.retainsGradOf(id) !== 0;
  }

  /** The accumulated gradient of a leaf (or of a non-leaf after retain_grad()); null before the first backward. */
  get grad(): Tensor | null {
    const id = core.gradOf(this._live("grad"));
    if (id === 0) return null;
    if (this._gradHandle === null || this._gradHandle._id !== id) {
      core.retainTensor(id);
      this._gradHandle = new Tensor(id, this._shape, this._dtype);
    }
    return this._gradHandle;
  }

  set grad(value: Tensor | null) {
    if (value !== null) fail("grad", "only null can be assigned to .grad (to clear it)");
    core.clearGrad(this._live("grad"));
    this._gradHandle = null;
  }

  // ---- data out -----------------------------------------------------------------------

  /**
   * A copy of the data in row-major order, as the typed array of the dtype: Float32Array,
   * Float64Array, Int32Array, or Uint8Array (0 and 1) for bool.
   */
  toTypedArray(): AnyTypedArray {
    const id = this._live("toTypedArray");
    refuseBatchedRead("toTypedArray", id);
    return this._contiguous ? valuesOf(id, this._dtype, this.numel()) : contiguousValuesOf(id, this._dtype, this.numel());
  }

  /**
   * @internal The values an argument check reads (index bounds, ranges): under vmap, every
   * example's, in no particular order; never a result.
   */
  _valuesForChecks(): AnyTypedArray {
    const id = this._live("check");
    return isBatched(id) ? contiguousValuesOf(id, this._dtype) : this.toTypedArray();
  }

  /** The one value, as a number (0 or 1 for a bool tensor, where PyTorch gives a bool). */
  item(): number {
    const id = this._live("item");
    refuseBatchedRead("item", id);
    const n = this.numel();
    if (n !== 1) fail("item", `a Tensor with ${n} elements cannot be converted to Scalar`);
    return heapOf(this._dtype)[dataIndex(id, this._dtype)];
  }

  /** Nested arrays of numbers (or booleans for a bool tensor); a 0-d tensor gives its value. */
  tolist(): number | boolean | unknown[] {
    const raw = this.toTypedArray();
    const data: ArrayLike<number | boolean> = this._dtype === "bool" ? Array.from(raw, (v) => v !== 0) : raw;
    const shape = this._shape;
    if (shape.length === 0) return data[0];
    let offset = 0;
    const build = (d: number): unknown[] => {
      const out = new Array(shape[d]);
      for (let i = 0; i < shape[d]; i++) out[i] = d === shape.length - 1 ? data[offset++] : build(d + 1);
      return out;
    };
    return build(0);
  }

  toString(): string {
    if (this._id === 0 && this._evicted === null) return "tensor(<disposed>)";
    const suffixes: string[] = [];
    // PyTorch names the dtype unless it is implied: the default float, int64 (here int32
    // has no such place, so it is named) or bool.
    if (this._dtype !== "float32" && this._dtype !== "bool") suffixes.push(`dtype=${torchName(this._dtype)}`);
    const fn = this.grad_fn;
    if (fn !== null) suffixes.push(`grad_fn=<${fn.name()}>`);
    else if (this.requires_grad) suffixes.push("requires_grad=True");
    return formatTensor(this.toTypedArray(), this._shape, suffixes, this._dtype);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** Releases the tensor's memory now; using it afterwards throws. */
  dispose(): void {
    releaseHandle(this);
  }

  /** `using t = ...` disposes t at the end of the block. */
  declare [Symbol.dispose]: () => void;

  // ---- autograd -----------------------------------------------------------------------

  backward(gradient?: TensorLike | null, options: BackwardOptions = {}): void {
    runBackward([this], gradient === undefined || gradient === null ? [null] : [gradient], options);
  }

  /** The same data (a view: writes show in both), outside the graph. */
  detach(): Tensor {
    return this._alias();
  }

  /** A copy, in the graph (its gradient passes straight through). */
  clone(): Tensor {
    return new Tensor(ops.opContiguous(this._live("clone")), this._shape, this._dtype);
  }

  // ---- elementwise --------------------------------------------------------------------

  // The unary and binary ops of the table (generated/methods.ts) call these two.

  /** @internal */
  _unary(op: string, entry: Entry, rule: DtypeRule): Tensor {
    let dtype = this._dtype;
    if (rule === "float") dtype = floating(dtype);
    else if (dtype === "bool") fail(op, "not supported for bool tensors; convert it first, e.g. with .int() or .float()");
    const out = entry(operand(op, this, dtype));
    releaseTemporaries();
    return new Tensor(out, this._shape, dtype);
  }

  /** @internal */
  _binary(op: string, entry: Entry, other: unknown, rule: DtypeRule): Tensor {
    const dtype = this._dtype;
    // The usual case first: floating operands of one dtype, or a floating tensor and a number.
    if (isFloating(dtype) && (other instanceof Tensor ? other._dtype === dtype : typeof other === "number")) {
      const a = this._live(op);
      const shape = broadcastShapes(op, this._shape, shapeOf(other as TensorLike));
      const b = typeof other === "number" ? operand(op, other, dtype) : (other as Tensor)._live(op);
      const out = entry(a, b);
      releaseTemporaries();
      return new Tensor(out, shape, rule === "bool" ? "bool" : dtype);
    }
    this._live(op);
    checkOperand(op, other, "other");
    const shape = broadcastShapes(op, this._shape, shapeOf(other));
    const [compute, result] = dtypesOf(op, rule, this, other);
    const a = operand(op, this, compute), b = operand(op, other, compute);
    const out = new Tensor(entry(a, b), shape, rule === "bool" ? "bool" : compute);
    releaseTemporaries();
    return result === out._dtype ? out : convertDropping(out, result);
  }

  // ---- reductions ---------------------------------------------------------------------

  private _reduceDims(op: string, dim: number | number[] | undefined | null): number {
    const rank = this.ndim;
    if (dim === undefined || dim === null) return rank === 0 ? 0 : (1 << rank) - 1;
    const dims = Array.isArray(dim) ? dim : [dim];
    let mask = 0;
    for (const d of dims) {
      const n = normalizeDim(op, d, rank);
      if (mask & (1 << n)) fail(op, `dim ${n} appears multiple times in the list of dims`);
      mask |= 1 << n;
    }
    return rank === 0 ? 0 : mask;
  }

  private _reducedShape(mask: number, keepdim: boolean): number[] {
    const shape: number[] = [];
    this._shape.forEach((s, d) => {
      if (!(mask & (1 << d))) shape.push(s);
      else if (keepdim) shape.push(1);
    });
    return shape;
  }

  private _sum(op: string, entry: Entry, dim: number | number[] | undefined | null, keepdim: boolean): Tensor {
    this._live(op);
    const all = dim === undefined || dim === null;
    const mask = this._reduceDims(op, dim);
    const shape = this._reducedShape(mask, keepdim && !all);
    // PyTorch sums bools and integers as int64; here int32.
    const dtype = this._dtype === "bool" ? "int32" : this._dtype;
    if (op === "mean" && !isFloating(dtype)) {
      fail(op, "could not infer output dtype. Input dtype must be either a floating point or complex dtype. " +
        `Got: ${dtype}; convert with .float() first`);
    }
    const x = operand(op, this, dtype);
    writeScratch(shape);
    const out = entry(x, mask, shape.length);
    releaseTemporaries();
    return new Tensor(out, shape, dtype);
  }

  sum(dim?: number | number[] | null, keepdim = false): Tensor {
    return this._sum("sum", ops.opSum, dim, keepdim);
  }

  mean(dim?: number | number[] | null, keepdim = false): Tensor {
    return this._sum("mean", ops.opMean, dim, keepdim);
  }

  /** max() of all elements, or { values, indices } along a dim, as in PyTorch. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): MaxResult;
  max(dim?: number, keepdim = false): Tensor | MaxResult {
    this._live("max");
    if (this.numel() === 0) {
      fail("max", "Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
    }
    if (dim === undefined) return this._max(0, this.ndim, [], true); // rank 0: no shape to pass
    const d = normalizeDim("max", dim, this.ndim);
    if (this.ndim === 0) {
      return { values: this.clone(), indices: new Tensor(scalarId(0, "int32"), [], "int32") };
    }
    if (this._shape[d] === 0) fail("max", `cannot reduce over dimension ${d} of size 0`);
    const shape = this._reducedShape(1 << d, keepdim);
    const values = this._max(d, d + 1, shape, false);
    writeScratch(shape);
    return { values, indices: new Tensor(ops.opArgmax(this._live("max"), d, shape.length), shape, "int32") };
  }

  /**
   * The max over dim (an int or a list; all dims by default), with the gradient shared
   * between tied maxima (PyTorch's amax).
   */
  amax(dim: number | number[] | null = null, keepdim = false): Tensor {
    this._live("amax");
    const mask = this._reduceDims("amax", Array.isArray(dim) && dim.length === 0 ? null : dim);
    if (this.ndim === 0) return this.clone();
    const dims = this._shape.map((_, d) => d).filter((d) => mask & (1 << d));
    for (const d of dims) if (this._shape[d] === 0) fail("amax", `cannot reduce over dimension ${d} of size 0`);
    const shape = this._reducedShape(mask, keepdim);
    const start = dims[0], end = dims[dims.length - 1] + 1;
    if (end - start === dims.length) return this._max(start, end, shape, true);
    // one run of dims for the kernel: the reduced dims moved last (a view)
    const kept = this._shape.map((_, d) => d).filter((d) => !(mask & (1 << d)));
    const moved = this.permute([...kept, ...dims]);
    const out = moved._max(kept.length, this.ndim, shape, true);
    moved.dispose();
    return out;
  }

  // Max over dims [start, end) into `shape`; bools are compared as integers.
  private _max(start: number, end: number, shape: number[], even: boolean): Tensor {
    const dtype = this._dtype === "bool" ? "int32" : this._dtype;
    const x = operand("max", this, dtype);
    writeScratch(shape);
    const out = new Tensor(ops.opMax(x, start, end, shape.length, even ? 1 : 0), shape, dtype);
    releaseTemporaries();
    if (this._dtype !== "bool") return out;
    const flags = out.to("bool");
    out.dispose();
    return flags;
  }

  // ---- linear algebra -----------------------------------------------------------------

  dot(other: Tensor): Tensor {
    this._live("dot");
    if (!(other instanceof Tensor)) throw new TypeError(`dot(): argument 'tensor' must be a Tensor, got ${describe(other)}`);
    other._live("dot");
    if (this.ndim !== 1 || other.ndim !== 1) {
      fail("dot", `1D tensors expected, but got ${this.ndim}D and ${other.ndim}D tensors`);
    }
    if (this._shape[0] !== other._shape[0]) {
      fail("dot", `inconsistent tensor size, expected tensor [${this._shape[0]}] and src ` +
        `[${other._shape[0]}] to have the same number of elements, but got ${this._shape[0]} ` +
        `and ${other._shape[0]} elements respectively`);
    }
    const dtype = linalgDtype("dot", this, other);
    const out = ops.opDot(operand("dot", this, dtype), operand("dot", other, dtype));
    releaseTemporaries();
    return new Tensor(out, [], dtype);
  }

  /**
   * Matrix product with PyTorch's rules: 1-D operands become a row (or a column) for the
   * product and lose that dim after it; the dims before the last two are batch dims,
   * broadcast together.
   */
  matmul(other: Tensor): Tensor {
    this._live("matmul");
    if (!(other instanceof Tensor)) throw new TypeError(`matmul(): argument 'other' must be a Tensor, got ${describe(other)}`);
    other._live("matmul");
    const ra = this.ndim, rb = other.ndim;
    if (ra === 0 || rb === 0) {
      fail("matmul", `both arguments to matmul need to be at least 1D, but they are ${ra}D and ${rb}D`);
    }
    if (ra === 1 && rb === 1) return this.dot(other);
    const dtype = linalgDtype("matmul", this, other);
    if (this._dtype !== dtype || other._dtype !== dtype) return this.to(dtype).matmul(other.to(dtype));
    // Promote 1-D operands to matrices, multiply, then drop the added dim, as PyTorch does.
    const a = ra === 1 ? this.unsqueeze(0) : this;
    const b = rb === 1 ? other.unsqueeze(-1) : other;
    const k1 = a._shape[a.ndim - 1], k2 = b._shape[b.ndim - 2];
    if (k1 !== k2) {
      const m = (t: Tensor) => t._shape.slice(-2).join("x");
      fail("matmul", `mat1 and mat2 shapes cannot be multiplied (${m(a)} and ${m(b)}); ` +
        `shapes ${formatShape(this._shape)} and ${formatShape(other._shape)}`);
    }
    const result = a.ndim > 3 || b.ndim > 3 ? batchedProduct(a, b) : a._product(b);
    if (ra !== 1 && rb !== 1) return result;
    const out = result.squeeze(ra === 1 ? -2 : -1);
    for (const t of [a, b, result]) if (t !== this && t !== other) t.dispose(); // the graph keeps what it needs
    return out;
  }

  /** @internal The core's product of operands of rank 2 or 3 (one a batch of 1 or a matrix). */
  _product(b: Tensor): Tensor {
    checkSize("matmul", [this._shape[this.ndim - 2], b._shape[b.ndim - 1],
      this.ndim === 3 ? this._shape[0] : 1, b.ndim === 3 ? b._shape[0] : 1]);
    if (this.ndim === 2 && b.ndim === 2) {
      return new Tensor(ops.opMatmul(this._live("matmul"), b._live("matmul")), [this._shape[0], b._shape[1]], this._dtype);
    }
    const a3 = this.ndim === 2 ? this.unsqueeze(0) : this;
    const b3 = b.ndim === 2 ? b.unsqueeze(0) : b;
    const ba = a3._shape[0], bb = b3._shape[0];
    if (ba !== bb && ba !== 1 && bb !== 1) {
      fail("matmul", `batch sizes ${ba} and ${bb} do not broadcast; shapes ` +
        `${formatShape(this._shape)} and ${formatShape(b._shape)}`);
    }
    return new Tensor(ops.opMatmul(a3._live("matmul"), b3._live("matmul")), [ba === 1 ? bb : ba, a3._shape[1], b3._shape[2]], this._dtype);
  }

  /**
   * torch.where(condition, this, other): this tensor's elements where condition (a bool
   * tensor) holds and other's elsewhere, all three broadcast together. The gradient reaches
   * only the chosen elements.
   */
  where(condition: Tensor, other: TensorLike): Tensor {
    this._live("where");
    if (!(condition instanceof Tensor)) {
      throw new TypeError(`where(): argument 'condition' must be a Tensor, got ${describe(condition)}`);
    }
    checkOperand("where", other, "other");
    if (condition._dtype !== "bool") {
      fail("where", `expected condition to be a boolean tensor, but got a tensor with dtype ${scalarTypeName(condition._dtype)}`);
    }
    const shape = broadcastShapes("where", broadcastShapes("where", condition._shape, this._shape), shapeOf(other));
    const dtype = resultType(this, other);
    const out = ops.opWhere(condition._live("where"), operand("where", this, dtype), operand("where", other, dtype));
    releaseTemporaries();
    return new Tensor(out, shape, dtype);
  }

  /**
   * Each element limited to [min, max], as torch.clamp: either bound may be a number, a
   * tensor (broadcast) or null; also as clamp({ min, max }). With min > max every element
   * is max. The gradient reaches the input inside the bounds and a tensor bound outside.
   */
  clamp(min?: TensorLike | null | { min?: TensorLike | null; max?: TensorLike | null }, max?: TensorLike | null): Tensor {
    this._live("clamp");
    if (min !== null && typeof min === "object" && !(min instanceof Tensor)) {
      checkOptions("clamp", min, { min: BOUND, max: BOUND });
      return this.clamp(min.min ?? null, min.max ?? null);
    }
    const lo = min ?? null, hi = max ?? null;
    if (lo === null && hi === null) fail("clamp", "At least one of 'min' or 'max' must not be None");
    if (lo !== null) checkOperand("clamp", lo, "min");
    if (hi !== null) checkOperand("clamp", hi, "max");
    const bounds = [lo, hi].filter((b): b is TensorLike => b !== null);
    const dtype = resultType(this, ...bounds);
    if (dtype === "bool") fail("clamp", "not implemented for 'Bool'");
    let shape = this._shape;
    for (const b of bounds) shape = broadcastShapes("clamp", shape, shapeOf(b));
    // a missing bound: the dtype's own extreme
    const none = (sign: number) => (isFloating(dtype) ? sign * Infinity : sign < 0 ? -(2 ** 31) : 2 ** 31 - 1);
    const out = ops.opClamp(operand("clamp", this, dtype), operand("clamp", lo ?? none(-1), dtype),
      operand("clamp", hi ?? none(1), dtype));
    releaseTemporaries();
    return new Tensor(out, shape, dtype);
  }

  /** clamp(min, null). */
  clamp_min(min: TensorLike): Tensor {
    return this.clamp(min, null);
  }

  /** clamp(null, max). */
  clamp_max(max: TensorLike): Tensor {
    return this.clamp(null, max);
  }

  /** PyTorch's alias of clamp. */
  clip(min?: TensorLike | null | { min?: TensorLike | null; max?: TensorLike | null }, max?: TensorLike | null): Tensor {
    return this.clamp(min, max);
  }

  /** The running sums along dim; integers and bools sum as int32 (PyTorch: int64). */
  cumsum(dim: number): Tensor {
    this._live("cumsum");
    const d = this.ndim === 0 ? 0 : normalizeDim("cumsum", dim, this.ndim);
    const dtype = this._dtype === "bool" ? "int32" : this._dtype;
    const out = ops.opCumsum(operand("cumsum", this, dtype), d, 0);
    releaseTemporaries();
    return new Tensor(out, this._shape, dtype);
  }

  // ---- logical ops and element tests (bool results) -------------------------------------

  logical_and(other: TensorLike): Tensor { return this._logical("logical_and", ops.opLogicalAnd, other); }
  logical_or(other: TensorLike): Tensor { return this._logical("logical_or", ops.opLogicalOr, other); }
  logical_xor(other: TensorLike): Tensor { return this._logical("logical_xor", ops.opLogicalXor, other); }
  logical_not(): Tensor { return this._test("logical_not", ops.opLogicalNot); }
  isnan(): Tensor { return this._test("isnan", ops.opIsnan); }
  isinf(): Tensor { return this._test("isinf", ops.opIsinf); }
  isfinite(): Tensor { return this._test("isfinite", ops.opIsfinite); }

  // Both operands as bools (nonzero, NaN included, is true), broadcast.
  private _logical(op: string, entry: Entry, other: unknown): Tensor {
    this._live(op);
    checkOperand(op, other, "other");
    const shape = broadcastShapes(op, this._shape, shapeOf(other));
    const b = typeof other === "number" ? operand(op, Number(other !== 0), "bool") : operand(op, other, "bool");
    const out = entry(operand(op, this, "bool"), b);
    releaseTemporaries();
    return new Tensor(out, shape, "bool");
  }

  private _test(op: string, entry: Entry): Tensor {
    const out = entry(this._live(op));
    return new Tensor(out, this._shape, "bool");
  }

  // ---- activations with parameters (torch.nn.functional's, also as methods) ------------

  /** x where x > 0, else negative_slope x. */
  leaky_relu(negative_slope = 0.01): Tensor {
    return this._activation("leaky_relu", ops.opLeakyRelu, negative_slope);
  }

  /** x where x > 0, else alpha (e^x - 1). */
  elu(alpha = 1): Tensor {
    return this._activation("elu", ops.opElu, alpha, 1);
  }

  /** scale elu(x, alpha) with PyTorch's fixed constants. */
  selu(): Tensor {
    return this._activation("selu", ops.opElu, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946);
  }

  /** x clamped to [min_val, max_val], with no gradient at the bounds themselves. */
  hardtanh(min_val = -1, max_val = 1): Tensor {
    return this._activation("hardtanh", ops.opHardtanh, min_val, max_val);
  }

  /** hardtanh(0, 6). */
  relu6(): Tensor {
    return this._activation("relu6", ops.opHardtanh, 0, 6);
  }

  /** log(1 + e^(beta x)) / beta, or x where beta x > threshold. */
  softplus(beta = 1, threshold = 20): Tensor {
    return this._activation("softplus", ops.opSoftplus, beta, threshold);
  }

  private _activation(op: string, entry: Entry, ...params: number[]): Tensor {
    params.forEach((p) => {
      if (typeof p !== "number") throw new TypeError(`${op}(): parameters must be numbers, got ${describe(p)}`);
    });
    const dtype = floating(this._dtype);
    const out = entry(operand(op, this, dtype), ...params);
    releaseTemporaries();
    return new Tensor(out, this._shape, dtype);
  }

  // ---- views --------------------------------------------------------------------------

  // Views share this tensor's data (in-place writes through one show in all) and its
  // version counter; each is one call into the core with the geometry computed here.

  /** Whether the elements are laid out in row-major order without gaps. */
  is_contiguous(): boolean {
    this._live("is_contiguous");
    return this._contiguous;
  }

  /** This tensor if contiguous, else a contiguous copy (recorded, as PyTorch's). */
  contiguous(): Tensor {
    const id = this._live("contiguous");
    return this._contiguous ? this : new Tensor(ops.opContiguous(id), this._shape, this._dtype);
  }

  /** The step in elements between neighbours along each dim (or along `dim`). */
  stride(dim?: number): number | number[] {
    const strides = this._strides();
    return dim === undefined ? strides : strides[normalizeDim("stride", dim, this.ndim)];
  }

  /** Where the first element sits in the data it shares, in elements. */
  storage_offset(): number {
    return core.storageOffset(this._live("storage_offset"));
  }

  /** @internal */
  _strides(): number[] {
    const id = this._live("stride");
    const first = isBatched(id) ? batchDims(id) : 0; // under vmap: the dims after the batch dims
    return Array.from({ length: this.ndim }, (_, d) => core.strideOfDim(id, first + d));
  }

  // Makes the view of this tensor with the given geometry through op's entry point (whose
  // arguments after the input are the rank, the offset and `params`).
  /** @internal */
  _view(entry: Entry, shape: number[], strides: number[], offset: number, ...params: number[]): Tensor {
    const id = this._live("view");
    writeScratch(shape);
    writeScratch(strides, MAX_DIMS);
    const out = new Tensor(entry(id, shape.length, offset, ...params), shape, this._dtype, isContiguousLayout(shape, strides));
    out._base = this._base ?? this;
    return out;
  }

  /** The same data seen with another shape (one -1 is inferred); never copies. */
  view(...shape: number[] | [readonly number[]]): Tensor {
    const requested = Array.isArray(shape[0]) ? shape[0] : shape;
    const out = inferShape("view", requested, this.numel());
    const strides = viewStrides(this._shape, this._strides(), out);
    if (strides === null) {
      fail("view", "view size is not compatible with input tensor's size and stride (at least one dimension " +
        `spans across two contiguous subspaces). Use .reshape(...) instead. (shape ${formatShape(this._shape)}, ` +
        `stride ${formatShape(this._strides())}, requested ${formatShape(out)})`);
    }
    return this._view(ops.opView, out, strides, this.storage_offset());
  }

  /** A view with another shape when the strides allow it, else a reshaped copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    const requested = Array.isArray(shape[0]) ? shape[0] : shape;
    const out = inferShape("reshape", requested, this.numel());
    const strides = viewStrides(this._shape, this._strides(), out);
    if (strides !== null) return this._view(ops.opView, out, strides, this.storage_offset());
    const copy = this.contiguous();
    const result = copy.view(out);
    copy.dispose();
    return result;
  }

  /** Dims start_dim .. end_dim merged into one (a view where the strides allow). */
  flatten(start_dim = 0, end_dim = -1): Tensor {
    this._live("flatten");
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeDim("flatten", start_dim, this.ndim), e = normalizeDim("flatten", end_dim, this.ndim);
    if (s > e) fail("flatten", "start_dim cannot come after end_dim");
    const merged = this._shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return this.reshape([...this._shape.slice(0, s), merged, ...this._shape.slice(e + 1)]);
  }

  transpose(dim0: number, dim1: number): Tensor {
    this._live("transpose");
    const d0 = normalizeDim("transpose", dim0, this.ndim);
    const d1 = normalizeDim("transpose", dim1, this.ndim);
    if (this.ndim === 0) return this.view([]); // PyTorch lets a 0-d tensor's dims be 0 or -1
    const [shape, strides] = transposed(this._shape, this._strides(), d0, d1);
    return this._view(ops.opTranspose, shape, strides, this.storage_offset(), d0, d1);
  }

  /** dims reordered: dim d of the result is dim dims[d] of this tensor. */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    this._live("permute");
    const order = (Array.isArray(dims[0]) ? dims[0] : dims) as number[];
    if (order.length !== this.ndim) {
      fail("permute", `number of dims don't match in permute: got ${order.length} dims for a tensor of shape ` +
        formatShape(this._shape));
    }
    const ds = order.map((d) => normalizeDim("permute", d, this.ndim));
    if (new Set(ds).size !== ds.length) fail("permute", `repeated dim in permute: ${formatShape(order)}`);
    const strides = this._strides();
    let packed = 0;
    ds.forEach((d, i) => { packed |= d << (4 * i); });
    return this._view(ops.opPermute, ds.map((d) => this._shape[d]), ds.map((d) => strides[d]), this.storage_offset(), packed);
  }

  /**
   * The dims reversed: the transpose of a matrix. On other ranks PyTorch 1.13 also reverses
   * the dims (with a deprecation warning), and so does this.
   */
  get T(): Tensor {
    this._live("T");
    return this.permute(Array.from({ length: this.ndim }, (_, d) => this.ndim - 1 - d));
  }

  /** The last two dims swapped (a batch of matrix transposes). */
  get mT(): Tensor {
    this._live("mT");
    if (this.ndim === 0) return this; // as PyTorch: the tensor itself
    if (this.ndim < 2) {
      fail("mT", `tensor.mT is only supported on matrices or batches of matrices. Got ${this.ndim}-D tensor.`);
    }
    return this.transpose(-2, -1);
  }

  /** The transpose of a tensor of at most 2 dims. */
  t(): Tensor {
    this._live("t");
    if (this.ndim > 2) fail("t", `t() expects a tensor with <= 2 dimensions, but self is ${this.ndim}D`);
    return this.ndim < 2 ? this.view(this._shape) : this.transpose(0, 1); // a view in the graph, as PyTorch's
  }

  unsqueeze(dim: number): Tensor {
    this._live("unsqueeze");
    const d = normalizeDim("unsqueeze", dim, this.ndim + 1);
    const shape = this._shape.slice(), strides = this._strides();
    // PyTorch's stride for the new dim: that of the dim it precedes, times its size
    const stride = d < this.ndim ? shape[d] * strides[d] : 1;
    shape.splice(d, 0, 1);
    strides.splice(d, 0, stride);
    return this._view(ops.opView, shape, strides, this.storage_offset());
  }

  /** The size-1 dims removed: all of them, or those among dim (an int or a list). */
  squeeze(dim?: number | number[]): Tensor {
    this._live("squeeze");
    const named = dim === undefined ? null : (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim("squeeze", d, this.ndim));
    const keep = this._shape.map((s, d) => s !== 1 || (named !== null && !named.includes(d)));
    const strides = this._strides();
    return this._view(ops.opView, this._shape.filter((_, d) => keep[d]), strides.filter((_, d) => keep[d]),
      this.storage_offset());
  }

  /** A view repeating size-1 dims (and new leading ones) up to `sizes`; -1 keeps a size. */
  expand(...sizes: number[] | [readonly number[]]): Tensor {
    this._live("expand");
    const target = (Array.isArray(sizes[0]) ? sizes[0] : sizes) as number[];
    const [shape, strides] = expanded("expand", this._shape, this._strides(), target);
    checkSize("expand", shape);
    return this._view(ops.opExpand, shape, strides, this.storage_offset());
  }

  expand_as(other: Tensor): Tensor {
    return this.expand(other._shape.slice());
  }

  /** The elements [start, start + length) along dim: a view. */
  narrow(dim: number, start: number, length: number): Tensor {
    this._live("narrow");
    const d = normalizeDim("narrow", dim, this.ndim);
    if (this.ndim === 0) fail("narrow", "narrow() cannot be applied to a 0-dim tensor.");
    const size = this._shape[d];
    if (!Number.isInteger(start) || !Number.isInteger(length)) fail("narrow", "start and length must be integers");
    const from = start < 0 ? start + size : start;
    if (from < 0 || from > size) {
      throw new RangeError(`narrow(): start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
    }
    if (length < 0 || from + length > size) {
      fail("narrow", `start (${from}) + length (${length}) exceeds dimension size (${size}).`);
    }
    const shape = this._shape.slice(), strides = this._strides();
    shape[d] = length;
    return this._view(ops.opNarrow, shape, strides, this.storage_offset() + from * strides[d], d, from, 1);
  }

  /** The slice at `index` along dim, without that dim: a view. */
  select(dim: number, index: number): Tensor {
    this._live("select");
    if (this.ndim === 0) fail("select", "select() cannot be applied to a 0-dim tensor.");
    const d = normalizeDim("select", dim, this.ndim);
    const size = this._shape[d];
    if (!Number.isInteger(index) || index < -size || index >= size) {
      throw new RangeError(`select(): index ${index} out of range for tensor of size ${formatShape(this._shape)} at dimension ${d}`);
    }
    const i = index < 0 ? index + size : index;
    const strides = this._strides();
    return this._view(ops.opSelect, this._shape.filter((_, e) => e !== d), strides.filter((_, e) => e !== d),
      this.storage_offset() + i * strides[d], d, i);
  }

  /** The diagonal of dims dim1 and dim2 (offset above it, or below for a negative one), as a last dim. */
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    this._live("diagonal");
    const d1 = normalizeDim("diagonal", dim1, this.ndim), d2 = normalizeDim("diagonal", dim2, this.ndim);
    if (this.ndim < 2) fail("diagonal", `diagonal dimensions require a tensor of at least 2 dims, got ${this.ndim}`);
    if (d1 === d2) fail("diagonal", `diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
    if (!Number.isInteger(offset)) fail("diagonal", `offset must be an integer, got ${describe(offset)}`);
    this._refuseOverlappingRegion("diagonal");
    const s1 = this._shape[d1], s2 = this._shape[d2], strides = this._strides();
    const length = Math.max(offset >= 0 ? Math.min(s1, s2 - offset) : Math.min(s1 + offset, s2), 0);
    const start = length === 0 ? 0 : offset >= 0 ? offset * strides[d2] : -offset * strides[d1];
    const keep = (_: number, d: number) => d !== d1 && d !== d2;
    return this._view(ops.opDiagonal, [...this._shape.filter(keep), length], [...strides.filter(keep), strides[d1] + strides[d2]],
      this.storage_offset() + start);
  }

  /** Windows of `size` elements along dim, every `step`, as a new last dim (they may overlap). */
  unfold(dimension: number, size: number, step: number): Tensor {
    this._live("unfold");
    const d = normalizeDim("unfold", dimension, this.ndim);
    const extent = this.ndim === 0 ? 1 : this._shape[d];
    if (!Number.isInteger(size) || size < 0 || size > extent) {
      fail("unfold", `maximum size for tensor at dimension ${d} is ${extent} but size is ${size}`);
    }
    if (!Number.isInteger(step) || step <= 0) fail("unfold", `step is ${step} but must be > 0`);
    this._refuseOverlappingRegion("unfold");
    const shape = this._shape.slice(), strides = this._strides();
    if (this.ndim === 0) return this._view(ops.opUnfold, [size], [1], this.storage_offset());
    shape[d] = Math.floor((extent - size) / step) + 1;
    const stride = strides[d];
    strides[d] = stride * step;
    return this._view(ops.opUnfold, [...shape, size], [...strides, stride], this.storage_offset());
  }

  // diagonal's and unfold's gradient is scattered back through the storage, which cannot
  // tell apart the elements of a tensor that shows one element in several places.
  private _refuseOverlappingRegion(op: string): void {
    if (core.isGradEnabled() && this.requires_grad && overlaps(this._shape, this._strides())) {
      fail(op, "not supported inside the graph on a tensor whose elements share memory (an expanded view); " +
        "call .contiguous() first");
    }
  }

  // A view of all of this tensor, outside the graph.
  private _alias(): Tensor {
    return new Tensor(ops.opAlias(this._live("alias")), this._shape, this._dtype, this._contiguous);
  }

  softmax(dim: number): Tensor {
    return this._softmax("softmax", dim, false);
  }

  log_softmax(dim: number): Tensor {
    return this._softmax("log_softmax", dim, true);
  }

  private _softmax(op: string, dim: number, log: boolean): Tensor {
    this._live(op);
    const d = normalizeDim(op, dim, this.ndim);
    if (this.ndim === 0) return this.reshape([1])._softmax(op, 0, log).reshape([]);
    const dtype = floating(this._dtype);
    const out = (log ? ops.opLogSoftmax : ops.opSoftmax)(operand(op, this, dtype), d);
    releaseTemporaries();
    return new Tensor(out, this._shape, dtype);
  }

  // ---- in place -----------------------------------------------------------------------

  // In-place ops follow PyTorch's rules. Outside a recorded graph they write into the
  // tensor. Inside one (the tensor or the source requires grad, grad mode on) the op runs
  // out of place and this handle takes the result, so nodes that used the old value keep
  // it; the old value's version is bumped first, so a node that saved it refuses to run
  // backward, with PyTorch's message.
  private _inPlace(kind: "add" | "mul", op: string, other: unknown): this {
    const id = this._live(op);
    this._checkWritable(op);
    checkOperand(op, other, "other");
    this._checkInPlaceShape(op, other);
    this._checkInPlaceDtype(op, other);
    const compute = (old: Tensor) => {
      const result = old._binary(op, kind === "add" ? ops.opAdd : ops.opMul, other, "promote");
      return result._dtype === this._dtype ? result : convertDropping(result, this._dtype);
    };
    if (recordsInPlace(op, this, other)) return this._rebind(op, compute);
    if (core.inDualLevel()) return this._assign(op, other, compute); // the write carries the tangent
    const src = operand(op, other, this._dtype);
    writing(op, id, src, kind === "add" ? core.addInPlace : core.mulInPlace);
    releaseTemporaries();
    return this;
  }

  // An expanded view shows one element in several places: writing through it is refused.
  /** @internal */
  _checkWritable(op: string): void {
    if (this._contiguous) return;
    const strides = this._strides();
    if (this.numel() > 0 && this._shape.some((size, d) => size > 1 && strides[d] === 0)) {
      fail(op, "unsupported operation: more than one element of the written-to tensor refers to a single " +
        "memory location. Please clone() the tensor before performing the operation.");
    }
  }

  // PyTorch's rule: the result type of the op must be castable to this tensor's dtype.
  private _checkInPlaceDtype(op: string, other: TensorLike): void {
    if (this._dtype === "bool") fail(op, "not supported for bool tensors; convert it first, e.g. with .int()");
    const result = resultType(this, other);
    if (!canCast(result, this._dtype)) {
      fail(op, `result type ${scalarTypeName(result)} can't be cast to the desired output type ${scalarTypeName(this._dtype)}`);
    }
  }

  private _checkInPlaceShape(op: string, other: TensorLike): void {
    const shape = broadcastShapes(op, this._shape, shapeOf(other));
    if (!sameShape(shape, this._shape)) {
      fail(op, `output with shape ${formatShape(this._shape)} doesn't match the broadcast shape ${formatShape(shape)}`);
    }
  }

  // Records an in-place op: compute(old) gives the new value from the old one. A tensor that
  // shares no data takes the new value's node (and data) under its handle. Through a view,
  // or on a tensor with views, the new value is written into the shared data, as PyTorch
  // does: the base's history becomes CopySlices(old history, new value) and the view's a
  // region of it (assembly/ops/views.ts).
  /** @internal */
  _rebind(op: string, compute: (old: Tensor) => Tensor): this {
    const id = this._live(op);
    if (core.sharesStorage(id)) return this._writeThrough(op, id, compute);
    core.bumpVersion(id);
    const version = core.versionOf(id);
    const result = compute(this);
    transfer(result, this);
    core.setVersion(this._id, version);
    return this;
  }

  /**
   * @internal An in-place op given by its out-of-place form: compute(old) is the new value,
   * of this tensor's shape and dtype, written as the other in-place ops write. `src` is the
   * tensor written from, which records the op when it requires grad.
   */
  _assign(op: string, src: unknown, compute: (old: Tensor) => Tensor): this {
    const id = this._live(op);
    this._checkWritable(op);
    if (recordsInPlace(op, this, src)) return this._rebind(op, compute);
    const value = compute(this);
    writing(op, id, value._live(op), core.copyIntoTensor);
    value.dispose();
    return this;
  }

  private _writeThrough(op: string, id: number, compute: (old: Tensor) => Tensor): this {
    // The base's current history is its handle's; with the handle disposed, the newest
    // rewrite of the data (while it lives), else the root's own.
    const base = this._base;
    const baseAlive = base !== null && (base._id !== 0 || base._evicted !== null);
    const old = this.clone(); // the old values stay readable by the new value's node
    const value = compute(old);
    old.dispose();
    writing(op, id, value._live(op), core.copyIntoTensor);
    const baseId = base === null ? id : baseAlive ? base._live(op) : core.currentHistory(id) || core.rootTensor(id);
    const rebased = ops.opCopySlices(baseId, value._live(op), id);
    historyRewritten = true;
    if (base === null) {
      transfer(new Tensor(rebased, this._shape, this._dtype, this._contiguous), this);
    } else {
      const region = ops.opRegion(rebased, id);
      if (baseAlive) transfer(new Tensor(rebased, base._shape, base._dtype, base._contiguous), base);
      else core.releaseTensor(rebased); // held by the region alone
      transfer(new Tensor(region, this._shape, this._dtype, this._contiguous), this);
    }
    value.dispose();
    return this;
  }

  zero_(): this {
    return this._fill("zero_", 0);
  }

  fill_(value: number | boolean): this {
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(`fill_(): value must be a number or a boolean, got ${describe(value)}`);
    }
    return this._fill("fill_", Number(value));
  }

  // Writing one value is the same however often an element is shown, so an expanded view
  // may be filled; inside the graph PyTorch still refuses fill_ there (not zero_).
  private _fill(op: "fill_" | "zero_", value: number): this {
    const id = this._live(op);
    if (recordsInPlace(op, this, null)) {
      if (op === "fill_") this._checkWritable(op);
      return this._rebind(op, (old) => {
        const filled = old.mul(0); // a node whose gradient to the old value is zero, as PyTorch's
        core.fill(filled._live(op), value);
        return filled;
      });
    }
    core.fill(id, value);
    return this;
  }

  add_(other: TensorLike, options: { alpha?: number } = {}): this {
    checkOptions("add_", options, { alpha: "number" });
    const alpha = options.alpha ?? 1;
    if (!isFloating(this._dtype) && !Number.isInteger(alpha)) {
      fail("add_", "For integral input tensors, argument alpha must not be a floating point number.");
    }
    if (alpha === 1 || !(other instanceof Tensor)) {
      if (typeof other === "number") this._checkInPlaceDtype("add_", other); // before alpha folds in
      return this._inPlace("add", "add_", typeof other === "number" ? other * alpha : other);
    }
    const scaled = other.mul(alpha);
    try {
      return this._inPlace("add", "add_", scaled);
    } finally {
      scaled.dispose();
    }
  }

  sub_(other: TensorLike, options: { alpha?: number } = {}): this {
    checkOptions("sub_", options, { alpha: "number" });
    return this.add_(other, { alpha: -(options.alpha ?? 1) });
  }

  mul_(other: TensorLike): this {
    return this._inPlace("mul", "mul_", other);
  }

  /** Copies src (broadcast to this tensor's shape) into this tensor. */
  copy_(src: TensorLike): this {
    const id = this._live("copy_");
    this._checkWritable("copy_");
    checkOperand("copy_", src, "src");
    this._checkInPlaceShape("copy_", src);
    if (src === this) { // nothing to copy, but it counts as a write, as in PyTorch
      core.bumpVersion(id);
      return this;
    }
    if (recordsInPlace("copy_", this, src)) {
      return this._rebind("copy_", (old) => {
        const zeros = old.mul(0);
        core.fill(zeros._live("copy_"), 0);
        try {
          return zeros.add(src);
        } finally {
          zeros.dispose();
        }
      });
    }
    // copy_ converts any dtype, unlike the arithmetic in-place ops
    writing("copy_", id, operand("copy_", src, this._dtype), core.copyIntoTensor);
    releaseTemporaries();
    return this;
  }
}

if (typeof Symbol.dispose === "symbol") {
  Object.defineProperty(Tensor.prototype, Symbol.dispose, {
    value: function dispose(this: Tensor) { this.dispose(); },
  });
}

// clamp's bounds, given as options.
const BOUND = { expected: "a number, a Tensor or null", test: (v: unknown) => v === null || typeof v === "number" || v instanceof Tensor };

/** The dtype dot and matmul compute in: floating only (PyTorch also multiplies integers). */
function linalgDtype(op: string, a: Tensor, b: Tensor): DType {
  const dtype = resultType(a, b);
  if (!isFloating(dtype)) {
    fail(op, `integer and bool matrix products are not supported (got ${a._dtype} and ${b._dtype}); ` +
      "convert with .float() or .double() first");
  }
  return dtype;
}

/** t converted to dtype, t itself released (for a result that must keep a tensor's dtype). */
function convertDropping(t: Tensor, dtype: DType): Tensor {
  const out = t.to(dtype);
  t.dispose();
  return out;
}
