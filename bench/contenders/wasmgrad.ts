// wasmgrad, each call in scope() (as tf.tidy for tfjs), or written as PyTorch code is,
// with no release at all (memory then stays bounded by eviction, see bindings/lifetime.ts).
// `lib` is this checkout's bindings, or an earlier build's dist/ (WASMGRAD_BASELINE, see
// bench/run.ts) to compare two versions in one run.
import type * as Wasmgrad from "../../bindings/index.js";
import type { Data, Session } from "../workloads.js";

type Lib = typeof Wasmgrad;

const values = (ts: (Wasmgrad.Tensor | null)[]) => ts.map((t) => t!.toTypedArray());

// A training step's session: the gradients of `params` from lossAndGrads, and a plain SGD update.
function sgd(wg: Lib, scope: <T>(fn: () => T) => T, params: Wasmgrad.Tensor[], lossAndGrads: () => void, lr: number): Session {
  return {
    grads: () => scope(() => { lossAndGrads(); return values(params.map((p) => p.grad)); }),
    step: () => scope(() => {
      lossAndGrads();
      wg.no_grad(() => { for (const p of params) p.sub_(p.grad!, { alpha: lr }); });
    }),
  };
}

export const setupScoped = (lib: Lib, scoped: boolean) => (d: Data) => setup(lib, d, scoped ? lib.scope : (fn) => fn());

async function setup(wg: Lib, d: Data, scope: <T>(fn: () => T) => T): Promise<Session | null> {
  switch (d.kind) {
    case "ew": {
      const x = wg.tensor(d.x, { requires_grad: true }), w = wg.tensor(d.w, { requires_grad: true });
      const b = wg.tensor(d.b);
      const step = () => scope(() => {
        x.grad = null; w.grad = null;
        x.mul(w).add(b).tanh().mul(x).sum().backward();
      });
      return { step, grads: () => { step(); return values([x.grad, w.grad]); } };
    }
    case "mm": {
      const a = wg.tensor(d.a, { shape: [d.n, d.n], requires_grad: true });
      const b = wg.tensor(d.b, { shape: [d.n, d.n], requires_grad: true });
      const step = () => scope(() => {
        a.grad = null; b.grad = null;
        a.matmul(b).sum().backward();
      });
      return { step, grads: () => { step(); return values([a.grad, b.grad]); } };
    }
    case "mlp": {
      const x = wg.tensor(d.x, { shape: [d.batch, d.inputs] });
      const y = wg.tensor(d.y, { shape: [d.batch, d.classes] });
      const params = [
        wg.tensor(d.w1, { shape: [d.inputs, d.hidden], requires_grad: true }),
        wg.tensor(d.b1, { requires_grad: true }),
        wg.tensor(d.w2, { shape: [d.hidden, d.classes], requires_grad: true }),
        wg.tensor(d.b2, { requires_grad: true }),
      ];
      const [w1, b1, w2, b2] = params;
      const lossAndGrads = () => {
        for (const p of params) p.grad = null;
        const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
        logits.log_softmax(1).mul(y).sum().div(-d.batch).backward();
      };
      return sgd(wg, scope, params, lossAndGrads, d.lr);
    }
    case "lenet": {
      if (wg.nn?.functional?.conv2d === undefined) return null; // builds before nn
      const F = wg.nn.functional;
      const x = wg.tensor(d.x, { shape: [d.batch, 1, 28, 28] });
      const y = wg.tensor(d.y, { shape: [d.batch, d.classes] });
      const params = [
        wg.tensor(d.w1, { shape: [d.c1, 1, 5, 5], requires_grad: true }), wg.tensor(d.b1, { requires_grad: true }),
        wg.tensor(d.w2, { shape: [d.c2, d.c1, 5, 5], requires_grad: true }), wg.tensor(d.b2, { requires_grad: true }),
        wg.tensor(d.w3, { shape: [d.classes, d.c2 * 16], requires_grad: true }), wg.tensor(d.b3, { requires_grad: true }),
      ];
      const [w1, b1, w2, b2, w3, b3] = params;
      const lossAndGrads = () => {
        for (const p of params) p.grad = null;
        const h1 = F.max_pool2d(F.conv2d(x, w1, b1).relu(), 2);
        const h2 = F.max_pool2d(F.conv2d(h1, w2, b2).relu(), 2);
        const logits = F.linear(h2.flatten(1), w3, b3);
        logits.log_softmax(1).mul(y).sum().div(-d.batch).backward();
      };
      return sgd(wg, scope, params, lossAndGrads, d.lr);
    }
    case "embed": {
      if (typeof wg.Tensor.prototype.index_select !== "function") return null; // builds before indexing
      const w = wg.tensor(d.w, { shape: [d.vocab, d.dim], requires_grad: true });
      const t = wg.tensor(d.t, { shape: [d.tokens, d.dim] }), idx = wg.tensor(d.idx);
      const step = () => scope(() => {
        w.grad = null;
        w.index_select(0, idx).mul(t).sum().backward();
      });
      return { step, grads: () => { step(); return values([w.grad]); } };
    }
    case "stress": {
      const run = () => scope(() => {
        const y0 = wg.tensor(d.y0, { requires_grad: true });
        const a = wg.tensor(d.a, { requires_grad: true }), b = wg.tensor(d.b, { requires_grad: true });
        let y = y0;
        for (let i = 0; i < d.steps; i++) y = y.mul(a).add(b);
        y.backward();
        return [[y0.grad!.item(), a.grad!.item(), b.grad!.item()]];
      });
      return { step: run, grads: run };
    }
  }
}
