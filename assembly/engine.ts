// The reverse sweep. backward() runs here in one call:
//   1. walk back from the roots with an explicit stack, counting for every tensor how many
//      of the reached nodes consume it, and refusing (before changing anything) a graph
//      whose saved values were freed or modified in place;
//   2. sweep in dependency order (a node runs once all its consumers have): the node's
//      backward rule (from the op table) returns one gradient per input; here each is
//      summed over the dims its input was broadcast along and added into that input's
//      pending gradient, and for leaves into .grad.
// Backward rules are written with the same ops as the forward pass, so with create_graph
// they are recorded too and higher derivatives come for free.

import {
  geti, seti, isLeaf, retain, release, releaseSlot, freeSaved, unlinkInputs, newTensorLike,
  dataPtr, dataBytes, numel, ndim, dim, inputOf, versionOf, bumpVersion, isStrided, inputVersion, requiresGrad,
  FLAGS, FLAG_SAVED_FREED, FLAG_SWEPT, FLAG_RETAINS_GRAD, FLAG_HOOKED, NIN, SAVED, AUX, EDGES, VERSION, VER_OUT, MARK, DEPS,
  PENDING, CAPTURE, GRAD, REFS, DATA_REFS, OP, SAVE_OUT, BASE,
} from "./tensors";
import { newStack, stackPush, stackPop, stackLength, stackClear, allocBuffer, freeBuffer } from "./memory";
import { gradEnabled, setGradEnabled, pushTangents } from "./graph";
import { applyRule } from "./generated/dispatch";
import { add, addInPlace, takesScalarGrad } from "./ops/elementwise";
import { sumToLike } from "./ops/reduce";
import { contiguousForward } from "./ops/views";
import { resetCustomFailure } from "./ops/custom";
import { Op } from "./generated/table";

// ---- the sweep --------------------------------------------------------------------

export const ERR_FREED: i32 = 1;     // saved values were freed by an earlier backward
export const ERR_MODIFIED: i32 = 2;  // a saved value was modified in place
export const ERR_RULE: i32 = 3;      // a rule gave no gradient (or a misshapen one) for an input
export const ERR_HOOK: i32 = 4;      // a hook or a custom Function's backward threw (the bindings hold the error)

// Runs the bindings' hooks of tensor t on its gradient g: 0 keeps g, -1 reports a hook that
// threw, any other id is a replacement of g's shape that the engine then owns.
@external("env", "tensorHook") declare function tensorHook(t: i32, g: i32): i32;

let epoch: i32 = 0;
let createGraph = false;
const work = newStack();
const ready = newStack();
const swept = newStack();

// Details of the last refused sweep, read by the bindings to write the message.
export let errorTensor: i32 = 0;
export let errorSaved: i32 = 0;   // the saved tensor that changed (ERR_MODIFIED)
export let errorExpected: i32 = 0;
export let errorInput: i32 = 0;   // the input a rule failed (ERR_RULE)
let hookFailed = false;           // a hook of the running sweep threw
let ruleError: i32 = 0;           // the first ERR_RULE node of the running sweep

// The engine's array of gradients that a rule fills, one slot per input.
let grads: usize = heap.alloc(64 << 2);
let gradsCapacity: i32 = 64;

// Whether nothing but its one holder sees t's data, so it may be added into in place: not
// a view (whose data is its root's), and held once.
@inline function ownsData(t: i32): bool {
  return geti(t, REFS) == 1 && geti(t, DATA_REFS) == 1 && geti(t, BASE) == 0;
}

// Adds `grad` (owned) into the pending gradient of `t`.
function accumulate(t: i32, grad: i32): void {
  const pending = geti(t, PENDING);
  if (pending == 0) {
    seti(t, PENDING, grad);
  } else if (!createGraph && !pushTangents && ownsData(pending)) { // in place loses tangents
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
  if ((geti(t, FLAGS) & FLAG_SAVED_FREED) != 0) {
    errorTensor = t;
    return ERR_FREED;
  }
  const saved = geti(t, SAVED);
  if (saved == 0) return 0;
  const n = geti(t, NIN);
  for (let i = 0; i < n; i++) {
    if ((saved & (1 << i)) == 0) continue;
    const x = inputOf(t, i);
    if (versionOf(x) != inputVersion(t, i)) {
      errorTensor = t; errorSaved = x; errorExpected = inputVersion(t, i);
      return ERR_MODIFIED;
    }
  }
  if ((saved & SAVE_OUT) != 0 && versionOf(t) != geti(t, VER_OUT)) {
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
    const n = geti(t, NIN);
    for (let i = 0; i < n; i++) {
      if ((edges & (1 << i)) == 0) continue;
      const x = inputOf(t, i);
      reach(x);
      seti(x, DEPS, geti(x, DEPS) + 1);
    }
  }
  return 0;
}

function consumed(input: i32): void {
  const deps = geti(input, DEPS) - 1;
  seti(input, DEPS, deps);
  if (deps == 0) stackPush(ready, input);
}

// Adds a finished gradient into a leaf's .grad (or a retain_grad() non-leaf's). The buffer is allocated once per leaf and
// then accumulated into in place (out of place under create_graph, to keep the graph).
function accumulateLeaf(t: i32, g: i32): void {
  const grad = geti(t, GRAD);
  const exclusive = ownsData(g);
  if (grad == 0) {
    if (exclusive || (createGraph && requiresGrad(g))) {
      retain(g);
      seti(t, GRAD, g);
    } else if (pushTangents) {
      seti(t, GRAD, contiguousForward(Op.Contiguous, g)); // a copy that keeps g's tangent
    } else {
      // g is shared (the caller's seed, say): later in-place accumulation must not touch it
      const copy = newTensorLike(g);
      memory.copy(dataPtr(copy), dataPtr(g), dataBytes(g));
      seti(t, GRAD, copy);
    }
  } else if (createGraph || pushTangents || requiresGrad(grad)) {
    seti(t, GRAD, add(grad, g));
    release(grad);
  } else {
    addInPlace(grad, g);
    bumpVersion(grad);
  }
}

// Adds `grad` (owned), a gradient of input x of a node, into x's pending gradient. A
// one-element gradient of a larger x is a constant one that x's own rule takes as it is
// (see constantGradSuffices in ops/reduce.ts); any other is summed over broadcast dims
// first. Returns false for a gradient that fits neither (a rule's bug, never the user's).
function give(x: i32, grad: i32): bool {
  if (isStrided(grad)) { // a view's rule may give a view; pending gradients are contiguous
    const copy = contiguousForward(Op.Contiguous, grad);
    release(grad);
    grad = copy;
  }
  if (numel(grad) == numel(x) && ndim(grad) == ndim(x)) { // the usual case: no broadcast
    accumulate(x, grad);
    return true;
  }
  if (numel(grad) == 1 && numel(x) > 1 && !isLeaf(x) && takesScalarGrad(x)) {
    accumulate(x, grad);
    return true;
  }
  if (!broadcastsTo(x, grad)) {
    release(grad);
    return false;
  }
  const reduced = sumToLike(grad, x);
  release(grad);
  accumulate(x, reduced);
  return true;
}

// Whether x's shape broadcasts to g's (so g sums down to exactly x's shape).
function broadcastsTo(x: i32, g: i32): bool {
  const offset = ndim(g) - ndim(x);
  for (let d = 0; d < ndim(x); d++) {
    const size = dim(x, d);
    if (size != 1 && size != dim(g, d + offset)) return false;
  }
  return true;
}

// Runs node t's rule on its gradient g and hands each input its share.
function backwardNode(t: i32, g: i32): void {
  const n = geti(t, NIN);
  if (n > gradsCapacity) {
    heap.free(grads);
    gradsCapacity = n;
    grads = heap.alloc(<usize>n << 2);
  }
  memory.fill(grads, 0, <usize>n << 2);
  const buffer = grads; // a rule may run ops, but never a nested sweep
  applyRule(geti(t, OP), t, g, buffer);
  const edges = geti(t, EDGES);
  for (let i = 0; i < n; i++) {
    const grad = load<i32>(buffer + (<usize>i << 2));
    if ((edges & (1 << i)) == 0) {
      if (grad != 0) release(grad);
    } else if (grad == 0 || !give(inputOf(t, i), grad)) {
      if (ruleError == 0) { ruleError = t; errorInput = i; }
    }
  }
}

// Without retain_graph, a swept graph is spent. Every node keeps its op (for grad_fn and
// for the "backward through the graph a second time" error); a node that saved values
// also drops its links, as it can never be swept again, so the intermediates and leaves
// behind it are held by nothing but their handles. A node that saved nothing keeps its
// links and can be swept again, as in PyTorch (`x.sum()`).
function releaseGraph(): void {
  while (stackLength(swept) > 0) {
    const t = stackPop(swept);
    const flags = geti(t, FLAGS);
    seti(t, FLAGS, flags | FLAG_SWEPT);
    if (flags & FLAG_SAVED_FREED) unlinkInputs(t);
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
  setGradEnabled(create);
  ruleError = 0;
  hookFailed = false;
  resetCustomFailure();
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
    let g = geti(t, PENDING);
    seti(t, PENDING, 0);
    if (g != 0 && (geti(t, FLAGS) & FLAG_HOOKED) != 0) {
      const replaced = tensorHook(t, g);
      if (replaced < 0) hookFailed = true;
      else if (replaced != 0) { release(g); g = replaced; }
    }
    if (g != 0) {
      const capture = geti(t, CAPTURE);
      if (capture != 0) {
        const slotPtr = captureOut + (<usize>(capture - 1) << 2);
        retain(g);
        store<i32>(slotPtr, g);
      }
      if (!isLeaf(t)) {
        if (!capturing && (geti(t, FLAGS) & FLAG_RETAINS_GRAD) != 0) accumulateLeaf(t, g); // retain_grad()
        backwardNode(t, g);
      } else if (!capturing) accumulateLeaf(t, g);
    }
    if (!isLeaf(t)) {
      const edges = geti(t, EDGES);
      const n = geti(t, NIN);
      for (let i = 0; i < n; i++) if (edges & (1 << i)) consumed(inputOf(t, i));
      if (!retainGraph) {
        if (geti(t, SAVED) != 0 || geti(t, AUX) != 0) seti(t, FLAGS, geti(t, FLAGS) | FLAG_SAVED_FREED);
        freeSaved(t); // as early as possible, to lower the peak
        seti(t, REFS, geti(t, REFS) + 1); // kept until the graph is released below
        stackPush(swept, t);
      }
    }
    if (g != 0) release(g);
  }
  if (!retainGraph) releaseGraph();
  setGradEnabled(wasEnabled);
  createGraph = false;
  // a failed hook or custom backward leaves gradients unset: report it, not what follows
  if (resetCustomFailure() || hookFailed) return ERR_HOOK;
  if (ruleError != 0) {
    errorTensor = ruleError;
    return ERR_RULE;
  }
  return 0;
}
