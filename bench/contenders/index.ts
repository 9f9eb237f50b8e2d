// Every contender, loaded only in the process that runs it.
import type { Setup } from "../workloads.js";

const wasmgrad = async (scoped: boolean) =>
  (await import("./wasmgrad.js")).setupScoped(await import("../../bindings/index.js"), scoped);
// WASMGRAD_BASELINE=<path to an earlier build's dist/index.js> adds that build as a contender.
const baseline = process.env.WASMGRAD_BASELINE;

const before = async (path: string, scoped: boolean): Promise<Setup> => {
  const setup = (await import("./wasmgrad.js")).setupScoped(await import(path), scoped);
  return (d) => ("dtype" in d && d.dtype === "float64" ? Promise.resolve(null) : setup(d)); // float32-only builds
};

export const CONTENDERS: Record<string, () => Promise<Setup>> = {
  wasmgrad: () => wasmgrad(true),
  "wasmgrad (no scope)": () => wasmgrad(false),
  ...(baseline ? {
    "wasmgrad before": () => before(baseline, true),
    "wasmgrad before (no scope)": () => before(baseline, false),
  } : {}),
  "plain TS": async () => (await import("./plain.js")).setup,
  "tfjs-cpu": async () => (await import("./tfjs.js")).setupOn("cpu"),
  "tfjs-wasm": async () => (await import("./tfjs.js")).setupOn("wasm"),
  "jax-js eager": async () => (await import("./jax.js")).setupWith(false),
  "jax-js jit": async () => (await import("./jax.js")).setupWith(true),
};
