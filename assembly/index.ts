// The export surface of the core: the only functions JavaScript calls. Arguments are
// validated by the bindings before they get here; the core never sees a bad shape.

import {
  newTensor, dataPtr, numel, ndim, dim, geti, seti, retain, release, requiresGrad, isLeaf,
  tensorCount, tensorBytes, evictable, recoverFromTrap, lastRequest,
  FLAGS, FLAG_REQUIRES_GRAD, FLAG_SAVED_FREED, FLAG_RETAINS_GRAD, FLAG_HOOKED, GRAD, OP, VERSION, CAPTURE, F32, F64, I32,
  dtypeOf, rootOf, versionOf as tensorVersion, bumpVersion as bumpTensorVersion, isStrided, strideOf,
  offsetOf, newTensorLike, sharesData, isStale, historyOf, SAVED, SAVE_OUT, VER_OUT, NIN, inputOf,
  BATCH, adoptCopy as adoptData, releaseSlot, releaseData, REFS,
} from "./tensors";
import { addInPlace as addInto, mulInPlace as mulInto } from "./ops/elementwise";
import { copyInto } from "./ops/views";
import { fillSpan } from "./ops/reduce";
import { constant } from "./ops/elementwise";
export { indexOutOfRange, lastBadIndex } from "./ops/index";
export { recordCustom, setCustomGrad } from "./ops/custom";
export { collectHistoryCycles } from "./tensors";
import { gradEnabled, setGradEnabled as setMode } from "./graph";
import * as engine from "./engine";
import * as forward from "./forward";
import { primalView } from "./ops/views";
import { contiguousForward } from "./ops/views";
import { scratch } from "./scratch";

export { Op } from "./generated/table";
// One entry point per op of the table: op<Name>(inputs..., params...) -> new tensor id.
export * from "./generated/exports";

export function scratchPointer(): usize { return scratch; }

// ---- tensors --------------------------------------------------------------------------

export function create(rank: i32, dtype: i32): i32 { return newTensor(rank, scratch, dtype); }
export function dtypeCode(t: i32): i32 { return dtypeOf(t); }
export function dataPointer(t: i32): usize { return dataPtr(t); }
export function numelOf(t: i32): i32 { return numel(t); }
export function rankOf(t: i32): i32 { return ndim(t); }
export function dimOf(t: i32, d: i32): i32 { return dim(t, d); }
export function retainTensor(t: i32): void { retain(t); }
export function releaseTensor(t: i32): void { release(t); }
/** Drops one reference to the slot alone, or to the data alone (retainTensor takes both). */
export function releaseTensorSlot(t: i32): void { releaseSlot(t); }
export function releaseTensorData(t: i32): void { releaseData(t); }
/** The references to t's slot: handles, nodes that take it as an input, views, saved holds. */
export function refsOf(t: i32): i32 { return geti(t, REFS); }
export function liveTensors(): i32 { return tensorCount(); }
export function liveBytes(): usize { return tensorBytes(); }
export function lastAllocation(): usize { return lastRequest; }
export function recover(): void { recoverFromTrap(); }

// The bindings move the data of tensors held only by a handle out of linear memory when
// the core holds more than a budget, and bring it back when the handle is used again.
let byteBudget: usize = 0;
let countBudget: i32 = 0;
export function setBudget(bytes: usize, count: i32): void { byteBudget = bytes; countBudget = count; }
export function overBudget(): bool { return tensorBytes() > byteBudget || tensorCount() > countBudget; }
export function canEvict(t: i32): bool { return evictable(t); }
export function flagsOf(t: i32): i32 { return geti(t, FLAGS); }
// A tensor brought back: shape in scratch, with the op, flags and version it had. A node
// comes back without the graph behind it, so it can no longer be swept.
export function restore(rank: i32, dtype: i32, op: i32, flags: i32, version: i32): i32 {
  const t = newTensor(rank, scratch, dtype);
  seti(t, OP, op);
  seti(t, FLAGS, op != 0 ? flags | FLAG_SAVED_FREED : flags);
  seti(t, VERSION, version);
  return t;
}

// ---- autograd state -------------------------------------------------------------------

export function requiresGradOf(t: i32): bool { return requiresGrad(t); }
export function setRequiresGrad(t: i32, on: bool): void {
  const flags = geti(t, FLAGS);
  seti(t, FLAGS, on ? flags | FLAG_REQUIRES_GRAD : flags & ~FLAG_REQUIRES_GRAD);
}
export function isLeafTensor(t: i32): bool { return isLeaf(t); }
export function setRetainsGrad(t: i32): void { seti(t, FLAGS, geti(t, FLAGS) | FLAG_RETAINS_GRAD); }
export function retainsGradOf(t: i32): bool { return (geti(t, FLAGS) & FLAG_RETAINS_GRAD) != 0; }
export function setHooked(t: i32, on: bool): void {
  const flags = geti(t, FLAGS);
  seti(t, FLAGS, on ? flags | FLAG_HOOKED : flags & ~FLAG_HOOKED);
}
export function opOf(t: i32): i32 { return geti(t, OP); }
// The graph links of a node (a tensor an op made), for walking the graph from the bindings.
export function inputCount(t: i32): i32 { return geti(t, OP) == 0 ? 0 : geti(t, NIN); }
export function inputAt(t: i32, i: i32): i32 { return inputOf(t, i); }
// What a node saved for backward (bit i: input i; bit 30: its output), until backward frees it.
export function savedMaskOf(t: i32): i32 { return geti(t, OP) == 0 || (geti(t, FLAGS) & FLAG_SAVED_FREED) != 0 ? 0 : geti(t, SAVED); }
export function versionOf(t: i32): i32 { return tensorVersion(t); }
export function gradOf(t: i32): i32 { return geti(t, GRAD); }
export function clearGrad(t: i32): void {
  const g = geti(t, GRAD);
  seti(t, GRAD, 0);
  if (g != 0) release(g);
}
export function setGradEnabled(on: bool): void { setMode(on); }
export function isGradEnabled(): bool { return gradEnabled; }
export function setCapture(t: i32, index: i32): void { seti(t, CAPTURE, index); }

// roots: `count` (tensor, seed) pairs in scratch. Returns 0, or an error code whose details
// are read with errorTensor / errorSaved / errorExpected.
export function backward(count: i32, retainGraph: bool, create: bool, capturing: bool, captureOut: usize): i32 {
  return engine.backward(scratch, count, retainGraph, create, capturing, captureOut);
}
export function errorTensor(): i32 { return engine.errorTensor; }
export function errorSaved(): i32 { return engine.errorSaved; }
export function errorExpected(): i32 { return engine.errorExpected; }
export function errorInput(): i32 { return engine.errorInput; }

// ---- in place (never recorded; each bumps the tensor's version) -----------------------
// An in-place op that must be recorded runs out of place in the bindings, which then give
// the result the modified tensor's version.

function bump(t: i32): void { bumpTensorVersion(t); }
export function bumpVersion(t: i32): void { bump(t); }
// A tensor that takes over an older one's version (an in-place op's result, see
// Tensor._rebind) keeps its node's saved copy of itself valid: it saved exactly this value.
export function setVersion(t: i32, version: i32): void {
  seti(rootOf(t), VERSION, version);
  if ((geti(t, SAVED) & SAVE_OUT) != 0) seti(t, VER_OUT, version);
}

export function fill(t: i32, value: f64): void {
  if (isStrided(t)) {
    const one = constant(value, dtypeOf(t));
    copyInto(t, one);
    release(one);
  } else {
    const p = dataPtr(t), n = numel(t), dtype = dtypeOf(t);
    if (dtype == F32) fillSpan<f32>(p, <f32>value, n);
    else if (dtype == F64) fillSpan<f64>(p, value, n);
    else if (dtype == I32) fillSpan<i32>(p, <i32>value, n);
    else fillSpan<u8>(p, value != 0 ? 1 : 0, n);
  }
  if (forward.inDualLevel()) forward.writeTangent(t, 0);
  bump(t);
}

// target = target (op) src, src (of target's dtype, contiguous) broadcast to target's
// shape. A strided view is computed in a contiguous copy, then written back through it.
function inPlace(target: i32, src: i32, mul: bool): void {
  const strided = isStrided(target);
  const into = strided ? contiguousCopy(target) : target;
  if (mul) mulInto(into, src);
  else addInto(into, src);
  if (strided) {
    copyInto(target, into);
    release(into);
  }
  bump(target);
}

function contiguousCopy(t: i32): i32 {
  const out = newTensorLike(t);
  copyInto(out, t);
  return out;
}

export function addInPlace(target: i32, src: i32): void { inPlace(target, src, false); }
export function mulInPlace(target: i32, src: i32): void { inPlace(target, src, true); }

/** target = src (same dtype, broadcast to target's shape), through any strides. */
export function copyIntoTensor(target: i32, src: i32): void {
  copyInto(target, src);
  if (forward.inDualLevel()) forward.writeTangent(target, forward.tangentOf(src)); // 0: zeros where a tangent is shown
  bump(target);
}

// ---- views ----------------------------------------------------------------------------

export function isContiguous(t: i32): bool { return !isStrided(t); }
export function strideOfDim(t: i32, d: i32): i32 { return strideOf(t, d); }
export function storageOffset(t: i32): i32 { return offsetOf(t); }
export function rootTensor(t: i32): i32 { return rootOf(t); }
export function sharesStorage(t: i32): bool { return sharesData(t); }
export function isStaleView(t: i32): bool { return isStale(t); }
export function currentHistory(t: i32): i32 { return historyOf(t); }

// ---- forward mode (forward.ts) ----------------------------------------------------------

export function enterDualLevel(): bool { return forward.enterDualLevel(); }
export function exitDualLevel(): void { forward.exitDualLevel(); }
export function inDualLevel(): bool { return forward.inDualLevel(); }
/** A copy of primal (in the graph) whose tangent is a copy of tangent (same shape and dtype). */
export function makeDual(primal: i32, tangent: i32): i32 {
  const out = contiguousForward(Op.Contiguous, primal);
  retain(tangent);
  forward.setTangent(out, tangent);
  return out;
}
/** t's tangent, a new tensor id, or 0 when it has none. */
export function tangentOf(t: i32): i32 { return forward.tangentOf(t); }
export function primalOf(t: i32): i32 { return primalView(t); }
export function hasTangent(t: i32): bool { return forward.hasTangent(t); }
export function pushTangents(on: bool): void { forward.pushingTangents(on); }
/** Gives t (any handle's tensor, copied as needed) as out's tangent. */
export function setTangentOf(out: i32, t: i32): void {
  retain(t);
  forward.setTangent(out, t);
}

// ---- vmap (bindings/vmap.ts): which levels' batch dims lead a tensor's shape -------------

export function batchOf(t: i32): i32 { return geti(t, BATCH); }
export function setBatch(t: i32, levels: i32): void { seti(t, BATCH, levels); }
/** dst (a fresh root the bindings allocated) takes a copy of src's data, in the shape in scratch. */
export function adoptCopy(dst: i32, src: i32, rank: i32): void { adoptData(dst, src, rank, scratch); }
