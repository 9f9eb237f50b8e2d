// Conv1d and Conv2d, with PyTorch's default initialisation (kaiming_uniform_(a = √5) for the
// weight, U(±1/√fan_in) for the bias) and padding modes (zeros, reflect, replicate, circular).

import type { Tensor } from "../../tensor.js";
import { Module, keepNames } from "./module.js";
import { Parameter } from "../parameter.js";
import { kaiming_uniform_ } from "../init.js";
import { conv1d, conv2d } from "../conv.js";
import { pad } from "../pad.js";
import { sizes } from "../conv-args.js";
import { initBias, newParameter, type FactoryOptions } from "./linear.js";
import { checkSize } from "./checks.js";

export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

export interface ConvLayerOptions extends FactoryOptions {
  stride?: number | number[];
  padding?: number | number[] | "valid" | "same";
  dilation?: number | number[];
  groups?: number;
  bias?: boolean;
  padding_mode?: PaddingMode;
}

// `value` as `dims` integers of at least `min` (1 for sizes and steps, 0 for padding).
function pairOf(layer: string, name: string, value: unknown, min: number, dims: number): number[] {
  const v = sizes(layer, name, value, dims);
  if (v.some((x) => x < min)) throw new RangeError(`${layer}(): ${name} should be ${min === 0 ? "non-negative" : "positive"}, got (${v.join(", ")})`);
  return v;
}

// Python's tuple repr: (5, 5), or (3,) for one element.
const tuple = (v: readonly number[]) => `(${v.join(", ")}${v.length === 1 ? "," : ""})`;

abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernel_size: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | "valid" | "same";
  readonly dilation: readonly number[];
  readonly groups: number;
  readonly padding_mode: PaddingMode;

  protected constructor(private readonly dims: 1 | 2, readonly in_channels: number, readonly out_channels: number,
    kernel_size: number | number[], options: ConvLayerOptions) {
    super();
    const name = this._name();
    checkSize(name, { in_channels, out_channels });
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new RangeError(`${name}(): groups must be a positive integer`);
    if (in_channels % groups !== 0) throw new RangeError(`${name}(): in_channels must be divisible by groups`);
    if (out_channels % groups !== 0) throw new RangeError(`${name}(): out_channels must be divisible by groups`);
    this.groups = groups;
    this.kernel_size = pairOf(name, "kernel_size", kernel_size, 1, dims);
    this.stride = pairOf(name, "stride", options.stride ?? 1, 1, dims);
    this.dilation = pairOf(name, "dilation", options.dilation ?? 1, 1, dims);
    const padding = options.padding ?? 0;
    if (typeof padding === "string") {
      if (padding !== "valid" && padding !== "same") throw new Error(`${name}(): Invalid padding string: '${padding}'`);
      if (padding === "same" && this.stride.some((s) => s !== 1)) throw new Error(`${name}(): padding='same' is not supported for strided convolutions`);
      this.padding = padding;
    } else {
      this.padding = pairOf(name, "padding", padding, 0, dims);
    }
    this.padding_mode = options.padding_mode ?? "zeros";
    if (!["zeros", "reflect", "replicate", "circular"].includes(this.padding_mode)) {
      throw new Error(`${name}(): padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='${this.padding_mode}'`);
    }
    if (this.padding_mode !== "zeros" && typeof this.padding === "string") {
      throw new Error(`${name}(): padding '${this.padding}' is only supported with padding_mode 'zeros'`);
    }
    this.weight = newParameter([out_channels, in_channels / groups, ...this.kernel_size], options);
    this.bias = options.bias === false ? null : newParameter([out_channels], options);
    this.reset_parameters();
  }

  reset_parameters(): void {
    kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) initBias(this.bias, this.weight);
  }

  override forward(input: Tensor): Tensor {
    // the sizes are checked lists of this layer's rank
    const conv = (this.dims === 1 ? conv1d : conv2d) as (x: Tensor, w: Tensor, b: Tensor | null, o: object) => Tensor;
    const options = { stride: this.stride.slice(), dilation: this.dilation.slice(), groups: this.groups };
    if (this.padding_mode === "zeros" || typeof this.padding === "string") {
      return conv(input, this.weight, this.bias, { ...options, padding: typeof this.padding === "string" ? this.padding : this.padding.slice() });
    }
    // the other modes pad first, last dim first as F.pad takes it
    const amounts = this.padding.slice().reverse().flatMap((p) => [p, p]);
    return conv(pad(input, amounts, { mode: this.padding_mode }), this.weight, this.bias, options);
  }

  override extra_repr(): string {
    let s = `${this.in_channels}, ${this.out_channels}, kernel_size=${tuple(this.kernel_size)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.padding_mode !== "zeros") s += `, padding_mode=${this.padding_mode}`;
    return s;
  }
}

/** 1-D convolution over (N, C, L) or (C, L) inputs. */
export class Conv1d extends ConvNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], options: ConvLayerOptions = {}) {
    super(1, in_channels, out_channels, kernel_size, options);
  }
}

/** 2-D convolution over (N, C, H, W) or (C, H, W) inputs. */
export class Conv2d extends ConvNd {
  constructor(in_channels: number, out_channels: number, kernel_size: number | number[], options: ConvLayerOptions = {}) {
    super(2, in_channels, out_channels, kernel_size, options);
  }
}

keepNames({ Conv1d, Conv2d });
