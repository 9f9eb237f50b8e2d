// Panel 1's worker: full-batch Adam on the 2-D points; every ~200 ms the class
// probabilities on the boundary grid go to the page.
import { manual_seed, nn, no_grad, optim, scope, tensor, type Tensor } from "../../../bindings/index.js";
import { runWorker } from "../worker-loop.js";
import { traceLayerGraph } from "../graph/trace.js";
import { makePoints, type Points } from "./data.js";
import { makeClassifier } from "./model.js";
import { EXTENT, GRID, type SpiralExtra, type SpiralSettings } from "./settings.js";

const GRID_EVERY_MS = 200;

let model: nn.Module, opt: optim.Adam, data: Points, x: Tensor, y: Tensor, lattice: Tensor;
const lossFn = new nn.CrossEntropyLoss();
let lastGrid = 0, sendPoints = false, stepsPerSec = 0;

// the lattice's points, made once: row r is y = EXTENT at the top down to -EXTENT
const coords = new Float32Array(GRID * GRID * 2);
for (let r = 0; r < GRID; r++) {
  for (let c = 0; c < GRID; c++) {
    coords[2 * (r * GRID + c)] = -EXTENT + (2 * EXTENT * (c + 0.5)) / GRID;
    coords[2 * (r * GRID + c) + 1] = EXTENT - (2 * EXTENT * (r + 0.5)) / GRID;
  }
}
lattice = tensor(coords, { shape: [GRID * GRID, 2] });

runWorker<SpiralSettings, SpiralExtra>({
  async reset(s) {
    x?.dispose(); y?.dispose();
    manual_seed(0);
    data = makePoints(s.dataset, 100, s.dataset === "spirals" ? 0.03 : 0.06);
    x = tensor(data.x, { shape: [data.n, 2] });
    y = tensor(data.y, { shape: [data.n] });
    model = makeClassifier(s.hidden, data.classes, s.activation);
    stepsPerSec = s.stepsPerSec;
    opt = new optim.Adam(model.parameters(), { lr: s.lr });
    lastGrid = 0;
    sendPoints = true;
    const parameters = model.parameters().reduce((sum, p) => sum + p.numel(), 0);
    return { graph: traceLayerGraph(model, x, y, lossFn), parameters };
  },
  settings(s) {
    for (const group of opt.param_groups) group.lr = s.lr;
    stepsPerSec = s.stepsPerSec;
  },
  maxStepsPerSec: () => stepsPerSec,
  step() {
    return scope(() => {
      opt.zero_grad();
      const logits = model.call(x) as Tensor;
      const loss = lossFn.call(logits, y) as Tensor;
      loss.backward();
      opt.step();
      const correct = logits.argmax(1).eq(y).sum().item();
      return { loss: loss.item(), correct, count: data.n };
    });
  },
  extra() {
    const now = performance.now();
    let grid: Float32Array | null = null;
    if (now - lastGrid >= GRID_EVERY_MS || sendPoints) {
      lastGrid = now;
      grid = scope(() => no_grad(() => (model.call(lattice) as Tensor).softmax(1).toTypedArray() as Float32Array));
    }
    const points = sendPoints ? { x: data.x.slice(), y: data.y.slice() } : null;
    sendPoints = false;
    return { extra: { grid, classes: data.classes, points }, transfer: grid ? [grid.buffer] : [] };
  },
});
