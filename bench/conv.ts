// A LeNet-style convolutional step, timed: forward and backward of
// conv(6@5x5) -> relu -> max_pool 2 -> conv(16@5x5) -> relu -> max_pool 2 -> sum on a
// batch of 64x1x28x28, and its parts on their own. Medians over repeated runs after a
// warm-up; `npx tsx bench/conv.ts` (bench/conv_torch.py times the same in PyTorch).
import { randn, scope, type Tensor } from "../bindings/index.js";
import { conv2d, unfold } from "../bindings/nn/conv.js";
import { avg_pool2d, max_pool2d } from "../bindings/nn/pooling.js";

const RUNS = Number(process.env.RUNS ?? 15), WARMUP = 3;

function median(fn: () => void): number {
  for (let i = 0; i < WARMUP; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const x = randn([64, 1, 28, 28]);
const w1 = randn([6, 1, 5, 5], { requires_grad: true }), b1 = randn([6], { requires_grad: true });
const w2 = randn([16, 6, 5, 5], { requires_grad: true }), b2 = randn([16], { requires_grad: true });
const h1 = randn([64, 6, 24, 24], { requires_grad: true });
const p1 = randn([64, 6, 12, 12], { requires_grad: true });
const clear = (...ts: Tensor[]) => ts.forEach((t) => t.grad?.dispose());

const results: [string, number][] = [
  ["LeNet step: forward + backward", median(() => scope(() => {
    const y = max_pool2d(conv2d(x, w1, b1).relu(), 2);
    max_pool2d(conv2d(y, w2, b2).relu(), 2).sum().backward();
    clear(w1, b1, w2, b2);
  }))],
  ["LeNet forward only", median(() => scope(() => { max_pool2d(conv2d(max_pool2d(conv2d(x, w1, b1).relu(), 2), w2, b2).relu(), 2).sum(); }))],
  ["conv1 (1->6, 5x5 on 28x28) fwd+bwd (weight, bias)", median(() => scope(() => { conv2d(x, w1, b1).sum().backward(); clear(w1, b1); }))],
  ["conv2 (6->16, 5x5 on 12x12) fwd+bwd (input, weight, bias)", median(() => scope(() => {
    conv2d(p1, w2, b2).sum().backward(); clear(p1, w2, b2);
  }))],
  ["unfold of conv2's input (64x6x12x12, 5x5)", median(() => scope(() => { unfold(p1.detach(), 5); }))],
  ["max_pool2d 2 of 64x6x24x24 fwd+bwd", median(() => scope(() => { max_pool2d(h1, 2).sum().backward(); clear(h1); }))],
  ["avg_pool2d 2 of 64x6x24x24 fwd+bwd", median(() => scope(() => { avg_pool2d(h1, 2).sum().backward(); clear(h1); }))],
];
for (const [name, ms] of results) console.log(`${name.padEnd(60)} ${ms.toFixed(2).padStart(8)} ms`);
