// More factories, as PyTorch's: eye, empty, full_like, rand_like, randn_like, randint,
// randperm and logspace. Each takes dtype and requires_grad as a last options argument.
// Integer results are int32 where PyTorch's are int64.

import type { Tensor } from "./tensor.js";
import { fromValues, linspace, zeros, sampled, randomTensor, parseSize, likeShape, checkNumber, CREATE_OPTIONS, type CreateOptions, type SizeArgs } from "./create.js";
import { checkOptions } from "./options.js";
import { fail, numelOf } from "./shape.js";
import { uniform, normal } from "./random.js";
import { randomLevels } from "./batching.js";

/** The n x m identity (m = n by default). */
export function eye(n: number, m?: number | CreateOptions, options?: CreateOptions): Tensor {
  if (typeof m === "object") [m, options] = [undefined, m];
  checkOptions("eye", options, CREATE_OPTIONS);
  const cols = m ?? n;
  for (const [name, v] of [["n", n], ["m", cols]] as const) {
    if (!Number.isInteger(v) || v < 0) fail("eye", `${name} must be greater or equal to 0, got ${v}`);
  }
  const values = new Float64Array(n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) values[i * cols + i] = 1;
  return fromValues([n, cols], values, options);
}

/** A tensor of the given size. Its values are zeros (PyTorch leaves them unset). */
export function empty(...args: SizeArgs): Tensor {
  return zeros(...args);
}

/** t's shape filled with value, in t's dtype unless options say otherwise. */
export function full_like(t: Tensor, value: number, options?: CreateOptions): Tensor {
  if (typeof value !== "number") throw new TypeError(`full_like(): fill_value must be a number, got ${value}`);
  checkOptions("full_like", options, CREATE_OPTIONS);
  const shape = likeShape("full_like", t);
  return fromValues(shape, new Float64Array(numelOf(shape)).fill(value), { dtype: t.dtype, ...options });
}

export function rand_like(t: Tensor, options?: CreateOptions): Tensor {
  checkOptions("rand_like", options, CREATE_OPTIONS);
  return sampled("rand_like", [likeShape("rand_like", t), { dtype: t.dtype, ...options }], uniform);
}

export function randn_like(t: Tensor, options?: CreateOptions): Tensor {
  checkOptions("randn_like", options, CREATE_OPTIONS);
  return sampled("randn_like", [likeShape("randn_like", t), { dtype: t.dtype, ...options }], normal);
}

/**
 * Uniform integers in [low, high): randint(high, size) or randint(low, high, size), int32
 * unless options say otherwise. Seed with manual_seed().
 */
export function randint(...args: (number | number[] | CreateOptions | undefined)[]): Tensor {
  const last = args[args.length - 1];
  const options = typeof last === "object" && !Array.isArray(last) ? (args.pop() as CreateOptions) : undefined;
  checkOptions("randint", options, CREATE_OPTIONS);
  const size = args.pop();
  if (!Array.isArray(size)) fail("randint", "expected the size as an array of integers, after high (and low)");
  const [low, high] = args.length === 1 ? [0, args[0]] : args.length === 2 ? args : [NaN, NaN];
  checkNumber("randint", "low", low);
  checkNumber("randint", "high", high);
  const lo = Math.ceil(low as number), hi = Math.ceil(high as number);
  if (hi <= lo) fail("randint", `random_ expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`);
  const { shape } = parseSize("randint", [size]);
  return randomTensor("randint", shape, () => lo + Math.floor(uniform() * (hi - lo)), { dtype: "int32", ...options });
}

/** A random permutation of 0 .. n-1, int32 unless options say otherwise. */
export function randperm(n: number, options?: CreateOptions): Tensor {
  checkOptions("randperm", options, CREATE_OPTIONS);
  if (!Number.isInteger(n) || n < 0) fail("randperm", `n must be non-negative, got ${n}`);
  if (randomLevels("randperm") !== 0) fail("randperm", "vmap: randomness 'different' is not supported by randperm; draw the permutations outside vmap");
  const values = Float64Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { // Fisher-Yates
    const j = Math.floor(uniform() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return fromValues([n], values, { dtype: "int32", ...options });
}

/** base ** linspace(start, end, steps). */
export function logspace(start: number, end: number, steps: number, base: number | CreateOptions = 10, options?: CreateOptions): Tensor {
  if (typeof base === "object") [base, options] = [10, base];
  checkOptions("logspace", options, CREATE_OPTIONS);
  const exponents = linspace(start, end, steps, { dtype: "float64" });
  const values = Float64Array.from(exponents.toTypedArray() as Float64Array, (e) => (base as number) ** e);
  exponents.dispose();
  return fromValues([steps], values, options);
}
