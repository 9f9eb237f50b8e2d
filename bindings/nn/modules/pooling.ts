// The pooling layers: each holds its options and calls the function of nn.functional.

import type { Tensor } from "../../tensor.js";
import { Module, keepNames } from "./module.js";
import {
  adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
  type AvgPoolOptions as AvgOptions, type MaxPoolOptions as MaxOptions,
} from "../pooling.js";

// The layers take any rank's sizes; the functions check them against theirs.
type MaxPoolOptions = MaxOptions<number | number[]>;
type AvgPoolOptions = AvgOptions<number | number[]> & { divisor_override?: number | null };
type PoolFn<O> = (input: Tensor, kernel_size: number | number[], options: O) => Tensor;

type Size = number | number[];
// Python's repr of an int or a tuple
const show = (v: Size | null | undefined) => (v === null || v === undefined ? "None" : Array.isArray(v) ? `(${v.join(", ")}${v.length === 1 ? "," : ""})` : String(v));
const bool = (b: boolean | undefined) => (b ? "True" : "False");

function maxPoolLayer(name: string, fn: PoolFn<MaxPoolOptions>) {
  const layer = class extends Module {
    readonly stride: Size;
    constructor(readonly kernel_size: Size, readonly options: MaxPoolOptions = {}) {
      super();
      this.stride = options.stride ?? kernel_size;
    }
    override forward(input: Tensor): Tensor | [Tensor, Tensor] {
      return fn(input, this.kernel_size, this.options);
    }
    override extra_repr(): string {
      const o = this.options;
      return `kernel_size=${show(this.kernel_size)}, stride=${show(this.stride)}, padding=${show(o.padding ?? 0)}, ` +
        `dilation=${show(o.dilation ?? 1)}, ceil_mode=${bool(o.ceil_mode)}`;
    }
  };
  keepNames({ [name]: layer });
  return layer;
}

function avgPoolLayer(name: string, fn: PoolFn<AvgPoolOptions>, twoD: boolean) {
  const layer = class extends Module {
    readonly stride: Size;
    constructor(readonly kernel_size: Size, readonly options: AvgPoolOptions = {}) {
      super();
      this.stride = options.stride ?? kernel_size;
    }
    override forward(input: Tensor): Tensor {
      return fn(input, this.kernel_size, this.options);
    }
    override extra_repr(): string {
      const o = this.options;
      // PyTorch's 1-D repr shows the tuples it normalises to
      const one = (v: Size) => (twoD ? show(v) : show(Array.isArray(v) ? v : [v]));
      return `kernel_size=${one(this.kernel_size)}, stride=${one(this.stride)}, padding=${one(o.padding ?? 0)}` +
        (twoD ? "" : `, ceil_mode=${bool(o.ceil_mode)}, count_include_pad=${bool(o.count_include_pad ?? true)}`);
    }
  };
  keepNames({ [name]: layer });
  return layer;
}

export const MaxPool1d = maxPoolLayer("MaxPool1d", max_pool1d as unknown as PoolFn<MaxPoolOptions>);
export const MaxPool2d = maxPoolLayer("MaxPool2d", max_pool2d as unknown as PoolFn<MaxPoolOptions>);
export const AvgPool1d = avgPoolLayer("AvgPool1d", avg_pool1d as unknown as PoolFn<AvgPoolOptions>, false);
export const AvgPool2d = avgPoolLayer("AvgPool2d", avg_pool2d as unknown as PoolFn<AvgPoolOptions>, true);
export type MaxPool1d = InstanceType<typeof MaxPool1d>;
export type MaxPool2d = InstanceType<typeof MaxPool2d>;
export type AvgPool1d = InstanceType<typeof AvgPool1d>;
export type AvgPool2d = InstanceType<typeof AvgPool2d>;

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly output_size: number | (number | null)[]) {
    super();
  }
  override forward(input: Tensor): Tensor {
    return adaptive_avg_pool2d(input, this.output_size as Parameters<typeof adaptive_avg_pool2d>[1]);
  }
  override extra_repr(): string {
    return `output_size=${Array.isArray(this.output_size) ? `(${this.output_size.map((s) => (s === null ? "None" : s)).join(", ")})` : this.output_size}`;
  }
}

export class AdaptiveAvgPool1d extends Module {
  constructor(readonly output_size: number) {
    super();
  }
  override forward(input: Tensor): Tensor {
    return adaptive_avg_pool1d(input, this.output_size);
  }
  override extra_repr(): string {
    return `output_size=${this.output_size}`;
  }
}

keepNames({ AdaptiveAvgPool1d, AdaptiveAvgPool2d });
