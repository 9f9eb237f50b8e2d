// torch.nn.functional's scaled_dot_product_attention, as PyTorch 1.13 defines it (with
// attn_mask, is_causal, dropout_p and scale), written as a composite of tensor ops so that
// autograd differentiates it. Arguments are checked before any kernel runs; it runs in a
// scope, so that only its result outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { arange } from "../create.js";
import { checkOptions } from "../options.js";
import { broadcastShapes, fail, formatShape } from "../shape.js";
import { isFloating } from "../dtype.js";
import { OPTIONAL_TENSOR } from "./loss-reduction.js";
import { dropNoise } from "./layer-helpers.js";
import "../index-ops.js"; // masked_fill

export interface AttentionOptions { attn_mask?: Tensor | null; dropout_p?: number; is_causal?: boolean; scale?: number | null }

/**
 * softmax(q kᵀ · scale + mask) v over the last two dims, scale 1/sqrt(E) by default:
 * query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). attn_mask broadcasts
 * to (..., L, S): a bool one tells which positions take part (true) and a float one is added.
 * is_causal lets position i see positions up to i. dropout_p drops attention weights.
 */
export function scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
  const op = "scaled_dot_product_attention";
  checkOptions(op, options, {
    attn_mask: OPTIONAL_TENSOR, dropout_p: "number", is_causal: "boolean",
    scale: { expected: "a number or null", test: (v) => v === null || typeof v === "number" },
  });
  const q = tensorArg(op, "query", query), k = tensorArg(op, "key", key), v = tensorArg(op, "value", value);
  const mask = options.attn_mask ?? null;
  for (const t of [q, k, v]) {
    t._live(op);
    if (t.ndim < 2) fail(op, `expected query, key and value of at least 2 dims, got shapes ${formatShape(q.shape)}, ${formatShape(k.shape)} and ${formatShape(v.shape)}`);
  }
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E) fail(op, `query and key must have the same embedding size, got ${formatShape(q.shape)} and ${formatShape(k.shape)}`);
  if (v.shape[v.ndim - 2] !== S) fail(op, `key and value must have the same sequence length, got ${formatShape(k.shape)} and ${formatShape(v.shape)}`);
  broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2));
  if (mask !== null) {
    if (options.is_causal) fail(op, "Explicit attn_mask should not be set when is_causal=True");
    if (mask.dtype !== "bool" && !isFloating(mask.dtype)) {
      fail(op, `attn_mask must be a bool or floating tensor, got ${mask.dtype}`);
    }
    broadcastShapes(op, mask.shape, [...q.shape.slice(0, -2), L, S]);
  }
  const dropP = options.dropout_p ?? 0;
  if (!(dropP >= 0 && dropP <= 1)) fail(op, `dropout probability has to be between 0 and 1, but got ${dropP}`);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  return scope(() => {
    let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
    const allowed = options.is_causal ? arange(L).unsqueeze(1).ge(arange(S)) : mask?.dtype === "bool" ? mask : null;
    if (allowed !== null) scores = scores.masked_fill(allowed.logical_not(), -Infinity);
    else if (mask !== null) scores = scores.add(mask);
    const weights = dropNoise(scores.softmax(-1), dropP, true, false, scores.shape);
    return weights.matmul(v);
  });
}
