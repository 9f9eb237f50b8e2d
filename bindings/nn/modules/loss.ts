// The loss layers: each holds its options and calls the function of nn.functional. As in
// PyTorch, a class weight (and BCEWithLogitsLoss's pos_weight) is a buffer, so it follows
// the module's to() and state_dict().

import type { Tensor } from "../../tensor.js";
import { Module, keepNames } from "./module.js";
import * as F from "../losses.js";

type LossFn<O> = (input: Tensor, target: Tensor, options: O) => Tensor;
type BufferName = "weight" | "pos_weight";

// A loss layer over `fn`, with `buffers` taken out of its options into buffers.
function lossLayer<O extends object>(name: string, fn: LossFn<O>, buffers: BufferName[] = []) {
  const layer = class extends Module {
    /** The options other than the buffers, given to the function at every call. */
    readonly options: Readonly<O>;

    constructor(options: O = {} as O) {
      super();
      const rest: Record<string, unknown> = { ...(options as Record<string, unknown>) };
      for (const b of buffers) {
        this.register_buffer(b, (rest[b] as Tensor | undefined) ?? null);
        delete rest[b];
      }
      this.options = rest as O;
    }

    override forward(input: Tensor, target: Tensor): Tensor {
      const options: Record<string, unknown> = { ...(this.options as Record<string, unknown>) };
      for (const b of buffers) options[b] = (this as unknown as Record<BufferName, Tensor | null>)[b];
      return fn(input, target, options as O);
    }
  };
  keepNames({ [name]: layer });
  return layer;
}

export const MSELoss = lossLayer("MSELoss", F.mse_loss);
export const L1Loss = lossLayer("L1Loss", F.l1_loss);
export const SmoothL1Loss = lossLayer("SmoothL1Loss", F.smooth_l1_loss);
export const HuberLoss = lossLayer("HuberLoss", F.huber_loss);
export const NLLLoss = lossLayer("NLLLoss", F.nll_loss, ["weight"]);
export const CrossEntropyLoss = lossLayer("CrossEntropyLoss", F.cross_entropy, ["weight"]);
export const BCELoss = lossLayer("BCELoss", F.binary_cross_entropy, ["weight"]);
export const BCEWithLogitsLoss = lossLayer("BCEWithLogitsLoss", F.binary_cross_entropy_with_logits, ["weight", "pos_weight"]);
export const KLDivLoss = lossLayer("KLDivLoss", F.kl_div);
export type MSELoss = InstanceType<typeof MSELoss>;
export type L1Loss = InstanceType<typeof L1Loss>;
export type SmoothL1Loss = InstanceType<typeof SmoothL1Loss>;
export type HuberLoss = InstanceType<typeof HuberLoss>;
export type NLLLoss = InstanceType<typeof NLLLoss>;
export type CrossEntropyLoss = InstanceType<typeof CrossEntropyLoss>;
export type BCELoss = InstanceType<typeof BCELoss>;
export type BCEWithLogitsLoss = InstanceType<typeof BCEWithLogitsLoss>;
export type KLDivLoss = InstanceType<typeof KLDivLoss>;
