// The packed GEMM on sizes that cross its blocking (k > 256, m > 64, n > 8 and none a
// multiple of the tile), forward and backward (whose products read the transposes in
// place), against float64 products of the same float32 inputs.
import { expect, test } from "vitest";
import { tensor } from "../bindings/index.js";
import * as R from "./reference.js";

function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const transpose2d = (x: R.Ref) => R.transpose(x, x.shape.length - 2, x.shape.length - 1);

function expectNear(got: ArrayLike<number>, want: Float64Array, what: string): void {
  expect(got.length).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > 1e-5 * scale + 1e-6) throw new Error(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

test.each([
  [[67, 300], [300, 45]],
  [[1, 513], [513, 3]],
  [[130, 5], [5, 1030]],
  [[3, 9, 260], [1, 260, 17]],
])("%j @ %j and its gradients", (sa, sb) => {
  const a = R.ref(sa, data(sa.reduce((x, y) => x * y), 1)), b = R.ref(sb, data(sb.reduce((x, y) => x * y), 2));
  const at = tensor(Float32Array.from(a.data), { shape: sa, requires_grad: true });
  const bt = tensor(Float32Array.from(b.data), { shape: sb, requires_grad: true });
  const c = at.matmul(bt);
  const want = R.matmul(a, b);
  expect(c.shape).toEqual(want.shape);
  expectNear(c.toTypedArray(), want.data, "forward");
  const w = R.ref(want.shape, data(want.data.length, 3));
  c.mul(tensor(Float32Array.from(w.data), { shape: want.shape })).sum().backward();
  // dA = W Bᵀ, dB = Aᵀ W, summed over a broadcast batch
  const da = R.matmul(w, transpose2d(b)), db = R.matmul(transpose2d(a), w);
  const fold = (x: R.Ref, shape: number[]) => (x.shape.length === shape.length && x.shape[0] === shape[0] ? x
    : R.reduce(x, [0], true, R.sum));
  expectNear(at.grad!.toTypedArray(), fold(da, sa).data, "dA");
  expectNear(bt.grad!.toTypedArray(), fold(db, sb).data, "dB");
});
