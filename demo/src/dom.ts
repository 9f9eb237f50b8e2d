// A few DOM helpers, so the panels read as their structure.

type Child = Node | string;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A labelled <select>; onChange gets the chosen value. */
export function select(label: string, id: string, options: [value: string, text: string][], value: string, onChange: (v: string) => void) {
  const input = h("select", { id }, ...options.map(([v, t]) => h("option", { value: v }, t)));
  input.value = value;
  input.addEventListener("change", () => onChange(input.value));
  return { element: h("label", { class: "field" }, h("span", {}, label), input), input };
}

/** A row of named figures (step, loss, ...); set() updates one. */
export function stats(names: [key: string, label: string][], idPrefix: string) {
  const values = new Map<string, HTMLElement>();
  const element = h("dl", { class: "stats" }, ...names.map(([key, label]) => {
    const dd = h("dd", { id: `${idPrefix}-${key}` }, "–");
    values.set(key, dd);
    return h("div", {}, h("dt", {}, label), dd);
  }));
  return { element, set: (key: string, text: string) => { values.get(key)!.textContent = text; } };
}

export const fmt = {
  int: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–"),
  loss: (v: number) => (Number.isFinite(v) ? v.toFixed(4) : "–"),
  pct: (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "–"),
};
