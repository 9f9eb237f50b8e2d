// The predicted digit and a bar per class probability.
import { h } from "../dom.js";

export class ProbabilityBars {
  readonly element: HTMLElement;
  private digit = h("output", { id: "mnist-digit", class: "digit" }, "?");
  private bars: HTMLElement[] = [];
  private values: HTMLElement[] = [];

  constructor() {
    const rows = Array.from({ length: 10 }, (_, d) => {
      const bar = h("span", { class: "bar-fill" });
      const value = h("span", { class: "bar-value" }, "");
      this.bars.push(bar); this.values.push(value);
      return h("div", { class: "bar-row" }, h("span", { class: "bar-label" }, String(d)), h("span", { class: "bar" }, bar), value);
    });
    this.element = h("div", { class: "prediction" },
      h("div", { class: "digit-box" }, h("span", { class: "digit-caption" }, "prediction"), this.digit),
      h("div", { class: "bars", id: "mnist-bars" }, ...rows));
  }

  show(probs: number[] | null) {
    const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
    this.digit.textContent = best < 0 ? "?" : String(best);
    for (let d = 0; d < 10; d++) {
      const p = probs?.[d] ?? 0;
      this.bars[d].style.width = `${(100 * p).toFixed(1)}%`;
      this.bars[d].classList.toggle("best", d === best);
      this.values[d].textContent = probs ? `${(100 * p).toFixed(0)}%` : "";
    }
  }
}
