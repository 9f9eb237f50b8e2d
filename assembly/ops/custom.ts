// The nodes of wg.autograd.Function: their forward ran in the bindings, which record the
// node with recordCustom (index.ts); their backward calls back into the bindings, which run
// the user's backward and hand each input's gradient to setCustomGrad.

import { recordN, setGrad } from "../graph";
import { retain } from "../tensors";
import { Op } from "../generated/table";
import { scratch } from "../scratch";

// Runs the user's backward of node t for gradient g: 0 when done, -1 when it threw (the
// bindings keep the error).
@external("env", "customBackward") declare function runCustomBackward(t: i32, g: i32): i32;

/** Whether a custom backward of the running sweep threw. */
export let customFailed = false;
let currentGrads: usize = 0;

/** Unused entry point of the table's Custom op: the bindings record custom nodes themselves. */
export function customForward(op: i32, x: i32): i32 {
  retain(x);
  return x;
}

/** Links `out` as a Custom node of the `n` inputs whose ids are in scratch. */
export function recordCustom(out: i32, n: i32): bool {
  return recordN(out, Op.Custom, scratch, n);
}

export function customBackward(t: i32, g: i32, grads: usize): void {
  const outer = currentGrads; // a custom backward may run a backward of its own
  currentGrads = grads;
  if (runCustomBackward(t, g) < 0) customFailed = true;
  currentGrads = outer;
}

/** The bindings' gradient for input i of the custom node being differentiated (the engine owns it). */
export function setCustomGrad(i: i32, grad: i32): void {
  retain(grad);
  setGrad(currentGrads, i, grad);
}

export function resetCustomFailure(): bool {
  const failed = customFailed;
  customFailed = false;
  return failed;
}

// A custom Function's tangent comes from its own jvp, which the bindings run and attach
// (bindings/custom-function.ts): nothing is pushed here.
export function customJvp(out: i32, args: usize, tangents: usize): i32 {
  return 0;
}
