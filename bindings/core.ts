// Loads the wasm core synchronously from the embedded copy, so `import "wasmgrad"` needs
// no init call, no file access and no bundler configuration, in Node and in browsers.

import { wasmDeflated, wasmSize } from "./generated/wasm.js";
import { inflateRaw } from "./inflate.js";
import { bindOps, type CoreOps, type OpName } from "./generated/ops.js";
import { ITEM_SIZE, type AnyTypedArray, type DType } from "./dtype.js";

/** The functions exported by assembly/index.ts. Tensor handles are i32 ids. */
export interface Core {
  memory: WebAssembly.Memory;
  scratchPointer(): number;
  create(rank: number, dtype: number): number;
  dtypeCode(t: number): number;
  dataPointer(t: number): number;
  numelOf(t: number): number;
  rankOf(t: number): number;
  dimOf(t: number, d: number): number;
  retainTensor(t: number): void;
  releaseTensor(t: number): void;
  releaseTensorSlot(t: number): void;
  releaseTensorData(t: number): void;
  refsOf(t: number): number;
  liveTensors(): number;
  liveBytes(): number;
  lastAllocation(): number;
  recover(): void;
  setBudget(bytes: number, count: number): void;
  overBudget(): number;
  canEvict(t: number): number;
  flagsOf(t: number): number;
  restore(rank: number, dtype: number, op: number, flags: number, version: number): number;
  bumpVersion(t: number): void;
  setVersion(t: number, version: number): void;
  requiresGradOf(t: number): number;
  setRequiresGrad(t: number, on: boolean): void;
  isLeafTensor(t: number): number;
  setRetainsGrad(t: number): void;
  retainsGradOf(t: number): number;
  setHooked(t: number, on: boolean): void;
  recordCustom(out: number, n: number): number;
  setCustomGrad(i: number, grad: number): void;
  opOf(t: number): number;
  inputCount(t: number): number;
  inputAt(t: number, i: number): number;
  savedMaskOf(t: number): number;
  versionOf(t: number): number;
  gradOf(t: number): number;
  clearGrad(t: number): void;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): number;
  setCapture(t: number, index: number): void;
  backward(count: number, retainGraph: boolean, create: boolean, capturing: boolean, captureOut: number): number;
  errorTensor(): number;
  errorSaved(): number;
  errorExpected(): number;
  errorInput(): number;
  fill(t: number, value: number): void;
  copyIntoTensor(target: number, src: number): void;
  isContiguous(t: number): number;
  strideOfDim(t: number, d: number): number;
  storageOffset(t: number): number;
  rootTensor(t: number): number;
  sharesStorage(t: number): number;
  isStaleView(t: number): number;
  currentHistory(t: number): number;
  addInPlace(target: number, src: number): void;
  mulInPlace(target: number, src: number): void;
  indexOutOfRange(index: number, lo: number, hi: number): number;
  lastBadIndex(): number;
  collectHistoryCycles(): void;
  enterDualLevel(): number;
  exitDualLevel(): void;
  inDualLevel(): number;
  makeDual(primal: number, tangent: number): number;
  tangentOf(t: number): number;
  primalOf(t: number): number;
  pushTangents(on: boolean): void;
  hasTangent(t: number): number;
  batchOf(t: number): number;
  setBatch(t: number, levels: number): void;
  adoptCopy(dst: number, src: number, rank: number): void;
  setTangentOf(out: number, t: number): void;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// The engine calls back into the bindings for tensors with hooks (hooks.ts installs them).
let hookRunner: (t: number, g: number) => number = () => 0;
let customRunner: (t: number, g: number) => number = () => -1;
let customReleaser: (t: number, freed: boolean) => void = () => {};
let hookFailure: unknown = null;
let retainingSweep = false;
/** @internal */
export function setCustomRunner(run: (t: number, g: number) => number): void {
  customRunner = run;
}
// Collectors of reference cycles the core cannot see (through the bindings' own tables).
const cycleCollectors: (() => void)[] = [];
/** @internal Adds a collector that collectCycles runs. */
export function addCycleCollector(collect: () => void): void {
  cycleCollectors.push(collect);
}
/** @internal Frees what only reference cycles hold: the core's (in-place histories) and the bindings'. */
export function collectCycles(): void {
  core.collectHistoryCycles();
  for (const collect of cycleCollectors) collect();
}
/** @internal What to do when the core drops a custom node's graph (and, when `freed`, its slot). */
export function setCustomReleaser(release: (t: number, freed: boolean) => void): void {
  customReleaser = release;
}
/** @internal Whether the running backward keeps its graph (custom Functions keep their context then). */
export function sweepRetainsGraph(): boolean {
  return retainingSweep;
}
/** @internal */
export function setSweepRetainsGraph(on: boolean): void {
  retainingSweep = on;
}
/** @internal */
export function setHookRunner(run: (t: number, g: number) => number): void {
  hookRunner = run;
}
/**
 * @internal Runs fn, then puts the scratch area back as it was: for the bindings' code that
 * the engine calls in the middle of a sweep, which still reads scratch afterwards.
 */
export function keepingScratch<T>(fn: () => T): T {
  const saved = heapU8().slice(scratchByteOffset, scratchByteOffset + SCRATCH_INTS * 4);
  try {
    return fn();
  } finally {
    heapU8().set(saved, scratchByteOffset);
  }
}
/** @internal Keeps the error a hook threw, for the bindings to throw when the sweep ends. */
export function reportHookFailure(error: unknown): void {
  hookFailure = error;
}
/** @internal The error a hook threw during the last sweep (then cleared). */
export function takeHookFailure(): unknown {
  const error = hookFailure;
  hookFailure = null;
  return error;
}

const instance = new WebAssembly.Instance(new WebAssembly.Module(inflateRaw(decodeBase64(wasmDeflated), wasmSize)), {
  env: {
    tensorHook: (t: number, g: number) => hookRunner(t, g),
    customBackward: (t: number, g: number) => customRunner(t, g),
    customReleased: (t: number, freed: number) => customReleaser(t, freed !== 0),
    abort(_message: number, _file: number, line: number, column: number): never {
      throw new Error(`wasmgrad: internal error in the wasm core (line ${line}:${column})`);
    },
  },
});

const exported = instance.exports as Record<string, unknown>;

// The allocator traps when linear memory cannot grow. A trap leaves the core consistent
// (data is allocated before anything else changes), so it becomes an ordinary Error that
// names the request, and the library keeps working.
function outOfMemory(error: unknown): unknown {
  if (!(error instanceof WebAssembly.RuntimeError)) return error;
  raw.recover();
  const requested = raw.lastAllocation();
  return new RangeError(`wasmgrad: out of memory: could not allocate ${requested} bytes for a tensor ` +
    `(wasm memory is ${raw.memory.buffer.byteLength} bytes and cannot grow further). Release ` +
    "tensors with dispose() or scope(), or use smaller ones.");
}

type Fn = (...args: number[]) => number;
// Up to eight arguments: an op's inputs and its (at most six) parameters.
function guarded<F extends (...args: never[]) => unknown>(fn: F): F {
  type Arg = unknown;
  const call = fn as unknown as (a?: Arg, b?: Arg, c?: Arg, d?: Arg, e?: Arg, f?: Arg, g?: Arg, h?: Arg) => unknown;
  return ((a?: Arg, b?: Arg, c?: Arg, d?: Arg, e?: Arg, f?: Arg, g?: Arg, h?: Arg) => {
    try {
      return call(a, b, c, d, e, f, g, h);
    } catch (error) {
      throw outOfMemory(error);
    }
  }) as unknown as F;
}

const raw = instance.exports as unknown as Core;

// Object literals, so that V8 keeps them in fast mode: a property read per call.
export const core: Core = {
  memory: raw.memory,
  scratchPointer: raw.scratchPointer,
  create: guarded(raw.create),
  dtypeCode: raw.dtypeCode,
  dataPointer: raw.dataPointer,
  numelOf: raw.numelOf,
  rankOf: raw.rankOf,
  dimOf: raw.dimOf,
  retainTensor: raw.retainTensor,
  releaseTensor: raw.releaseTensor,
  releaseTensorSlot: raw.releaseTensorSlot,
  releaseTensorData: raw.releaseTensorData,
  refsOf: raw.refsOf,
  liveTensors: raw.liveTensors,
  liveBytes: raw.liveBytes,
  lastAllocation: raw.lastAllocation,
  recover: raw.recover,
  setBudget: raw.setBudget,
  overBudget: raw.overBudget,
  canEvict: raw.canEvict,
  flagsOf: raw.flagsOf,
  restore: guarded(raw.restore),
  bumpVersion: raw.bumpVersion,
  setVersion: raw.setVersion,
  requiresGradOf: raw.requiresGradOf,
  setRequiresGrad: raw.setRequiresGrad,
  isLeafTensor: raw.isLeafTensor,
  setRetainsGrad: raw.setRetainsGrad,
  retainsGradOf: raw.retainsGradOf,
  setHooked: raw.setHooked,
  recordCustom: raw.recordCustom,
  setCustomGrad: raw.setCustomGrad,
  opOf: raw.opOf,
  inputCount: raw.inputCount,
  inputAt: raw.inputAt,
  savedMaskOf: raw.savedMaskOf,
  versionOf: raw.versionOf,
  gradOf: raw.gradOf,
  clearGrad: raw.clearGrad,
  setGradEnabled: raw.setGradEnabled,
  isGradEnabled: raw.isGradEnabled,
  setCapture: raw.setCapture,
  backward: guarded(raw.backward),
  errorTensor: raw.errorTensor,
  errorSaved: raw.errorSaved,
  errorExpected: raw.errorExpected,
  errorInput: raw.errorInput,
  fill: guarded(raw.fill), // inside a dual level both may allocate a tangent
  copyIntoTensor: guarded(raw.copyIntoTensor),
  isContiguous: raw.isContiguous,
  strideOfDim: raw.strideOfDim,
  storageOffset: raw.storageOffset,
  rootTensor: raw.rootTensor,
  sharesStorage: raw.sharesStorage,
  isStaleView: raw.isStaleView,
  currentHistory: raw.currentHistory,
  addInPlace: raw.addInPlace,
  mulInPlace: raw.mulInPlace,
  indexOutOfRange: guarded(raw.indexOutOfRange),
  lastBadIndex: raw.lastBadIndex,
  collectHistoryCycles: raw.collectHistoryCycles,
  enterDualLevel: raw.enterDualLevel,
  exitDualLevel: raw.exitDualLevel,
  inDualLevel: raw.inDualLevel,
  makeDual: guarded(raw.makeDual),
  tangentOf: guarded(raw.tangentOf),
  primalOf: guarded(raw.primalOf),
  pushTangents: raw.pushTangents,
  hasTangent: raw.hasTangent,
  batchOf: raw.batchOf,
  setBatch: raw.setBatch,
  adoptCopy: guarded(raw.adoptCopy),
  setTangentOf: guarded(raw.setTangentOf),
};

// Inside vmap (batching.ts) every op goes through its batching rule, which calls the entry
// point with the batched operands.
export type BatchHook = (op: OpName, entry: Fn, args: number[]) => number;
let batchHook: BatchHook | null = null;

/** Routes every op through hook (vmap), or straight to the core again (null). */
export function setBatchHook(hook: BatchHook | null): void {
  batchHook = hook;
}

// An op's entry point: guarded, and through the batching hook when one is set. Fixed
// arguments (an op's inputs and parameters, at most eight), as guarded's.
function opEntry(fn: Fn, op: OpName): Fn {
  const entry = guarded(fn);
  const count = fn.length;
  type A = number;
  return ((a: A, b: A, c: A, d: A, e: A, f: A, g: A, h: A) => {
    if (batchHook === null) return (entry as (...x: A[]) => number)(a, b, c, d, e, f, g, h);
    return batchHook(op, entry, [a, b, c, d, e, f, g, h].slice(0, count));
  }) as unknown as Fn;
}

/** The entry point of every op of the table (op<Name>); each allocates its result. */
export const ops: CoreOps = bindOps(exported as Record<string, Fn>, opEntry);

/** The numeric value of an `Op.<name>` enum member exported by the core. */
export function opCode(name: string): number | undefined {
  const g = exported[`Op.${name}`];
  return g instanceof WebAssembly.Global ? (g.value as number) : undefined;
}

/** Names of every op the core defines (its `Op` enum, minus the None/Count markers). */
export function coreOpNames(): string[] {
  return Object.keys(exported)
    .filter((k) => k.startsWith("Op.") && k !== "Op.None" && k !== "Op.Count")
    .map((k) => k.slice(3));
}

// Views over linear memory. memory.grow detaches every view, so each accessor checks.
let f32 = new Float32Array(core.memory.buffer);
let f64 = new Float64Array(core.memory.buffer);
let i32 = new Int32Array(core.memory.buffer);
let u8 = new Uint8Array(core.memory.buffer);

export function heapF32(): Float32Array {
  if (f32.buffer !== core.memory.buffer) f32 = new Float32Array(core.memory.buffer);
  return f32;
}

export function heapF64(): Float64Array {
  if (f64.buffer !== core.memory.buffer) f64 = new Float64Array(core.memory.buffer);
  return f64;
}

export function heapI32(): Int32Array {
  if (i32.buffer !== core.memory.buffer) i32 = new Int32Array(core.memory.buffer);
  return i32;
}

export function heapU8(): Uint8Array {
  if (u8.buffer !== core.memory.buffer) u8 = new Uint8Array(core.memory.buffer);
  return u8;
}

/** The view of linear memory for elements of `dtype`, and the index of tensor t's first. */
export function heapOf(dtype: DType): AnyTypedArray {
  switch (dtype) {
    case "float32": return heapF32();
    case "float64": return heapF64();
    case "int32": return heapI32();
    case "bool": return heapU8();
  }
}

export function dataIndex(t: number, dtype: DType): number {
  return core.dataPointer(t) / ITEM_SIZE[dtype];
}

const scratch = core.scratchPointer() >>> 2;
export const SCRATCH_INTS = 1024;

/** Writes a shape into the core's scratch area (from int `at`); the next call reads it. */
export function writeScratch(values: readonly number[], at = 0): void {
  const view = heapI32();
  for (let i = 0; i < values.length; i++) view[scratch + at + i] = values[i];
}

/** Reads `count` i32s from the scratch area at `offset`. */
export function readScratch(offset: number, count: number): number[] {
  const view = heapI32();
  return Array.from(view.subarray(scratch + offset, scratch + offset + count));
}

export const scratchByteOffset = core.scratchPointer();
