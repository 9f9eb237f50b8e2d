// The export surface of the core: the only functions JavaScript calls. Arguments are
// validated by the bindings before they get here; the core never sees a bad shape.

import {
  newTensor, dataPtr, numel, ndim, dim, geti, seti, retain, release, requiresGrad, isLeaf,
  tensorCount, tensorBytes, evictable, recoverFromTrap, lastRequest,
  FLAGS, FLAG_REQUIRES_GRAD, GRAD, OP, VERSION, CAPTURE,
} from "./tensors";
import { binaryKernel, unary as unaryOp, binary as binaryOp } from "./ops/elementwise";
import { reduceSum as reduceSumOp, reduceMax as reduceMaxOp, fillSpan } from "./ops/reduce";
import { dot as dotOp, matmul as matmulOp, norm as normOp } from "./ops/linalg";
import { reshape as reshapeOp, transpose as transposeOp } from "./ops/shape";
import { softmax as softmaxOp } from "./ops/softmax";
import * as tape from "./tape";

export { Op } from "./ops/codes";

// Shapes and root lists are passed through this fixed scratch area.
const scratch = heap.alloc(4096);
export function scratchPointer(): usize { return scratch; }

// ---- tensors --------------------------------------------------------------------------

export function create(rank: i32): i32 { return newTensor(rank, scratch); }
export function dataPointer(t: i32): usize { return dataPtr(t); }
export function numelOf(t: i32): i32 { return numel(t); }
export function rankOf(t: i32): i32 { return ndim(t); }
export function dimOf(t: i32, d: i32): i32 { return dim(t, d); }
export function retainTensor(t: i32): void { retain(t); }
export function releaseTensor(t: i32): void { release(t); }
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
// A tensor brought back: shape in scratch, with the op, flags and version it had.
export function restore(rank: i32, op: i32, flags: i32, version: i32): i32 {
  const t = newTensor(rank, scratch);
  seti(t, OP, op);
  seti(t, FLAGS, flags);
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
export function opOf(t: i32): i32 { return geti(t, OP); }
export function versionOf(t: i32): i32 { return geti(t, VERSION); }
export function gradOf(t: i32): i32 { return geti(t, GRAD); }
export function clearGrad(t: i32): void {
  const g = geti(t, GRAD);
  seti(t, GRAD, 0);
  if (g != 0) release(g);
}
export function setGradEnabled(on: bool): void { tape.setGradEnabled(on); }
export function isGradEnabled(): bool { return tape.gradEnabled; }
export function setCapture(t: i32, index: i32): void { seti(t, CAPTURE, index); }

// roots: `count` (tensor, seed) pairs in scratch. Returns 0, or an error code whose details
// are read with errorTensor / errorSaved / errorExpected.
export function backward(count: i32, retainGraph: bool, create: bool, capturing: bool, captureOut: usize): i32 {
  return tape.backward(scratch, count, retainGraph, create, capturing, captureOut);
}
export function errorTensor(): i32 { return tape.errorTensor; }
export function errorSaved(): i32 { return tape.errorSaved; }
export function errorExpected(): i32 { return tape.errorExpected; }

// ---- ops ------------------------------------------------------------------------------

export function unary(op: i32, a: i32): i32 { return unaryOp(op, a); }
export function binary(op: i32, a: i32, b: i32): i32 { return binaryOp(op, a, b); }
// Output shape in scratch.
export function reduceSum(op: i32, x: i32, mask: i32, rank: i32, scale: f32): i32 {
  return reduceSumOp(op, x, mask, rank, scratch, scale);
}
export function reduceMax(x: i32, start: i32, end: i32, rank: i32): i32 {
  return reduceMaxOp(x, start, end, rank, scratch);
}
export function dot(a: i32, b: i32): i32 { return dotOp(a, b); }
export function norm(a: i32): i32 { return normOp(a); }
export function matmul(a: i32, b: i32): i32 { return matmulOp(a, b); }
export function reshape(x: i32, rank: i32): i32 { return reshapeOp(x, rank, scratch); }
export function transpose(x: i32, d0: i32, d1: i32): i32 { return transposeOp(x, d0, d1); }
export function softmax(x: i32, d: i32, log: bool): i32 { return softmaxOp(x, d, log); }

// ---- in place (never recorded; each bumps the tensor's version) -----------------------
// An in-place op that must be recorded runs out of place in the bindings, which then give
// the result the modified tensor's version.

function bump(t: i32): void { seti(t, VERSION, geti(t, VERSION) + 1); }
export function bumpVersion(t: i32): void { bump(t); }
export function setVersion(t: i32, version: i32): void { seti(t, VERSION, version); }

export function fill(t: i32, value: f32): void {
  fillSpan(dataPtr(t), value, numel(t));
  bump(t);
}

// target = target (op) src, src broadcast to target's shape.
export function inplace(op: i32, target: i32, src: i32): void {
  binaryKernel(op, target, src, target);
  bump(target);
}
