// wg.autograd.functional, as torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp
// and hvp of a function of tensors, with PyTorch's signatures. All are built on reverse mode
// (grad), as PyTorch's are: jvp and hvp by the double-backward trick, jacobian one reverse
// sweep per output element, or all of them in one batched sweep (vectorize, through vmap).

import { Tensor } from "./tensor.js";
import { enable_grad } from "./autograd.js";
import { prepared, vectorJacobian, standardBasis, mapRows, vmapRows } from "./differentiate.js";
import { lifted } from "./vmap.js";
import { forwardPass, tangentOf, withTangent } from "./dual.js";
import { zeros } from "./create.js";
import { checkOptions } from "./options.js";
import { describe, fail } from "./shape.js";

type Inputs = Tensor | Tensor[];
type Fn = (...args: Tensor[]) => Tensor | Tensor[];

export interface FunctionalOptions {
  /** Record the results' graph, so they can be differentiated again. */
  create_graph?: boolean;
  /** Throw when an output does not depend on an input (instead of giving zeros). */
  strict?: boolean;
}

export interface JacobianOptions extends FunctionalOptions {
  vectorize?: boolean;
  strategy?: "reverse-mode" | "forward-mode";
}

const OPTIONS = { create_graph: "boolean", strict: "boolean" } as const;

function asList(op: string, name: string, value: Inputs): Tensor[] {
  const list = Array.isArray(value) ? value : [value];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}(): ${name}[${i}] is ${describe(t)}, expected a Tensor`);
  });
  return list;
}

// func(...inputs), recorded: what it returned, and its outputs as a list.
function evaluate(op: string, func: Fn, inputs: Tensor[]): { raw: Tensor | Tensor[]; outs: Tensor[] } {
  if (typeof func !== "function") throw new TypeError(`${op}(): func must be a function, got ${describe(func)}`);
  const raw = enable_grad(() => func(...inputs));
  return { raw, outs: asList(op, "the outputs of func", raw) };
}

// v as one tensor (or null, for a single one-element tensor) per tensor of `like`.
function checkV(op: string, v: Inputs | null | undefined, like: Tensor[], what: string): (Tensor | null)[] {
  if (v === undefined || v === null) {
    if (like.length === 1 && like[0].numel() === 1) return [null];
    fail(op, `The vector v can only be None if the ${what} to the user-provided function is a single Tensor with a single element.`);
  }
  const list = asList(op, "v", v);
  if (list.length !== like.length) fail(op, `v has ${list.length} tensors where the ${what} has ${like.length}`);
  list.forEach((t, i) => {
    if (t.shape.join() !== like[i].shape.join()) fail(op, `Mismatch in shape: v[${i}] has shape [${t.shape}] but the ${what} [${i}] has [${like[i].shape}]`);
  });
  return list;
}

// J v for outs of xs, by the double-backward trick: u ↦ uᵀJ is linear in u, and its
// gradient in u along v is J v.
function linearized(op: string, outs: Tensor[], xs: Tensor[], vs: (Tensor | null)[], create: boolean, strict: boolean): Tensor[] {
  const us = outs.map((o) => zeros(o.shape, { dtype: o.dtype, requires_grad: true }));
  const back = enable_grad(() => vectorJacobian(op, outs, xs, us, true, strict));
  return enable_grad(() => vectorJacobian(op, back, us, vs, create, strict));
}

// The result in the structure of the call: one tensor for one tensor given, else an array.
const shaped = (given: Inputs, list: Tensor[]) => (Array.isArray(given) ? list : list[0]);

/** [func(inputs), vᵀ J]: the vector-Jacobian product at inputs. */
export function vjp(func: Fn, inputs: Inputs, v?: Inputs | null, options: FunctionalOptions = {}): [Tensor | Tensor[], Tensor | Tensor[]] {
  const op = "vjp";
  checkOptions(op, options, OPTIONS);
  const create = options.create_graph ?? false;
  const xs = prepared(asList(op, "inputs", inputs), create);
  const { raw, outs } = evaluate(op, func, xs);
  const grads = vectorJacobian(op, outs, xs, checkV(op, v, outs, "output"), create, options.strict ?? false);
  return [shaped(raw, create ? outs : outs.map((o) => o.detach())), shaped(inputs, grads)];
}

/** [func(inputs), J v]: the Jacobian-vector product, by differentiating vᵀJ's graph in v. */
export function jvp(func: Fn, inputs: Inputs, v?: Inputs | null, options: FunctionalOptions = {}): [Tensor | Tensor[], Tensor | Tensor[]] {
  const op = "jvp";
  checkOptions(op, options, OPTIONS);
  const create = options.create_graph ?? false, strict = options.strict ?? false;
  const given = asList(op, "inputs", inputs);
  const vs = checkV(op, v, given, "input");
  const xs = prepared(given, create);
  const { raw, outs } = evaluate(op, func, xs);
  const products = linearized(op, outs, xs, vs, create, strict);
  return [shaped(raw, create ? outs : outs.map((o) => o.detach())), shaped(raw, products)];
}

/**
 * The Jacobian of func at inputs: for one input and one output a tensor of shape
 * output.shape + input.shape, else arrays (over outputs, then over inputs) as PyTorch's tuples.
 */
export function jacobian(func: Fn, inputs: Inputs, options: JacobianOptions = {}): Tensor | Tensor[] | Tensor[][] {
  const op = "jacobian";
  checkOptions(op, options, { ...OPTIONS, vectorize: "boolean", strategy: { expected: "'reverse-mode'", test: (s) => typeof s === "string" } });
  const forward = (options.strategy ?? "reverse-mode") === "forward-mode";
  if (forward && !options.vectorize) {
    fail(op, "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only implemented for `vectorize=True`.");
  }
  const create = options.create_graph ?? false, strict = options.strict ?? false;
  const xs = prepared(asList(op, "inputs", inputs), create);
  const { raw, outs } = evaluate(op, func, xs);
  const blocks = forward ? forwardBlocks(op, func, xs, outs) : outs.map((out, j) => {
    // vectorize: every row in one batched sweep, of func evaluated again on the inputs lifted
    // to the batch (vmap); else one sweep per output element
    const rows = options.vectorize
      ? vmapRows(standardBasis([out]), (v) => {
        const lift = xs.map(lifted);
        return vectorJacobian(op, [evaluate(op, func, lift).outs[j]], lift, v, create, strict, true);
      })
      : mapRows(standardBasis([out]), (v) => vectorJacobian(op, [out], xs, v, create, strict, true));
    return rows.map((r, k) => r.reshape([...out.shape, ...xs[k].shape]));
  });
  const perOutput = blocks.map((b) => (Array.isArray(inputs) ? b : b[0]));
  return (Array.isArray(raw) ? perOutput : perOutput[0]) as Tensor | Tensor[] | Tensor[][];
}

// The Jacobian's blocks [output][input] by forward mode: every column J e_i in one batched
// pass, func's tangents with each input element's one-hot tangent.
function forwardBlocks(op: string, func: Fn, xs: Tensor[], outs: Tensor[]): Tensor[][] {
  const columns = vmapRows(standardBasis(xs), (tangents) => forwardPass(`${op}(func, inputs, strategy="forward-mode")`, () => {
    const { outs: pushed } = evaluate(op, func, xs.map((x, i) => withTangent(x, tangents[i])));
    return pushed.map((o) => tangentOf(o) ?? zeros(o.shape, { dtype: o.dtype }));
  }));
  const numels = xs.map((x) => x.numel());
  return columns.map((c, j) => {
    let start = 0;
    return xs.map((x, k) => {
      const piece = c.narrow(0, start, numels[k]).movedim(0, -1);
      start += numels[k];
      return piece.reshape([...outs[j].shape, ...x.shape]);
    });
  });
}

// func's single output, checked to be a scalar (hessian, vhp and hvp differentiate it twice).
function scalarOf(op: string, func: Fn, xs: Tensor[]): Tensor {
  const { outs } = evaluate(op, func, xs);
  if (outs.length !== 1 || outs[0].numel() !== 1) fail(op, "The function given to hessian, vhp or hvp should return a single Tensor with a single element");
  return outs[0];
}

/** The Hessian of a scalar func at inputs (jacobian of its gradient). */
export function hessian(func: Fn, inputs: Inputs, options: JacobianOptions = {}): Tensor | Tensor[][] {
  const op = "hessian";
  const gradient = (...xs: Tensor[]) => {
    const y = scalarOf(op, func, xs);
    const gs = vectorJacobian(op, [y], xs, [null], true, options.strict ?? false);
    return Array.isArray(inputs) ? gs : gs[0];
  };
  return jacobian(gradient, inputs, options) as Tensor | Tensor[][];
}

// What vhp and hvp share: func's value y at the prepared inputs xs, its gradient g there
// (recorded), and v per input.
function secondOrder(op: string, func: Fn, inputs: Inputs, v: Inputs | null | undefined, options: FunctionalOptions) {
  checkOptions(op, options, OPTIONS);
  const create = options.create_graph ?? false, strict = options.strict ?? false;
  const given = asList(op, "inputs", inputs);
  const vs = checkV(op, v, given, "input");
  const xs = prepared(given, create);
  const y = scalarOf(op, func, xs);
  const g = vectorJacobian(op, [y], xs, [null], true, strict);
  return { create, strict, vs, xs, g, value: create ? y : y.detach() };
}

/** [func(inputs), vᵀ H]: the vector-Hessian product of a scalar func. */
export function vhp(func: Fn, inputs: Inputs, v?: Inputs | null, options: FunctionalOptions = {}): [Tensor, Tensor | Tensor[]] {
  const { create, strict, vs, xs, g, value } = secondOrder("vhp", func, inputs, v, options);
  return [value, shaped(inputs, vectorJacobian("vhp", g, xs, vs, create, strict))];
}

/** [func(inputs), H v]: the Hessian-vector product of a scalar func (by double backward). */
export function hvp(func: Fn, inputs: Inputs, v?: Inputs | null, options: FunctionalOptions = {}): [Tensor, Tensor | Tensor[]] {
  const { create, strict, vs, xs, g, value } = secondOrder("hvp", func, inputs, v, options);
  return [value, shaped(inputs, linearized("hvp", g, xs, vs, create, strict))];
}
