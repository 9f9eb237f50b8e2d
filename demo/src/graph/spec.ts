// What the graph renderers draw: nodes and edges, no layout. graph/svg.ts draws it; a DOT
// export can take the same spec.

export type NodeKind = "input" | "layer" | "param" | "loss";

export interface GraphNode {
  id: string;
  kind: NodeKind;
  title: string;
  lines: string[]; // smaller lines under the title: shapes, grad_fn names
}

export interface GraphSpec {
  caption: string;
  nodes: GraphNode[];
  edges: [from: string, to: string][];
}
