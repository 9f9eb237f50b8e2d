// Walking the backward graph from JavaScript (grad_fn.name(), next_functions, AccumulateGrad)
// against PyTorch 1.13's graphs of the same programs (test/fixtures/graph.json, from
// generate_graph.py), then graph.to_dot's picture of them: its nodes, labels and edges.
import { describe, expect, test } from "vitest";
import { graph, nn, ones, scope, tensor, AccumulateGrad, type GradFn, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/graph.json" with { type: "json" };

interface Case { program: string; root: string; root_shape: number[]; nodes: string[]; edges: [string, string][]; root_next: (string | null)[] }

const leaf = (...shape: number[]) => ones(shape, { dtype: "float64", requires_grad: true });

// The same programs as generate_graph.py, with the leaves named.
const PROGRAMS: Record<string, () => [Tensor, Record<string, Tensor>]> = {
  dot: () => { const x = leaf(4); return [x.dot(x).mul(2), { x }]; },
  mlp: () => {
    const W = leaf(3, 2), b = leaf(2);
    return [ones([5, 3], { dtype: "float64" }).matmul(W).add(b).relu().sum(), { W, b }];
  },
  chain: () => { const a = leaf(); return [a.mul(2).mul(2).exp().sum(), { a }]; },
  shared: () => { const x = leaf(3), y = leaf(3); return [x.mul(y).add(x.exp()).sum(), { x, y }]; },
  view: () => { const x = leaf(2, 2), y = leaf(4); return [x.view([4]).mul(y).sum(), { x, y }]; },
  activations: () => { const x = leaf(2, 3), y = leaf(2, 3); return [x.tanh().mul(y.sigmoid()).mean(), { x, y }]; },
  "no grad input": () => { const x = leaf(3); return [x.mul(ones([3], { dtype: "float64" })).sum(), { x }]; },
};

// The graph as generate_graph.py records it: node names, and next function -> function edges.
function walk(root: Tensor, params: Record<string, Tensor>) {
  const names = new Map(Object.entries(params).map(([k, t]) => [t, k]));
  const key = (fn: GradFn) => (fn instanceof AccumulateGrad ? `var:${names.get(fn.variable)}` : fn.name());
  const nodes: string[] = [], edges: [string, string][] = [], seen = new Set<GradFn>();
  const visit = (fn: GradFn) => {
    if (seen.has(fn)) return;
    seen.add(fn);
    nodes.push(key(fn));
    for (const [next] of fn.next_functions) {
      if (next === null) continue;
      edges.push([key(next), key(fn)]);
      visit(next);
    }
  };
  visit(root.grad_fn!);
  return { nodes: nodes.sort(), edges: edges.sort(), root_next: root.grad_fn!.next_functions.map(([n]) => (n === null ? null : key(n))) };
}

describe("the backward graph matches PyTorch's", () => {
  for (const c of fixture as unknown as Case[]) {
    test(c.program, () => {
      scope(() => {
        const [root, params] = PROGRAMS[c.program]();
        expect(root.grad_fn!.name()).toBe(c.root);
        expect(root.shape).toEqual(c.root_shape);
        const sortPairs = (e: [string, string][]) => e.map((p) => p.join(" -> ")).sort();
        const got = walk(root, params);
        expect(got.nodes).toEqual(c.nodes);
        expect(sortPairs(got.edges)).toEqual(sortPairs(c.edges));
        expect(got.root_next).toEqual(c.root_next);
      });
    });
  }
});

describe("grad_fn objects", () => {
  test("are the same object while the history is the same, and follow in-place ops", () => {
    const x = leaf(3);
    const y = x.mul(2);
    expect(y.grad_fn).toBe(y.grad_fn);
    expect(String(y.grad_fn)).toBe("<MulBackward object>");
    y.exp_();
    expect(y.grad_fn!.name()).toBe("ExpBackward");
    expect(y.grad_fn!.next_functions[0][0]!.name()).toBe("MulBackward");
    expect(x.grad_fn).toBeNull();
  });

  test("AccumulateGrad holds the leaf, whose .grad backward fills", () => {
    const x = leaf(2);
    const [[acc]] = x.mul(3).grad_fn!.next_functions;
    expect(acc).toBeInstanceOf(AccumulateGrad);
    expect((acc as AccumulateGrad).variable).toBe(x);
    expect(acc!.next_functions).toEqual([]);
  });

  test("index inputs are not gradient edges", () => {
    const x = leaf(4);
    const picked = x.gather(0, tensor([0, 2], { dtype: "int32" }));
    expect(picked.grad_fn!.next_functions.length).toBe(1);
  });
});

// A DOT file's nodes (id -> label and attributes) and edges.
function parseDot(dot: string) {
  const nodes = new Map<string, { label: string; attrs: string }>();
  const edges: [string, string, string][] = [];
  for (const line of dot.split("\n")) {
    const n = /^\t(n\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$/.exec(line);
    if (n) { nodes.set(n[1], { label: n[2].replace(/\\n/g, "\n"), attrs: n[3].trim() }); continue; }
    const e = /^\t(n\d+) -> (n\d+)(?: \[(.*)\])?$/.exec(line);
    if (e) edges.push([e[1], e[2], e[3] ?? ""]);
  }
  return { nodes, edges };
}

describe("graph.to_dot", () => {
  test("one box per backward function with its shape, named leaves, the root, as make_dot", () => {
    const lin = new nn.Linear(3, 2);
    const loss = lin.call(ones([4, 3])).relu().sum();
    const dot = graph.to_dot(loss, { params: lin.named_parameters() });
    expect(dot.startsWith("digraph {\n")).toBe(true);
    expect(dot.endsWith("}\n")).toBe(true);
    const { nodes, edges } = parseDot(dot);
    const labels = [...nodes.values()].map((n) => n.label);
    expect(labels).toEqual(expect.arrayContaining(["SumBackward\n()", "ReluBackward\n(4, 2)", "AddBackward\n(4, 2)",
      "MmBackward\n(4, 2)", "weight\n (2, 3)", "bias\n (2)", "AccumulateGrad"]));
    const byLabel = (l: string) => [...nodes].find(([, n]) => n.label === l)![0];
    expect(nodes.get(byLabel("weight\n (2, 3)"))!.attrs).toBe("fillcolor=lightblue");
    expect(nodes.get("n0")).toEqual({ label: "\n ()", attrs: "fillcolor=darkolivegreen1" });
    // every edge joins two declared nodes; the root's function points at the root
    for (const [a, b] of edges) expect(nodes.has(a) && nodes.has(b)).toBe(true);
    expect(edges).toContainEqual([byLabel("SumBackward\n()"), "n0", ""]);
    expect(edges).toContainEqual([byLabel("ReluBackward\n(4, 2)"), byLabel("SumBackward\n()"), ""]);
    // two leaves, each through its own AccumulateGrad
    expect(labels.filter((l) => l === "AccumulateGrad").length).toBe(2);
  });

  test("show_saved draws what each function saved, tied by undirected edges", () => {
    const x = leaf(3), y = leaf(3);
    const dot = graph.to_dot(x.mul(y).exp().sum(), { params: { x, y }, show_saved: true });
    const { nodes, edges } = parseDot(dot);
    const saved = [...nodes].filter(([, n]) => n.attrs === "fillcolor=orange").map(([id, n]) => [id, n.label]);
    // mul saves both factors (each for the other's gradient), exp its result
    expect(saved.map(([, l]) => l).sort()).toEqual(["other\n (3)", "result\n (3)", "self\n (3)"]);
    for (const [id] of saved) expect(edges.filter(([, b, attrs]) => b === id && attrs === "dir=none").length).toBe(1);
    expect(graph.to_dot(x.mul(y).exp().sum())).not.toContain("orange");
  });

  test("a tensor outside any graph is one node; bad arguments are refused", () => {
    const { nodes, edges } = parseDot(graph.to_dot(ones([2])));
    expect(nodes.size).toBe(1);
    expect(edges).toEqual([]);
    expect(() => graph.to_dot(3 as unknown as Tensor)).toThrow("to_dot(): root must be a Tensor, got number 3");
    expect(() => graph.to_dot(ones([1]), { params: { w: 3 as unknown as Tensor } })).toThrow("params['w'] is number 3, not a Tensor");
  });
});
