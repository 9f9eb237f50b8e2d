// The model's layer graph, traced in the worker: one forward pass with a hook on every leaf
// module records which module's output fed which module, the shapes, and each output's
// grad_fn name.
//
// The layer graph rather than the autograd graph (which loss.grad_fn.next_functions and
// graph.to_dot give op by op): one box per layer reads better at this size. The modules
// come from model.named_modules(), and the loss node shows loss.grad_fn.

import { nn, scope, Tensor } from "../../../bindings/index.js";
import type { GraphNode, GraphSpec } from "./spec.js";

const shape = (t: Tensor) => `[${t.shape.join(", ")}]`;

export function traceLayerGraph(model: nn.Module, input: Tensor, target: Tensor, lossFn: nn.Module): GraphSpec {
  const nodes: GraphNode[] = [{ id: "input", kind: "input", title: "input", lines: [shape(input)] }];
  const edges: [string, string][] = [];
  const producer = new Map<Tensor, string>([[input, "input"]]);
  let last = "input";
  const leaves = model.named_modules().filter(([, m]) => m.children().length === 0);
  const handles = leaves.map(([name, module]) => module.register_forward_hook((_m, args, output) => {
    const id = `m:${name}`;
    const out = output as Tensor;
    const extra = module.extra_repr();
    nodes.push({
      id, kind: "layer", title: `${name} ${module._name()}`,
      lines: [...(extra ? [extra.replace(/_features/g, "")] : []), `→ ${shape(out)}`, out.grad_fn ? `grad_fn: ${out.grad_fn.name()}` : "no grad_fn"],
    });
    // an argument made by a module recorded so far is an edge; otherwise (an op between
    // modules in a custom forward) the previous module is the nearest known source
    const sources = args.filter((a): a is Tensor => a instanceof Tensor).map((a) => producer.get(a) ?? last);
    for (const s of new Set(sources)) edges.push([s, id]);
    for (const [pname, p] of module.named_parameters({ recurse: false })) {
      const pid = `p:${name}.${pname}`;
      nodes.push({ id: pid, kind: "param", title: pname, lines: [shape(p)] });
      edges.push([pid, id]);
    }
    producer.set(out, id);
    last = id;
  }));
  try {
    scope(() => {
      const output = model.call(input) as Tensor;
      const loss = lossFn.call(output, target) as Tensor;
      nodes.push({ id: "target", kind: "input", title: "target", lines: [shape(target)] });
      nodes.push({
        id: "loss", kind: "loss", title: `loss ${lossFn._name()}`,
        lines: [`${shape(loss)}, ${loss.item().toFixed(3)} untrained`, `grad_fn: ${loss.grad_fn?.name() ?? "none"}`],
      });
      edges.push([producer.get(output) ?? last, "loss"], ["target", "loss"]);
    });
  } finally {
    for (const h of handles) h.remove();
  }
  return {
    caption: "Layer graph of the loss, from model.named_modules() and forward hooks",
    nodes, edges,
  };
}
