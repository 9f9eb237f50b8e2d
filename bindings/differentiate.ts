// What wg.autograd.functional and wg.func share: the tensors a function is differentiated
// at, the gradients of its outputs with respect to them (zeros where unused), the one loop
// of the Jacobians over the rows of a standard basis, and, for wg.func, letting go of a
// transform's graph once nothing outside it needs it.

import { Tensor } from "./tensor.js";
import { grad } from "./autograd.js";
import { tensor, zeros } from "./create.js";
import { stack } from "./join-ops.js";
import { fail } from "./shape.js";
import { reachesOtherLeaf } from "./graph-nodes.js";
import { tangentOf, withTangent } from "./dual.js";
import { vmap } from "./vmap.js";

/**
 * The tensor a function is differentiated at, standing for x. `connected` and x requiring
 * grad: a view of x in the graph, so that what is computed from it stays differentiable in x
 * (an outer transform's input, or the user's leaf). Otherwise a new leaf that requires grad
 * (its core id added to `leaves`, when given). Either way it keeps x's tangent (inside a
 * dual level), as x.detach() would not.
 */
export function differentiable(x: Tensor, connected: boolean, leaves?: Set<number>): Tensor {
  if (connected && x.requires_grad) return x.view(x.shape);
  const tangent = tangentOf(x);
  const leaf = x.detach().requires_grad_(true);
  leaves?.add(leaf._live("requires_grad_"));
  return tangent === null ? leaf : withTangent(leaf, tangent);
}

/** The inputs of autograd.functional, prepared as PyTorch prepares them. */
export const prepared = (xs: Tensor[], createGraph: boolean) => xs.map((x) => differentiable(x, createGraph));

/** The gradients of outs (weighted by v) with respect to xs; zeros where unused (or an error, strict). */
export function vectorJacobian(op: string, outs: Tensor[], xs: Tensor[], v: (Tensor | null)[], createGraph: boolean,
  strict: boolean, retain = createGraph): Tensor[] {
  const differentiable = outs.map((o) => o.requires_grad);
  const used = outs.filter((_, i) => differentiable[i]);
  if (used.length === 0) {
    if (strict) fail(op, "The output of the user-provided function is independent of input 0. This is not allowed in strict mode.");
    return xs.map((x) => zeros(x.shape, { dtype: x.dtype }));
  }
  const grads = grad(used, xs, {
    grad_outputs: v.filter((_, i) => differentiable[i]), create_graph: createGraph, retain_graph: retain, allow_unused: true,
  });
  return grads.map((g, i) => {
    if (g !== null) return g;
    if (strict) fail(op, `The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`);
    return zeros(xs[i].shape, { dtype: xs[i].dtype });
  });
}

/**
 * t as a transform returns it: t itself while its gradient would flow to a leaf other than
 * the transform's own `leaves` (an outer transform's input, a parameter the function
 * closed over), else without the transform's graph, keeping its tangent.
 */
export function released(t: Tensor, leaves: ReadonlySet<number>): Tensor {
  if (!t.requires_grad || reachesOtherLeaf(t, leaves)) return t;
  const tangent = tangentOf(t);
  return tangent === null ? t.detach() : withTangent(t.detach(), released(tangent, leaves));
}

/**
 * The standard basis of the space of `tensors` (N elements in all), split by tensor: row i
 * is one tensor per tensor of `tensors`, one-hot at element i if that element is its, else
 * zeros. Rows are made when asked for (a vectorised path would stack them).
 */
export interface Basis {
  readonly size: number;
  /** Where each tensor's elements start among the N. */
  readonly starts: readonly number[];
  row(i: number): Tensor[];
}

export function standardBasis(tensors: Tensor[]): Basis {
  const starts: number[] = [];
  const size = tensors.reduce((n, t) => (starts.push(n), n + t.numel()), 0);
  return {
    size,
    starts,
    row: (i) => tensors.map((t, k) => {
      const data = t.dtype === "float32" ? new Float32Array(t.numel()) : new Float64Array(t.numel());
      if (i >= starts[k] && i < starts[k] + t.numel()) data[i - starts[k]] = 1;
      return tensor(data, { shape: t.shape, dtype: t.dtype });
    }),
  };
}

/**
 * fn applied to each row of basis, its results stacked along a new dim 0, one call per row
 * (autograd.functional.jacobian without vectorize). With no rows, fn is called once on
 * zeros, for the results' shapes.
 */
export function mapRows(basis: Basis, fn: (row: Tensor[]) => Tensor[]): Tensor[] {
  if (basis.size === 0) return fn(basis.row(-1)).map((r) => zeros([0, ...r.shape], { dtype: r.dtype }));
  const rows: Tensor[][] = [];
  for (let i = 0; i < basis.size; i++) rows.push(fn(basis.row(i)));
  return rows[0].map((_, k) => stack(rows.map((r) => r[k])));
}

/**
 * The same stack by one call of fn on every row at once: vmap(fn) over the basis, stacked
 * as one identity block per tensor. fn sees one row per example; what it computes from
 * tensors outside the vmap must be computed from lifted(x) (vmap.ts), not from a graph
 * recorded outside it.
 */
export function vmapRows(basis: Basis, fn: (row: Tensor[]) => Tensor[]): Tensor[] {
  const blocks = basis.row(-1).map((t, k) => {
    const n = t.numel(), data = t.dtype === "float32" ? new Float32Array(basis.size * n) : new Float64Array(basis.size * n);
    for (let i = 0; i < n; i++) data[(basis.starts[k] + i) * n + i] = 1;
    return tensor(data, { shape: [basis.size, ...t.shape], dtype: t.dtype });
  });
  return vmap((...row: Tensor[]) => fn(row))(...blocks) as Tensor[];
}
