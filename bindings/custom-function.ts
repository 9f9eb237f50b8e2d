// wg.autograd.Function, as PyTorch's torch.autograd.Function: a subclass writes static
// forward(ctx, ...args) and backward(ctx, ...grads), and is called as MyFn.apply(...args).
// forward runs without recording; its output becomes one node of the graph (MyFnBackward)
// whose backward the engine calls back into (core.setCustomRunner): the user's backward,
// recorded when create_graph asks for it, gives one gradient per argument of forward.
// Inside a dual level forward runs without tangents, and the output's tangent is the one
// the optional static jvp(ctx, ...tangents) gives.

import { Tensor } from "./tensor.js";
import { core, heapI32, keepingScratch, reportHookFailure, scratchByteOffset, setCustomRunner, setCustomReleaser, addCycleCollector, sweepRetainsGraph, SCRATCH_INTS } from "./core.js";
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
  /** @internal the saved tensors' core ids, each holding a reference (to the data alone where _dataOnly) */
  _saved: number[] = [];
  /** @internal per saved tensor: whether it is the call's output, held by its data alone */
  _dataOnly: boolean[] = [];
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

  /**
   * @internal A saved output is the custom node itself: a reference to its slot would keep
   * the node alive from the node's own context, a cycle that nothing releases. Only its data
   * is held; the slot lives as long as the node, which is as long as backward can run
   * (PyTorch saves outputs without owning their grad_fn for the same reason). A call of
   * several outputs, whose nodes are separate, holds them whole (one output's backward may
   * read another whose node is gone); the collector below frees it once only its context
   * holds them.
   */
  _holdOutputData(output: number): void {
    this._saved.forEach((id, i) => {
      if (id !== output || this._dataOnly[i]) return;
      this._dataOnly[i] = true;
      core.releaseTensorSlot(id);
    });
  }

  /** @internal How many of its references to t's slot it holds. */
  _holdsOf(t: number): number {
    return this._saved.filter((id, i) => id === t && !this._dataOnly[i]).length;
  }

  /** @internal Drops the references of the saved tensors. */
  _release(): void {
    const saved = this._saved, dataOnly = this._dataOnly;
    this._saved = []; // first: freeing a saved output may release this context again
    this._dataOnly = [];
    saved.forEach((id, i) => (dataOnly[i] ? core.releaseTensorData(id) : core.releaseTensor(id)));
  }
}

interface FunctionClass {
  name: string;
  forward(ctx: FunctionCtx, ...args: never[]): unknown;
  backward(ctx: FunctionCtx, ...grads: Tensor[]): unknown;
  jvp(ctx: FunctionCtx, ...tangents: unknown[]): unknown;
}

// inputs: per tensor argument, its position among the arguments, its core id (which the
// node itself keeps alive), shape and dtype. A call of several outputs makes a node per
// differentiable output, sharing one call: each node's backward runs the user's with its
// output's gradient and zeros for the others (backward is linear in them), and the saved
// tensors are released once every node has run.
interface Input { arg: number; id: number; shape: number[]; dtype: Tensor["dtype"] }
/** What apply returns: an array when forward returns one, else the tensor. */
type Outputs<C extends FunctionClass> = ReturnType<C["forward"]> extends readonly unknown[] ? Tensor[] : Tensor;
interface CallOf { fn: FunctionClass; ctx: FunctionCtx; args: number; inputs: Input[]; outputs: Input[]; pending: number }
interface Node { call: CallOf; output: number }
// the custom nodes by core id, until their backward has run or the core drops them
const nodes = new Map<number, Node>();
// Calls of several outputs whose context holds some of them: held by their own context (a
// cycle through `nodes`), they are released once nothing else holds any output's node.
const holdingOutputs = new Set<CallOf>();

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
   * The output's tangent (an array of them for several outputs) from the inputs' (forward
   * mode): one argument per argument of forward, a tangent for each tensor (zeros where it
   * has none) and null for the others.
   */
  static jvp(ctx: FunctionCtx, ...tangents: unknown[]): unknown {
    void ctx; void tangents;
    throw new Error(`${this.name}: jvp is not implemented. You must implement the jvp function if you plan to use ` +
      "forward mode AD: write static jvp(ctx, ...tangents) in the subclass");
  }

  /**
   * Runs forward(ctx, ...args) and records its output (a tensor, or an array of them) as a
   * node of the graph.
   */
  static apply<C extends FunctionClass>(this: C, ...args: unknown[]): Outputs<C> {
    const name = this.name;
    const recording = is_grad_enabled();
    const inputs = args.flatMap((a, i): [number, Tensor][] => (a instanceof Tensor ? [[i, a]] : []));
    const ctx = new FunctionCtx(args.map((a) => recording && a instanceof Tensor && a.requires_grad));
    const dual = core.inDualLevel() !== 0 && inputs.some(([, t]) => core.hasTangent(t._live(`${name}.apply`)) !== 0);
    let out: unknown;
    if (dual) core.pushTangents(false); // the outputs' tangents are jvp's, not forward's ops'
    try {
      out = no_grad(() => this.forward(ctx, ...(args as never[])));
    } catch (error) {
      throw withContext(error, `${name}.forward()`);
    } finally {
      if (dual) core.pushTangents(true);
    }
    const many = Array.isArray(out);
    const outs = (many ? out : [out]) as unknown[];
    outs.forEach((o, i) => {
      if (!(o instanceof Tensor)) {
        throw new TypeError(`${name}.forward() must return a Tensor or an array of Tensors, got ${describe(o)}${many ? ` at index ${i}` : ""}`);
      }
    });
    if (outs.length === 0) throw new TypeError(`${name}.forward() returned no tensors`);
    const differentiable = (outs as Tensor[]).map((o) => isFloating(o.dtype) && !ctx._nonDifferentiable.has(o));
    const records = recording && inputs.some(([, t]) => t.requires_grad) && differentiable.some(Boolean);
    // each output that becomes a node (or gets a tangent) needs a tensor of its own: a copy
    // when forward returned an argument, a view, or the same tensor twice
    const results = (outs as Tensor[]).map((o, i) => (differentiable[i] && (records || dual) &&
      (inputs.some(([, x]) => x === o) || o._base !== null || !o.is_leaf || outs.indexOf(o) !== i) ? no_grad(() => o.clone()) : o));
    if (dual) withTangents(this, ctx, args, results, differentiable);
    const returned = (many ? results : results[0]) as Outputs<C>;
    if (!records) {
      ctx._release(); // no backward will read them
      return returned;
    }
    if (inputs.length > SCRATCH_INTS) throw new RangeError(`${name}.apply(): at most ${SCRATCH_INTS} tensor arguments are supported`);
    const describeTensor = ([arg, t]: [number, Tensor]): Input => ({ arg, id: t._live(`${name}.apply`), shape: t.shape, dtype: t.dtype });
    const call: CallOf = {
      fn: this, ctx, args: args.length, inputs: inputs.map(describeTensor),
      outputs: results.map((r, i) => describeTensor([i, r])), pending: 0,
    };
    const recorded: number[] = [];
    results.forEach((result, output) => {
      if (!differentiable[output]) return;
      const scratch = heapI32(), base = scratchByteOffset >>> 2;
      inputs.forEach(([, t], k) => { scratch[base + k] = t._live(`${name}.apply`); });
      const id = result._live(`${name}.apply`);
      core.recordCustom(id, inputs.length);
      nodes.set(id, { call, output });
      recorded.push(id);
      customNames.set(id, `${name}Backward`);
      call.pending++;
    });
    if (recorded.length === 1) ctx._holdOutputData(recorded[0]);
    else if (recorded.some((id) => ctx._holdsOf(id) > 0)) holdingOutputs.add(call);
    return returned;
  }
}

// Gives each differentiable output the tangent fn.jvp computes from the arguments' tangents.
function withTangents(fn: FunctionClass, ctx: FunctionCtx, args: unknown[], outs: Tensor[], differentiable: boolean[]): void {
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
  const list = outs.length === 1 && !Array.isArray(given) ? [given] : given;
  if (!Array.isArray(list) || list.length !== outs.length) {
    throw new TypeError(`${name}.jvp() must return one tangent per output of forward (${outs.length}), got ${describe(given)}`);
  }
  outs.forEach((out, i) => {
    const t = list[i];
    if (!differentiable[i] || t === null || t === undefined) return;
    if (!(t instanceof Tensor)) throw new TypeError(`${name}.jvp() must return Tensors, got ${describe(t)} at index ${i}`);
    if (t.shape.join() !== out.shape.join()) {
      throw new Error(`${name}.jvp() returned a tangent of shape ${formatShape(t.shape)} for an output of shape ${formatShape(out.shape)}`);
    }
    const typed = t.dtype === out.dtype ? t : t.to(out.dtype);
    core.setTangentOf(out._live(`${name}.apply`), typed._live(`${name}.jvp`));
  });
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
  const { call, output } = node;
  const { fn, ctx, inputs } = call;
  const name = `${fn.name}Backward`;
  return keepingScratch(() => {
    try {
      const grads = call.outputs.map((o, i) => (i === output ? handleFor(g) : zeros(o.shape, { dtype: o.dtype })));
      let given: unknown;
      try {
        given = fn.backward(ctx, ...grads);
      } catch (error) {
        throw withContext(error, `${fn.name}.backward()`);
      }
      const list = Array.isArray(given) ? given : [given];
      if (list.length !== call.args) {
        throw new Error(`function ${name} returned an incorrect number of gradients (expected ${call.args}, got ${list.length})`);
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
        if (--call.pending === 0) release(call); // every output's node has run
      }
      return 0;
    } catch (error) {
      reportHookFailure(error);
      return -1;
    }
  });
});

// The core dropped custom node t's graph: released before (or without) a backward through
// it, or swept by one. Once no output's node is left, nothing will read the context's saved
// tensors; once the slot is freed, nothing will ask for the node's name.
setCustomReleaser((t: number, freed: boolean): void => {
  if (freed) customNames.delete(t);
  const node = nodes.get(t);
  if (node === undefined) return; // its backward has run
  nodes.delete(t);
  if (--node.call.pending === 0) release(node.call);
});

function release(call: CallOf): void {
  holdingOutputs.delete(call);
  call.ctx._release();
}

// A call whose output nodes are referenced by its context alone can never be differentiated
// again: its context lets them go (and their slots, then their nodes, are freed).
addCycleCollector(() => {
  for (const call of holdingOutputs) {
    const { ctx } = call;
    const live = call.outputs.filter(({ id }) => nodes.get(id)?.call === call);
    if (live.every(({ id }) => core.refsOf(id) === ctx._holdsOf(id))) release(call);
  }
});
