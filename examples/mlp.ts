// Train a small MLP to tell two noisy concentric rings apart with plain SGD: forward, backward, update
// under no_grad, gradients zeroed in place. Run with: npx tsx examples/mlp.ts
import { tensor, rand, randn, zeros, no_grad, manual_seed, memory, type Tensor } from "../bindings/index.js";

manual_seed(0);

// Two rings of 200 points each (radius 0.5 and 1, with noise); labels as one-hot rows.
const n = 200;
const angle = rand([2 * n]).mul(2 * Math.PI);
const radius = tensor(Array.from({ length: 2 * n }, (_, i) => (i < n ? 0.5 : 1))).add(randn([2 * n]).mul(0.1));
const X = tensor([angle.cos().mul(radius).tolist() as number[], angle.sin().mul(radius).tolist() as number[]]).T;
const Y = tensor(Array.from({ length: 2 * n }, (_, i) => (i < n ? [1, 0] : [0, 1])));

const hidden = 64;
const params: Tensor[] = [
  randn([2, hidden]).mul(Math.sqrt(2 / 2)).detach().requires_grad_(),
  zeros([hidden], { requires_grad: true }),
  randn([hidden, 2]).mul(Math.sqrt(2 / hidden)).detach().requires_grad_(),
  zeros([2], { requires_grad: true }),
];
const [W1, b1, W2, b2] = params;

const forward = (x: Tensor) => x.matmul(W1).add(b1).relu().matmul(W2).add(b2);

async function main() {
  for (let step = 0; step <= 1000; step++) {
    const logits = forward(X);
    const loss = logits.log_softmax(1).mul(Y).sum(1).mean().neg();
    loss.backward();
    no_grad(() => {
      for (const p of params) {
        p.sub_(p.grad!, { alpha: 0.5 });
        p.grad!.zero_();
      }
    });
    if (step % 200 === 0) {
      const predicted = no_grad(() => logits.max(1).indices);
      const accuracy = predicted.eq(Y.max(1).indices).float().mean().item();
      console.log(`step ${String(step).padStart(4)}  loss ${loss.item().toFixed(4)}  ` +
        `accuracy ${(accuracy * 100).toFixed(1)}%  live tensors ${memory().tensors}`);
      // Yielding lets the garbage collector's finalizers release dropped tensors.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

main();
