// wg.graph.to_dot: the backward graph behind a tensor as Graphviz DOT, drawn as torchviz's
// make_dot draws it: one box per backward function (labelled with its name and the shape
// it produced), the leaves that require grad in blue with their names and shapes, the
// tensor itself in green, and, with show_saved, what each function saved in orange.

import { Tensor } from "./tensor.js";
import { checkOptions } from "./options.js";
import { describe } from "./shape.js";
import { AccumulateGrad, Node, type GradFn } from "./graph-nodes.js";

export interface DotOptions {
  /** Names for tensors (a model's parameters): an object, a Map, or [name, tensor] pairs. */
  params?: Record<string, Tensor> | Map<string, Tensor> | Iterable<[string, Tensor]>;
  /** Also draw the tensors each function saved for backward. */
  show_saved?: boolean;
}

const shapeText = (shape: readonly number[]) => `(${shape.join(", ")})`;
const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** The DOT source of the graph that backward() would walk from `root`. */
export function to_dot(root: Tensor, options: DotOptions = {}): string {
  checkOptions("to_dot", options, {
    params: { expected: "an object, a Map or pairs of names and Tensors", test: (v) => v !== null && typeof v === "object" },
    show_saved: "boolean",
  });
  if (!(root instanceof Tensor)) throw new TypeError(`to_dot(): root must be a Tensor, got ${describe(root)}`);
  root._live("to_dot");
  const names = new Map<Tensor, string>();
  const given = options.params ?? {};
  const pairs = given instanceof Map || Symbol.iterator in Object(given)
    ? [...(given as Iterable<[string, Tensor]>)] : Object.entries(given as Record<string, Tensor>);
  for (const [name, t] of pairs) {
    if (!(t instanceof Tensor)) throw new TypeError(`to_dot(): params['${name}'] is ${describe(t)}, not a Tensor`);
    names.set(t, name);
  }

  const ids = new Map<object, string>();
  const idOf = (o: object) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, id = `n${ids.size}`);
    return id;
  };
  const lines: string[] = [];
  const node = (o: object, label: string, attributes = "") => lines.push(`\t${idOf(o)} [label=${quote(label)}${attributes}]`);
  const edge = (from: object, to: object, attributes = "") =>
    lines.push(`\t${idOf(from)} -> ${idOf(to)}${attributes === "" ? "" : ` [${attributes}]`}`);
  const tensorLabel = (t: Tensor, name = names.get(t) ?? "") => `${name}\n ${shapeText(t.shape)}`;

  const seen = new Set<GradFn>();
  const walk = (fn: GradFn) => {
    if (seen.has(fn)) return;
    seen.add(fn);
    if (fn instanceof AccumulateGrad) {
      node(fn.variable, tensorLabel(fn.variable), " fillcolor=lightblue");
      edge(fn.variable, fn);
      node(fn, "AccumulateGrad");
      return;
    }
    const n = fn as Node;
    node(n, `${n.name()}\n${shapeText(n.shape)}`);
    if (options.show_saved) drawSaved(n, node, edge, tensorLabel);
    for (const [next] of n.next_functions) {
      if (next === null) continue;
      edge(next, n);
      walk(next);
    }
  };

  node(root, tensorLabel(root), " fillcolor=darkolivegreen1");
  const fn = root.grad_fn;
  if (fn !== null) {
    walk(fn);
    edge(fn, root);
  }
  return [
    "digraph {",
    '\tgraph [size="12,12"]',
    "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]",
    ...lines,
    "}",
  ].join("\n") + "\n";
}

// Orange boxes for what node n saved, named as the op table names its inputs ("result" for
// its own output), each tied to n by an undirected edge, as torchviz draws saved tensors.
function drawSaved(n: Node, node: (o: object, label: string, a?: string) => void, edge: (a: object, b: object, at?: string) => void,
  tensorLabel: (t: Tensor, name?: string) => string): void {
  for (const [name, t] of n._saved()) {
    const key = { saved: t, by: n };
    node(key, tensorLabel(t, name), " fillcolor=orange");
    edge(n, key, "dir=none");
  }
}
