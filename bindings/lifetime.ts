// When a handle lets go of its core tensor. Three ways, as the design asks:
// - dispose() (or `using`) releases at once;
// - scope(fn) releases everything created inside fn except what fn returns;
// - otherwise a FinalizationRegistry releases it after the garbage collector drops the
//   handle. Its callbacks run only between tasks, so a long synchronous loop should use
//   scope() or dispose(): nothing is released until the loop yields.

import { core } from "./core.js";
import { Tensor } from "./tensor.js";

const registry = new FinalizationRegistry<number>((id) => core.releaseTensor(id));

// Tensors created inside each active scope, innermost last. Scoped tensors skip the
// registry (about a microsecond each): the scope releases them deterministically.
const scopes: Tensor[][] = [];

/** Takes charge of a new handle. */
export function adopt(t: Tensor): void {
  const current = scopes[scopes.length - 1];
  if (current !== undefined) current.push(t);
  else {
    registry.register(t, t._id, t);
    t._registered = true;
  }
}

/** Releases a handle's core tensor now. */
export function releaseHandle(t: Tensor): void {
  if (t._registered) registry.unregister(t);
  t._registered = false;
  core.releaseTensor(t._id);
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
  if (result instanceof Promise) {
    for (const t of created) adopt(t); // still in use by the pending function
    throw new TypeError("scope(fn): fn returned a Promise, but a scope can only track synchronous code");
  }
  const kept = new Set<unknown>();
  collect(result, kept);
  for (const t of created) {
    if (kept.has(t)) adopt(t); // escapes to the enclosing scope, or to the registry
    else t.dispose();
  }
  return result;
}

/** What the core holds: live tensors, their data bytes, and the wasm memory size. */
export function memory(): { tensors: number; bytes: number; wasmBytes: number } {
  return { tensors: core.liveTensors(), bytes: core.liveBytes(), wasmBytes: core.memory.buffer.byteLength };
}
