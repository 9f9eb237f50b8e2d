// Flatten and Unflatten: the reshapes between conv layers' (N, C, H, W) and linear layers'
// (N, features).

import type { Tensor } from "../../tensor.js";
import { Module, keepNames } from "./module.js";
import "../../shape-ops.js"; // Tensor.prototype.unflatten

/** Flattens dims start_dim..end_dim into one (by default all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly start_dim = 1, readonly end_dim = -1) {
    super();
  }

  override forward(input: Tensor): Tensor {
    return input.flatten(this.start_dim, this.end_dim);
  }

  override extra_repr(): string {
    return `start_dim=${this.start_dim}, end_dim=${this.end_dim}`;
  }
}

/** Splits dim `dim` into the sizes `unflattened_size`. */
export class Unflatten extends Module {
  readonly unflattened_size: readonly number[];

  constructor(readonly dim: number, unflattened_size: number[]) {
    super();
    this.unflattened_size = unflattened_size.slice();
  }

  override forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattened_size.slice());
  }

  override extra_repr(): string {
    return `dim=${this.dim}, unflattened_size=(${this.unflattened_size.join(", ")}${this.unflattened_size.length === 1 ? "," : ""})`;
  }
}

keepNames({ Flatten, Unflatten });
