// Panel 2: an MNIST classifier, and a pad to draw digits for it.
import { fmt, h, select } from "../dom.js";
import { createPanel } from "../panel.js";
import { demoState } from "../state.js";
import { ProbabilityBars } from "./bars.js";
import { DrawingPad } from "./pad.js";
import { normalise } from "./data.js";
import type { MnistExtra, MnistSettings } from "./settings.js";

export function mnistPanel() {
  const settings: MnistSettings = { lr: 0.001, batch: 64, dataUrl: new URL("mnist-subset.bin", document.baseURI).href };
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "mnist" });
  const bars = new ProbabilityBars();
  let requested = 0, image: Float32Array | null = null;
  // the latest drawing goes to the worker; an answer to an older one is dropped
  const predict = () => {
    if (image === null || !demoState.mnist.ready) return;
    const pixels = Float32Array.from(image, normalise);
    panel.send({ type: "predict", id: ++requested, pixels }, [pixels.buffer]);
  };
  const pad = new DrawingPad((drawn) => {
    image = drawn;
    if (drawn === null) { requested++; bars.show(null); demoState.mnist.prediction = null; } else predict();
  });
  const clear = h("button", { id: "mnist-clear" }, "Clear");
  clear.addEventListener("click", () => pad.clear());
  const lr = select("learning rate", "mnist-lr", [["0.0003", "0.0003"], ["0.001", "0.001"], ["0.003", "0.003"], ["0.01", "0.01"]], String(settings.lr),
    (v) => { settings.lr = Number(v); panel.updateSettings(); });
  const batch = select("batch", "mnist-batch", [["16", "16"], ["32", "32"], ["64", "64"], ["128", "128"]], String(settings.batch),
    (v) => { settings.batch = Number(v); panel.updateSettings(); });
  let lastPredictionStep = -1;
  const visual = h("div", { class: "pad-area" },
    h("div", { class: "pad-column" }, h("div", { class: "pad-frame" }, pad.canvas, pad.hint),
      h("div", { class: "pad-tools" }, clear, h("label", { class: "preview-box" }, "model input (28×28)", pad.preview))),
    bars.element);
  const panel = createPanel<MnistSettings, MnistExtra>({
    id: "mnist",
    title: "MNIST digits",
    subtitle: "An MLP (784 → 128 → 10) trained with Adam on minibatches of 6,000 digits from the mnist package; test accuracy on 1,000 others.",
    color: "#4e79a7",
    worker,
    settings: () => ({ ...settings }),
    state: demoState.mnist,
    controls: [lr.element, batch.element],
    visual,
    extraStats: [["test", "test accuracy"]],
    onProgress(p, set) {
      demoState.mnist.testAccuracy = p.extra.testAccuracy;
      set("test", fmt.pct(p.extra.testAccuracy));
      // the pad's digit is predicted again about once a second while the model learns
      if (p.running && p.step - lastPredictionStep >= 300) { lastPredictionStep = p.step; predict(); }
    },
    onPrediction(id, probs) {
      if (id !== requested) return;
      bars.show(probs);
      demoState.mnist.prediction = { digit: probs.indexOf(Math.max(...probs)), probs, at: performance.now() };
    },
  });
  return panel;
}
