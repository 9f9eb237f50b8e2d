// The global stream behind rand(), randn(), randint() and randperm(), and the default of
// every consumer that takes a `generator`: one Generator (generator.ts), seeded from the
// clock until manual_seed().

import { Generator } from "./generator.js";

/** PyTorch's torch.default_generator: what manual_seed() seeds. */
export const default_generator = new Generator();

/** Seeds the generator used by rand() and randn(). */
export function manual_seed(seed: number): void {
  default_generator.manual_seed(seed);
}

/** Uniform in [0, 1), with 24 random bits (every float32 step is reachable). */
export function uniform(): number {
  return default_generator._uniform();
}

/** Standard normal, by Box-Muller. */
export function normal(): number {
  let u = uniform();
  while (u === 0) u = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}
