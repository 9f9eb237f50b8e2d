// The plumbing of wg.func's transforms: their arguments (argnums, has_aux), the inputs they
// differentiate, f's outputs checked as functorch checks them, and the Jacobians' rows.

import { Tensor } from "./tensor.js";
import { enable_grad } from "./autograd.js";
import { isFloating } from "./dtype.js";
import { describe } from "./shape.js";
import { checkOptions } from "./options.js";
import { reachesOtherLeaf } from "./graph-nodes.js";
import { differentiable, released } from "./differentiate.js";
import { inDualLevel } from "./dual.js";
import { lifted } from "./vmap.js";
import { type Pytree, type TreeSpec, tree_flatten, tree_unflatten, tree_map, isPlainObject, leafPath } from "./pytree.js";

/** Tensors, or arrays and plain objects of them, nested. */
export type TensorTree = Pytree<Tensor>;
export type Argnums = number | readonly number[];
export type Fn = (...args: never[]) => unknown;

// The types of the results: gradients have their arguments' types, Jacobians the outputs'
// structure with each output replaced by the inputs' structure.
export type Params<F extends Fn> = Parameters<F>;
/** The arguments at argnums I: one for a number, an array of them for an array. */
export type ArgsAt<F extends Fn, I> = I extends number ? Params<F>[I]
  : { -readonly [K in keyof I]: I[K] extends number ? Params<F>[I[K]] : never };
/** f's output (without aux, when has_aux). */
export type OutputOf<F extends Fn, HA> = HA extends true ? (ReturnType<F> extends readonly [infer O, unknown] ? O : never) : ReturnType<F>;
export type AuxOf<F extends Fn> = ReturnType<F> extends readonly [unknown, infer A] ? A : never;
/** A Jacobian of outputs O in inputs In: O's structure, each tensor replaced by In. */
export type JacobianOf<O, In> = O extends Tensor ? In : { -readonly [K in keyof O]: JacobianOf<O[K], In> };
export type WithAux<R, F extends Fn, HA> = HA extends true ? [R, AuxOf<F>] : R;

export interface AuxOptions {
  /** f returns [output, aux]: aux is handed back as it is, not differentiated. */
  has_aux?: boolean;
}
export interface TransformOptions extends AuxOptions {
  /** Which of f's arguments to differentiate: an index, or an array of them. Default 0. */
  argnums?: Argnums;
}

const isArgnums = (v: unknown) => typeof v === "number" || (Array.isArray(v) && v.every((n) => typeof n === "number"));
const ARGNUMS = { expected: "an integer or an array of integers", test: isArgnums };

/** A transform's (f, argnums, options) or (f, options), checked when the transform is made. */
export function transformArgs(op: string, f: unknown, argnumsOrOptions: unknown, options: unknown, withAux = true):
  { argnums: Argnums; hasAux: boolean } {
  if (typeof f !== "function") throw new TypeError(`${op}(f): f must be a function, got ${describe(f)}`);
  let opts: TransformOptions = {};
  let argnums: unknown = 0;
  if (isPlainObject(argnumsOrOptions)) {
    if (options !== undefined) throw new TypeError(`${op}(): options given twice; pass (f, argnums, options) or (f, options)`);
    checkOptions(op, argnumsOrOptions, withAux ? { argnums: ARGNUMS, has_aux: "boolean" } : { argnums: ARGNUMS });
    opts = argnumsOrOptions;
    argnums = opts.argnums ?? 0;
  } else {
    if (argnumsOrOptions !== undefined) argnums = argnumsOrOptions;
    checkOptions(op, options, withAux ? { has_aux: "boolean" } : {});
    opts = (options ?? {}) as TransformOptions;
  }
  if (!isArgnums(argnums)) throw new TypeError(`${op}(): argnums must be int or Tuple[int, ...] (an integer or an array of integers), got: ${describe(argnums)}`);
  return { argnums: argnums as Argnums, hasAux: opts.has_aux ?? false };
}

/** argnums as positions in args (each in range, unique, at least one), as functorch checks them. */
export function positions(api: string, argnums: Argnums, count: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  if (list.length === 0) throw new Error(`${api}: argnums must be non-empty`);
  const wrapped = list.map((n) => {
    if (!Number.isInteger(n)) throw new TypeError(`${api}: argnum must be int, got: ${describe(n)}`);
    if (n >= count || n < -count) throw new Error(`${api}: Got argnum=${n}, but only ${count} positional inputs`);
    return n < 0 ? n + count : n;
  });
  if (new Set(wrapped).size !== wrapped.length) throw new Error(`${api}: argnums elements must be unique, got [${list.join(", ")}]`);
  return wrapped;
}

/** The arguments at argnums: the one argument for a number, an array of them for an array. */
export const pick = (args: readonly unknown[], argnums: Argnums, at: number[]): unknown =>
  typeof argnums === "number" ? args[at[0]] : at.map((i) => args[i]);

/** args with the arguments at argnums replaced by those of `picked` (as pick gives them). */
export function replaced(args: readonly unknown[], argnums: Argnums | null, at: number[], picked: unknown): unknown[] {
  const out = [...args];
  if (argnums !== null && typeof argnums === "number") out[at[0]] = picked;
  else at.forEach((i, k) => { out[i] = (picked as unknown[])[k]; });
  return out;
}

/**
 * The leaves of tree, checked to be tensors (floating, when `floating`); errors say where a
 * bad one sits, as `${label}[1].a`.
 */
export function tensorLeaves(api: string, tree: unknown, label: string, floating: boolean): [Tensor[], TreeSpec] {
  const [leaves, spec] = tree_flatten(tree);
  leaves.forEach((x, i) => {
    const where = ` (at ${label}${leafPath(spec, i)})`;
    if (!(x instanceof Tensor)) throw new TypeError(`${api}: Thing passed to transform API must be Tensor, got ${describe(x)}${where}`);
    if (floating && !isFloating(x.dtype)) {
      throw new TypeError(`${api}: only floating-point Tensors can be differentiated, got a ${x.dtype} Tensor${where}`);
    }
  });
  return [leaves as Tensor[], spec];
}

/** f's result split into [output, aux] when has_aux, as functorch checks it. */
export function splitAux(api: string, result: unknown, hasAux: boolean): [unknown, unknown] {
  if (!hasAux) return [result, undefined];
  if (!Array.isArray(result) || result.length !== 2) {
    throw new TypeError(`${api}: output of function f should be a tuple: (output, aux) if has_aux is True ` +
      `(an array [output, aux]), got ${describe(result)}`);
  }
  return [result[0], result[1]];
}

/** f's output flattened: at least one tensor, all floating. */
export function outputLeaves(api: string, output: unknown): [Tensor[], TreeSpec] {
  const [leaves, spec] = tree_flatten(output);
  if (leaves.length === 0 || (leaves.length === 1 && (leaves[0] === null || leaves[0] === undefined))) {
    throw new TypeError(`${api}: Expected f to be a function that has non-empty output (got output = ${describe(output)})`);
  }
  for (const o of leaves) {
    if (!(o instanceof Tensor)) throw new TypeError(`${api}: expected f(*primals) to return only tensors, got unsupported type ${describe(o)}`);
    if (!isFloating(o.dtype)) throw new TypeError(`${api}: All outputs of f must be floating-point or complex Tensors, got Tensor with dtype ${o.dtype}`);
  }
  return [leaves as Tensor[], spec];
}

/** f evaluated, for reverse mode, at inputs that stand for the arguments at argnums (all, for null). */
export interface Traced {
  /** The tensors differentiated (the leaves of the picked arguments), as f saw them. */
  inputs: Tensor[];
  /** The picked arguments' structure (one argument's, or an array of them). */
  spec: TreeSpec;
  /** The leaves made for them (core ids), which the transform's results let go of. */
  leaves: Set<number>;
  output: unknown;
  aux: unknown;
}

export function trace(api: string, f: Fn, args: unknown[], argnums: Argnums | null, hasAux: boolean): Traced {
  const at = argnums === null ? args.map((_, i) => i) : positions(api, argnums, args.length);
  const label = argnums === null ? "primals" : "args";
  at.forEach((i) => tensorLeaves(api, args[i], `${label}[${i}]`, true));
  const [flat, spec] = tree_flatten(argnums === null ? args : pick(args, argnums, at)) as [Tensor[], TreeSpec];
  if (flat.length === 0) throw new Error(`${api}: Expected ${label} to contain at least one Tensor.`);
  const leaves = new Set<number>();
  // under vmap, inputs batched as the outputs will be: each example's gradient is its own
  const inputs = flat.map((x) => differentiable(lifted(x), true, leaves));
  const call = replaced(args, argnums, at, tree_unflatten(inputs, spec));
  const [output, aux] = splitAux(api, enable_grad(() => (f as (...a: unknown[]) => unknown)(...call)), hasAux);
  return { inputs, spec, leaves, output, aux };
}

/** Whether gradients of outs must be recorded: something outside the transform needs them. */
export const recordsGraph = (outs: Tensor[], leaves: ReadonlySet<number>, also: Tensor[] = []) =>
  inDualLevel() || [...outs, ...also].some((t) => t.requires_grad && reachesOtherLeaf(t, leaves));

/** A tree as a transform returns it: each tensor without the transform's graph, unless needed. */
export const releasedTree = (tree: unknown, leaves: ReadonlySet<number>) =>
  tree === undefined ? undefined : tree_map((x) => (x instanceof Tensor ? released(x, leaves) : x), tree);

/** The pieces of t along dim, of the given lengths (each a view). */
export function pieces(t: Tensor, dim: number, lengths: number[]): Tensor[] {
  let start = 0;
  return lengths.map((len) => {
    const piece = t.narrow(dim, start, len);
    start += len;
    return piece;
  });
}

/**
 * The Jacobian in functorch's structure: the outputs' tree, each output replaced by the
 * inputs' tree (one argument's, or an array over argnums) of blocks block(output j, input k).
 */
export const jacobianTree = (outSpec: TreeSpec, inSpec: TreeSpec, outs: number, ins: number,
  block: (j: number, k: number) => Tensor): TensorTree =>
  tree_unflatten(Array.from({ length: outs }, (_, j) => tree_unflatten(Array.from({ length: ins }, (_, k) => block(j, k)), inSpec)), outSpec);
