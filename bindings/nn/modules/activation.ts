// The activation layers: each holds its options and applies the Tensor method of the same
// name (so its gradient is the op's own rule).

import type { Tensor } from "../../tensor.js";
import type { GeluApproximation } from "../../math-ops.js";
import { Module, keepNames } from "./module.js";
import { describe } from "../../shape.js";
import { pyFloat } from "./checks.js";
import "../../math-ops.js"; // Tensor.prototype.gelu

// An activation without options: name and Tensor method.
function simple(name: string, apply: (x: Tensor) => Tensor) {
  const layer = class extends Module {
    override forward(input: Tensor): Tensor {
      return apply(input);
    }
  };
  keepNames({ [name]: layer });
  return layer;
}

export const ReLU = simple("ReLU", (x) => x.relu());
export const ReLU6 = simple("ReLU6", (x) => x.relu6());
export const SiLU = simple("SiLU", (x) => x.silu());
export const Tanh = simple("Tanh", (x) => x.tanh());
export const Sigmoid = simple("Sigmoid", (x) => x.sigmoid());
export const SELU = simple("SELU", (x) => x.selu());
export type ReLU = InstanceType<typeof ReLU>;
export type ReLU6 = InstanceType<typeof ReLU6>;
export type SiLU = InstanceType<typeof SiLU>;
export type Tanh = InstanceType<typeof Tanh>;
export type Sigmoid = InstanceType<typeof Sigmoid>;
export type SELU = InstanceType<typeof SELU>;

export class LeakyReLU extends Module {
  constructor(readonly negative_slope = 0.01) {
    super();
  }

  override forward(input: Tensor): Tensor {
    return input.leaky_relu(this.negative_slope);
  }

  override extra_repr(): string {
    return `negative_slope=${pyFloat(this.negative_slope)}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  override forward(input: Tensor): Tensor {
    return input.elu(this.alpha);
  }

  override extra_repr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

export class GELU extends Module {
  readonly approximate: GeluApproximation;

  constructor(options: { approximate?: GeluApproximation } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
  }

  override forward(input: Tensor): Tensor {
    return input.gelu(this.approximate);
  }

  override extra_repr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }

  override forward(input: Tensor): Tensor {
    return input.softplus(this.beta, this.threshold);
  }

  override extra_repr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class Hardtanh extends Module {
  constructor(readonly min_val = -1, readonly max_val = 1) {
    super();
  }

  override forward(input: Tensor): Tensor {
    return input.hardtanh(this.min_val, this.max_val);
  }

  override extra_repr(): string {
    return `min_val=${pyFloat(this.min_val)}, max_val=${pyFloat(this.max_val)}`;
  }
}

// Softmax and LogSoftmax need their dim: PyTorch's implicit choice is deprecated.
function checkDim(layer: string, dim: unknown): number {
  if (typeof dim !== "number" || !Number.isInteger(dim)) {
    throw new TypeError(`${layer}(): dim must be an integer (the dim to normalise over), got ${describe(dim)}`);
  }
  return dim;
}

export class Softmax extends Module {
  readonly dim: number;

  constructor(dim: number) {
    super();
    this.dim = checkDim("Softmax", dim);
  }

  override forward(input: Tensor): Tensor {
    return input.softmax(this.dim);
  }

  override extra_repr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  readonly dim: number;

  constructor(dim: number) {
    super();
    this.dim = checkDim("LogSoftmax", dim);
  }

  override forward(input: Tensor): Tensor {
    return input.log_softmax(this.dim);
  }

  override extra_repr(): string {
    return `dim=${this.dim}`;
  }
}

keepNames({ LeakyReLU, ELU, GELU, Softplus, Hardtanh, Softmax, LogSoftmax });
