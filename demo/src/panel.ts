// What both panels share: a worker, Start/Stop and Reset, the figures, the loss plot and
// the layer graph. Each panel adds its own settings, visual and extras.
import { fmt, h, stats } from "./dom.js";
import { LossPlot } from "./lossplot.js";
import { renderGraphSvg } from "./graph/svg.js";
import { panelFromProgress, type PanelState } from "./state.js";
import type { FromWorker, Progress, ToWorker } from "./protocol.js";

export interface PanelOptions<S, E> {
  id: string;
  title: string;
  subtitle: string;
  color: string;
  worker: Worker;
  settings: () => S;
  state: PanelState;
  controls: HTMLElement[];
  visual: HTMLElement;
  extraStats?: [key: string, label: string][];
  onProgress(p: Progress<E>, set: (key: string, text: string) => void): void;
  onPrediction?(id: number, probs: number[]): void;
}

export function createPanel<S, E>(o: PanelOptions<S, E>) {
  const send = (m: ToWorker<S>, transfer: Transferable[] = []) => o.worker.postMessage(m, transfer);
  let wanted = false;
  const startButton = h("button", { id: `${o.id}-start`, class: "primary", disabled: "" }, "Start");
  const resetButton = h("button", { id: `${o.id}-reset` }, "Reset");
  const figures = stats([["step", "step"], ["loss", "loss"], ["accuracy", "train accuracy"], ...(o.extraStats ?? []), ["speed", "samples/s"], ["params", "parameters"]], o.id);
  const plotBox = h("div", { class: "plot" });
  const graphBox = h("div", { class: "graph-box" }, "tracing the model…");
  const graphCaption = h("p", { class: "caption" });
  const status = h("p", { class: "status", id: `${o.id}-status`, role: "status" }, "loading…");
  const element = h("section", { class: "panel", id: o.id },
    h("header", {}, h("h2", {}, o.title), h("p", {}, o.subtitle)),
    h("div", { class: "toolbar" }, startButton, resetButton, ...o.controls, status),
    figures.element,
    h("div", { class: "panel-body" },
      h("div", { class: "visual" }, o.visual),
      h("div", { class: "chart" }, h("h3", {}, "Training loss"), plotBox)),
    h("div", { class: "graph-section" }, h("h3", {}, "Model graph"), graphBox, graphCaption));
  let plot: LossPlot | undefined; // made once the panel is in the page and has a width

  const setRunning = (on: boolean) => {
    wanted = on;
    o.state.running = on;
    startButton.textContent = on ? "Stop" : "Start";
    send({ type: on ? "start" : "stop" });
  };
  startButton.addEventListener("click", () => setRunning(!wanted));
  const reset = () => {
    o.state.ready = false;
    o.state.firstLoss = NaN;
    plot?.clear();
    status.textContent = "resetting…";
    send({ type: "reset", settings: o.settings() });
  };
  resetButton.addEventListener("click", reset);

  o.worker.onmessage = (event: MessageEvent<FromWorker<E>>) => {
    const m = event.data;
    if (m.type === "ready") {
      o.state.ready = true;
      startButton.removeAttribute("disabled");
      status.textContent = wanted ? "training" : "ready";
      figures.set("params", fmt.int(m.parameters));
      graphBox.replaceChildren(renderGraphSvg(m.graph));
      graphCaption.textContent = m.graph.caption;
    } else if (m.type === "progress") {
      panelFromProgress(o.state, m);
      o.state.running = wanted; // the button's state: a report may predate the last click
      plot?.add(m.points);
      figures.set("step", fmt.int(m.step));
      figures.set("loss", fmt.loss(m.loss));
      figures.set("accuracy", fmt.pct(m.accuracy));
      figures.set("speed", m.running ? fmt.int(m.samplesPerSec) : "–");
      if (o.state.ready) status.textContent = m.running ? "training" : "stopped";
      o.onProgress(m, figures.set);
    } else if (m.type === "prediction") {
      o.onPrediction?.(m.id, m.probs);
    } else if (m.type === "error") {
      o.state.error = m.message;
      status.textContent = `error: ${m.message.split("\n")[0]}`;
      console.error(m.message);
    }
  };
  o.worker.onerror = (e) => { o.state.error = e.message; status.textContent = `worker error: ${e.message}`; };

  return {
    element,
    /** Call once the panel is in the document: the plot needs its width. */
    mount() { plot = new LossPlot(plotBox, o.color); reset(); },
    reset,
    updateSettings: () => send({ type: "settings", settings: o.settings() }),
    send,
  };
}
