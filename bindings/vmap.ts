// wg.func.vmap, as torch.func.vmap: f mapped over a dim of its inputs, run once on the
// whole batch. The mapped dim of each input becomes a batch dim (batching.ts), which every
// op's batching rule carries through, so f sees per-example shapes and one call of each op
// computes every example. vmaps nest (one level each) and compose with the other transforms.

import { Tensor } from "./tensor.js";
import { core } from "./core.js";
import {
  aligned, batchDims, enterLevel, exitLevel, levels, permuted, physicalShape, physicalStrides, unbatched, type Randomness,
} from "./batching.js";
import { tree_flatten, tree_unflatten, leafPath, type TreeSpec } from "./pytree.js";
import { isContiguousLayout } from "./views.js";
import { describe, fail } from "./shape.js";
import { cat } from "./join-ops.js";
import { default_generator } from "./random.js";
import "./batch-rules.js";

/** A dim (or null: not mapped) for each tensor of an argument, or one for all of them. */
export type Dims = number | null | readonly Dims[] | { readonly [key: string]: Dims };

export interface VmapOptions {
  /** Per argument (an array), or for all: the dim mapped over, null for none (default 0). */
  in_dims?: Dims;
  /** Per output (an array), or for all: where the mapped dim goes in the results (default 0). */
  out_dims?: Dims;
  /**
   * What random ops (rand, randn, dropout, ...) do inside: "error" (the default, as
   * functorch's), "same" (one draw shared by every example) or "different" (one per example).
   */
  randomness?: Randomness;
  /**
   * How many examples to compute at a time (functorch's chunk_size): the batch is split into
   * chunks, mapped one after another and joined, which bounds the memory one call takes.
   * null (the default): the whole batch at once.
   */
  chunk_size?: number | null;
}

const MAX_LEVELS = 16;

/**
 * vmap(f, { in_dims, out_dims }) (or vmap(f, in_dims, out_dims)): the function that runs f
 * over dim in_dims of its arguments, as if per example, and stacks the results along out_dims.
 */
export function vmap<F extends (...args: never[]) => unknown>(f: F, in_dims?: Dims | VmapOptions, out_dims?: Dims): F {
  if (typeof f !== "function") throw new TypeError(`vmap(f): f must be a function, got ${describe(f)}`);
  let inDims: Dims = 0, outDims: Dims = 0, random: Randomness = "error", chunk: number | null = null;
  if (in_dims !== null && typeof in_dims === "object" && !Array.isArray(in_dims) &&
    ("in_dims" in in_dims || "out_dims" in in_dims || "randomness" in in_dims || "chunk_size" in in_dims)) {
    const options = in_dims as VmapOptions;
    random = options.randomness ?? "error";
    if (!["error", "same", "different"].includes(random)) {
      throw new TypeError(`vmap(f): Only allowed values for randomness are 'error', 'different', or 'same'. Got ${describe(random)}`);
    }
    inDims = options.in_dims === undefined ? 0 : options.in_dims;
    outDims = options.out_dims === undefined ? 0 : options.out_dims;
    chunk = options.chunk_size ?? null;
    if (chunk !== null && !(Number.isInteger(chunk) && chunk > 0)) {
      throw new TypeError(`vmap(f): chunk_size should be None or greater than 0. (got ${typeof chunk === "number" ? chunk : describe(chunk)})`);
    }
  } else {
    inDims = in_dims === undefined ? 0 : (in_dims as Dims); // null: no input mapped
    outDims = out_dims === undefined ? 0 : out_dims;
  }
  const api = `vmap(${f.name || "f"}, in_dims=${JSON.stringify(inDims)}, ...)(<inputs>)`;
  const fn = f as unknown as (...a: unknown[]) => unknown;
  if (chunk !== null) return ((...args: unknown[]) => chunked(api, fn, args, inDims, outDims, random, chunk)) as unknown as F;
  return ((...args: unknown[]) => mapped(api, fn, args, inDims, outDims, random)) as unknown as F;
}

// vmap by chunks of `chunk` examples: each input narrowed to the chunk along its mapped dim,
// each output joined along its out_dim (one not mapped is the first chunk's). Under "same"
// randomness every chunk draws what the first did, as one call would for the whole batch.
function chunked(api: string, f: (...a: unknown[]) => unknown, args: unknown[], inDims: Dims, outDims: Dims,
  random: Randomness, chunk: number): unknown {
  const [leaves, spec] = tree_flatten(args);
  const dims = inputDims(api, args, inDims);
  const size = mappedSize(api, leaves, dims, spec);
  if (size <= chunk) return mapped(api, f, args, inDims, outDims, random);
  const state = random === "same" ? default_generator.get_state() : null;
  const parts: unknown[] = [];
  for (let start = 0; start < size; start += chunk) {
    const length = Math.min(chunk, size - start);
    const part = leaves.map((leaf, i) => (dims[i] === null ? leaf : (leaf as Tensor).narrow(dims[i]!, start, length)));
    if (state !== null) default_generator.set_state(state);
    parts.push(mapped(api, f, tree_unflatten(part, spec) as unknown[], inDims, outDims, random));
  }
  const [first, outSpec] = tree_flatten(parts[0]);
  const rest = parts.map((p) => tree_flatten(p)[0]);
  const joinDims = dimsOfLeaves(api, outDims, parts[0], "the outputs");
  return tree_unflatten(first.map((o, i) => {
    const d = joinDims[i];
    return d === null ? o : cat(rest.map((leavesOf) => leavesOf[i] as Tensor), d);
  }), outSpec);
}

// The mapped dim of each leaf of the arguments (null: not mapped).
function inputDims(api: string, args: unknown[], inDims: Dims): (number | null)[] {
  if (!Array.isArray(inDims)) return dimsOfLeaves(api, inDims, args, "args");
  if (inDims.length !== args.length) fail(api, `in_dims is a list of ${inDims.length} entries for ${args.length} arguments`);
  return dimsOfLeaves(api, inDims, args, "args");
}

// The batch size: the mapped dims' common size, every mapped leaf checked to be a tensor with
// that dim.
function mappedSize(api: string, leaves: unknown[], dims: (number | null)[], spec: TreeSpec): number {
  let size = -1;
  leaves.forEach((leaf, i) => {
    const d = dims[i];
    if (d === null) return;
    if (!(leaf instanceof Tensor)) {
      fail(api, `Got in_dim=${d} for an input (at ${leafPath(spec, i)}) but the input is of type ${describe(leaf)}. ` +
        "We cannot vmap over non-Tensor arguments, please use None as the respective in_dim");
    }
    if (d < -Math.max(leaf.ndim, 1) || d >= Math.max(leaf.ndim, 1) || leaf.ndim === 0) {
      fail(api, `Got in_dim=${d} for some input, but that input is a Tensor of dimensionality ${leaf.ndim} so expected in_dim to satisfy -${leaf.ndim} <= in_dim < ${leaf.ndim}.`);
    }
    const n = leaf.shape[d < 0 ? d + leaf.ndim : d];
    if (size !== -1 && n !== size) {
      fail(api, `Expected all tensors to have the same size in the mapped dimension, got sizes ${size} and ${n} for the mapped dimension`);
    }
    size = n;
  });
  if (size === -1) fail(api, "At least one of the inputs must be a Tensor mapped over (all in_dims are None)");
  return size;
}

// The dim of each leaf of tree, given dims for it (a prefix of its structure).
function dimsOfLeaves(api: string, dims: Dims, tree: unknown, where: string): (number | null)[] {
  const [leaves, spec] = tree_flatten(tree);
  if (dims === null || typeof dims === "number") return leaves.map(() => dims as number | null);
  const out: (number | null)[] = [];
  const walk = (d: Dims, s: TreeSpec, path: string, at: { i: number }) => {
    if (d === null || typeof d === "number") {
      const count = leafCount(s);
      for (let j = 0; j < count; j++) out.push(d);
      at.i += count;
      return;
    }
    if (Array.isArray(d)) {
      if (s.kind !== "array" || s.children.length !== d.length) {
        fail(api, `in_dims is not compatible with the structure of ${path}: in_dims has ${d.length} entries there`);
      }
      s.children.forEach((c, j) => walk(d[j], c, `${path}[${j}]`, at));
      return;
    }
    const keys = Object.keys(d);
    if (s.kind !== "object" || keys.length !== s.keys.length || !keys.every((k) => s.keys.includes(k))) {
      fail(api, `in_dims is not compatible with the structure of ${path}: in_dims has the keys ${keys.join(", ")} there`);
    }
    s.children.forEach((c, j) => walk((d as Record<string, Dims>)[s.keys[j]], c, `${path}.${s.keys[j]}`, at));
  };
  walk(dims, spec, where, { i: 0 });
  return out;
}

function leafCount(spec: TreeSpec): number {
  return spec.kind === "leaf" ? 1 : spec.children.reduce((n, c) => n + leafCount(c), 0);
}

// A view of the tensor with the physical dim `from` moved to `to` (recorded), with the given levels.
function moved(id: number, from: number, to: number, levelsOf: number): number {
  const rank = core.rankOf(id);
  const order = Array.from({ length: rank }, (_, d) => d);
  order.splice(to, 0, order.splice(from, 1)[0]);
  const out = permuted(id, order);
  core.setBatch(out, levelsOf);
  return out;
}

// A handle of id, which shows its dims after its batch dims.
function handle(id: number, dtype: Tensor["dtype"], base: Tensor | null): Tensor {
  const k = batchDims(id);
  const shape = physicalShape(id).slice(k), strides = physicalStrides(id).slice(k);
  const t = new Tensor(id, shape, dtype, isContiguousLayout(shape, strides));
  t._base = base === null ? null : base._base ?? base;
  return t;
}

/**
 * t as a tensor batched at every vmap level running (t itself outside vmap, or when it is),
 * the same for every example where it was not: an expanded view, in the graph. What is
 * computed from it is batched, so its gradients are per example.
 */
export function lifted(t: Tensor): Tensor {
  if (levels.length === 0) return t;
  const id = t._live("vmap");
  const bits = (1 << levels.length) - 1;
  if (core.batchOf(id) === bits) return t;
  const out = unbatched(() => aligned(id, bits, 0, true));
  core.setBatch(out, bits);
  return handle(out, t.dtype, null);
}

function mapped(api: string, f: (...a: unknown[]) => unknown, args: unknown[], inDims: Dims, outDims: Dims,
  random: Randomness): unknown {
  if (levels.length >= MAX_LEVELS) fail(api, `at most ${MAX_LEVELS} vmaps can nest`);
  const [leaves, spec] = tree_flatten(args);
  const dims = inputDims(api, args, inDims);
  const size = mappedSize(api, leaves, dims, spec);
  const level = enterLevel(size, random);
  const bit = 1 << level;
  try {
    const inner = leaves.map((leaf, i) => {
      const d = dims[i];
      if (d === null) return leaf;
      const x = leaf as Tensor, id = x._live("vmap");
      const k = batchDims(id);
      const at = (d < 0 ? d + x.ndim : d) + k;
      return handle(unbatched(() => moved(id, at, k, core.batchOf(id) | bit)), x.dtype, x);
    });
    const result = f(...(tree_unflatten(inner, spec) as unknown[]));
    const [outs, outSpec] = tree_flatten(result);
    const outDimsOf = Array.isArray(outDims) && !(outSpec.kind === "array" && outSpec.children.length === outDims.length)
      ? fail(api, `out_dims is a list of ${outDims.length} entries for ${outSpec.kind === "array" ? outSpec.children.length : 1} outputs`)
      : dimsOfLeaves(api, outDims, result, "the outputs");
    const stacked = outs.map((o, i) => {
      if (!(o instanceof Tensor)) {
        fail(api, `f must only return Tensors, got type ${describe(o)} (at ${leafPath(outSpec, i)}). ` +
          "Did you mean to set out_dims= to None for this output?");
      }
      const d0 = outDimsOf[i];
      if (d0 === null) {
        if (core.batchOf(o._live("vmap")) & bit) {
          fail(api, `out_dims is None for an output (at ${leafPath(outSpec, i)}) that depends on the mapped inputs; give it a dim`);
        }
        return { o, d: null };
      }
      const d = d0 < 0 ? d0 + o.ndim + 1 : d0;
      if (d < 0 || d > o.ndim) fail(api, `out_dim ${d0} is out of range for an output of ${o.ndim} dims`);
      return { o, d };
    });
    exitLevel();
    // after the level: each output's batch dim (or, if it has none, a broadcast one) at its out_dim
    return tree_unflatten(stacked.map(({ o, d }) => {
      if (d === null) return o; // the same for every example, returned once
      const id = o._live("vmap");
      const own = core.batchOf(id);
      if (!(own & bit)) return o.unsqueeze(d).expand([...o.shape.slice(0, d), size, ...o.shape.slice(d)]);
      const at = batchDims(id) - 1; // the innermost level's dim is the last batch dim
      return handle(unbatched(() => moved(id, at, at + d, own & ~bit)), o.dtype, null);
    }), outSpec);
  } finally {
    if (levels.length > level) exitLevel();
  }
}
