// Normalisation layers: LayerNorm, GroupNorm and BatchNorm1d/2d. BatchNorm keeps running
// statistics as buffers, updated while training and used in evaluation mode, as PyTorch's.

import { Tensor } from "../../tensor.js";
import { zeros, ones } from "../../create.js";
import { no_grad } from "../../autograd.js";
import { describe } from "../../shape.js";
import { Module, keepNames } from "./module.js";
import { Parameter } from "../parameter.js";
import { batch_norm, group_norm, layer_norm } from "../normalization.js";
import type { FactoryOptions } from "./linear.js";
import { checkSize, pyFloat } from "./checks.js";

export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  elementwise_affine?: boolean;
}

/** Normalises over the last dims (normalized_shape), then scales and shifts per element. */
export class LayerNorm extends Module {
  readonly normalized_shape: readonly number[];
  readonly eps: number;
  readonly elementwise_affine: boolean;
  weight: Parameter | null = null;
  bias: Parameter | null = null;

  constructor(normalized_shape: number | number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalized_shape === "number" ? [normalized_shape] : normalized_shape.slice();
    shape.forEach((s, i) => checkSize("LayerNorm", { [`normalized_shape[${i}]`]: s }));
    this.normalized_shape = shape;
    this.eps = options.eps ?? 1e-5;
    this.elementwise_affine = options.elementwise_affine ?? true;
    if (this.elementwise_affine) {
      this.weight = new Parameter(ones(shape, { dtype: options.dtype }));
      this.bias = new Parameter(zeros(shape, { dtype: options.dtype }));
    }
  }

  override forward(input: Tensor): Tensor {
    return layer_norm(input, this.normalized_shape.slice(), this.weight, this.bias, { eps: this.eps });
  }

  override extra_repr(): string {
    const shape = `(${this.normalized_shape.join(", ")}${this.normalized_shape.length === 1 ? "," : ""})`;
    return `${shape}, eps=${pyFloat(this.eps)}, elementwise_affine=${this.elementwise_affine ? "True" : "False"}`;
  }
}

/** Normalises each group of channels over its channels and positions. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null = null;
  bias: Parameter | null = null;

  constructor(readonly num_groups: number, readonly num_channels: number, options: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    checkSize("GroupNorm", { num_groups, num_channels });
    if (num_groups === 0 || num_channels % num_groups !== 0) throw new Error("GroupNorm(): num_channels must be divisible by num_groups");
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    if (this.affine) {
      this.weight = new Parameter(ones([num_channels], { dtype: options.dtype }));
      this.bias = new Parameter(zeros([num_channels], { dtype: options.dtype }));
    }
  }

  override forward(input: Tensor): Tensor {
    return group_norm(input, this.num_groups, this.weight, this.bias, { eps: this.eps });
  }

  override extra_repr(): string {
    return `${this.num_groups}, ${this.num_channels}, eps=${pyFloat(this.eps)}, affine=${this.affine ? "True" : "False"}`;
  }
}

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** The running statistics' update factor; null for a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  track_running_stats?: boolean;
}

/** Normalises each channel (dim 1) over the batch and positions, with running statistics. */
abstract class BatchNorm extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly track_running_stats: boolean;
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(readonly num_features: number, options: BatchNormOptions = {}) {
    super();
    checkSize(this._name(), { num_features });
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null && typeof this.momentum !== "number") {
      throw new TypeError(`${this._name()}(): momentum must be a number or null, got ${describe(this.momentum)}`);
    }
    this.affine = options.affine ?? true;
    this.track_running_stats = options.track_running_stats ?? true;
    if (this.affine) {
      this.weight = new Parameter(ones([num_features], { dtype: options.dtype }));
      this.bias = new Parameter(zeros([num_features], { dtype: options.dtype }));
    }
    const tracked = this.track_running_stats;
    this.register_buffer("running_mean", tracked ? zeros([num_features], { dtype: options.dtype }) : null);
    this.register_buffer("running_var", tracked ? ones([num_features], { dtype: options.dtype }) : null);
    this.register_buffer("num_batches_tracked", tracked ? zeros([], { dtype: "int32" }) : null);
  }

  /** Throws PyTorch's error for an input of the wrong rank. */
  protected abstract checkInputDim(input: Tensor): void;

  reset_running_stats(): void {
    if (!this.track_running_stats) return;
    no_grad(() => {
      this.running_mean!.zero_();
      this.running_var!.fill_(1);
      this.num_batches_tracked!.zero_();
    });
  }

  override forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw new TypeError(`${this._name()}: expected a Tensor input, got ${describe(input)}`);
    this.checkInputDim(input);
    let factor = this.momentum ?? 0;
    if (this.training && this.track_running_stats && this.num_batches_tracked !== null) {
      no_grad(() => this.num_batches_tracked!.add_(1));
      if (this.momentum === null) factor = 1 / this.num_batches_tracked.item(); // the cumulative average
    }
    // batch statistics while training, and always when no running ones are kept
    const training = this.training || this.running_mean === null;
    const tracking = !this.training || this.track_running_stats;
    return batch_norm(input, tracking ? this.running_mean : null, tracking ? this.running_var : null, this.weight, this.bias,
      { training, momentum: factor, eps: this.eps });
  }

  override extra_repr(): string {
    return `${this.num_features}, eps=${pyFloat(this.eps)}, momentum=${this.momentum ?? "None"}, ` +
      `affine=${this.affine ? "True" : "False"}, track_running_stats=${this.track_running_stats ? "True" : "False"}`;
  }
}

/** BatchNorm over (N, C) or (N, C, L) inputs. */
export class BatchNorm1d extends BatchNorm {
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new Error(`${this._name()}: expected 2D or 3D input (got ${input.ndim}D input)`);
  }
}

/** BatchNorm over (N, C, H, W) inputs. */
export class BatchNorm2d extends BatchNorm {
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new Error(`${this._name()}: expected 4D input (got ${input.ndim}D input)`);
  }
}

keepNames({ LayerNorm, GroupNorm, BatchNorm1d, BatchNorm2d });
