// The live loss plot of a panel (uPlot, log-scaled loss against step). Points arrive about
// ten a second; past MAX_POINTS every other one is dropped so redraws stay cheap.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const MAX_POINTS = 1500;

// a log axis with a tick, a label and a grid line at each power of ten only (small ones as 1e-4)
const logAxis = {
  splits: (_u: uPlot, _axis: number, min: number, max: number) => {
    const out: number[] = [];
    for (let e = Math.ceil(Math.log10(min) - 1e-9); e <= Math.floor(Math.log10(max) + 1e-9); e++) out.push(10 ** e);
    return out;
  },
  values: (_u: uPlot, splits: number[]) => splits.map((v) => (v >= 0.01 ? String(+v.toPrecision(1)) : `1e${Math.round(Math.log10(v))}`)),
};

export class LossPlot {
  private steps: number[] = [];
  private losses: number[] = [];
  private plot: uPlot;
  private dirty = false;

  constructor(container: HTMLElement, color: string) {
    this.plot = new uPlot({
      width: Math.max(200, container.clientWidth), height: 190,
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      legend: { show: false },
      cursor: { show: false },
      axes: [
        { label: "step", size: 34, labelSize: 14, stroke: "#555", grid: { stroke: "#eee" } },
        { label: "loss", size: 50, labelSize: 14, stroke: "#555", grid: { stroke: "#eee" }, ...logAxis },
      ],
      series: [{}, { stroke: color, width: 1.5, points: { show: false } }],
    }, [[], []], container);
    // follow the container's width (the panels reflow on narrow screens)
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(200, container.clientWidth), height: 190 })).observe(container);
  }

  add(points: [number, number][]) {
    for (const [step, loss] of points) {
      if (!(loss > 0)) continue; // a log scale: a loss of exactly 0 cannot be drawn
      this.steps.push(step); this.losses.push(loss);
    }
    if (this.steps.length > MAX_POINTS) {
      this.steps = this.steps.filter((_, i) => i % 2 === 0);
      this.losses = this.losses.filter((_, i) => i % 2 === 0);
    }
    if (points.length > 0 && !this.dirty) {
      // one redraw per animation frame at most
      this.dirty = true;
      requestAnimationFrame(() => { this.dirty = false; this.plot.setData([this.steps, this.losses]); });
    }
  }

  clear() {
    this.steps = []; this.losses = [];
    this.plot.setData([[], []]);
  }
}
