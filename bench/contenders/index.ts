// Every contender, loaded only in the process that runs it.
import type { Setup } from "../workloads.js";

export const CONTENDERS: Record<string, () => Promise<Setup>> = {
  wasmgrad: async () => (await import("./wasmgrad.js")).setupScoped(true),
  "wasmgrad, no scope": async () => (await import("./wasmgrad.js")).setupScoped(false),
  "plain TS": async () => (await import("./plain.js")).setup,
  "tfjs-cpu": async () => (await import("./tfjs.js")).setupOn("cpu"),
  "tfjs-wasm": async () => (await import("./tfjs.js")).setupOn("wasm"),
  "jax-js eager": async () => (await import("./jax.js")).setupWith(false),
  "jax-js jit": async () => (await import("./jax.js")).setupWith(true),
};
