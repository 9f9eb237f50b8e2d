// wg.func's forward-mode transforms: jvp, and jacfwd (one jvp per input element). f runs
// inside a dual level with its inputs given tangents (make_dual); its outputs' tangents are
// the products. Dual levels do not nest yet, so neither do these transforms (jacfwd of
// jacfwd, jvp of jvp); forward over reverse (jacfwd(jacrev(f)), jvp(grad(f))) and reverse
// over forward (jacrev(jacfwd(f))) do compose.

import { Tensor } from "./tensor.js";
import { zeros_like } from "./create.js";
import { describe } from "./shape.js";
import { checkOptions } from "./options.js";
import { isFloating } from "./dtype.js";
import { forwardPass, withTangent, tangentOf, primalOf } from "./dual.js";
import { standardBasis, vmapRows } from "./differentiate.js";
import { type TreeSpec, tree_flatten, tree_unflatten, tree_map, flattenAs, specString } from "./pytree.js";
import {
  type Argnums, type Fn, type AuxOptions, type TransformOptions,
  type Params, type ArgsAt, type OutputOf, type JacobianOf, type WithAux,
  transformArgs, positions, pick, replaced, tensorLeaves, splitAux, pieces, jacobianTree,
} from "./func-core.js";

export interface JvpOptions extends AuxOptions {
  /** Throw when an output does not depend on the inputs (instead of giving a zero tangent). */
  strict?: boolean;
}

/**
 * jvp(f, primals, tangents, { strict, has_aux }): [f(...primals), J·tangents], by forward
 * mode; tangents has primals' structure (an array, one entry per argument of f). With
 * has_aux, f returns [output, aux] and jvp [output, jvp_out, aux].
 */
export function jvp<A extends unknown[], R, const HA extends boolean = false>(f: (...args: A) => R, primals: A, tangents: A,
  options?: JvpOptions & { has_aux?: HA }): HA extends true
  ? (R extends readonly [infer O, infer X] ? [O, O, X] : never) : [R, R];
export function jvp(f: Fn, primals: unknown[], tangents: unknown[], options: JvpOptions = {}): unknown[] {
  const api = "jvp(f, primals, tangents)";
  if (typeof f !== "function") throw new TypeError(`${api}: f must be a function, got ${describe(f)}`);
  checkOptions("jvp", options, { strict: "boolean", has_aux: "boolean" });
  if (!Array.isArray(primals)) {
    throw new TypeError(`${api}: Expected primals to be a tuple (an array). E.g. it should be valid to call f(*primals).`);
  }
  const [flat, spec] = tree_flatten(primals);
  const flatTangents = flattenAs(tangents, spec);
  if (flatTangents === null) {
    throw new Error(`${api}: Expected primals and tangents to have the same python structure. For example, if primals ` +
      `is a tuple of 3 tensors, tangents also must be. Got primals with structure ${specString(spec)} and tangents ` +
      `with structure ${specString(tree_flatten(tangents)[1])}`);
  }
  const ps = tensorList(api, flat, spec, "primals"), ts = tensorList(api, flatTangents, spec, "tangents");
  ps.forEach((p, i) => {
    if (!isFloating(p.dtype)) throw new TypeError(`${api}: only floating-point primals can have tangents, got a ${p.dtype} Tensor (primal ${i})`);
    if (p.shape.join() !== ts[i].shape.join()) {
      throw new Error(`${api}: Trying to set a forward gradient that has a different size than that of the original Tensor, ` +
        `this is not supported. Tensor is of size [${p.shape}] while the given forward gradient is of size [${ts[i].shape}] (primal ${i}).`);
    }
    if (p.dtype !== ts[i].dtype) throw new TypeError(`${api}: tangent ${i} is ${ts[i].dtype} where its primal is ${p.dtype}`);
  });
  const r = pushForward(api, f, primals, null, primals.map((_, i) => i), ps, spec, ts, options.has_aux ?? false, options.strict ?? false);
  const outs = [tree_unflatten(r.primals, r.spec), tree_unflatten(r.tangents, r.spec)];
  return options.has_aux ? [...outs, r.aux] : outs;
}

function tensorList(api: string, leaves: unknown[], spec: TreeSpec, what: string): Tensor[] {
  if (leaves.length === 0) throw new Error(`${api}: Expected ${what} to contain at least one Tensor.`);
  return tensorLeaves(api, tree_unflatten(leaves, spec), what, false)[0];
}

interface Pushed { primals: Tensor[]; tangents: Tensor[]; spec: TreeSpec; aux: unknown }

// f at args, the tensors `primals` (the leaves of the arguments at argnums, all for null)
// given the tangents `tangents`: its outputs, their tangents and aux, outside the dual level.
function pushForward(api: string, f: Fn, args: unknown[], argnums: Argnums | null, at: number[], primals: Tensor[],
  spec: TreeSpec, tangents: Tensor[], hasAux: boolean, strict: boolean): Pushed {
  return forwardPass(api, () => {
    const duals = primals.map((p, i) => withTangent(p, tangents[i]));
    const call = replaced(args, argnums, at, tree_unflatten(duals, spec));
    const [output, aux] = splitAux(api, (f as (...a: unknown[]) => unknown)(...call), hasAux);
    const [outs, outSpec] = tree_flatten(output);
    if (outs.length === 0) throw new TypeError(`${api}: Expected f to be a function that has non-empty output (got output = ${describe(output)})`);
    const pairs = outs.map((o) => {
      if (!(o instanceof Tensor)) throw new TypeError(`${api}: expected f(*args) to return only tensors, got unsupported type ${describe(o)}`);
      const tangent = tangentOf(o);
      if (tangent === null && strict) {
        throw new Error("jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is not allowed with strict=True.");
      }
      return [primalOf(o), tangent ?? zeros_like(o)] as const;
    });
    return {
      primals: pairs.map((p) => p[0]), tangents: pairs.map((p) => p[1]), spec: outSpec,
      aux: aux === undefined ? undefined : tree_map((x) => (x instanceof Tensor ? primalOf(x) : x), aux),
    };
  });
}

/**
 * jacfwd(f, argnums = 0, { has_aux }): the function computing the Jacobian of f with
 * respect to its arguments at argnums by forward mode, one jvp per input element; the same
 * structure and shapes as jacrev's. With has_aux, [jacobian, aux].
 */
export function jacfwd<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, argnums?: I, options?: { has_aux?: HA }): (...args: Params<F>) => WithAux<JacobianOf<OutputOf<F, HA>, ArgsAt<F, I>>, F, HA>;
export function jacfwd<F extends Fn, const I extends Argnums = 0, const HA extends boolean = false>(
  f: F, options: { argnums?: I; has_aux?: HA }): (...args: Params<F>) => WithAux<JacobianOf<OutputOf<F, HA>, ArgsAt<F, I>>, F, HA>;
export function jacfwd(f: Fn, argnumsOrOptions?: Argnums | TransformOptions, options?: AuxOptions) {
  const { argnums, hasAux } = transformArgs("jacfwd", f, argnumsOrOptions, options);
  return (...args: unknown[]) => {
    const api = "jacfwd(f)(*args)";
    const at = positions(api, argnums, args.length);
    at.forEach((i) => tensorLeaves(api, args[i], `args[${i}]`, true));
    const [primals, inSpec] = tree_flatten(pick(args, argnums, at)) as [Tensor[], TreeSpec];
    let first: Pushed | undefined;
    // per output: one column per input element, [N, ...output.shape]
    const columns = vmapRows(standardBasis(primals), (tangents) => { // every column in one batched pass
      const pushed = pushForward(api, f, args, argnums, at, primals, inSpec, tangents, hasAux, false);
      first ??= pushed;
      return pushed.tangents;
    });
    const numels = primals.map((p) => p.numel());
    const blocks = columns.map((c) => pieces(c.movedim(0, -1), -1, numels));
    const jac = jacobianTree(first!.spec, inSpec, columns.length, primals.length,
      (j, k) => blocks[j][k].reshape([...columns[j].shape.slice(1), ...primals[k].shape]));
    return hasAux ? [jac, first!.aux] : jac;
  };
}
