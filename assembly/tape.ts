// Recording ops onto the graph, and the reverse sweep.
//
// The graph lives in the tensor table: a tensor made by a recorded op holds its op code,
// its inputs and what its backward rule saved. backward() runs here in one call:
//   1. walk back from the roots with an explicit stack, counting for every tensor how many
//      of the reached nodes consume it, and refusing (before changing anything) a graph
//      whose saved values were freed or modified in place;
//   2. sweep in dependency order (a node runs once all its consumers have): apply the
//      node's backward rule, add each input's share into that input's pending gradient,
//      and for leaves add the result into .grad.
// Backward rules are written with the same ops as the forward pass, so with create_graph
// they are recorded too and higher derivatives come for free.

import {
  geti, seti, requiresGrad, isLeaf, retain, retainData, release, releaseSlot, freeSaved, newTensorLike,
  dataPtr, numel,
  FLAGS, FLAG_REQUIRES_GRAD, FLAG_SAVED_FREED, OP, IN0, IN1, SAVED, EDGES, VERSION,
  VER_IN0, VER_IN1, VER_OUT, MARK, DEPS, PENDING, CAPTURE, GRAD, REFS, DATA_REFS,
  SAVE_IN0, SAVE_IN1, SAVE_OUT,
} from "./tensors";
import { newStack, stackPush, stackPop, stackLength, stackClear } from "./memory";
import { Op } from "./ops/codes";
import { elementwiseBackward, add, addInPlace } from "./ops/elementwise";
import { reduceBackward } from "./ops/reduce";
import { linalgBackward } from "./ops/linalg";
import { shapeBackward } from "./ops/shape";
import { softmaxBackward } from "./ops/softmax";

export let gradEnabled = true;

export function setGradEnabled(on: bool): void {
  gradEnabled = on;
}

// Makes `out` a node of the graph when grad mode is on and an input requires grad.
// The node holds its inputs' slots (for the graph links) and the data it saves.
export function record(out: i32, op: i32, a: i32, b: i32, saved: i32): bool {
  if (!gradEnabled) return false;
  let edges = 0;
  if (a != 0 && requiresGrad(a)) edges |= 1;
  if (b != 0 && requiresGrad(b)) edges |= 2;
  if (edges == 0) return false;
  seti(out, OP, op);
  seti(out, EDGES, edges);
  seti(out, FLAGS, geti(out, FLAGS) | FLAG_REQUIRES_GRAD);
  if (a != 0) { seti(a, REFS, geti(a, REFS) + 1); seti(out, IN0, a); }
  if (b != 0) { seti(b, REFS, geti(b, REFS) + 1); seti(out, IN1, b); }
  seti(out, SAVED, saved);
  if (saved & SAVE_IN0) { retainData(a); seti(out, VER_IN0, geti(a, VERSION)); }
  if (saved & SAVE_IN1) { retainData(b); seti(out, VER_IN1, geti(b, VERSION)); }
  if (saved & SAVE_OUT) retainData(out);
  return true;
}

// ---- the sweep --------------------------------------------------------------------

export const ERR_FREED: i32 = 1;     // saved values were freed by an earlier backward
export const ERR_MODIFIED: i32 = 2;  // a saved value was modified in place

let epoch: i32 = 0;
let createGraph = false;
const work = newStack();
const ready = newStack();
const swept = newStack();

// Details of the last refused sweep, read by the bindings to write the message.
export let errorTensor: i32 = 0;
export let errorSaved: i32 = 0;   // the saved tensor that changed (ERR_MODIFIED)
export let errorExpected: i32 = 0;

// Adds `grad` (owned) into the pending gradient of `t`.
export function accumulate(t: i32, grad: i32): void {
  const pending = geti(t, PENDING);
  if (pending == 0) {
    seti(t, PENDING, grad);
  } else if (!createGraph && geti(pending, REFS) == 1 && geti(pending, DATA_REFS) == 1) {
    addInPlace(pending, grad);
    release(grad);
  } else {
    const sum = add(pending, grad);
    release(pending);
    release(grad);
    seti(t, PENDING, sum);
  }
}

function checkSaved(t: i32): i32 {
  const saved = geti(t, SAVED);
  if ((geti(t, FLAGS) & FLAG_SAVED_FREED) != 0) {
    errorTensor = t;
    return ERR_FREED;
  }
  if ((saved & SAVE_IN0) != 0 && geti(geti(t, IN0), VERSION) != geti(t, VER_IN0)) {
    errorTensor = t; errorSaved = geti(t, IN0); errorExpected = geti(t, VER_IN0);
    return ERR_MODIFIED;
  }
  if ((saved & SAVE_IN1) != 0 && geti(geti(t, IN1), VERSION) != geti(t, VER_IN1)) {
    errorTensor = t; errorSaved = geti(t, IN1); errorExpected = geti(t, VER_IN1);
    return ERR_MODIFIED;
  }
  if ((saved & SAVE_OUT) != 0 && geti(t, VERSION) != geti(t, VER_OUT)) {
    errorTensor = t; errorSaved = t; errorExpected = geti(t, VER_OUT);
    return ERR_MODIFIED;
  }
  return 0;
}

function reach(t: i32): void {
  if (geti(t, MARK) != epoch) {
    seti(t, MARK, epoch);
    seti(t, DEPS, 0);
    seti(t, PENDING, 0);
    stackPush(work, t);
  }
}

// Phase 1: everything reachable from the roots, with consumer counts. Returns an error
// code without having changed anything the user can see.
function discover(roots: usize, count: i32): i32 {
  epoch++;
  stackClear(work);
  for (let i = 0; i < count; i++) reach(load<i32>(roots + (<usize>i << 3)));
  while (stackLength(work) > 0) {
    const t = stackPop(work);
    if (isLeaf(t)) continue;
    const err = checkSaved(t);
    if (err != 0) return err;
    const edges = geti(t, EDGES);
    if (edges & 1) { const a = geti(t, IN0); reach(a); seti(a, DEPS, geti(a, DEPS) + 1); }
    if (edges & 2) { const b = geti(t, IN1); reach(b); seti(b, DEPS, geti(b, DEPS) + 1); }
  }
  return 0;
}

function consumed(input: i32): void {
  const deps = geti(input, DEPS) - 1;
  seti(input, DEPS, deps);
  if (deps == 0) stackPush(ready, input);
}

// Adds a finished gradient into a leaf's .grad. The buffer is allocated once per leaf and
// then accumulated into in place (out of place under create_graph, to keep the graph).
function accumulateLeaf(t: i32, g: i32): void {
  const grad = geti(t, GRAD);
  const exclusive = geti(g, REFS) == 1 && geti(g, DATA_REFS) == 1;
  if (grad == 0) {
    if (exclusive || (createGraph && requiresGrad(g))) {
      retain(g);
      seti(t, GRAD, g);
    } else {
      // g is shared (the caller's seed, say): later in-place accumulation must not touch it
      const copy = newTensorLike(g);
      memory.copy(dataPtr(copy), dataPtr(g), <usize>numel(g) << 2);
      seti(t, GRAD, copy);
    }
  } else if (createGraph || requiresGrad(grad)) {
    seti(t, GRAD, add(grad, g));
    release(grad);
  } else {
    addInPlace(grad, g);
    seti(grad, VERSION, geti(grad, VERSION) + 1);
  }
}

function applyRule(t: i32, g: i32): void {
  const op = geti(t, OP);
  if (op <= Op.Eq) elementwiseBackward(t, op, g);
  else if (op <= Op.Expand) reduceBackward(t, op, g);
  else if (op <= Op.Norm) linalgBackward(t, op, g);
  else if (op <= Op.Transpose) shapeBackward(t, op, g);
  else softmaxBackward(t, op, g);
}

// Without retain_graph, a swept graph is spent: each node keeps its op (for grad_fn and
// for the "backward through the graph a second time" error) but drops its links, so the
// intermediates and the leaves they reached are held by nothing but their handles.
function releaseGraph(): void {
  while (stackLength(swept) > 0) {
    const t = stackPop(swept);
    const in0 = geti(t, IN0), in1 = geti(t, IN1);
    seti(t, FLAGS, geti(t, FLAGS) | FLAG_SAVED_FREED);
    seti(t, IN0, 0);
    seti(t, IN1, 0);
    seti(t, EDGES, 0);
    if (in0 != 0) releaseSlot(in0);
    if (in1 != 0) releaseSlot(in1);
    releaseSlot(t);
  }
}

// roots: `count` pairs of i32 (tensor, seed gradient) at `roots`.
// captures: when non-zero, gradients are returned for the tensors whose CAPTURE field is
// set (written to captureOut[i]) and no .grad is touched: the functional grad().
export function backward(roots: usize, count: i32, retainGraph: bool, create: bool,
                         capturing: bool, captureOut: usize): i32 {
  const err = discover(roots, count);
  if (err != 0) return err;
  createGraph = create;
  const wasEnabled = gradEnabled;
  gradEnabled = create;
  stackClear(ready);
  for (let i = 0; i < count; i++) {
    const seed = load<i32>(roots + (<usize>i << 3) + 4);
    retain(seed);
    accumulate(load<i32>(roots + (<usize>i << 3)), seed);
  }
  // A root that another root's graph also reaches waits for its consumers.
  for (let i = 0; i < count; i++) {
    const root = load<i32>(roots + (<usize>i << 3));
    if (geti(root, DEPS) == 0) {
      seti(root, DEPS, -1); // queued once even if listed twice
      stackPush(ready, root);
    }
  }
  stackClear(swept);
  while (stackLength(ready) > 0) {
    const t = stackPop(ready);
    const g = geti(t, PENDING);
    seti(t, PENDING, 0);
    if (g != 0) {
      const capture = geti(t, CAPTURE);
      if (capture != 0) {
        const slotPtr = captureOut + (<usize>(capture - 1) << 2);
        retain(g);
        store<i32>(slotPtr, g);
      }
      if (!isLeaf(t)) applyRule(t, g);
      else if (!capturing) accumulateLeaf(t, g);
    }
    if (!isLeaf(t)) {
      const edges = geti(t, EDGES);
      if (edges & 1) consumed(geti(t, IN0));
      if (edges & 2) consumed(geti(t, IN1));
      if (!retainGraph) {
        freeSaved(t); // as early as possible, to lower the peak
        seti(t, REFS, geti(t, REFS) + 1); // kept until the graph is released below
        stackPush(swept, t);
      }
    }
    if (g != 0) release(g);
  }
  if (!retainGraph) releaseGraph();
  gradEnabled = wasEnabled;
  createGraph = false;
  return 0;
}
