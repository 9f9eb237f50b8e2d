// F.pad with PyTorch 1.13's modes, list order (the last dim's two sides first), checks and
// messages. Every mode is made of views and copies that already have gradients (narrow,
// flip, expand, cat), so pad is differentiable, twice. Negative amounts crop, as in
// PyTorch: reflect and replicate pad from the whole input and then crop, circular crops
// first and wraps what is left.

import { Tensor } from "../tensor.js";
import { full } from "../create.js";
import { cat } from "../join-ops.js";
import "../rearrange-ops.js"; // Tensor.flip
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { describe, fail, formatShape } from "../shape.js";
import { tensorInput } from "./conv-args.js";

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

export interface PadOptions {
  mode?: PadMode;
  /** The fill value of "constant" padding (0 when not given). */
  value?: number | null;
}

const MODES = ["constant", "reflect", "replicate", "circular"] as const;
const PAD_OPTIONS = { mode: { expected: "a string", test: (v: unknown) => typeof v === "string" },
  value: { expected: "a number", test: (v: unknown) => v === null || typeof v === "number" } } as const;

/**
 * input padded on its last pad.length / 2 dims: pad = [left, right, top, bottom, ...] (the
 * last dim's first), with `value` ("constant", the default), the reflection without the
 * edge ("reflect"), the edge repeated ("replicate") or the other end ("circular").
 */
export function pad(input: Tensor, pad: number[], options: PadOptions = {}): Tensor {
  const op = "pad";
  const x = tensorInput(op, "input", input);
  checkOptions(op, options, PAD_OPTIONS);
  if (!Array.isArray(pad) || !pad.every((p) => typeof p === "number" && Number.isInteger(p))) {
    throw new TypeError(`pad(): pad must be a list of integers, got ${describe(pad)}`);
  }
  const mode = options.mode ?? "constant";
  if (!(MODES as readonly string[]).includes(mode)) fail(op, `Unrecognised padding mode ${mode}`);
  if (mode !== "constant" && options.value !== undefined && options.value !== null) {
    fail(op, `Padding mode "${mode}" doesn't take in value argument`);
  }
  if (pad.length % 2 !== 0) fail(op, "Padding length must be divisible by 2");
  const pairs = pad.length / 2;
  if (pairs > x.ndim) fail(op, "Padding length too large");
  if (mode !== "constant") checkLayout(op, x, mode, pad);
  const amounts = Array.from({ length: pairs }, (_, i) => ({ d: x.ndim - 1 - i, before: pad[2 * i], after: pad[2 * i + 1] }));
  for (const { d, before, after } of amounts) {
    const size = x._shape[d] + before + after;
    if (size < 0) {
      fail(op, `input of size ${formatShape(x._shape)} is too small: padding (${before}, ${after}) of dimension ${d} ` +
        `gives a size of ${size}`);
    }
    if (mode === "reflect" && (before >= x._shape[d] || after >= x._shape[d])) {
      fail(op, `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ` +
        `(${before}, ${after}) at dimension ${d} of input ${formatShape(x._shape)}`);
    }
  }
  return scope(() => amounts.reduce((t, { d, before, after }) => alongDim(t, d, before, after, mode as PadMode, options.value ?? 0), x));
}

// PyTorch's layouts for the modes other than "constant": 1 to 3 padded dims, after a
// channel dim (and a batch dim, always there for "circular"), none of them empty.
function checkLayout(op: string, x: Tensor, mode: string, pad: number[]): void {
  const pairs = pad.length / 2;
  if (pairs > 3 || (x.ndim !== pairs + 1 && x.ndim !== pairs + 2)) {
    fail(op, "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
  }
  if (mode === "circular" && x.ndim !== pairs + 2) {
    fail(op, `Invalid padding size, expected ${2 * (x.ndim - 2)} but got ${pad.length}`);
  }
  if (x._shape.slice(x.ndim - pairs - 1).some((s) => s === 0)) {
    fail(op, `Expected ${pairs + 1}D or ${pairs + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero ` +
      `dimensions for input, but got: ${formatShape(x._shape)}`);
  }
}

/** x padded with `value` at the ends of its trailing dims (pad in F.pad's order); the callers have checked it. */
export function constantPad(x: Tensor, pad: number[], value: number, _op: string): Tensor {
  return scope(() => {
    let t = x;
    for (let i = 0; i < pad.length / 2; i++) t = alongDim(t, x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1], "constant", value);
    return t;
  });
}

// x narrowed along d to [start, size - end).
function cropped(x: Tensor, d: number, start: number, end: number): Tensor {
  return start === 0 && end === 0 ? x : x.narrow(d, start, x._shape[d] - start - end);
}

function alongDim(x: Tensor, d: number, before: number, after: number, mode: PadMode, value: number): Tensor {
  if (before === 0 && after === 0) return x;
  const crop = (t: Tensor) => cropped(t, d, Math.max(0, -before), Math.max(0, -after));
  const left = Math.max(0, before), right = Math.max(0, after);
  const joined = (parts: (Tensor | null)[]) => {
    const present = parts.filter((p): p is Tensor => p !== null);
    return present.length === 1 ? present[0] : cat(present, d);
  };
  if (mode === "circular") {
    const t = crop(x), n = t._shape[d];
    if (left > n || right > n) fail("pad", "Padding value causes wrapping around more than once.");
    return joined([left > 0 ? t.narrow(d, n - left, left) : null, t, right > 0 ? t.narrow(d, 0, right) : null]);
  }
  const n = x._shape[d];
  const side = (count: number, atEnd: boolean): Tensor | null => {
    if (count === 0) return null;
    if (mode === "constant") {
      return full(x._shape.map((s, e) => (e === d ? count : s)), value, { dtype: x.dtype });
    }
    if (mode === "reflect") return x.narrow(d, atEnd ? n - 1 - count : 1, count).flip([d]);
    return x.narrow(d, atEnd ? n - 1 : 0, 1).expand(x._shape.map((s, e) => (e === d ? count : s)));
  };
  if (mode === "constant") return joined([side(left, false), crop(x), side(right, true)]);
  return crop(joined([side(left, false), x, side(right, true)]));
}
