// Embedding: a lookup table of num_embeddings rows of size embedding_dim, initialised from
// N(0, 1) as PyTorch's (with the padding row zeroed).

import { Tensor } from "../../tensor.js";
import { no_grad } from "../../autograd.js";
import { Module, keepNames } from "./module.js";
import { Parameter } from "../parameter.js";
import { normal_ } from "../init.js";
import { embedding } from "../embedding.js";
import { newParameter, type FactoryOptions } from "./linear.js";
import { checkSize } from "./checks.js";

export interface EmbeddingLayerOptions extends FactoryOptions {
  padding_idx?: number | null;
  max_norm?: number | null;
  norm_type?: number;
  /** Initial weights instead of the N(0, 1) draw (PyTorch's _weight). */
  _weight?: Tensor;
}

export class Embedding extends Module {
  weight: Parameter;
  readonly padding_idx: number | null;
  readonly max_norm: number | null;
  readonly norm_type: number;

  constructor(readonly num_embeddings: number, readonly embedding_dim: number, options: EmbeddingLayerOptions = {}) {
    super();
    checkSize("Embedding", { num_embeddings, embedding_dim });
    let pad = options.padding_idx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= num_embeddings || pad < -num_embeddings) {
        throw new RangeError(`Embedding(): Padding_idx must be within num_embeddings (got ${pad} for ${num_embeddings})`);
      }
      if (pad < 0) pad += num_embeddings;
    }
    this.padding_idx = pad;
    this.max_norm = options.max_norm ?? null;
    this.norm_type = options.norm_type ?? 2;
    if (options._weight !== undefined) {
      if (options._weight.shape.join() !== [num_embeddings, embedding_dim].join()) {
        throw new Error(`Embedding(): Shape of weight does not match num_embeddings and embedding_dim`);
      }
      this.weight = new Parameter(options._weight);
    } else {
      this.weight = newParameter([num_embeddings, embedding_dim], options);
      this.reset_parameters();
    }
  }

  /** An Embedding holding `embeddings` (frozen by default, as PyTorch's from_pretrained). */
  static from_pretrained(embeddings: Tensor, options: Omit<EmbeddingLayerOptions, "_weight"> & { freeze?: boolean } = {}): Embedding {
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2) throw new Error("Embeddings parameter is expected to be 2-dimensional");
    const { freeze = true, ...rest } = options;
    const layer = new Embedding(embeddings.shape[0], embeddings.shape[1], { ...rest, _weight: embeddings });
    layer.weight.requires_grad_(!freeze);
    return layer;
  }

  reset_parameters(): void {
    normal_(this.weight);
    if (this.padding_idx !== null) no_grad(() => this.weight.select(0, this.padding_idx!).zero_());
  }

  override forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { padding_idx: this.padding_idx, max_norm: this.max_norm, norm_type: this.norm_type });
  }

  override extra_repr(): string {
    let s = `${this.num_embeddings}, ${this.embedding_dim}`;
    if (this.padding_idx !== null) s += `, padding_idx=${this.padding_idx}`;
    if (this.max_norm !== null) s += `, max_norm=${this.max_norm}`;
    if (this.norm_type !== 2) s += `, norm_type=${this.norm_type}`;
    return s;
  }
}

keepNames({ Embedding });
