// wg.autograd.Function, as PyTorch's torch.autograd.Function: a subclass writes static
// forward(ctx, ...args) and backward(ctx, ...grads), and is called as MyFn.apply(...args).
// forward runs without recording; its output becomes one node of the graph (MyFnBackward)
// whose backward the engine calls back into (core.setCustomRunner): the user's backward,
// recorded when create_graph asks for it, gives one gradient per argument of forward.
// Inside a dual level forward runs without tangents, and the output's tangent is the one
// the optional static jvp(ctx, ...tangents) gives.

import { Tensor } from "./tensor.js";
import { core, heapI32, keepingScratch, reportHookFailure, scratchByteOffset, setCustomRunner, sweepRetainsGraph, SCRATCH_INTS } from "./core.js";
import { is_grad_enabled, no_grad } from "./autograd.js";
import { zeros } from "./create.js";
import { handleFor } from "./lifetime.js";
import { describe, formatShape } from "./shape.js";
import { isFloating } from "./dtype.js";
import { customNames } from "./graph-nodes.js";

/** What forward and backward share: saved tensors and anything else set on it. */
export class FunctionCtx {
  /** @internal */
  _nonDifferentiable = new Set<Tensor>();
  /** @internal the saved tensors' core ids, each holding a reference */
  _saved: number[] = [];
  /** @internal the tensors save_for_forward kept, for jvp */
  _forSaved: Tensor[] | null = null;
  [key: string]: unknown;

  /** Per argument of forward: whether it is a tensor whose gradient backward must give. */
  constructor(readonly needs_input_grad: readonly boolean[]) {}

  /**
   * Keeps tensors for backward, as they are (with their history, so that create_graph can
   * differentiate through them) and whatever happens to their handles meanwhile.
   */
  save_for_backward(...tensors: Tensor[]): void {
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`save_for_backward(): argument ${i} is ${describe(t)}, not a Tensor`);
    });
    this._release();
    this._saved = tensors.map((t) => {
      const id = t._live("save_for_backward");
      core.retainTensor(id);
      return id;
    });
  }

  /** The tensors save_for_backward kept (in jvp: those save_for_forward kept, if any). */
  get saved_tensors(): Tensor[] {
    if (this._forSaved !== null) return this._forSaved;
    return this._saved.map(handleFor); // a new handle where the one saved was disposed
  }

  /** Keeps tensors for jvp, which reads them as ctx.saved_tensors. */
  save_for_forward(...tensors: Tensor[]): void {
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`save_for_forward(): argument ${i} is ${describe(t)}, not a Tensor`);
    });
    this._forSaved = tensors;
  }

  /** Marks outputs that have no gradient (indices, masks): they do not require grad. */
  mark_non_differentiable(...tensors: Tensor[]): void {
    for (const t of tensors) this._nonDifferentiable.add(t);
  }

  /** @internal Drops the references of the saved tensors. */
  _release(): void {
    for (const id of this._saved) core.releaseTensor(id);
    this._saved = [];
  }
}

interface FunctionClass {
  name: string;
  forward(ctx: FunctionCtx, ...args: never[]): unknown;
  backward(ctx: FunctionCtx, ...grads: Tensor[]): unknown;
  jvp(ctx: FunctionCtx, ...tangents: unknown[]): unknown;
}

// inputs: per tensor argument, its position among the arguments, its core id (which the
// node itself keeps alive), shape and dtype
interface Input { arg: number; id: number; shape: number[]; dtype: Tensor["dtype"] }
interface Node { fn: FunctionClass; ctx: FunctionCtx; args: number; inputs: Input[] }
// the custom nodes by core id, until their backward has run (or the id is used again)
const nodes = new Map<number, Node>();

/** The base of custom autograd functions. */
export class Function {
  /** The computation, on the arguments given to apply() (tensors are not recorded here). */
  static forward(ctx: FunctionCtx, ...args: unknown[]): unknown {
    void ctx; void args;
    throw new Error(`${this.name}: forward is not implemented; write static forward(ctx, ...args) in the subclass`);
  }

  /** The gradients of forward's arguments (one per argument, null for none) from its output's. */
  static backward(ctx: FunctionCtx, ...grads: Tensor[]): unknown {
    void ctx; void grads;
    throw new Error(`${this.name}: backward is not implemented; write static backward(ctx, grad) in the subclass`);
  }

  /**
   * The output's tangent from the inputs' (forward mode): one argument per argument of
   * forward, a tangent for each tensor (zeros where it has none) and null for the others.
   */
  static jvp(ctx: FunctionCtx, ...tangents: unknown[]): unknown {
    void ctx; void tangents;
    throw new Error(`${this.name}: jvp is not implemented. You must implement the jvp function if you plan to use ` +
      "forward mode AD: write static jvp(ctx, ...tangents) in the subclass");
  }

  /** Runs forward(ctx, ...args) and records its output as a node of the graph. */
  static apply(this: FunctionClass, ...args: unknown[]): Tensor {
    const name = this.name;
    const recording = is_grad_enabled();
    const inputs = args.flatMap((a, i): [number, Tensor][] => (a instanceof Tensor ? [[i, a]] : []));
    const ctx = new FunctionCtx(args.map((a) => recording && a instanceof Tensor && a.requires_grad));
    const dual = core.inDualLevel() !== 0 && inputs.some(([, t]) => core.hasTangent(t._live(`${name}.apply`)) !== 0);
    let out: unknown;
    if (dual) core.pushTangents(false); // the output's tangent is jvp's, not forward's ops'
    try {
      out = no_grad(() => this.forward(ctx, ...(args as never[])));
    } catch (error) {
      throw withContext(error, `${name}.forward()`);
    } finally {
      if (dual) core.pushTangents(true);
    }
    if (!(out instanceof Tensor)) {
      throw new TypeError(`${name}.forward() must return a Tensor, got ${describe(out)} (Functions of several outputs are not supported)`);
    }
    const owned = (t: Tensor) => (inputs.some(([, x]) => x === t) || t._base !== null || !t.is_leaf ? no_grad(() => t.clone()) : t);
    if (!recording || ctx._nonDifferentiable.has(out) || !isFloating(out.dtype) || !inputs.some(([, t]) => t.requires_grad)) {
      const result = dual && isFloating(out.dtype) && !ctx._nonDifferentiable.has(out) ? withTangent(this, ctx, args, owned(out)) : out;
      ctx._release(); // no backward will read them
      return result;
    }
    // the node needs a tensor of its own: a copy when forward returned an argument or a view
    const result = owned(out);
    if (dual) withTangent(this, ctx, args, result);
    if (inputs.length > SCRATCH_INTS) throw new RangeError(`${name}.apply(): at most ${SCRATCH_INTS} tensor arguments are supported`);
    const scratch = heapI32(), base = scratchByteOffset >>> 2;
    inputs.forEach(([, t], k) => { scratch[base + k] = t._live(`${name}.apply`); });
    const id = result._live(`${name}.apply`);
    core.recordCustom(id, inputs.length);
    nodes.set(id, {
      fn: this, ctx, args: args.length,
      inputs: inputs.map(([arg, t]) => ({ arg, id: t._live(`${name}.apply`), shape: t.shape, dtype: t.dtype })),
    });
    customNames.set(id, `${name}Backward`);
    return result;
  }
}

// Gives out the tangent fn.jvp computes from the arguments' tangents; returns out.
function withTangent(fn: FunctionClass, ctx: FunctionCtx, args: unknown[], out: Tensor): Tensor {
  const name = fn.name;
  const tangents = args.map((a) => {
    if (!(a instanceof Tensor)) return null;
    const t = core.tangentOf(a._live(`${name}.apply`));
    return t === 0 ? zeros(a.shape, { dtype: a.dtype }) : new Tensor(t, a.shape, a.dtype, core.isContiguous(t) !== 0);
  });
  let given: unknown;
  try {
    given = fn.jvp(ctx, ...tangents);
  } catch (error) {
    throw withContext(error, `${name}.jvp()`);
  } finally {
    ctx._forSaved = null;
  }
  if (!(given instanceof Tensor)) throw new TypeError(`${name}.jvp() must return a Tensor, got ${describe(given)}`);
  if (given.shape.join() !== out.shape.join()) {
    throw new Error(`${name}.jvp() returned a tangent of shape ${formatShape(given.shape)} for an output of shape ${formatShape(out.shape)}`);
  }
  const typed = given.dtype === out.dtype ? given : given.to(out.dtype);
  core.setTangentOf(out._live(`${name}.apply`), typed._live(`${name}.jvp`));
  return out;
}

// An error from the user's code, with the Function's name in front.
function withContext(error: unknown, where: string): unknown {
  if (error instanceof Error && !error.message.startsWith(where)) error.message = `${where}: ${error.message}`;
  return error;
}

// The engine's call for custom node t with its output's gradient g: runs backward and hands
// each input's gradient to the core.
setCustomRunner((t: number, g: number): number => {
  const node = nodes.get(t);
  if (node === undefined) {
    reportHookFailure(new Error("a custom Function's node has no context any more (was it differentiated already?)"));
    return -1;
  }
  const { fn, ctx, inputs } = node;
  const name = `${fn.name}Backward`;
  return keepingScratch(() => {
    try {
      const grad = handleFor(g);
      let given: unknown;
      try {
        given = fn.backward(ctx, grad);
      } catch (error) {
        throw withContext(error, `${fn.name}.backward()`);
      }
      const list = Array.isArray(given) ? given : [given];
      if (list.length !== node.args) {
        throw new Error(`function ${name} returned an incorrect number of gradients (expected ${node.args}, got ${list.length})`);
      }
      inputs.forEach(({ arg, id, shape: inputShape, dtype }, k) => {
        if (!ctx.needs_input_grad[arg] || !core.requiresGradOf(id)) return;
        let gi = list[arg];
        if (gi === null || gi === undefined) gi = zeros(inputShape, { dtype }); // PyTorch's None: no contribution
        if (!(gi instanceof Tensor)) throw new TypeError(`function ${name} returned ${describe(gi)} as the gradient of argument ${arg}, expected a Tensor or null`);
        if (gi.shape.join() !== inputShape.join()) {
          throw new Error(`function ${name} returned an invalid gradient at index ${arg} - got ${formatShape(gi.shape)} ` +
            `but expected shape compatible with ${formatShape(inputShape)}`);
        }
        const typed = gi.dtype === dtype ? gi : gi.to(dtype);
        core.setCustomGrad(k, typed._live(name));
      });
      if (!sweepRetainsGraph()) {
        nodes.delete(t);
        ctx._release();
      }
      return 0;
    } catch (error) {
      reportHookFailure(error);
      return -1;
    }
  });
});
