// The batching layer under vmap (vmap.ts). A batched tensor is an ordinary core tensor
// whose leading dims are batch dims, one per vmap level it is batched at (in level order,
// the core's BATCH field holding the levels as bits); its handle shows the other dims, the
// logical shape, so the bindings check and compute on per-example shapes. While a vmap is
// running every op call goes through here: ops of unbatched tensors run as they are, the
// others through the op's batching rule from the op table (OPS[op].batch), which moves the
// op's dims and shapes past the batch dims (batch-rules.ts) and marks the result.

import { core, ops, readScratch, setBatchHook, writeScratch, type BatchHook } from "./core.js";
import { OPS, type OpName } from "./generated/ops.js";
import { MAX_DIMS } from "./shape.js";

/** The batch size of each vmap level running, outermost first, and what its random ops do. */
export const levels: number[] = [];
export type Randomness = "error" | "same" | "different";
const randomness: Randomness[] = [];

type Entry = (...args: number[]) => number;

/** The number of examples of a call: the product of its batch sizes. */
export const examples = (call: Call) => call.sizes.reduce((p, s) => p * s, 1);

export interface Call {
  op: OpName;
  entry: Entry;
  args: number[];
  /** The levels of the batched inputs (a bit each), and their count. */
  levels: number;
  k: number;
  /** The sizes of those levels' batch dims, in order. */
  sizes: number[];
}

export type Rule = (call: Call) => number;

const popcount = (bits: number) => {
  let n = 0;
  for (let b = bits; b !== 0; b &= b - 1) n++;
  return n;
};

/** The number of batch dims of core tensor id. */
export const batchDims = (id: number) => popcount(core.batchOf(id));

/** The sizes of the batch dims of levels (bits), outermost first. */
export function sizesOf(bits: number): number[] {
  const sizes: number[] = [];
  for (let l = 0; l < levels.length; l++) if (bits & (1 << l)) sizes.push(levels[l]);
  return sizes;
}

export const physicalShape = (id: number) => Array.from({ length: core.rankOf(id) }, (_, d) => core.dimOf(id, d));
export const physicalStrides = (id: number) => Array.from({ length: core.rankOf(id) }, (_, d) => core.strideOfDim(id, d));

/** Runs fn with the op calls it makes going straight to the core (the rules' own calls). */
export function unbatched<T>(fn: () => T): T {
  setBatchHook(null);
  try {
    return fn();
  } finally {
    setBatchHook(levels.length > 0 ? dispatch : null);
  }
}

/**
 * A view of id laid out for levels (bits, a superset of its own): a batch dim for each
 * level, size 1 where id has none (or its full size when `full`, an expanded view), then
 * `pad` size-1 dims, then its own dims. New reference.
 */
export function aligned(id: number, bits: number, pad: number, full = false): number {
  const own = core.batchOf(id);
  if (own === bits && pad === 0) {
    core.retainTensor(id);
    return id;
  }
  const shape = physicalShape(id), strides = physicalStrides(id);
  const outShape: number[] = [], outStrides: number[] = [], fullShape: number[] = [];
  let d = 0;
  for (let l = 0; l < levels.length; l++) {
    if (!(bits & (1 << l))) continue;
    fullShape.push(levels[l]);
    if (own & (1 << l)) {
      outShape.push(shape[d]);
      outStrides.push(strides[d]);
      d++;
    } else {
      outShape.push(1);
      outStrides.push(0);
    }
  }
  for (let p = 0; p < pad; p++) {
    outShape.push(1);
    outStrides.push(0);
    fullShape.push(1);
  }
  outShape.push(...shape.slice(d));
  outStrides.push(...strides.slice(d));
  fullShape.push(...shape.slice(d));
  const viewed = view(id, outShape, outStrides);
  if (!full || outShape.every((s, i) => s === fullShape[i])) return viewed;
  const expanded = view(viewed, fullShape, outShape.map((s, i) => (s === fullShape[i] ? outStrides[i] : 0)), ops.opExpand);
  core.releaseTensor(viewed);
  return expanded;
}

/** A view of id with the given geometry (from its storage offset), recorded (View, or `entry`). */
export function view(id: number, shape: number[], strides: number[], entry = ops.opView as Entry): number {
  writeScratch(shape);
  writeScratch(strides, MAX_DIMS);
  return unbatched(() => entry(id, shape.length, core.storageOffset(id)));
}

/** A view of id whose dim d is id's dim order[d] (recorded, Permute): new reference. */
export function permuted(id: number, order: number[]): number {
  const shape = physicalShape(id), strides = physicalStrides(id);
  const packed = order.reduce((p, d, at) => p | (d << (4 * at)), 0); // four bits a dim, as Permute takes them
  return view(id, order.map((d) => shape[d]), order.map((d) => strides[d]), (x, rank, offset) => ops.opPermute(x, rank, offset, packed));
}

/** id (a contiguous copy first if it is not) seen with shape: new reference. */
export function reshaped(id: number, shape: number[]): number {
  const source = core.isContiguous(id) !== 0 ? id : unbatched(() => ops.opContiguous(id));
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out = view(source, shape, strides);
  if (source !== id) core.releaseTensor(source);
  return out;
}

let rules: Record<BatchKind, Rule> | null = null;
type BatchKind = (typeof OPS)[OpName]["batch"]["kind"];

/** Installs the rules (batch-rules.ts registers them, to keep this file free of them). */
export function setRules(table: Record<BatchKind, Rule>): void {
  rules = table;
}

// The hook every op call takes while a vmap runs.
const dispatch: BatchHook = (op, entry, args) => {
  const info = OPS[op];
  let bits = 0;
  for (let i = 0; i < info.inputs.length; i++) if (args[i] !== 0) bits |= core.batchOf(args[i]);
  if (bits === 0) return unbatched(() => entry(...args));
  const call: Call = { op, entry, args, levels: bits, k: popcount(bits), sizes: sizesOf(bits) };
  const out = rules![info.batch.kind](call);
  core.setBatch(out, bits);
  return out;
};

/** Enters a vmap level of batch size `size`; returns its level number. */
export function enterLevel(size: number, random: Randomness = "error"): number {
  levels.push(size);
  randomness.push(random);
  setBatchHook(dispatch);
  return levels.length - 1;
}

export function exitLevel(): void {
  levels.pop();
  randomness.pop();
  setBatchHook(levels.length > 0 ? dispatch : null);
}

/**
 * The levels a random op samples one value per example of (its result batched there): the
 * levels of randomness "different"; none for "same" (one value for all) or outside vmap.
 * Throws in "error" mode, functorch's default.
 */
export function randomLevels(op: string): number {
  if (levels.length === 0) return 0;
  if (randomness[randomness.length - 1] === "error") {
    throw new Error(`vmap: called random operation ${op}() while in randomness error mode. Please either use the ` +
      "'same' or 'different' randomness flags on vmap or perform the randomness operation out of vmap");
  }
  return randomness.reduce((bits, mode, l) => (mode === "different" ? bits | (1 << l) : bits), 0);
}

/** A view of id (its batch dims first, unmarked) marked batched at the levels `bits`. */
export function markedBatched(id: number, bits: number): number {
  const out = view(id, physicalShape(id), physicalStrides(id));
  core.setBatch(out, bits);
  return out;
}

/**
 * Runs write(target, operand) for an in-place op of target with operand src (core ids):
 * under vmap, src is laid out for target's batch dims first; a src batched where target is
 * not is refused, as functorch refuses it.
 */
export function writing(op: string, target: number, src: number, write: (target: number, src: number) => void): void {
  const own = core.batchOf(target), theirs = core.batchOf(src);
  if (levels.length === 0 || (own === 0 && theirs === 0) || own === theirs) {
    write(target, src);
    return;
  }
  if ((theirs & ~own) !== 0) {
    throw new Error(`vmap: ${op}(self, other): the in-place write is not possible because other is batched where self ` +
      "is not (it has more elements than self); write into a batched tensor, or use the out-of-place op");
  }
  const pad = core.rankOf(target) - batchDims(target) - (core.rankOf(src) - batchDims(src));
  const laid = aligned(src, own, Math.max(pad, 0));
  try {
    write(target, laid);
  } finally {
    core.releaseTensor(laid);
  }
}

/** A fresh batched copy of id (unbatched), for the levels: an output that batched values are written into. */
export function batchedCopy(id: number, bits: number): number {
  const spread = aligned(id, bits, 0, true);
  const copy = unbatched(() => ops.opContiguous(spread));
  core.releaseTensor(spread);
  core.setBatch(copy, bits);
  return copy;
}

/** Refuses to read the values of a batched tensor: each example has its own. */
export function refuseBatchedRead(op: string, id: number): void {
  if (isBatched(id)) {
    throw new Error(`vmap: It looks like you're calling .${op}() on a Tensor. We don't support vmap over calling ` +
      `.${op}() on a Tensor, please try to rewrite what you're doing with other operations (each example has its own values).`);
  }
}

/** Whether core tensor id is batched (inside a vmap). */
export const isBatched = (id: number) => levels.length > 0 && core.batchOf(id) !== 0;

/** The parameters of a call, by name. */
export function param(call: Call, name: string): number {
  const info = OPS[call.op];
  const at = (info.params as readonly string[]).indexOf(name);
  if (at < 0) throw new Error(`vmap: op ${call.op} has no parameter ${name}`);
  return call.args[info.inputs.length + at];
}

export function setParam(args: number[], op: OpName, name: string, value: number): void {
  const info = OPS[op];
  args[info.inputs.length + (info.params as readonly string[]).indexOf(name)] = value;
}

export { readScratch, writeScratch };
