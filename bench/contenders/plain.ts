// The plain-TypeScript reference (bench/plain.ts), in float32 (and in float64 for the -f64
// workloads).
import * as plain from "../plain.js";
import type { Data, Session } from "../workloads.js";

const f32 = (n: number) => new Float32Array(n);
const f64 = (n: number) => new Float64Array(n);

export async function setup(d: Data): Promise<Session> {
  switch (d.kind) {
    case "ew": {
      const make = d.dtype === "float64" ? f64 : f32;
      const run = () => plain.ew(make, d.x, d.w, d.b).slice(1) as plain.Floats[];
      return { step: run, grads: run };
    }
    case "mm": {
      const make = d.dtype === "float64" ? f64 : f32;
      const run = () => plain.mm(make, d.a, d.b, d.n).slice(1) as plain.Floats[];
      return { step: run, grads: run };
    }
    case "mlp": {
      const p = { w1: d.w1.slice(), b1: d.b1.slice(), w2: d.w2.slice(), b2: d.b2.slice() };
      const grads = () => plain.mlp(f32, d.x, d.y, p, d.batch, d.inputs, d.hidden, d.classes).slice(1) as Float32Array[];
      return {
        grads,
        step: () => {
          const g = grads();
          [p.w1, p.b1, p.w2, p.b2].forEach((t, k) => { for (let i = 0; i < t.length; i++) t[i] -= d.lr * g[k][i]; });
        },
      };
    }
    case "lenet": {
      const p = { w1: d.w1.slice(), b1: d.b1.slice(), w2: d.w2.slice(), b2: d.b2.slice(), w3: d.w3.slice(), b3: d.b3.slice() };
      const grads = () => plain.lenet(f32, d.x, d.y, p, d).slice(1) as Float32Array[];
      return {
        grads,
        step: () => {
          const g = grads();
          [p.w1, p.b1, p.w2, p.b2, p.w3, p.b3].forEach((t, k) => { for (let i = 0; i < t.length; i++) t[i] -= d.lr * g[k][i]; });
        },
      };
    }
    case "embed": {
      const run = () => [plain.embed(f32, d.w, d.t, d.idx, d.dim)[1]];
      return { step: run, grads: run };
    }
    case "stress": {
      // Hand-derived: one loop forward, one back. No autodiff can come close; it is the floor.
      const run = () => [plain.stress(d.y0, d.a, d.b, d.steps).slice(1)];
      return { step: run, grads: run };
    }
  }
}
