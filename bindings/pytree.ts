// Pytrees, as torch.utils._pytree: values nested in arrays and plain objects, flattened into
// their leaves (in order: array elements by index, object entries by key order) and a spec
// of the structure, from which leaves are put back. wg.func's transforms take and return
// them (tensors in arrays and objects); anything that is not an array or a plain object is
// a leaf.

/** A Tensor (or other leaf), or arrays and plain objects of them, nested. */
export type Pytree<T> = T | readonly Pytree<T>[] | { readonly [key: string]: Pytree<T> };

/** The structure of a pytree, without its leaves. */
export type TreeSpec =
  | { readonly kind: "leaf" }
  | { readonly kind: "array"; readonly children: readonly TreeSpec[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly children: readonly TreeSpec[] };

const LEAF: TreeSpec = { kind: "leaf" };

/** Object literals and Object.create(null); not arrays, Tensors, Maps or class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The leaves of tree in order, and its structure. */
export function tree_flatten(tree: unknown): [unknown[], TreeSpec] {
  const leaves: unknown[] = [];
  const spec = flattenInto(tree, leaves, new Set());
  return [leaves, spec];
}

function flattenInto(tree: unknown, leaves: unknown[], open: Set<unknown>): TreeSpec {
  if (!Array.isArray(tree) && !isPlainObject(tree)) {
    leaves.push(tree);
    return LEAF;
  }
  if (open.has(tree)) throw new TypeError("pytree: the structure contains itself (a cycle), so it has no leaves to flatten");
  open.add(tree);
  let spec: TreeSpec;
  if (Array.isArray(tree)) {
    spec = { kind: "array", children: tree.map((c) => flattenInto(c, leaves, open)) };
  } else {
    const keys = Object.keys(tree);
    spec = { kind: "object", keys, children: keys.map((k) => flattenInto(tree[k], leaves, open)) };
  }
  open.delete(tree);
  return spec;
}

/** The pytree of spec's structure holding leaves (as many as spec has), in order. */
export function tree_unflatten<T>(leaves: readonly T[], spec: TreeSpec): Pytree<T> {
  if (leaves.length !== numLeaves(spec)) {
    throw new Error(`tree_unflatten: ${leaves.length} leaves given for a structure of ${numLeaves(spec)}`);
  }
  let next = 0;
  const build = (s: TreeSpec): Pytree<T> => {
    if (s.kind === "leaf") return leaves[next++];
    if (s.kind === "array") return s.children.map(build);
    const out: Record<string, Pytree<T>> = {};
    s.children.forEach((c, i) => { out[s.keys[i]] = build(c); });
    return out;
  };
  return build(spec);
}

/** tree with each leaf replaced by fn(leaf). */
export function tree_map<T>(fn: (leaf: unknown) => T, tree: unknown): Pytree<T> {
  const [leaves, spec] = tree_flatten(tree);
  return tree_unflatten(leaves.map(fn), spec);
}

export function numLeaves(spec: TreeSpec): number {
  return spec.kind === "leaf" ? 1 : spec.children.reduce((n, c) => n + numLeaves(c), 0);
}

/**
 * The leaves of tree taken in the order of spec's structure, or null when tree has another
 * structure. Objects match by their keys, in any order.
 */
export function flattenAs(tree: unknown, spec: TreeSpec): unknown[] | null {
  const leaves: unknown[] = [];
  const walk = (t: unknown, s: TreeSpec): boolean => {
    if (s.kind === "leaf") {
      if (Array.isArray(t) || isPlainObject(t)) return false;
      leaves.push(t);
      return true;
    }
    if (s.kind === "array") return Array.isArray(t) && t.length === s.children.length && s.children.every((c, i) => walk(t[i], c));
    if (!isPlainObject(t)) return false;
    const keys = Object.keys(t);
    return keys.length === s.keys.length && s.keys.every((k, i) => Object.hasOwn(t, k) && walk(t[k], s.children[i]));
  };
  return walk(tree, spec) ? leaves : null;
}

/** The structure with * for each leaf, as functorch prints one: [*, {a: *, b: *}]. */
export function specString(spec: TreeSpec): string {
  if (spec.kind === "leaf") return "*";
  if (spec.kind === "array") return `[${spec.children.map(specString).join(", ")}]`;
  return `{${spec.children.map((c, i) => `${spec.keys[i]}: ${specString(c)}`).join(", ")}}`;
}

/** Where leaf i of spec sits, as an accessor path: "[1].weight", "" for a lone leaf. */
export function leafPath(spec: TreeSpec, index: number): string {
  let seen = 0;
  const find = (s: TreeSpec, path: string): string | null => {
    if (s.kind === "leaf") return seen++ === index ? path : null;
    for (let i = 0; i < s.children.length; i++) {
      const step = s.kind === "array" ? `[${i}]` : /^[A-Za-z_$][\w$]*$/.test(s.keys[i]) ? `.${s.keys[i]}` : `[${JSON.stringify(s.keys[i])}]`;
      const found = find(s.children[i], path + step);
      if (found !== null) return found;
    }
    return null;
  };
  return find(spec, "") ?? "";
}
