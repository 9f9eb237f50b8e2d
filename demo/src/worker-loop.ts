// The training loop that both workers run: steps in slices of ~25 ms, yielding between
// slices so that stop/settings/predict messages are handled while training, and progress
// reports about ten times a second.

import type { FromWorker, ToWorker } from "./protocol.js";
import type { GraphSpec } from "./graph/spec.js";

export interface StepResult { loss: number; correct: number; count: number }

export interface Task<S, E> {
  reset(settings: S): Promise<{ graph: GraphSpec; parameters: number }>;
  settings(settings: S): void;
  step(): StepResult;
  /** What a progress report carries besides the loss: the boundary grid, the test accuracy. */
  extra(running: boolean): { extra: E; transfer?: Transferable[] };
  predict?(pixels: Float32Array): number[];
  /** A cap on the training speed (0: none), so that a fast model can be watched learning. */
  maxStepsPerSec?(): number;
}

// The worker's global scope, typed here so that the demo needs only the DOM library.
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

const SLICE_MS = 25;
const REPORT_MS = 100;

export function runWorker<S, E>(task: Task<S, E>): void {
  const self_ = self as unknown as WorkerScope;
  const post = (m: FromWorker<E>, transfer: Transferable[] = []) => self_.postMessage(m, transfer);
  // running: training now; wanted: asked to train (a start before the model is ready waits for it)
  let running = false, wanted = false, ready = false, step = 0;
  let sumLoss = 0, steps = 0, correct = 0, count = 0, samples = 0, lastReport = performance.now();
  let lastLoss = NaN, lastAccuracy = NaN;
  // a zero-delay yield: nested setTimeout(0) is clamped to 4 ms
  const channel = new MessageChannel();
  let pending = false; // at most one slice is ever queued
  channel.port1.onmessage = () => { pending = false; slice(); };
  const schedule = () => { if (!pending) { pending = true; channel.port2.postMessage(0); } };
  // pacing under a cap: `paced` steps since `paceStart`
  let paceStart = 0, paced = 0;
  const restartPace = () => { paceStart = performance.now(); paced = 0; };
  const maybeRun = () => {
    if (wanted && ready && !running) { running = true; lastReport = performance.now(); samples = 0; restartPace(); schedule(); }
  };

  function report(points: [number, number][]) {
    const now = performance.now();
    const { extra, transfer } = task.extra(running);
    post({
      type: "progress", running, step, samplesPerSec: samples / Math.max(1e-3, (now - lastReport) / 1000),
      points, loss: lastLoss, accuracy: lastAccuracy, extra,
    }, transfer);
    samples = 0;
    lastReport = now;
  }

  function flush() {
    const points: [number, number][] = steps > 0 ? [[step, sumLoss / steps]] : [];
    if (steps > 0) { lastLoss = sumLoss / steps; lastAccuracy = correct / count; }
    sumLoss = steps = correct = count = 0;
    report(points);
  }

  function slice() {
    if (!running) return;
    try {
      const end = performance.now() + SLICE_MS;
      const cap = task.maxStepsPerSec?.() ?? 0;
      let ahead = false;
      do {
        if (cap > 0 && paced >= ((performance.now() - paceStart) * cap) / 1000) { ahead = true; break; }
        const r = task.step();
        step++; paced++;
        sumLoss += r.loss; steps++; correct += r.correct; count += r.count; samples += r.count;
      } while (performance.now() < end);
      if (performance.now() - lastReport >= REPORT_MS) flush();
      if (ahead) {
        // wait until the next step is due (messages are handled meanwhile)
        pending = true;
        setTimeout(() => { pending = false; slice(); }, Math.max(1, paceStart + (1000 * paced) / cap - performance.now()));
      } else schedule();
    } catch (error) {
      running = wanted = false;
      post({ type: "error", message: String((error as Error)?.stack ?? error) });
    }
  }

  self_.onmessage = async (event: MessageEvent<ToWorker<S>>) => {
    const m = event.data;
    try {
      switch (m.type) {
        case "reset": {
          running = false; ready = false;
          const info = await task.reset(m.settings);
          step = 0; sumLoss = steps = correct = count = samples = 0; lastLoss = lastAccuracy = NaN;
          ready = true;
          post({ type: "ready", ...info });
          report([]);
          maybeRun();
          break;
        }
        case "settings": task.settings(m.settings); restartPace(); break;
        case "start": wanted = true; maybeRun(); break;
        case "stop":
          wanted = false;
          if (running) { running = false; flush(); }
          break;
        case "predict":
          if (ready && task.predict) post({ type: "prediction", id: m.id, probs: task.predict(m.pixels) });
          break;
      }
    } catch (error) {
      post({ type: "error", message: String((error as Error)?.stack ?? error) });
    }
  };
}
