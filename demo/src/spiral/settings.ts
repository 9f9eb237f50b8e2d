// Panel 1's settings, shared by the page and its worker.
import type { DatasetName } from "./data.js";

export type Activation = "ReLU" | "Tanh";

export interface SpiralSettings {
  dataset: DatasetName;
  activation: Activation;
  hidden: number;
  lr: number;
  stepsPerSec: number; // 0: as fast as it goes
}

export interface SpiralExtra {
  /** Class probabilities on a GRID×GRID lattice over [-EXTENT, EXTENT]², row-major from the top-left, classes innermost. */
  grid: Float32Array | null;
  classes: number;
  points: { x: Float32Array; y: Int32Array } | null; // sent once after a reset
}

export const GRID = 64;
export const EXTENT = 1.25;
