// F.pad: constant, reflect, replicate and circular padding, with PyTorch's pad list (the last
// dim's left and right first, then the dim before it, ...). Constant padding joins blocks of
// the value around the input (negative pads crop it); the other modes gather each padded
// dim's source positions with index_select, so gradients flow back through index_add.

import { Tensor } from "../tensor.js";
import { full, tensor } from "../create.js";
import { cat } from "../join-ops.js";
import { scope } from "../lifetime.js";
import { checkOptions } from "../options.js";
import { describe, fail, formatShape } from "../shape.js";
import { tensorArg } from "../tensor.js";
import "../index-ops.js"; // Tensor.prototype.index_select

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

export interface PadOptions {
  mode?: PadMode;
  /** The fill of constant padding (0 by default). */
  value?: number;
}

const MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

export function pad(input: Tensor, pad: number[], options: PadOptions = {}): Tensor {
  const op = "pad";
  checkOptions(op, options, { mode: { expected: "'constant', 'reflect', 'replicate' or 'circular'", test: (v) => typeof v === "string" }, value: "number" });
  const x = tensorArg(op, "input", input);
  x._live(op);
  const mode = options.mode ?? "constant";
  if (!MODES.includes(mode)) fail(op, `Unrecognised padding mode ${describe(mode)}; expected one of ${MODES.join(", ")}`);
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || !pad.every((p) => Number.isInteger(p))) {
    fail(op, `Padding length must be divisible by 2, and made of integers; got ${describe(pad)}`);
  }
  if (pad.length / 2 > x.ndim) fail(op, `Padding length too large: ${pad.length} values pad ${pad.length / 2} dims of a ${x.ndim}-D input`);
  if (mode !== "constant") {
    if (options.value !== undefined && options.value !== 0) fail(op, `Padding mode "${mode}" doesn't take in value argument`);
    // PyTorch pads the spatial dims only: 1 to 3 of them, after (N, C) or (C)
    const spatial = pad.length / 2;
    if (spatial > 3 || x.ndim < spatial + 1 || x.ndim > spatial + 2) {
      fail(op, `${mode} padding of ${spatial} dims needs a ${spatial + 1}-D or ${spatial + 2}-D input, got shape ${formatShape(x.shape)}`);
    }
  }
  return scope(() => {
    let out = x;
    for (let i = 0; i < pad.length / 2; i++) {
      const d = x.ndim - 1 - i, left = pad[2 * i], right = pad[2 * i + 1];
      if (left === 0 && right === 0) continue;
      out = mode === "constant" ? constantPad(out, d, left, right, options.value ?? 0) : gatherPad(out, d, left, right, mode);
    }
    return out === x ? x.clone() : out;
  });
}

function constantPad(x: Tensor, d: number, left: number, right: number, value: number): Tensor {
  const n = x.shape[d];
  if (n + left + right < 0 || -left > n || -right > n) {
    fail("pad", `The input size ${n}, plus negative padding ${left} and ${right} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`);
  }
  let core = x;
  if (left < 0 || right < 0) core = core.narrow(d, Math.max(0, -left), n - Math.max(0, -left) - Math.max(0, -right));
  const block = (size: number) => full(x.shape.map((s, e) => (e === d ? size : s)), value, { dtype: x.dtype });
  const parts = [...(left > 0 ? [block(left)] : []), core, ...(right > 0 ? [block(right)] : [])];
  return parts.length === 1 ? core : cat(parts, d);
}

function gatherPad(x: Tensor, d: number, left: number, right: number, mode: PadMode): Tensor {
  const n = x.shape[d];
  if (left < 0 || right < 0) fail("pad", `negative padding is only supported in constant mode, got (${left}, ${right})`);
  if (mode === "reflect" && (left >= n || right >= n)) {
    fail("pad", `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${left}, ${right}) at dimension ${d} of input ${formatShape(x.shape)}`);
  }
  if (mode === "circular" && (left > n || right > n)) fail("pad", "Padding value causes wrapping around more than once.");
  if (mode === "replicate" && n === 0) fail("pad", `can't replicate-pad an empty dim (dimension ${d} of input ${formatShape(x.shape)})`);
  const source = new Int32Array(n + left + right);
  for (let i = 0; i < source.length; i++) {
    const j = i - left;
    source[i] = mode === "replicate" ? Math.min(Math.max(j, 0), n - 1)
      : mode === "circular" ? ((j % n) + n) % n
      : j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j; // reflect, without repeating the edge
  }
  return x.index_select(d, tensor(source));
}
