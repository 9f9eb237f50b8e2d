// Recording ops onto the graph. A tensor made by a recorded op is a node: it holds its op
// code, links to its inputs (with their versions), what its backward rule saved, and the
// op's parameters. What each op saves comes from the op table (generated/table.ts).

import {
  geti, seti, slot, requiresGrad, retainData, FLAGS, FLAG_REQUIRES_GRAD, OP, NIN, SAVED,
  EDGES, VER_OUT, REFS, PARAMS, SAVE_OUT, inputOf, newInputs, dtypeOf, isFloat, versionOf,
} from "./tensors";
import { savesOf, savedForOf, isDifferentiable } from "./generated/table";

export let gradEnabled = true;

export function setGradEnabled(on: bool): void {
  gradEnabled = on;
}

// Inside a dual level (forward.ts), every op's output is handed to the forward-mode hook
// once it is computed (and recorded): the hook gives it a tangent when an input has one.
export let pushTangents = false;
let tangentHook: (out: i32, op: i32, inputs: usize, n: i32) => void = (out: i32, op: i32, inputs: usize, n: i32): void => {};

export function setTangentHook(on: bool, hook: (out: i32, op: i32, inputs: usize, n: i32) => void): void {
  pushTangents = on;
  tangentHook = hook;
}

// Links `out` to its n inputs (their ids at `inputs`, i32 each) as a node of op `op`, when
// grad mode is on, the op is differentiable, `out` is floating and an input requires grad. Returns whether it
// did. The node holds its inputs' slots and the data the op's rule saves. Every op calls
// it once its output is computed and its parameters are written.
export function recordN(out: i32, op: i32, inputs: usize, n: i32): bool {
  const recorded = recordNode(out, op, inputs, n);
  if (pushTangents) tangentHook(out, op, inputs, n);
  return recorded;
}

function recordNode(out: i32, op: i32, inputs: usize, n: i32): bool {
  if (!gradEnabled || !isDifferentiable(op) || !isFloat(dtypeOf(out))) return false;
  let edges = 0;
  for (let i = 0; i < n; i++) {
    if (requiresGrad(load<i32>(inputs + (<usize>i << 2)))) edges |= 1 << i;
  }
  if (edges == 0) return false;
  seti(out, NIN, n);
  const block = newInputs(out, n);
  let saved = savesOf(op);
  for (let i = 0; i < n; i++) {
    const t = load<i32>(inputs + (<usize>i << 2));
    seti(t, REFS, geti(t, REFS) + 1);
    store<i32>(block + (<usize>i << 3), t);
    store<i32>(block + (<usize>i << 3), versionOf(t), 4);
    if (saved & (1 << i)) {
      const readers = savedForOf(op, i); // saved only for the gradients that read it
      if (readers == 0 || (edges & readers) != 0) retainData(t);
      else saved &= ~(1 << i);
    }
  }
  seti(out, OP, op);
  seti(out, EDGES, edges);
  seti(out, SAVED, saved);
  seti(out, FLAGS, geti(out, FLAGS) | FLAG_REQUIRES_GRAD);
  if (saved & SAVE_OUT) {
    retainData(out);
    seti(out, VER_OUT, versionOf(out));
  }
  return true;
}

const pair = heap.alloc(16);

export function record1(out: i32, op: i32, a: i32): bool {
  store<i32>(pair, a);
  return recordN(out, op, pair, 1);
}

export function record2(out: i32, op: i32, a: i32, b: i32): bool {
  store<i32>(pair, a);
  store<i32>(pair, b, 4);
  return recordN(out, op, pair, 2);
}

// ---- what a backward rule reads ---------------------------------------------------------

@inline export function input(t: i32, i: i32): i32 {
  return inputOf(t, i);
}

/** Whether the node's i-th input needs a gradient. */
@inline export function needsGrad(t: i32, i: i32): bool {
  return (geti(t, EDGES) & (1 << i)) != 0;
}

// The parameter block: word k holds an i32 or an f64.
@inline export function paramI(t: i32, k: i32): i32 {
  return load<i32>(slot(t) + <usize>(PARAMS + (k << 3)));
}
@inline export function setParamI(t: i32, k: i32, v: i32): void {
  store<i32>(slot(t) + <usize>(PARAMS + (k << 3)), v);
}
@inline export function paramF(t: i32, k: i32): f64 {
  return load<f64>(slot(t) + <usize>(PARAMS + (k << 3)));
}
@inline export function setParamF(t: i32, k: i32, v: f64): void {
  store<f64>(slot(t) + <usize>(PARAMS + (k << 3)), v);
}

/**
 * Whether a backward rule may take a fused path that is not made of ops (one kernel, nothing
 * recorded): only when its ops would record nothing (no create_graph) and push no tangents
 * (no dual level: forward over reverse differentiates the rules' ops).
 */
@inline export function fusedRules(): bool {
  return !gradEnabled && !pushTangents;
}

// ---- what a forward-mode rule reads: its inputs and their tangents (0: none) ------------

@inline export function argAt(args: usize, i: i32): i32 {
  return load<i32>(args + (<usize>i << 2));
}
@inline export function tangentAt(tangents: usize, i: i32): i32 {
  return load<i32>(tangents + (<usize>i << 2));
}

/** Stores gradient `grad` (owned) for the rule's input i, into the engine's array. */
@inline export function setGrad(grads: usize, i: i32, grad: i32): void {
  store<i32>(grads + (<usize>i << 2), grad);
}
