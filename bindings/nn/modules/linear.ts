// Identity, Linear and Bilinear, with PyTorch's default initialisation: weight from
// kaiming_uniform_(a = √5), i.e. U(±1/√fan_in), and bias from U(±1/√fan_in).

import { Tensor } from "../../tensor.js";
import { empty } from "../../factories.js";
import type { DType } from "../../dtype.js";
import { Module, keepNames } from "./module.js";
import { Parameter } from "../parameter.js";
import { calculateFans, kaiming_uniform_, uniform_ } from "../init.js";
import { checkSize } from "./checks.js";
import { linear, bilinear } from "../linear.js";

/** What a layer's constructor takes besides its sizes (PyTorch's factory kwargs). */
export interface FactoryOptions {
  dtype?: DType;
}

/** A parameter of `shape`, to be initialised by the layer. */
export const newParameter = (shape: number[], options: FactoryOptions = {}): Parameter =>
  new Parameter(empty(shape, { dtype: options.dtype }));

/** U(±1/√fan_in) for a bias, fan_in taken from its layer's weight. */
export function initBias(bias: Parameter, weight: Tensor): void {
  const { fan_in } = calculateFans("uniform_", weight);
  const bound = fan_in > 0 ? 1 / Math.sqrt(fan_in) : 0;
  uniform_(bias, -bound, bound);
}

/** Returns its input unchanged (a placeholder layer). */
export class Identity extends Module {
  override forward(input: Tensor): Tensor {
    return input;
  }
}

/** y = x Wᵀ + b, over the last dim of x. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly in_features: number, readonly out_features: number, options: FactoryOptions & { bias?: boolean } = {}) {
    super();
    checkSize("Linear", { in_features, out_features });
    this.weight = newParameter([out_features, in_features], options);
    this.bias = options.bias === false ? null : newParameter([out_features], options);
    this.reset_parameters();
  }

  reset_parameters(): void {
    kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) initBias(this.bias, this.weight);
  }

  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extra_repr(): string {
    return `in_features=${this.in_features}, out_features=${this.out_features}, bias=${this.bias === null ? "False" : "True"}`;
  }
}

/** y = x₁ᵀ A x₂ + b, one bilinear form per output feature. */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly in1_features: number, readonly in2_features: number, readonly out_features: number,
    options: FactoryOptions & { bias?: boolean } = {}) {
    super();
    checkSize("Bilinear", { in1_features, in2_features, out_features });
    this.weight = newParameter([out_features, in1_features, in2_features], options);
    this.bias = options.bias === false ? null : newParameter([out_features], options);
    this.reset_parameters();
  }

  reset_parameters(): void {
    const bound = 1 / Math.sqrt(this.in1_features);
    uniform_(this.weight, -bound, bound);
    if (this.bias !== null) uniform_(this.bias, -bound, bound);
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    return bilinear(input1, input2, this.weight, this.bias);
  }

  override extra_repr(): string {
    return `in1_features=${this.in1_features}, in2_features=${this.in2_features}, ` +
      `out_features=${this.out_features}, bias=${this.bias === null ? "False" : "True"}`;
  }
}

keepNames({ Identity, Linear, Bilinear });
