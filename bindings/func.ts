// wg.func, as torch.func (functorch in PyTorch 1.13): grad, grad_and_value, vjp, jvp,
// jacrev, jacfwd and hessian, transforms of functions of tensors and pytrees of them
// (arrays and plain objects) that compose: grad(grad(f)), jacfwd(jacrev(f)), jvp(grad(f)), ...
// Reverse mode runs autograd.grad with create_graph whenever something outside the transform
// needs the result's graph; forward mode runs in a dual level (forward_ad).

import { Tensor } from "./tensor.js";
import { checkOptions } from "./options.js";
import { describe } from "./shape.js";
import { vectorJacobian, released, standardBasis, vmapRows } from "./differentiate.js";
import { lifted } from "./vmap.js";
import { type TreeSpec, tree_flatten, tree_unflatten, flattenAs, specString } from "./pytree.js";
import {
  type Argnums, type Fn, type TensorTree, type AuxOptions, type TransformOptions,
  type Params, type ArgsAt, type OutputOf, type JacobianOf, type WithAux,
  transformArgs, trace, positions, replaced, outputLeaves, recordsGraph, releasedTree, pieces, jacobianTree,
} from "./func-core.js";
import { jacfwd } from "./func-forward.js";

export { jvp, jacfwd } from "./func-forward.js";
export { vmap } from "./vmap.js";
export { functional_call } from "./func-module.js";
export type { Dims, VmapOptions } from "./vmap.js";
export type { TensorTree, Argnums, AuxOptions, TransformOptions, ArgsAt, OutputOf, AuxOf, JacobianOf } from "./func-core.js";
export type { JvpOptions } from "./func-forward.js";

/**
 * grad(f, argnums = 0, { has_aux }): the function computing the gradient of f (which
 * returns a scalar tensor) with respect to its arguments at argnums: one gradient (of the
 * argument's structure) for a number, an array of them for an array. With has_aux, f
 * returns [output, aux] and the function [gradient, aux].
 */
export function grad<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, argnums?: I, options?: { has_aux?: HA }): (...args: Params<F>) => WithAux<ArgsAt<F, I>, F, HA>;
export function grad<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, options: { argnums?: I; has_aux?: HA }): (...args: Params<F>) => WithAux<ArgsAt<F, I>, F, HA>;
export function grad(f: Fn, argnumsOrOptions?: Argnums | TransformOptions, options?: AuxOptions) {
  const { argnums, hasAux } = transformArgs("grad", f, argnumsOrOptions, options);
  return (...args: unknown[]) => {
    const [g, value] = gradAndValue("grad(f)(*args)", f, args, argnums, hasAux);
    return hasAux ? [g, (value as unknown[])[1]] : g;
  };
}

/**
 * grad_and_value(f, argnums = 0, { has_aux }): as grad, the function returning
 * [gradient, f's value]; with has_aux, [gradient, [value, aux]].
 */
export function grad_and_value<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, argnums?: I, options?: { has_aux?: HA }): (...args: Params<F>) => [ArgsAt<F, I>, WithAux<OutputOf<F, HA>, F, HA>];
export function grad_and_value<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, options: { argnums?: I; has_aux?: HA }): (...args: Params<F>) => [ArgsAt<F, I>, WithAux<OutputOf<F, HA>, F, HA>];
export function grad_and_value(f: Fn, argnumsOrOptions?: Argnums | TransformOptions, options?: AuxOptions) {
  const { argnums, hasAux } = transformArgs("grad_and_value", f, argnumsOrOptions, options);
  return (...args: unknown[]) => gradAndValue("grad_and_value(f)(*args)", f, args, argnums, hasAux);
}

function gradAndValue(api: string, f: Fn, args: unknown[], argnums: Argnums, hasAux: boolean): [TensorTree, unknown] {
  const t = trace(api, f, args, argnums, hasAux);
  const out = t.output;
  if (!(out instanceof Tensor)) throw new TypeError(`${api}: Expected f(*args) to return a Tensor, got ${describe(out)}`);
  if (out.ndim !== 0) {
    throw new Error(`${api}: Expected f(*args) to return a scalar Tensor, got tensor with ${out.ndim} dims. ` +
      "Maybe you wanted to use the vjp or jacrev APIs instead?");
  }
  const grads = vectorJacobian(api, [out], t.inputs, [null], recordsGraph([out], t.leaves), false);
  const g = tree_unflatten(grads.map((x) => released(x, t.leaves)), t.spec);
  const value = released(out, t.leaves);
  return [g, hasAux ? [value, releasedTree(t.aux, t.leaves)] : value];
}

export interface VjpFnOptions {
  /** Keep the graph for further calls (default true). */
  retain_graph?: boolean;
  /** Record the products' graph. By default, when something outside the transform needs it. */
  create_graph?: boolean;
}
/** vjp's function: cotangents of the outputs' structure to one product per primal. */
export type VjpFn<A extends unknown[], O> = (cotangents: O, options?: VjpFnOptions) => A;
type Primary<R> = R extends readonly [infer O, unknown] ? O : never;
type Secondary<R> = R extends readonly [unknown, infer X] ? X : never;

/**
 * vjp(f, ...primals, { has_aux }?): [f(...primals), vjp_fn], where vjp_fn(cotangents) is
 * the array of cotangentsᵀ J, one per primal (each of the primal's structure). With
 * has_aux, f returns [output, aux] and vjp [output, vjp_fn, aux]. An options object is
 * told from a primal by holding no tensors.
 */
export function vjp<A extends unknown[], R>(f: (...args: A) => R, ...primals: A): [R, VjpFn<A, R>];
export function vjp<A extends unknown[], R, const HA extends boolean>(f: (...args: A) => R, ...primalsAndOptions: [...A, { has_aux?: HA }]):
  HA extends true ? [Primary<R>, VjpFn<A, Primary<R>>, Secondary<R>] : [R, VjpFn<A, R>];
export function vjp(f: Fn, ...rest: unknown[]): unknown[] {
  const api = "vjp(f, *primals)";
  if (typeof f !== "function") throw new TypeError(`vjp(f, *primals): f must be a function, got ${describe(f)}`);
  const last = rest[rest.length - 1];
  const hasOptions = rest.length > 0 && isOptions(last);
  const options = (hasOptions ? last : {}) as AuxOptions;
  checkOptions("vjp", options, { has_aux: "boolean" });
  const hasAux = options.has_aux ?? false;
  const t = trace(api, f, hasOptions ? rest.slice(0, -1) : rest, null, hasAux);
  const [outs, outSpec] = outputLeaves(api, t.output);
  const vjpFn = (cotangents: unknown, opts: VjpFnOptions = {}) => {
    checkOptions("vjp_fn", opts, { retain_graph: "boolean", create_graph: "boolean" });
    const cots = cotangentLeaves(outs, outSpec, cotangents);
    const create = opts.create_graph ?? recordsGraph(outs, t.leaves, cots);
    const grads = vectorJacobian(api, outs, t.inputs, cots, create, false, opts.retain_graph ?? true);
    return tree_unflatten(grads.map((g) => released(g, t.leaves)), t.spec);
  };
  const results = tree_unflatten(outs.map((o) => released(o, t.leaves)), outSpec);
  return hasAux ? [results, vjpFn, releasedTree(t.aux, t.leaves)] : [results, vjpFn];
}

// A trailing plain object with no tensor in it is vjp's options, not a primal.
const isOptions = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v) &&
  Object.getPrototypeOf(Object.getPrototypeOf(v) ?? Object.prototype) === null &&
  !tree_flatten(v)[0].some((leaf) => leaf instanceof Tensor);

function cotangentLeaves(outs: Tensor[], spec: TreeSpec, cotangents: unknown): Tensor[] {
  const leaves = flattenAs(cotangents, spec);
  if (leaves === null) {
    throw new Error("vjp_fn: Expected pytree structure of cotangents to be the same as pytree structure of outputs " +
      `to the function. cotangents: ${specString(tree_flatten(cotangents)[1])}, primal output: ${specString(spec)}`);
  }
  return leaves.map((c, i) => {
    if (!(c instanceof Tensor)) throw new TypeError(`vjp_fn: cotangent ${i} must be a Tensor, got ${describe(c)}`);
    if (c.shape.join() !== outs[i].shape.join()) {
      throw new Error(`vjp_fn: Mismatch in shape: cotangent ${i} has a shape of [${c.shape}] and output ${i} has a shape of [${outs[i].shape}]`);
    }
    if (c.dtype !== outs[i].dtype) throw new Error(`vjp_fn: Mismatch in dtype: cotangent ${i} is ${c.dtype} and output ${i} is ${outs[i].dtype}`);
    return c;
  });
}

/**
 * jacrev(f, argnums = 0, { has_aux }): the function computing the Jacobian of f with
 * respect to its arguments at argnums by reverse mode, one sweep per output element: for
 * each output (in f's output structure) the blocks for each input (in the arguments'
 * structure), of shape output.shape + input.shape. With has_aux, [jacobian, aux].
 */
export function jacrev<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, argnums?: I, options?: { has_aux?: HA }): (...args: Params<F>) => WithAux<JacobianOf<OutputOf<F, HA>, ArgsAt<F, I>>, F, HA>;
export function jacrev<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, options: { argnums?: I; has_aux?: HA }): (...args: Params<F>) => WithAux<JacobianOf<OutputOf<F, HA>, ArgsAt<F, I>>, F, HA>;
export function jacrev(f: Fn, argnumsOrOptions?: Argnums | TransformOptions, options?: AuxOptions) {
  const { argnums, hasAux } = transformArgs("jacrev", f, argnumsOrOptions, options);
  return (...args: unknown[]) => {
    const api = "jacrev(f)(*args)";
    const t = trace(api, f, args, argnums, hasAux);
    const [outs, outSpec] = outputLeaves(api, t.output);
    const create = recordsGraph(outs, t.leaves);
    const numels = outs.map((o) => o.numel());
    // per input: the rows of all outputs' elements, [N, ...input.shape], split by output
    // every row in one batched sweep: f again on the inputs lifted to the batch, its outputs
    // differentiated with one cotangent per example
    const rows = vmapRows(standardBasis(outs), (cots) => {
      const xs = t.inputs.map(lifted); // trace lifts them too
      const again = trace(api, f, replaced(args, argnums, positions(api, argnums, args.length), tree_unflatten(xs, t.spec)),
        argnums, hasAux);
      return vectorJacobian(api, outputLeaves(api, again.output)[0], again.inputs, cots, create, false, true);
    }).map((r) => pieces(released(r, t.leaves), 0, numels));
    const jac = jacobianTree(outSpec, t.spec, outs.length, t.inputs.length,
      (j, k) => rows[k][j].reshape([...outs[j].shape, ...t.inputs[k].shape]));
    return hasAux ? [jac, releasedTree(t.aux, t.leaves)] : jac;
  };
}

/**
 * hessian(f, argnums = 0): the function computing the Hessian of a scalar f with respect to
 * its arguments at argnums, forward over reverse: jacfwd(jacrev(f, argnums), argnums).
 */
export function hessian<F extends Fn, const I extends Argnums = 0>(f: F, argnums?: I | { argnums?: I }):
  (...args: Params<F>) => JacobianOf<ArgsAt<F, I>, ArgsAt<F, I>> {
  const { argnums: which } = transformArgs("hessian", f, argnums, undefined, false);
  return jacfwd(jacrev(f, which), which) as (...args: Params<F>) => JacobianOf<ArgsAt<F, I>, ArgsAt<F, I>>;
}
