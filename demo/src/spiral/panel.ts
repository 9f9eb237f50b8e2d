// Panel 1: a 2-D classifier whose decision boundary is redrawn as it learns.
import { select } from "../dom.js";
import { createPanel } from "../panel.js";
import { demoState } from "../state.js";
import { BoundaryView } from "./boundary.js";
import type { Activation, SpiralExtra, SpiralSettings } from "./settings.js";
import type { DatasetName } from "./data.js";

export function spiralPanel() {
  const settings: SpiralSettings = { dataset: "spirals", activation: "ReLU", hidden: 32, lr: 0.01, stepsPerSec: 100 };
  const view = new BoundaryView(340);
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "spiral" });
  // changing the data or the model starts over; the learning rate applies to the next step
  const dataset = select("data", "spiral-dataset", [["spirals", "3 spirals"], ["moons", "2 moons"]], settings.dataset,
    (v) => { settings.dataset = v as DatasetName; panel.reset(); });
  const activation = select("activation", "spiral-activation", [["ReLU", "ReLU"], ["Tanh", "Tanh"]], settings.activation,
    (v) => { settings.activation = v as Activation; panel.reset(); });
  const hidden = select("hidden", "spiral-hidden", [["8", "8"], ["16", "16"], ["32", "32"], ["64", "64"]], String(settings.hidden),
    (v) => { settings.hidden = Number(v); panel.reset(); });
  const lr = select("learning rate", "spiral-lr", [["0.001", "0.001"], ["0.003", "0.003"], ["0.01", "0.01"], ["0.03", "0.03"], ["0.1", "0.1"]], String(settings.lr),
    (v) => { settings.lr = Number(v); panel.updateSettings(); });
  const speed = select("speed", "spiral-speed", [["30", "30 steps/s"], ["100", "100 steps/s"], ["300", "300 steps/s"], ["1000", "1000 steps/s"], ["0", "max"]], String(settings.stepsPerSec),
    (v) => { settings.stepsPerSec = Number(v); panel.updateSettings(); });
  const panel = createPanel<SpiralSettings, SpiralExtra>({
    id: "spiral",
    title: "2-D classifier",
    subtitle: "An MLP (2 → hidden → hidden → classes) trained with Adam on all points at once; the background is its prediction on a 64×64 grid.",
    color: "#e15759",
    worker,
    settings: () => ({ ...settings }),
    state: demoState.spiral,
    controls: [dataset.element, activation.element, hidden.element, lr.element, speed.element],
    visual: view.canvas,
    onProgress(p) {
      if (p.extra.points) view.setPoints(p.extra.points);
      if (p.extra.grid) {
        view.setGrid(p.extra.grid, p.extra.classes);
        demoState.spiral.boundaryFrames++;
      }
    },
  });
  return panel;
}
