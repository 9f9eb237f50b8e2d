// When a handle lets go of its core tensor.
//
// - dispose() (or `using`) releases at once;
// - scope(fn) releases everything created inside fn except what fn returns;
// - otherwise memory stays bounded by eviction, which needs no garbage-collector callback
//   (a FinalizationRegistry never runs inside a synchronous loop, and costs about a
//   microsecond per registered object). When the core holds more than a budget, every
//   tensor that only its handle holds (no graph uses it, it has no .grad, it is not a leaf
//   that requires grad) and that was not used since the previous pass has its data copied
//   into a Float32Array owned by the handle, and its slot and buffer freed. If the handle
//   was garbage, the copy goes with it; if it is used again, the data comes back.
//   The budget grows with what stays live, so the passes cost O(1) per tensor made.

import { isBatched, batchDims, physicalShape } from "./batching.js";
import { core, collectCycles, heapOf, dataIndex, writeScratch } from "./core.js";
import { DTYPE_CODE, type AnyTypedArray } from "./dtype.js";
import { Tensor } from "./tensor.js";
import { numelOf } from "./shape.js";

/** What an evicted tensor needs to come back as it was. */
export interface Evicted {
  data: AnyTypedArray | number[]; // [value] for one element: cheaper to make than a typed array
  op: number;
  flags: number;
  version: number;
}

const MIN_BUDGET_BYTES = 16 * 1024 * 1024;
const MIN_BUDGET_TENSORS = 8192;

// owners[id] is the handle of core tensor id. It keeps the handle alive until the tensor is
// disposed or evicted: then only the user's own references keep it.
const owners: (Tensor | undefined)[] = [];

/** Eviction passes so far; a handle records the pass number when it is used. */
export let epoch = 1;

// Tensors created inside each active scope, innermost last.
const scopes: Tensor[][] = [];

core.setBudget(MIN_BUDGET_BYTES, MIN_BUDGET_TENSORS);

// Bytes adopted since the core's budget was last checked, a slot counting as 256: the
// check is a call into wasm, so small tensors make one every few hundred.
let unchecked = 0;
const CHECK_EVERY = 64 * 1024;

/** Takes charge of a new handle. */
export function adopt(t: Tensor): void {
  t._used = epoch;
  owners[t._id] = t;
  const current = scopes[scopes.length - 1];
  if (current !== undefined) current.push(t);
  unchecked += 4 * numelOf(t._shape) + 256;
  if (unchecked >= CHECK_EVERY) {
    unchecked = 0;
    if (core.overBudget()) evictIdle();
  }
}

/** The handle of core tensor id, if it has one. */
export function handleOf(id: number): Tensor | undefined {
  return owners[id];
}

/** The handle of core tensor id: its own if it has one, else a new one holding a reference. */
export function handleFor(id: number): Tensor {
  const existing = owners[id];
  if (existing !== undefined) return existing;
  core.retainTensor(id);
  const shape = physicalShape(id).slice(isBatched(id) ? batchDims(id) : 0); // under vmap: per example
  return new Tensor(id, shape, undefined, core.isContiguous(id) !== 0);
}

/** Releases a handle's core tensor now. */
export function releaseHandle(t: Tensor): void {
  const id = t._id;
  t._id = 0;
  t._evicted = null;
  if (id === 0) return;
  if (owners[id] === t) owners[id] = undefined;
  core.releaseTensor(id);
}

/** Gives `to` the core tensor of `from` (which ends up disposed), releasing `to`'s own. */
export function transfer(from: Tensor, to: Tensor): void {
  const id = from._id;
  from._id = 0;
  owners[id] = to;
  releaseHandle(to);
  to._id = id;
  to._used = epoch;
}

function evictIdle(): void {
  const lastPass = epoch++;
  let freshBytes = 0, freshCount = 0;
  for (let id = 1; id < owners.length; id++) {
    const t = owners[id];
    if (t === undefined) continue;
    if (t._used >= lastPass) {
      freshBytes += 4 * core.numelOf(id); // an estimate: the budget is one too
      freshCount++;
      continue;
    }
    if (!core.canEvict(id)) continue;
    const heap = heapOf(t._dtype);
    const start = dataIndex(id, t._dtype), n = core.numelOf(id);
    t._evicted = {
      data: n === 1 ? [heap[start]] : heap.slice(start, start + n),
      op: core.opOf(id),
      flags: core.flagsOf(id),
      version: core.versionOf(id),
    };
    t._id = 0;
    owners[id] = undefined;
    core.releaseTensor(id);
  }
  // What was used since the last pass is judged at the next one; the budget grows with
  // what stays, so a pass runs after at least as much again has been allocated.
  const bytes = core.liveBytes(), count = core.liveTensors();
  core.setBudget(bytes + Math.max(MIN_BUDGET_BYTES, bytes - freshBytes),
    count + Math.max(MIN_BUDGET_TENSORS, count - freshCount));
}

/** Brings an evicted tensor back into the core; returns its new id. */
export function restore(t: Tensor, evicted: Evicted): number {
  writeScratch(t._shape);
  const id = core.restore(t._shape.length, DTYPE_CODE[t._dtype], evicted.op, evicted.flags, evicted.version);
  heapOf(t._dtype).set(evicted.data, dataIndex(id, t._dtype));
  t._id = id;
  t._evicted = null;
  t._used = epoch;
  owners[id] = t;
  return id;
}

/** Adds to `into` every object reachable from value through arrays and plain objects. */
function collect(value: unknown, into: Set<unknown>): void {
  if (value === null || typeof value !== "object" || into.has(value)) return;
  into.add(value);
  if (value instanceof Tensor) return;
  if (Array.isArray(value)) for (const v of value) collect(v, into);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into);
  }
}

/**
 * Runs fn and then releases every tensor created inside it, except the tensors found in
 * its result (a tensor, or arrays and plain objects holding tensors). Like tf.tidy; use it
 * around each step of a hot synchronous loop. fn must be synchronous.
 */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new TypeError(`scope(fn): expected a function, got ${typeof fn}`);
  const created: Tensor[] = [];
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const t of created) t.dispose();
    throw error;
  }
  scopes.pop();
  const outer = scopes[scopes.length - 1];
  if (result instanceof Promise) {
    if (outer !== undefined) outer.push(...created); // still in use by the pending function
    throw new TypeError("scope(fn): fn returned a Promise, but a scope can only track synchronous code");
  }
  const kept = new Set<unknown>();
  collect(result, kept);
  for (const t of created) {
    if (!kept.has(t)) t.dispose();
    else if (outer !== undefined) outer.push(t); // escapes to the enclosing scope
  }
  collectCycles(); // what in-place writes through views or custom Functions left holding only itself
  return result;
}

/**
 * Takes tensors out of every active scope, so that they outlive it (like tf.keep): for
 * state made inside a step that must last, such as an optimizer's buffers or a module's
 * parameters. Returns its argument.
 */
export function keep<T extends Tensor | Tensor[]>(tensors: T): T {
  for (const t of Array.isArray(tensors) ? tensors : [tensors]) {
    if (!(t instanceof Tensor)) throw new TypeError(`keep(): expected a Tensor or an array of Tensors, got ${typeof t}`);
    for (const created of scopes) {
      const i = created.lastIndexOf(t); // a tensor made just now sits near the end
      if (i >= 0) created.splice(i, 1);
    }
  }
  return tensors;
}

/** What the core holds: live tensors, their data bytes, and the wasm memory size. */
export function memory(): { tensors: number; bytes: number; wasmBytes: number } {
  collectCycles();
  return { tensors: core.liveTensors(), bytes: core.liveBytes(), wasmBytes: core.memory.buffer.byteLength };
}
