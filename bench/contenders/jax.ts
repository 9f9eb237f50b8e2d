// jax-js on its wasm device, eager or under jit. jax-js arrays are reference-counted: an
// op consumes its operands, so every reuse passes `.ref`. In Node, jax-js finds no Web
// Worker and runs single-threaded.
import { init, defaultDevice, numpy as np, lax, valueAndGrad, jit, blockUntilReady } from "@jax-js/jax";
import type { Data, Session } from "../workloads.js";

type A = np.Array;

// jax-js 0.1.25 reads typed arrays with an `instanceof Float16Array`, a global Node 20 lacks;
// a stand-in that nothing is an instance of lets it read Float64Arrays.
(globalThis as { Float16Array?: unknown }).Float16Array ??= class {};

function values(ts: A[]): (Float32Array | Float64Array)[] {
  return ts.map((t) => t.dataSync() as Float32Array | Float64Array);
}

export function setupWith(useJit: boolean) {
  const wrap = <F extends (...args: never[]) => unknown>(f: F): F => (useJit ? (jit(f as never) as unknown as F) : f);
  return async (d: Data): Promise<Session> => {
    await init("wasm");
    defaultDevice("wasm");
    switch (d.kind) {
      case "ew": {
        const x = np.array(d.x), w = np.array(d.w), b = np.array(d.b);
        const f = wrap(valueAndGrad((xs: A, ws: A, bs: A) => np.sum(np.tanh(xs.ref.mul(ws).add(bs)).mul(xs)), { argnums: [0, 1] }));
        const call = () => f(x.ref, w.ref, b.ref) as [A, A[]];
        return {
          step: async () => { const [l, g] = call(); await blockUntilReady([l, ...g]); l.dispose(); g.forEach((t) => t.dispose()); },
          grads: async () => values(call()[1]),
        };
      }
      case "mm": {
        const a = np.array(d.a).reshape([d.n, d.n]), b = np.array(d.b).reshape([d.n, d.n]);
        const f = wrap(valueAndGrad((as: A, bs: A) => np.sum(np.matmul(as, bs)), { argnums: [0, 1] }));
        const call = () => f(a.ref, b.ref) as [A, A[]];
        return {
          step: async () => { const [l, g] = call(); await blockUntilReady([l, ...g]); l.dispose(); g.forEach((t) => t.dispose()); },
          grads: async () => values(call()[1]),
        };
      }
      case "embed": {
        const w = np.array(d.w).reshape([d.vocab, d.dim]), t = np.array(d.t).reshape([d.tokens, d.dim]);
        const idx = np.array(d.idx);
        const f = wrap(valueAndGrad((ws: A, ts: A, is: A) => np.sum(np.take(ws, is, 0).mul(ts)), { argnums: [0] }));
        const call = () => f(w.ref, t.ref, idx.ref) as [A, A[]];
        return {
          step: async () => { const [l, g] = call(); await blockUntilReady([l, ...g]); l.dispose(); g.forEach((x) => x.dispose()); },
          grads: async () => values(call()[1]),
        };
      }
      case "mlp": {
        const x = np.array(d.x).reshape([d.batch, d.inputs]), y = np.array(d.y).reshape([d.batch, d.classes]);
        let params: A[] = [np.array(d.w1).reshape([d.inputs, d.hidden]), np.array(d.b1),
          np.array(d.w2).reshape([d.hidden, d.classes]), np.array(d.b2)];
        const loss = (w1: A, b1: A, w2: A, b2: A, xs: A, ys: A) => {
          const h = np.maximum(np.matmul(xs, w1).add(b1), 0);
          const logits = np.matmul(h, w2).add(b2);
          const logp = logits.sub(np.max(logits.ref, -1, { keepdims: true }));
          const lse = np.log(np.sum(np.exp(logp.ref), -1, { keepdims: true }));
          return np.sum(logp.sub(lse).mul(ys)).mul(-1 / d.batch);
        };
        const lossAndGrads = valueAndGrad(loss, { argnums: [0, 1, 2, 3] });
        const update = wrap((w1: A, b1: A, w2: A, b2: A, xs: A, ys: A) => {
          const [l, g] = lossAndGrads(w1.ref, b1.ref, w2.ref, b2.ref, xs, ys) as [A, A[]];
          return [l, [w1, b1, w2, b2].map((p, i) => p.sub(g[i].mul(d.lr)))];
        });
        return {
          grads: async () => {
            const [w1, b1, w2, b2] = params;
            return values((wrap(lossAndGrads)(w1.ref, b1.ref, w2.ref, b2.ref, x.ref, y.ref) as [A, A[]])[1]);
          },
          step: async () => {
            const [l, next] = update(...params as [A, A, A, A], x.ref, y.ref) as [A, A[]];
            params = next;
            await blockUntilReady([l, ...next]);
            l.dispose();
          },
        };
      }
      case "lenet": {
        const x = np.array(d.x).reshape([d.batch, 1, 28, 28]), y = np.array(d.y).reshape([d.batch, d.classes]);
        let params: A[] = [np.array(d.w1).reshape([d.c1, 1, 5, 5]), np.array(d.b1),
          np.array(d.w2).reshape([d.c2, d.c1, 5, 5]), np.array(d.b2),
          np.array(d.w3).reshape([d.classes, d.c2 * 16]), np.array(d.b3)];
        // 2×2 max pooling as a max over the window axes of a reshape
        const pool = (h: A, c: number, size: number) => np.max(h.reshape([d.batch, c, size / 2, 2, size / 2, 2]), [3, 5]);
        const loss = (w1: A, b1: A, w2: A, b2: A, w3: A, b3: A, xs: A, ys: A) => {
          const h1 = pool(np.maximum(lax.conv(xs, w1, [1, 1], "VALID").add(b1.reshape([d.c1, 1, 1])), 0), d.c1, 24);
          const h2 = pool(np.maximum(lax.conv(h1, w2, [1, 1], "VALID").add(b2.reshape([d.c2, 1, 1])), 0), d.c2, 8);
          const logits = np.matmul(h2.reshape([d.batch, d.c2 * 16]), w3.transpose()).add(b3);
          const logp = logits.sub(np.max(logits.ref, -1, { keepdims: true }));
          const lse = np.log(np.sum(np.exp(logp.ref), -1, { keepdims: true }));
          return np.sum(logp.sub(lse).mul(ys)).mul(-1 / d.batch);
        };
        const lossAndGrads = valueAndGrad(loss, { argnums: [0, 1, 2, 3, 4, 5] });
        const update = wrap((w1: A, b1: A, w2: A, b2: A, w3: A, b3: A, xs: A, ys: A) => {
          const [l, g] = lossAndGrads(w1.ref, b1.ref, w2.ref, b2.ref, w3.ref, b3.ref, xs, ys) as [A, A[]];
          return [l, [w1, b1, w2, b2, w3, b3].map((p, i) => p.sub(g[i].mul(d.lr)))];
        });
        return {
          grads: async () => {
            const refs = params.map((p) => p.ref) as [A, A, A, A, A, A];
            return values((wrap(lossAndGrads)(...refs, x.ref, y.ref) as [A, A[]])[1]);
          },
          step: async () => {
            const [l, next] = update(...params as [A, A, A, A, A, A], x.ref, y.ref) as [A, A[]];
            params = next;
            await blockUntilReady([l, ...next]);
            l.dispose();
          },
        };
      }
      case "stress": {
        const f = wrap(valueAndGrad((y0: A, a: A, b: A) => {
          let y = y0;
          for (let i = 0; i < d.steps; i++) y = y.mul(a.ref).add(b.ref);
          a.dispose(); b.dispose();
          return y;
        }, { argnums: [0, 1, 2] }));
        const call = () => f(np.array(d.y0), np.array(d.a), np.array(d.b)) as [A, A[]];
        return {
          step: async () => { const [l, g] = call(); await blockUntilReady([l, ...g]); l.dispose(); g.forEach((t) => t.dispose()); },
          grads: async () => [values(call()[1]).map((t) => t[0])],
        };
      }
    }
  };
}
