// Grad mode and the entry points of the reverse sweep: Tensor.backward() and the
// functional grad(). Both check everything first, then make one call into the core.

import { core, collectCycles, ops, heapI32, scratchByteOffset, SCRATCH_INTS, takeHookFailure, setSweepRetainsGraph } from "./core.js";
import { aligned, isBatched, physicalShape } from "./batching.js";
import { Tensor, allocate, type TensorLike } from "./tensor.js";
import { describe, fail, formatShape, sameShape } from "./shape.js";
import { gradFnName } from "./graph-nodes.js";
import { DTYPES, type DType } from "./dtype.js";

const TITLE: Record<DType, string> = { float32: "Float32", float64: "Float64", int32: "Int32", bool: "Bool" };
import { type OptionSpec, checkOptions } from "./options.js";

export interface BackwardOptions {
  /** Keep saved values so the graph can be swept again. Defaults to create_graph. */
  retain_graph?: boolean;
  /** Record the backward pass itself, for higher-order derivatives. */
  create_graph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** Gradients of the outputs (required for non-scalar outputs). */
  grad_outputs?: TensorLike | null | (TensorLike | null)[];
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allow_unused?: boolean;
}

const BACKWARD_OPTIONS: OptionSpec<keyof BackwardOptions> = { retain_graph: "boolean", create_graph: "boolean" };
const GRAD_OPTIONS: OptionSpec<keyof GradOptions> = {
  grad_outputs: {
    expected: "a Tensor, a number, null or an array of them",
    test: (v) => v === null || typeof v === "number" || v instanceof Tensor || Array.isArray(v),
  },
  retain_graph: "boolean",
  create_graph: "boolean",
  allow_unused: "boolean",
};

const ERR_FREED = 1;
const ERR_MODIFIED = 2;
const ERR_RULE = 3;
const ERR_HOOK = 4;
let sweeping = false; // the engine runs one sweep at a time
const MAX_ROOTS = SCRATCH_INTS / 4;
const CAPTURE_OFFSET = SCRATCH_INTS / 2; // in ints: roots use the first half of scratch

/** Runs fn with gradient recording off (PyTorch's torch.no_grad()). Returns fn's result. */
export function no_grad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with gradient recording on, even inside no_grad. */
export function enable_grad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function is_grad_enabled(): boolean {
  return core.isGradEnabled() !== 0;
}

/** Turns gradient recording on or off until changed again. */
export function set_grad_enabled(on: boolean): void {
  core.setGradEnabled(on);
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  if (typeof fn !== "function") throw new TypeError(`expected a function, got ${describe(fn)}`);
  const previous = core.isGradEnabled() !== 0;
  core.setGradEnabled(on);
  let result: T;
  try {
    result = fn();
  } finally {
    core.setGradEnabled(previous);
  }
  if (result instanceof Promise) {
    throw new TypeError(`${on ? "enable_grad" : "no_grad"}(fn): fn returned a Promise, but grad mode ` +
      "only covers synchronous code; await inside and wrap each synchronous part instead");
  }
  return result;
}

/** Seed gradient ids for each root, checked against the roots' shapes. `temps` collects the ones made here. */
function seeds(op: string, roots: Tensor[], gradients: (TensorLike | null)[], temps: number[]): number[] {
  return roots.map((root, i) => {
    const given = gradients[i] ?? null;
    if (given === null || typeof given === "number") {
      if (root.numel() !== 1) {
        fail(op, given === null
          ? `grad can be implicitly created only for scalar outputs; output ${i} has shape ` +
            `${formatShape(root._shape)}: pass a gradient of that shape, or reduce it first (e.g. .sum())`
          : `Mismatch in shape: grad_output[${i}] is a number and output[${i}] has a shape of ${formatShape(root._shape)}`);
      }
      const id = allocate(isBatched(root._live(op)) ? physicalShape(root._live(op)) : root._shape, root._dtype); // per example under vmap
      core.fill(id, given ?? 1);
      temps.push(id);
      return id;
    }
    if (!(given instanceof Tensor)) {
      throw new TypeError(`${op}(): gradient must be a Tensor, a number or null, got ${describe(given)}`);
    }
    if (given._dtype !== root._dtype) {
      fail(op, `Mismatch in dtype: grad_output[${i}] has a dtype of ${given._dtype} and output[${i}] ` +
        `has a dtype of ${root._dtype}; convert it with .to("${root._dtype}")`);
    }
    if (!sameShape(given._shape, root._shape)) {
      fail(op, `Mismatch in shape: grad_output[${i}] has a shape of ${formatShape(given._shape)} ` +
        `and output[${i}] has a shape of ${formatShape(root._shape)}`);
    }
    const rootLevels = core.batchOf(root._live(op)), givenLevels = core.batchOf(given._live(op));
    if (isBatched(given._live(op)) && (givenLevels & ~rootLevels) !== 0) {
      fail(op, `vmap: grad_output[${i}] is batched where output[${i}] is not: differentiate a function of batched inputs instead`);
    }
    if (given._contiguous && givenLevels === rootLevels) return given._live(op);
    const laid = givenLevels === rootLevels ? given._live(op) : aligned(given._live(op), rootLevels, 0, true);
    const copy = ops.opContiguous(laid); // the sweep adds seeds as contiguous data, laid out as their roots
    if (laid !== given._live(op)) core.releaseTensor(laid);
    temps.push(copy);
    return copy;
  });
}

function sweep(op: string, roots: Tensor[], gradients: (TensorLike | null)[], options: BackwardOptions,
               capturing: boolean): void {
  if (roots.length > MAX_ROOTS) fail(op, `at most ${MAX_ROOTS} outputs per call are supported`);
  if (sweeping) fail(op, "can't run a backward pass from inside another one (in a hook or a custom Function's backward)");
  roots.forEach((root, i) => {
    if (!(root instanceof Tensor)) throw new TypeError(`${op}(): outputs must be Tensors, got ${describe(root)}`);
    if (!core.requiresGradOf(root._live(op))) {
      fail(op, `element ${i} of tensors does not require grad and does not have a grad_fn`);
    }
  });
  const createGraph = options.create_graph ?? false;
  const retainGraph = options.retain_graph ?? createGraph;
  const temps: number[] = [];
  try {
    const ids = seeds(op, roots, gradients, temps);
    const scratch = heapI32();
    const base = scratchByteOffset >>> 2;
    roots.forEach((root, i) => {
      scratch[base + 2 * i] = root._live(op);
      scratch[base + 2 * i + 1] = ids[i];
    });
    const mode = core.isGradEnabled() !== 0;
    let err: number;
    sweeping = true;
    setSweepRetainsGraph(retainGraph);
    try {
      err = core.backward(roots.length, retainGraph, createGraph, capturing,
        scratchByteOffset + CAPTURE_OFFSET * 4);
    } finally {
      sweeping = false;
      core.setGradEnabled(mode); // the sweep switches it; a trap must not leave it switched
    }
    if (err === ERR_FREED) {
      fail(op, "Trying to backward through the graph a second time (or directly access saved " +
        "tensors after they have already been freed). Saved intermediate values of the graph " +
        "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if " +
        "you need to backward through the graph a second time or if you need to access saved " +
        "tensors after calling backward.");
    }
    if (err === ERR_MODIFIED) {
      const node = core.errorTensor(), saved = core.errorSaved();
      const shape = Array.from({ length: core.rankOf(saved) }, (_, d) => core.dimOf(saved, d));
      fail(op, "one of the variables needed for gradient computation has been modified by an " +
        `inplace operation: [${TITLE[DTYPES[core.dtypeCode(saved)]]} tensor of shape ${formatShape(shape)}], which is used by ` +
        `${gradFnName(core.opOf(node)) ?? "a node"}, is at version ${core.versionOf(saved)}; ` +
        `expected version ${core.errorExpected()} instead.`);
    }
    if (err === ERR_HOOK) throw takeHookFailure();
    if (err === ERR_RULE) {
      const node = core.errorTensor();
      throw new Error(`${op}(): internal error: the backward rule of ${gradFnName(core.opOf(node)) ?? "a node"} ` +
        `gave no gradient of the right shape for its input ${core.errorInput()}; please report this as a bug`);
    }
  } finally {
    for (const id of temps) core.releaseTensor(id);
    collectCycles(); // a sweep may leave in-place histories held only by themselves
  }
}

/** Implements Tensor.backward(). */
export function runBackward(roots: Tensor[], gradients: (TensorLike | null)[], options: BackwardOptions): void {
  checkOptions("backward", options, BACKWARD_OPTIONS);
  sweep("backward", roots, gradients, options, false);
}

/**
 * The gradients of outputs with respect to inputs (PyTorch's torch.autograd.grad).
 * Returns one entry per input and leaves every .grad untouched.
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  checkOptions("grad", options, GRAD_OPTIONS);
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const given = options.grad_outputs;
  const gradOutputs = given === undefined || given === null ? outs.map(() => null)
    : Array.isArray(given) ? given : [given];
  if (gradOutputs.length !== outs.length) {
    fail("grad", `grad_outputs has ${gradOutputs.length} entries for ${outs.length} outputs`);
  }
  if (ins.length > MAX_ROOTS * 2) fail("grad", `at most ${MAX_ROOTS * 2} inputs per call are supported`);
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`grad(): inputs must be Tensors, got ${describe(t)}`);
    if (!core.requiresGradOf(t._live("grad"))) fail("grad", `One of the differentiated Tensors (input ${i}) does not require grad`);
  });
  const scratch = heapI32();
  const captureBase = (scratchByteOffset >>> 2) + CAPTURE_OFFSET;
  ins.forEach((t, i) => {
    core.setCapture(t._live("grad"), i + 1);
    scratch[captureBase + i] = 0;
  });
  try {
    sweep("grad", outs, gradOutputs, options, true);
  } finally {
    ins.forEach((t) => core.setCapture(t._live("grad"), 0));
  }
  const results = ins.map((t, i): Tensor | null => {
    const id = heapI32()[captureBase + i];
    if (id !== 0) core.setBatch(id, core.batchOf(t._live("grad"))); // laid out as the input, batch dims too
    return id === 0 ? null : new Tensor(id, t._shape);
  });
  results.forEach((r, i) => {
    if (r === null && !options.allow_unused) {
      fail("grad", `One of the differentiated Tensors (input ${i}) appears to not have been used in ` +
        "the graph. Set allow_unused=True if this is the desired behavior.");
    }
  });
  return results;
}

