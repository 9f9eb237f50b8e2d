// A minimal layered renderer for a GraphSpec: columns by longest path from the inputs
// (left to right), parameters pulled next to the layer they feed, boxes and curved edges in
// one SVG that scales to its container.

import type { GraphNode, GraphSpec } from "./spec.js";

const NS = "http://www.w3.org/2000/svg";
const BOX_W = 150, LINE_H = 13, TITLE_H = 18, PAD = 6, GAP_X = 34, GAP_Y = 12;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Column of each node: longest path from a source; then every source (input, parameter, target) moves just left of its first consumer. */
function columns(spec: GraphSpec): Map<string, number> {
  const incoming = new Map(spec.nodes.map((n) => [n.id, [] as string[]]));
  const outgoing = new Map(spec.nodes.map((n) => [n.id, [] as string[]]));
  for (const [a, b] of spec.edges) { outgoing.get(a)?.push(b); incoming.get(b)?.push(a); }
  const col = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = col.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle would be a bug in the spec; draw it anyway
    seen.add(id);
    const c = Math.max(-1, ...incoming.get(id)!.map((p) => visit(p, seen))) + 1;
    col.set(id, c);
    return c;
  };
  for (const n of spec.nodes) visit(n.id, new Set());
  for (const n of spec.nodes) {
    const outs = outgoing.get(n.id)!;
    if (incoming.get(n.id)!.length === 0 && outs.length > 0) col.set(n.id, Math.max(0, Math.min(...outs.map((o) => col.get(o)!)) - 1));
  }
  return col;
}

const height = (n: GraphNode) => TITLE_H + n.lines.length * LINE_H + PAD;

export function renderGraphSvg(spec: GraphSpec): SVGSVGElement {
  const col = columns(spec);
  const byCol: GraphNode[][] = [];
  for (const n of spec.nodes) (byCol[col.get(n.id)!] ??= []).push(n);
  // main-path nodes first in a column, parameters below them
  const order = { input: 1, layer: 0, loss: 0, param: 2 } as const;
  for (const nodes of byCol) nodes?.sort((a, b) => order[a.kind] - order[b.kind]);
  const pos = new Map<string, { x: number; y: number; h: number }>();
  let maxH = 0;
  byCol.forEach((nodes, c) => {
    let y = 0;
    for (const n of nodes ?? []) {
      pos.set(n.id, { x: c * (BOX_W + GAP_X), y, h: height(n) });
      y += height(n) + GAP_Y;
    }
    maxH = Math.max(maxH, y - GAP_Y);
  });
  const width = byCol.length * (BOX_W + GAP_X) - GAP_X;
  const svg = el("svg", { viewBox: `-2 -2 ${width + 4} ${maxH + 4}`, class: "graph", role: "img", "aria-label": spec.caption });
  svg.append(el("title", {}, spec.caption));
  const defs = el("defs", {});
  const marker = el("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M0,0 L8,4 L0,8 z", class: "graph-arrow" }));
  defs.append(marker);
  svg.append(defs);
  for (const [a, b] of spec.edges) {
    const p = pos.get(a), q = pos.get(b);
    if (!p || !q) continue;
    const x1 = p.x + BOX_W, y1 = p.y + Math.min(p.h / 2, TITLE_H), x2 = q.x, y2 = q.y + Math.min(q.h / 2, TITLE_H);
    const mid = (x1 + x2) / 2;
    svg.append(el("path", { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 1},${y2}`, class: "graph-edge", "marker-end": "url(#arrow)" }));
  }
  for (const n of spec.nodes) {
    const p = pos.get(n.id)!;
    const g = el("g", { transform: `translate(${p.x},${p.y})`, class: `graph-node graph-${n.kind}` });
    g.append(el("rect", { width: BOX_W, height: p.h, rx: 5 }));
    g.append(el("text", { x: 8, y: 13, class: "graph-title" }, n.title));
    n.lines.forEach((line, i) => g.append(el("text", { x: 8, y: TITLE_H + 10 + i * LINE_H, class: "graph-line" }, line)));
    svg.append(g);
  }
  return svg;
}
