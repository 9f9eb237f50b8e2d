// Dropout layers: active in training mode only (module.train() / eval()).

import type { Tensor } from "../../tensor.js";
import { Module, keepNames } from "./module.js";
import { dropout, dropout1d, dropout2d, dropout3d } from "../dropout.js";
import { checkProbability } from "./checks.js";

type DropoutFn = typeof dropout;

function dropoutLayer(name: string, fn: DropoutFn) {
  const layer = class extends Module {
    readonly p: number;
    readonly inplace: boolean;

    constructor(p = 0.5, inplace = false) {
      super();
      this.p = checkProbability(name, p);
      this.inplace = inplace;
    }

    override forward(input: Tensor): Tensor {
      return fn(input, { p: this.p, training: this.training, inplace: this.inplace });
    }

    override extra_repr(): string {
      return `p=${this.p}, inplace=${this.inplace ? "True" : "False"}`;
    }
  };
  keepNames({ [name]: layer });
  return layer;
}

export const Dropout = dropoutLayer("Dropout", dropout);
export const Dropout1d = dropoutLayer("Dropout1d", dropout1d);
export const Dropout2d = dropoutLayer("Dropout2d", dropout2d);
export const Dropout3d = dropoutLayer("Dropout3d", dropout3d);
export type Dropout = InstanceType<typeof Dropout>;
export type Dropout1d = InstanceType<typeof Dropout1d>;
export type Dropout2d = InstanceType<typeof Dropout2d>;
export type Dropout3d = InstanceType<typeof Dropout3d>;
