// The backward graph as JavaScript sees it, as PyTorch shows it: a tensor's grad_fn is the
// node of the op that made it, whose next_functions are the nodes its gradient flows to
// (another op's node, AccumulateGrad for a leaf that requires grad, or null for an input
// that needs none). The links are read from the core's graph when asked for.

import { Tensor } from "./tensor.js";
import { core } from "./core.js";
import { OPS, type OpName } from "./generated/ops.js";
import { DTYPES, isFloating } from "./dtype.js";
import { handleFor } from "./lifetime.js";

/** A node of the backward graph: grad_fn, or the AccumulateGrad of a leaf. */
export interface GradFn {
  /** The node's name, as PyTorch's grad_fn.name() (MulBackward, AccumulateGrad, ...). */
  name(): string;
  /** Where the gradient goes next: one [node, 0] per differentiable input ([null, 0] when it needs none). */
  readonly next_functions: readonly (readonly [GradFn | null, number])[];
}

interface OpInfo { name: string; inputs: readonly string[] }
const OP_BY_CODE = new Map<number, OpInfo>();
for (const op of Object.keys(OPS) as OpName[]) {
  const { code, gradFn, inputs } = OPS[op];
  if (gradFn !== null) OP_BY_CODE.set(code, { name: gradFn, inputs });
}
const CUSTOM = OPS.Custom.gradFn;
/** @internal The names of custom Functions' nodes (MyFnBackward), by node id (kept until the id is reused). */
export const customNames = new Map<number, string>();

/** The grad_fn name of an op code (for messages about a node). */
export function gradFnName(code: number): string | undefined {
  return OP_BY_CODE.get(code)?.name;
}

// Inputs some internal ops take only for their geometry: not graph inputs.
const GEOMETRY_ONLY = new Set(["view", "template", "like"]);

/** The node of the op that made a tensor (its grad_fn). */
export class Node implements GradFn {
  /** @internal */
  constructor(readonly _output: Tensor, private readonly _id: number, private readonly _op: OpInfo) {}

  name(): string {
    return (this._op.name === CUSTOM ? customNames.get(this._id) : undefined) ?? this._op.name;
  }

  /** The shape of the tensor this node made. */
  get shape(): number[] {
    return this._output.shape;
  }

  /** The inputs whose gradients this node computes, with the graph's node for each. */
  get next_functions(): (readonly [GradFn | null, number])[] {
    return this._inputs().map((t) => [t === null ? null : gradFnOrAccumulator(t), 0] as const);
  }

  /** @internal The differentiable inputs (null for one that needs no gradient), by name. */
  _inputs(): (Tensor | null)[] {
    this._check();
    return gradientInputs(this._id, this._op).map((id) => (core.requiresGradOf(id) ? handleFor(id) : null));
  }

  /** @internal What the node saved for backward, by the op table's names ("result" for its output). */
  _saved(): [string, Tensor][] {
    this._check();
    const mask = core.savedMaskOf(this._id), out: [string, Tensor][] = [];
    for (let i = 0; i < core.inputCount(this._id); i++) {
      if (mask & (1 << i)) out.push([inputName(this._op, i), handleFor(core.inputAt(this._id, i))]);
    }
    if (mask & (1 << 30)) out.push(["result", this._output]);
    return out;
  }

  private _check(): void {
    if (this._output._id !== this._id) {
      throw new Error(`${this._op.name}: this node is no longer in the graph (its tensor was disposed or written in place)`);
    }
  }

  toString(): string {
    return `<${this.name()} object>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// ops of many inputs (cat, stack) name one list of them
const inputName = (op: OpInfo, i: number) => op.inputs[Math.min(i, op.inputs.length - 1)] ?? "input";

// The core ids of the inputs of node id whose gradients its backward rule computes.
function gradientInputs(id: number, op: OpInfo): number[] {
  const out: number[] = [];
  for (let i = 0; i < core.inputCount(id); i++) {
    if (GEOMETRY_ONLY.has(inputName(op, i))) continue;
    const input = core.inputAt(id, i);
    if (!isFloating(DTYPES[core.dtypeCode(input)])) continue; // indices and masks carry no gradient
    out.push(input);
  }
  return out;
}

/**
 * @internal Whether a leaf that requires grad, other than those of `leaves` (core ids), is
 * reached from t through the backward graph: whether t's gradient would flow anywhere else.
 */
export function reachesOtherLeaf(t: Tensor, leaves: ReadonlySet<number>): boolean {
  const start = t._live("graph");
  const seen = new Set<number>([start]), todo = [start];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (!core.requiresGradOf(id)) continue;
    if (core.isLeafTensor(id)) {
      if (!leaves.has(id)) return true;
      continue;
    }
    const op = OP_BY_CODE.get(core.opOf(id));
    if (op === undefined) return true; // a node this walk cannot read: assume the worst
    for (const input of gradientInputs(id, op)) {
      if (!seen.has(input)) {
        seen.add(input);
        todo.push(input);
      }
    }
  }
  return false;
}

/** Where the gradient of a leaf that requires grad accumulates (into .grad). */
export class AccumulateGrad implements GradFn {
  readonly next_functions: readonly (readonly [GradFn | null, number])[] = [];

  /** @internal */
  constructor(readonly variable: Tensor) {}

  name(): string {
    return "AccumulateGrad";
  }

  toString(): string {
    return "<AccumulateGrad object>";
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

const nodes = new WeakMap<Tensor, Node>();
const accumulators = new WeakMap<Tensor, AccumulateGrad>();

/** t.grad_fn: the same object each time while t's history is the same. */
export function gradFnOf(t: Tensor): Node | null {
  const id = t._live("grad_fn");
  const op = OP_BY_CODE.get(core.opOf(id));
  if (op === undefined) return null;
  const cached = nodes.get(t);
  if (cached !== undefined && cached._output._id === id && cached.name() === op.name) return cached;
  const node = new Node(t, id, op);
  nodes.set(t, node);
  return node;
}

function gradFnOrAccumulator(t: Tensor): GradFn | null {
  if (!t.is_leaf) return gradFnOf(t);
  let acc = accumulators.get(t);
  if (acc === undefined) accumulators.set(t, acc = new AccumulateGrad(t));
  return acc;
}
