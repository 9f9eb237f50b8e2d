// Draws the computation graphs of d2l section 2.5 as SVG files: the graph that backward()
// walks for each of the chapter's examples, from graph.to_dot, rendered by Graphviz
// compiled to wasm (@viz-js/viz, a dev dependency: wasmgrad itself needs none).
//
//   npx tsx examples/graphs.ts [--out graphs]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { instance } from "@viz-js/viz";
import { arange, graph, randn, type Tensor } from "../bindings/index.js";

const { values: args } = parseArgs({ options: { out: { type: "string", default: "graphs" } } });

// d2l 2.5.4: a function whose graph depends on the data through while and if
function f(a: Tensor): Tensor {
  let b = a.mul(2);
  while (b.norm().item() < 1000) b = b.mul(2);
  return b.sum().item() > 0 ? b : b.mul(100);
}

const examples: [string, string, () => [Tensor, Record<string, Tensor>]][] = [
  ["y = 2 x.x (2.5.1)", "dot", () => {
    const x = arange(4, { requires_grad: true });
    return [x.dot(x).mul(2), { x }];
  }],
  ["y = x.sum() (2.5.1)", "sum", () => {
    const x = arange(4, { requires_grad: true });
    return [x.sum(), { x }];
  }],
  ["sum(x * x), a non-scalar output reduced (2.5.2)", "non-scalar", () => {
    const x = arange(4, { requires_grad: true });
    return [x.mul(x).sum(), { x }];
  }],
  ["z = u * x with u = (x * x).detach() (2.5.3)", "detach", () => {
    const x = arange(4, { requires_grad: true });
    const u = x.mul(x).detach();
    return [u.mul(x).sum(), { x }];
  }],
  ["control flow: while and if (2.5.4)", "control-flow", () => {
    const a = randn([], { requires_grad: true });
    return [f(a), { a }];
  }],
];

mkdirSync(args.out, { recursive: true });
for (const [title, file, build] of examples) {
  const [root, params] = build();
  const dot = graph.to_dot(root, { params, show_saved: true });
  // a fresh Graphviz each time: @viz-js/viz 3.31's instance can fail on its second render
  const svg = (await instance()).renderString(dot, { format: "svg" });
  const path = join(args.out, `${file}.svg`);
  writeFileSync(path, svg);
  console.log(`${title}: ${path} (${dot.split("\n").filter((l) => l.includes("label=")).length} nodes)`);
}
