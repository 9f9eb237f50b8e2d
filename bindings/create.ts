// Factories: tensor(), arange(), linspace(), zeros(), ones(), full(), rand(), randn() and
// the *_like forms. Each takes PyTorch's dtype and requires_grad as a last options argument.
//
// JavaScript cannot tell 4.0 from 4, so, as in tfjs and jax-js, a tensor made from JS
// numbers has the default dtype (float32) whether they are integral or not. Integer
// tensors come from { dtype: "int32" }, from an Int32Array (or a smaller integer typed
// array), or from ops that return indices; a Float64Array gives float64, JS booleans bool.

import { core, heapOf, dataIndex } from "./core.js";
import { Tensor, allocate } from "./tensor.js";
import { type Shape, checkShape, describe, fail, numelOf } from "./shape.js";
import { normal, uniform } from "./random.js";
import { markedBatched, randomLevels, sizesOf } from "./batching.js";
import { type OptionSpec, checkOptions } from "./options.js";
import { DTYPES, type DType, get_default_dtype, isFloating } from "./dtype.js";

export interface CreateOptions {
  dtype?: DType;
  requires_grad?: boolean;
}

export interface TensorOptions extends CreateOptions {
  /** Shape for flat typed-array data (default: 1-D). */
  shape?: number[];
}

export const CREATE_OPTIONS: OptionSpec<keyof CreateOptions> = { dtype: DTYPES, requires_grad: "boolean" };
const TENSOR_OPTIONS: OptionSpec<keyof TensorOptions> = {
  dtype: DTYPES,
  requires_grad: "boolean",
  shape: { expected: "an array of non-negative integers", test: Array.isArray },
};

export type NestedNumbers = number | boolean | NestedNumbers[];
/** Numeric typed arrays (BigInt arrays excluded). */
export type NumericArray = Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray |
  Int16Array | Uint16Array | Int32Array | Uint32Array;
export type TensorData = NestedNumbers | NumericArray | Tensor;

/** A new tensor holding `values` (any numeric array-like of the right length). */
export function fromValues(shape: Shape, values: ArrayLike<number>, options: CreateOptions = {},
                           inferred: DType = get_default_dtype()): Tensor {
  const dtype = options.dtype ?? inferred;
  const id = allocate(shape, dtype);
  const at = dataIndex(id, dtype), heap = heapOf(dtype);
  if (dtype === "bool") for (let i = 0; i < values.length; i++) heap[at + i] = values[i] !== 0 ? 1 : 0;
  else heap.set(values, at);
  return finish(new Tensor(id, shape.slice(), dtype), options);
}

/** The dtype a typed array's values keep. */
function typedArrayDtype(data: NumericArray): DType {
  if (data instanceof Float64Array || data instanceof Uint32Array) return "float64"; // exact
  if (data instanceof Float32Array) return "float32";
  return "int32";
}

function finish(t: Tensor, options: CreateOptions | undefined): Tensor {
  if (options?.requires_grad) t.requires_grad_(true);
  return t;
}

function filled(shape: Shape, value: number, options: CreateOptions | undefined, like?: DType): Tensor {
  const dtype = options?.dtype ?? like ?? get_default_dtype();
  const id = allocate(shape, dtype);
  core.fill(id, value);
  core.setVersion(id, 0); // a new tensor, not a write (PyTorch's factories start at version 0)
  return finish(new Tensor(id, shape.slice(), dtype), options);
}

/** Infers the shape of nested arrays, checking that they are rectangular and numeric. */
function nestedShape(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let level: NestedNumbers = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

// Writes the values into out; returns whether they were all booleans.
function flatten(data: NestedNumbers, shape: number[], out: Float64Array): boolean {
  let n = 0, booleans = 0;
  const visit = (value: NestedNumbers, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof value === "boolean") booleans++;
      else if (typeof value !== "number") {
        const where = path.length ? ` at index [${path.join("][")}]` : "";
        throw new TypeError(`tensor(): invalid data type ${describe(value)}${where}; expected numbers or booleans`);
      }
      out[n++] = Number(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[d]) {
      const got = Array.isArray(value) ? value.length : describe(value);
      fail("tensor", `expected sequence of length ${shape[d]} at dim ${d} (got ${got}); nested arrays must be rectangular`);
    }
    for (let i = 0; i < value.length; i++) visit(value[i], d + 1, [...path, i]);
  };
  visit(data, 0, []);
  return n > 0 && booleans === n;
}

/**
 * A tensor from a number (0-d), nested arrays, a numeric typed array (1-D, or the given
 * shape), or another tensor (copied, outside any graph).
 */
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  checkOptions("tensor", options, TENSOR_OPTIONS);
  if (data instanceof Tensor) {
    let copy = data.detach();
    if (options.dtype !== undefined && options.dtype !== copy._dtype) {
      const converted = copy.to(options.dtype);
      copy.dispose();
      copy = converted;
    }
    return finish(options.shape === undefined ? copy : copy.reshape(checkShape("tensor", options.shape)), options);
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView) &&
      !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array)) {
    const shape = options.shape === undefined ? [data.length] : checkShape("tensor", options.shape);
    if (numelOf(shape) !== data.length) {
      fail("tensor", `shape '[${shape.join(", ")}]' is invalid for input of size ${data.length}`);
    }
    return fromValues(shape, data, options, typedArrayDtype(data));
  }
  if (typeof data !== "number" && typeof data !== "boolean" && !Array.isArray(data)) {
    throw new TypeError(`tensor(): data must be a number, nested arrays of numbers or a typed array, got ${describe(data)}`);
  }
  const shape = nestedShape(data);
  checkShape("tensor", shape);
  const values = new Float64Array(numelOf(shape));
  const booleans = flatten(data, shape, values);
  if (options.shape !== undefined) {
    fail("tensor", "shape is only accepted with flat typed-array data; use reshape() for nested arrays");
  }
  return fromValues(shape, values, options, booleans ? "bool" : get_default_dtype());
}

export type SizeArgs = (number | number[] | CreateOptions | undefined)[];

/** zeros(2, 3), zeros([2, 3]) and zeros([2, 3], { requires_grad: true }) all work. */
export function parseSize(op: string, args: SizeArgs): { shape: number[]; options: CreateOptions | undefined } {
  let options: CreateOptions | undefined;
  const last = args[args.length - 1];
  if ((args.length > 1 && last === undefined) || (typeof last === "object" && !Array.isArray(last))) {
    checkOptions(op, last, CREATE_OPTIONS);
    options = last;
    args = args.slice(0, -1);
  }
  const sizes = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  return { shape: checkShape(op, sizes), options };
}

export function zeros(...args: SizeArgs): Tensor {
  const { shape, options } = parseSize("zeros", args);
  return filled(shape, 0, options);
}

export function ones(...args: SizeArgs): Tensor {
  const { shape, options } = parseSize("ones", args);
  return filled(shape, 1, options);
}

export function full(shape: number[], value: number, options?: CreateOptions): Tensor {
  if (typeof value !== "number") throw new TypeError(`full(): fill_value must be a number, got ${describe(value)}`);
  checkOptions("full", options, CREATE_OPTIONS);
  return filled(checkShape("full", shape), value, options);
}

export function zeros_like(t: Tensor, options?: CreateOptions): Tensor {
  checkOptions("zeros_like", options, CREATE_OPTIONS);
  return filled(likeShape("zeros_like", t), 0, options, t._dtype);
}

export function ones_like(t: Tensor, options?: CreateOptions): Tensor {
  checkOptions("ones_like", options, CREATE_OPTIONS);
  return filled(likeShape("ones_like", t), 1, options, t._dtype);
}

export function likeShape(op: string, t: unknown): number[] {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}(): argument 'input' must be a Tensor, got ${describe(t)}`);
  t._live(op);
  return t._shape.slice();
}

export function sampled(op: string, args: SizeArgs, draw: () => number): Tensor {
  const { shape, options } = parseSize(op, args);
  if (options?.dtype !== undefined && !isFloating(options.dtype)) {
    fail(op, `"${op}" is only implemented for floating dtypes, got ${options.dtype}`);
  }
  return randomTensor(op, shape, draw, options);
}

/** A tensor of draws; under vmap one per example, or one for all, or refused (vmap's randomness). */
export function randomTensor(op: string, shape: number[], draw: () => number, options?: CreateOptions): Tensor {
  const levels = randomLevels(op);
  const drawn = levels === 0 ? shape : [...sizesOf(levels), ...shape];
  const values = new Float64Array(numelOf(drawn));
  for (let i = 0; i < values.length; i++) values[i] = draw();
  const t = fromValues(drawn, values, options);
  if (levels === 0) return t;
  const batched = new Tensor(markedBatched(t._live(op), levels), shape, t.dtype);
  t.dispose();
  return batched;
}

/** Uniform samples in [0, 1). Seed with manual_seed(). */
export function rand(...args: SizeArgs): Tensor {
  return sampled("rand", args, uniform);
}

/** Standard normal samples. randn([]) is 0-d. Seed with manual_seed(). */
export function randn(...args: SizeArgs): Tensor {
  return sampled("randn", args, normal);
}

export function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${op}(): ${name} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** arange(end) or arange(start, end, step = 1): [start, end) in steps, as float32. */
export function arange(...args: (number | CreateOptions | undefined)[]): Tensor {
  let options: CreateOptions | undefined;
  const last = args[args.length - 1];
  if ((args.length > 1 && last === undefined) || typeof last === "object") {
    checkOptions("arange", last, CREATE_OPTIONS);
    options = args.pop() as CreateOptions | undefined;
  }
  if (args.length < 1 || args.length > 3) fail("arange", `expected 1 to 3 numbers, got ${args.length}`);
  const [start, end, step] = args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1];
  checkNumber("arange", "start", start);
  checkNumber("arange", "end", end);
  checkNumber("arange", "step", step);
  const s = start as number, e = end as number, st = step as number;
  if (st === 0) fail("arange", "step must be nonzero");
  if ((e - s) / st < 0) fail("arange", `upper bound and larger bound inconsistent with step sign (start ${s}, end ${e}, step ${st})`);
  const n = Math.ceil((e - s) / st);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = s + i * st;
  return fromValues([n], values, options);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options?: CreateOptions): Tensor {
  checkOptions("linspace", options, CREATE_OPTIONS);
  checkNumber("linspace", "start", start);
  checkNumber("linspace", "end", end);
  if (!Number.isInteger(steps) || steps < 0) fail("linspace", `number of steps must be non-negative, got ${steps}`);
  const values = new Float64Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) values[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  if (steps === 1) values[0] = start;
  return fromValues([steps], values, options);
}
