// The messages between the page and a training worker. Both panels' workers speak it;
// each adds its own settings and extras.

import type { GraphSpec } from "./graph/spec.js";

export type ToWorker<S> =
  | { type: "reset"; settings: S }
  | { type: "settings"; settings: S } // what can change without a new model (the learning rate)
  | { type: "start" }
  | { type: "stop" }
  | { type: "predict"; id: number; pixels: Float32Array }; // the MNIST pad only

export interface Progress<E = unknown> {
  type: "progress";
  running: boolean;
  step: number;
  samplesPerSec: number;
  /** [step, mean training loss over the steps since the last report] */
  points: [number, number][];
  loss: number;
  accuracy: number;
  extra: E;
}

export type FromWorker<E = unknown> =
  | { type: "ready"; graph: GraphSpec; parameters: number }
  | Progress<E>
  | { type: "prediction"; id: number; probs: number[] }
  | { type: "error"; message: string };
