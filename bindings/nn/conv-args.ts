// The arguments shared by convolution and pooling: sizes given as one integer or one per
// spatial dim, PyTorch's way, and their packing for the core, which takes each pair in one
// word as (h << 16) | w (assembly/ops/conv.ts).

import { Tensor } from "../tensor.js";
import { scalarTypeName } from "../dtype.js";
import { describe, fail, formatShape } from "../shape.js";

/** One integer for every spatial dim, or one each. */
export type Size1 = number | [number];
export type Size2 = number | [number, number];

/**
 * `value` as `n` integers: one repeated or a list of n (a list of one is repeated, as in
 * PyTorch). `fallback` stands for undefined (and for null, or for an empty list where
 * PyTorch reads it as "not given").
 */
export function sizes(op: string, name: string, value: unknown, n: number, fallback?: number[]): number[] {
  if ((value === undefined || value === null || (Array.isArray(value) && value.length === 0)) && fallback !== undefined) {
    return fallback;
  }
  const list = typeof value === "number" ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === "number" && Number.isInteger(v))) {
    throw new TypeError(`${op}(): ${name} must be an integer or a list of ${n} integers, got ${describe(value)}`);
  }
  if (list.length === 1) return new Array<number>(n).fill(list[0]);
  if (list.length !== n) {
    fail(op, `expected ${name} to be a single integer value or a list of ${n} values to match the ` +
      `${n === 1 ? "1-D" : "2-D"} dimensions, but got ${name}=[${list.join(", ")}]`);
  }
  return list.slice();
}

/** The largest value a packed half holds. */
export const PACKED_LIMIT = 0xffff;

/** A pair packed for the core, refused past PACKED_LIMIT (never reached by real layers). */
export function packed(op: string, name: string, [h, w]: number[]): number {
  if (h > PACKED_LIMIT || w > PACKED_LIMIT) {
    fail(op, `${name}=(${h}, ${w}) is larger than ${PACKED_LIMIT}, the largest that wasmgrad's kernels take`);
  }
  return ((h << 16) | w) >>> 0;
}

/** Refuses integer and bool tensors, naming the kernel as PyTorch does. */
export function floatingInput(op: string, kernel: string, x: Tensor): void {
  if (!x.is_floating_point) fail(op, `"${kernel}" not implemented for '${scalarTypeName(x.dtype)}'`);
}

/** The number of positions of a window (taps `dilation` apart) over a padded length; C++'s truncating division. */
export function slidingCount(length: number, kernel: number, dilation: number, padding: number, stride: number): number {
  return Math.trunc((length + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

export const shapeText = (t: Tensor): string => formatShape(t._shape);

/** x, which argument `name` of op requires to be a Tensor. */
export function tensorInput(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}(): argument '${name}' must be a Tensor, got ${describe(x)}`);
  return x;
}
