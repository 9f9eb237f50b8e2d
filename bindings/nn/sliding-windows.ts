// The geometry of 2-D sliding windows (convolution and pooling): output sizes with PyTorch's
// formulas, and the index map that gathers every window of a padded image in one
// index_select (im2col); its gradient, an index_add, is col2im. Maps are cached per geometry.

import { Tensor } from "../tensor.js";
import { tensor } from "../create.js";
import { keep } from "../lifetime.js";
import { describe, fail } from "../shape.js";

export type Pair = [number, number];

/** A size given as n or [a, b], checked as PyTorch checks it (positive, or non-negative for padding). */
export function pairOf(op: string, name: string, value: unknown, min: number, dims = 2): number[] {
  const values = typeof value === "number" ? new Array<number>(dims).fill(value) : value;
  if (!Array.isArray(values) || values.length !== dims || !values.every((v) => typeof v === "number" && Number.isInteger(v))) {
    throw new TypeError(`${op}(): ${name} must be an integer or a list of ${dims} integers, got ${describe(value)}`);
  }
  if (values.some((v) => v < min)) fail(op, `${name} should be ${min === 0 ? "non-negative" : "greater than zero"}, but got ${name}=(${values.join(", ")})`);
  return values as number[];
}

export interface Windows {
  /** Input height and width, before padding. */
  size: Pair;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  /** Extra rows and columns past the bottom and right padding that ceil_mode windows reach. */
  extra?: Pair;
}

/** The number of windows along one dim: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1, or ⌈…⌉ with ceil_mode. */
export function outputLength(n: number, k: number, s: number, p: number, d: number, ceil = false): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((ceil ? span + s - 1 : span) / s) + 1;
  // with ceil_mode, the last window must start inside the input or its left padding
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

export function outputSize(w: Windows): Pair {
  return [0, 1].map((i) => Math.floor((w.size[i] + 2 * w.padding[i] + (w.extra?.[i] ?? 0) - w.dilation[i] * (w.kernel[i] - 1) - 1) / w.stride[i]) + 1) as Pair;
}

const maps = new Map<string, Tensor>();
const MAX_MAPS = 64;

/**
 * For the padded image flattened to (Hp·Wp): the position of element k of window l, at
 * k·L + l (k = ki·kw + kj over the kernel, l = oh·OW + ow over the output), as int32; with
 * `windowMajor`, at l·K + k instead, so that pooling reduces contiguous rows.
 */
export function windowIndex(w: Windows, windowMajor = false): Tensor {
  const key = JSON.stringify(w) + (windowMajor ? "l" : "k");
  const cached = maps.get(key);
  if (cached !== undefined) return cached;
  const [OH, OW] = outputSize(w);
  const Wp = w.size[1] + 2 * w.padding[1] + (w.extra?.[1] ?? 0);
  const [kh, kw] = w.kernel, [sh, sw] = w.stride, [dh, dw] = w.dilation;
  const L = OH * OW, K = kh * kw;
  const index = new Int32Array(K * L);
  for (let ki = 0; ki < kh; ki++) {
    for (let kj = 0; kj < kw; kj++) {
      const k = ki * kw + kj;
      for (let oh = 0; oh < OH; oh++) {
        const row = (oh * sh + ki * dh) * Wp + kj * dw;
        for (let ow = 0; ow < OW; ow++) {
          const l = oh * OW + ow;
          index[windowMajor ? l * K + k : k * L + l] = row + ow * sw;
        }
      }
    }
  }
  if (maps.size >= MAX_MAPS) {
    const [oldest, t] = maps.entries().next().value as [string, Tensor];
    maps.delete(oldest);
    t.dispose();
  }
  const t = keep(tensor(index));
  maps.set(key, t);
  return t;
}
