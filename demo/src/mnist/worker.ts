// Panel 2's worker: minibatch Adam on the digit subset, the test accuracy about once a
// second, and predictions for the drawing pad between training slices.
import { manual_seed, nn, no_grad, optim, scope, tensor, type Tensor } from "../../../bindings/index.js";
import { runWorker } from "../worker-loop.js";
import { traceLayerGraph } from "../graph/trace.js";
import { loadDigits, PIXELS, SIDE, type Digits } from "./data.js";
import { makeDigitModel } from "./model.js";
import type { MnistExtra, MnistSettings } from "./settings.js";

const EVAL_EVERY_MS = 1000;

let digits: { train: Digits; test: Digits } | undefined;
let model: nn.Module, opt: optim.Adam, batch = 64;
let order = new Int32Array(0), cursor = 0;
let testAccuracy = NaN, lastEval = 0, evaluated = true; // evaluated: no step since the last evaluation
const lossFn = new nn.CrossEntropyLoss();

function shuffle(a: Int32Array) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/** The next minibatch of a shuffled pass over the training digits. */
function nextBatch(): { x: Tensor; y: Tensor } {
  const { train } = digits!;
  const images = new Float32Array(batch * PIXELS), labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    if (cursor === order.length) { shuffle(order); cursor = 0; }
    const i = order[cursor++];
    images.set(train.images.subarray(i * PIXELS, (i + 1) * PIXELS), b * PIXELS);
    labels[b] = train.labels[i];
  }
  return { x: tensor(images, { shape: [batch, 1, SIDE, SIDE] }), y: tensor(labels, { shape: [batch] }) };
}

function evaluate(): number {
  const { test } = digits!;
  return scope(() => no_grad(() => {
    model.eval();
    const logits = model.call(tensor(test.images, { shape: [test.count, 1, SIDE, SIDE] })) as Tensor;
    model.train();
    return logits.argmax(1).eq(tensor(test.labels, { shape: [test.count] })).sum().item() / test.count;
  }));
}

runWorker<MnistSettings, MnistExtra>({
  async reset(s) {
    digits ??= await loadDigits(s.dataUrl);
    manual_seed(0);
    batch = s.batch;
    model = makeDigitModel();
    opt = new optim.Adam(model.parameters(), { lr: s.lr });
    order = Int32Array.from({ length: digits.train.count }, (_, i) => i);
    shuffle(order);
    cursor = 0;
    testAccuracy = NaN;
    evaluated = true;
    lastEval = performance.now();
    const parameters = model.parameters().reduce((sum, p) => sum + p.numel(), 0);
    const graph = scope(() => { const { x, y } = nextBatch(); return traceLayerGraph(model, x, y, lossFn); });
    cursor = 0;
    return { graph, parameters };
  },
  settings(s) {
    for (const group of opt.param_groups) group.lr = s.lr;
    batch = s.batch;
  },
  step() {
    return scope(() => {
      const { x, y } = nextBatch();
      opt.zero_grad();
      const logits = model.call(x) as Tensor;
      const loss = lossFn.call(logits, y) as Tensor;
      loss.backward();
      opt.step();
      evaluated = false;
      return { loss: loss.item(), correct: logits.argmax(1).eq(y).sum().item(), count: batch };
    });
  },
  extra(running) {
    // while training about once a second, and once more when it stops
    if (!evaluated && (!running || performance.now() - lastEval >= EVAL_EVERY_MS)) {
      testAccuracy = evaluate();
      lastEval = performance.now();
      evaluated = true;
    }
    return { extra: { testAccuracy, trainCount: digits?.train.count ?? 0, testCount: digits?.test.count ?? 0 } };
  },
  predict(pixels) {
    return scope(() => no_grad(() => {
      model.eval();
      const logits = model.call(tensor(pixels, { shape: [1, 1, SIDE, SIDE] })) as Tensor;
      model.train();
      return Array.from(logits.softmax(1).toTypedArray() as Float32Array);
    }));
  },
});
