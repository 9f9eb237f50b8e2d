// TensorFlow.js 4.22 through the umbrella package (tfjs-core alone registers no gradients
// in Node), on its pure-JS cpu backend or its wasm backend. Each call runs in tf.tidy.
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { Data, Session } from "../workloads.js";

async function use(backend: "cpu" | "wasm"): Promise<void> {
  if (backend === "wasm") {
    const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(`${dirname(entry)}/`); // its dist/, where the .wasm files are
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to start`);
  await tf.ready();
}

const values = (ts: tf.Tensor[]) => ts.map((t) => t.dataSync() as Float32Array);

// A training step's session: the gradients of the variables from loss, and a plain SGD update.
function sgd(params: tf.Variable[], loss: () => tf.Scalar, lr: number): Session {
  const gradsOf = () => {
    const { grads } = tf.variableGrads(loss, params);
    return params.map((p) => grads[p.name]);
  };
  return {
    grads: () => tf.tidy(() => values(gradsOf())),
    step: () => tf.tidy(() => {
      const g = gradsOf();
      params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(g[i], lr))));
    }),
  };
}

export function setupOn(backend: "cpu" | "wasm") {
  return async (d: Data): Promise<Session | null> => {
    if ("dtype" in d && d.dtype === "float64") return null; // tfjs computes in float32 only
    await use(backend);
    switch (d.kind) {
      case "ew": {
        const x = tf.tensor1d(d.x as Float32Array), w = tf.tensor1d(d.w as Float32Array), b = tf.tensor1d(d.b as Float32Array);
        const f = tf.valueAndGrads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.add(tf.mul(xs, ws), b)), xs)));
        return {
          step: () => tf.tidy(() => { f([x, w]); }),
          grads: () => tf.tidy(() => values(f([x, w]).grads)),
        };
      }
      case "mm": {
        const a = tf.tensor2d(d.a as Float32Array, [d.n, d.n]), b = tf.tensor2d(d.b as Float32Array, [d.n, d.n]);
        const f = tf.valueAndGrads((as: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.matMul(as as tf.Tensor2D, bs as tf.Tensor2D)));
        return {
          step: () => tf.tidy(() => { f([a, b]); }),
          grads: () => tf.tidy(() => values(f([a, b]).grads)),
        };
      }
      case "embed": {
        if (backend === "cpu") {
          throw new Error("not timed: on the cpu backend a run of this workload did not finish within 5 minutes " +
            "(tf.gather's gradient is UnsortedSegmentSum)");
        }
        const w = tf.tensor2d(d.w, [d.vocab, d.dim]), t = tf.tensor2d(d.t, [d.tokens, d.dim]);
        const idx = tf.tensor1d(d.idx, "int32");
        const f = tf.valueAndGrads((ws: tf.Tensor) => tf.sum(tf.mul(tf.gather(ws, idx), t)));
        return {
          step: () => tf.tidy(() => { f([w]); }),
          grads: () => tf.tidy(() => values(f([w]).grads)),
        };
      }
      case "mlp": {
        const x = tf.tensor2d(d.x, [d.batch, d.inputs]), y = tf.tensor2d(d.y, [d.batch, d.classes]);
        const params = [
          tf.variable(tf.tensor2d(d.w1, [d.inputs, d.hidden])), tf.variable(tf.tensor1d(d.b1)),
          tf.variable(tf.tensor2d(d.w2, [d.hidden, d.classes])), tf.variable(tf.tensor1d(d.b2)),
        ];
        const [w1, b1, w2, b2] = params;
        const loss = () => {
          const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1 as tf.Tensor2D), b1)), w2 as tf.Tensor2D), b2);
          return tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), y))), d.batch) as tf.Scalar;
        };
        return sgd(params, loss, d.lr);
      }
      case "lenet": {
        const x = tf.tensor4d(d.x, [d.batch, 28, 28, 1]), y = tf.tensor2d(d.y, [d.batch, d.classes]);
        // PyTorch's layouts, moved to tfjs's (NHWC images, HWIO filters) inside the loss
        const params = [
          tf.variable(tf.tensor4d(d.w1, [d.c1, 1, 5, 5])), tf.variable(tf.tensor1d(d.b1)),
          tf.variable(tf.tensor4d(d.w2, [d.c2, d.c1, 5, 5])), tf.variable(tf.tensor1d(d.b2)),
          tf.variable(tf.tensor2d(d.w3, [d.classes, d.c2 * 16])), tf.variable(tf.tensor1d(d.b3)),
        ];
        const [w1, b1, w2, b2, w3, b3] = params;
        const hwio = (w: tf.Tensor) => tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D;
        const loss = () => {
          const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, hwio(w1), 1, "valid"), b1)) as tf.Tensor4D, 2, 2, "valid");
          const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, hwio(w2), 1, "valid"), b2)) as tf.Tensor4D, 2, 2, "valid");
          const flat = tf.reshape(tf.transpose(h2, [0, 3, 1, 2]), [d.batch, d.c2 * 16]) as tf.Tensor2D;
          const logits = tf.add(tf.matMul(flat, w3 as tf.Tensor2D, false, true), b3);
          return tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), y))), d.batch) as tf.Scalar;
        };
        return sgd(params, loss, d.lr);
      }
      case "stress": {
        const y0 = tf.scalar(d.y0), a = tf.scalar(d.a), b = tf.scalar(d.b);
        const f = tf.grads((ys: tf.Tensor, as: tf.Tensor, bs: tf.Tensor) => {
          let y = ys;
          for (let i = 0; i < d.steps; i++) y = tf.add(tf.mul(y, as), bs);
          return y;
        });
        return {
          step: () => tf.tidy(() => { f([y0, a, b]); }),
          grads: () => tf.tidy(() => [f([y0, a, b]).map((g) => g.dataSync()[0])]),
        };
      }
    }
  };
}
