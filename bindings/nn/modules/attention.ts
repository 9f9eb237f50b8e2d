// MultiheadAttention, as PyTorch 1.13's: one packed input projection (in_proj_weight, of
// the query, key and value stacked), num_heads attentions of size embed_dim / num_heads, and
// an output projection. forward returns [output, weights (averaged over heads) or null].

import { Tensor } from "../../tensor.js";
import { zeros } from "../../create.js";
import { scope } from "../../lifetime.js";
import { checkOptions } from "../../options.js";
import { describe, formatShape } from "../../shape.js";
import { Module, keepNames } from "./module.js";
import { Parameter } from "../parameter.js";
import { Linear, type FactoryOptions } from "./linear.js";
import { constant_, xavier_uniform_ } from "../init.js";
import { dropout } from "../dropout.js";
import { linear } from "../linear.js";
import { checkProbability, checkSize } from "./checks.js";
import "../../index-ops.js"; // masked_fill
import "../../join-ops.js"; // chunk

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  /** Inputs as (batch, sequence, feature) rather than PyTorch's default (sequence, batch, feature). */
  batch_first?: boolean;
}

export interface AttentionCallOptions {
  /** (N, S) bool: true marks a key position to ignore (padding); a float mask is added. */
  key_padding_mask?: Tensor | null;
  need_weights?: boolean;
  /** (L, S) or (N·num_heads, L, S): bool true forbids attending; a float mask is added to the scores. */
  attn_mask?: Tensor | null;
  average_attn_weights?: boolean;
}

const CALL_OPTIONS = {
  key_padding_mask: { expected: "a Tensor or null", test: (v: unknown) => v === null || v instanceof Tensor },
  need_weights: "boolean",
  attn_mask: { expected: "a Tensor or null", test: (v: unknown) => v === null || v instanceof Tensor },
  average_attn_weights: "boolean",
} as const;

export class MultiheadAttention extends Module {
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  readonly head_dim: number;
  readonly dropout: number;
  readonly batch_first: boolean;

  constructor(readonly embed_dim: number, readonly num_heads: number, options: MultiheadAttentionOptions = {}) {
    super();
    checkSize("MultiheadAttention", { embed_dim, num_heads });
    if (num_heads === 0 || embed_dim % num_heads !== 0) throw new Error("MultiheadAttention(): embed_dim must be divisible by num_heads");
    this.head_dim = embed_dim / num_heads;
    this.dropout = checkProbability("MultiheadAttention", options.dropout ?? 0);
    this.batch_first = options.batch_first ?? false;
    const bias = options.bias ?? true;
    this.in_proj_weight = new Parameter(zeros([3 * embed_dim, embed_dim], { dtype: options.dtype }));
    this.in_proj_bias = bias ? new Parameter(zeros([3 * embed_dim], { dtype: options.dtype })) : null;
    this.out_proj = new Linear(embed_dim, embed_dim, { bias, dtype: options.dtype });
    this.reset_parameters();
  }

  reset_parameters(): void {
    xavier_uniform_(this.in_proj_weight);
    if (this.in_proj_bias !== null) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias !== null) constant_(this.out_proj.bias, 0);
  }

  override forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    const op = "MultiheadAttention";
    checkOptions(op, options, CALL_OPTIONS);
    for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
      if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
    }
    const batched = query.ndim === 3;
    if (!batched && query.ndim !== 2) throw new Error(`${op}: query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new Error(`${op}: For ${batched ? "batched (3-D)" : "unbatched (2-D)"} \`query\`, expected \`key\` and \`value\` to be ` +
        `${query.ndim}-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`);
    }
    const E = this.embed_dim;
    if (query.shape[query.ndim - 1] !== E) {
      throw new Error(`${op}: was expecting embedding dimension of ${E}, but got ${query.shape[query.ndim - 1]}`);
    }
    if (key.shape.join() !== value.shape.join()) throw new Error(`${op}: key shape ${formatShape(key.shape)} does not match value shape ${formatShape(value.shape)}`);
    const needWeights = options.need_weights ?? true, average = options.average_attn_weights ?? true;
    return scope(() => {
      // to (N, L, E) whatever the layout
      const toBatchFirst = (t: Tensor) => (!batched ? t.unsqueeze(0) : this.batch_first ? t : t.transpose(0, 1));
      const q = toBatchFirst(query), k = toBatchFirst(key), v = toBatchFirst(value);
      const [N, L] = q.shape, S = k.shape[1], H = this.num_heads, D = this.head_dim;
      if (k.shape[0] !== N) throw new Error(`${op}: query has batch size ${N} but key has ${k.shape[0]}`);
      const [wq, wk, wv] = this.in_proj_weight.chunk(3, 0);
      const [bq, bk, bv] = this.in_proj_bias === null ? [null, null, null] : this.in_proj_bias.chunk(3, 0);
      // each projection split into heads: (N, H, length, D)
      const heads = (t: Tensor, w: Tensor, b: Tensor | null, n: number) => linear(t, w, b).reshape([N, n, H, D]).transpose(1, 2);
      const qh = heads(q, wq, bq, L), kh = heads(k, wk, bk, S), vh = heads(v, wv, bv, S);
      let scores = qh.matmul(kh.transpose(-2, -1)).mul(1 / Math.sqrt(D)); // (N, H, L, S)
      scores = this._masked(scores, options, N, L, S, batched);
      let weights = scores.softmax(-1);
      if (this.dropout > 0) weights = dropout(weights, { p: this.dropout, training: this.training });
      let out = weights.matmul(vh).transpose(1, 2).reshape([N, L, E]);
      out = this.out_proj.call(out);
      out = !batched ? out.squeeze(0) : this.batch_first ? out : out.transpose(0, 1);
      if (!needWeights) return [out, null] as [Tensor, Tensor | null];
      let w = average ? weights.mean(1) : weights;
      if (!batched) w = w.squeeze(0);
      return [out, w] as [Tensor, Tensor | null];
    });
  }

  // The scores with attn_mask and key_padding_mask applied: a bool mask's true positions
  // become -inf, a float mask is added.
  private _masked(scores: Tensor, options: AttentionCallOptions, N: number, L: number, S: number, batched: boolean): Tensor {
    const op = "MultiheadAttention";
    const H = this.num_heads;
    const apply = (s: Tensor, mask: Tensor) => (mask.dtype === "bool" ? s.masked_fill(mask, -Infinity) : s.add(mask));
    let out = scores;
    const attn = options.attn_mask ?? null;
    if (attn !== null) {
      const ok2 = attn.ndim === 2 && attn.shape[0] === L && attn.shape[1] === S;
      const ok3 = attn.ndim === 3 && attn.shape.join() === [N * H, L, S].join();
      if (!ok2 && !ok3) {
        throw new Error(`${op}: The shape of the ${attn.ndim}D attn_mask is ${formatShape(attn.shape)}, but should be ` +
          `${formatShape(attn.ndim === 3 ? [N * H, L, S] : [L, S])}.`);
      }
      out = apply(out, ok3 ? attn.reshape([N, H, L, S]) : attn);
    }
    const padding = options.key_padding_mask ?? null;
    if (padding !== null) {
      const expected = batched ? [N, S] : [S];
      if (padding.shape.join() !== expected.join()) {
        throw new Error(`${op}: expecting key_padding_mask shape of ${formatShape(expected)}, but got ${formatShape(padding.shape)}`);
      }
      out = apply(out, padding.reshape([N, 1, 1, S]));
    }
    return out;
  }

  override extra_repr(): string {
    return "";
  }
}

keepNames({ MultiheadAttention });
