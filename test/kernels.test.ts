// Accuracy of the vector math kernels (polynomial exp, log, tanh, sigmoid) across their
// whole range, against float64 Math, including the lanes that take special paths.
import { describe, expect, test } from "vitest";
import { tensor } from "../bindings/index.js";

function grid(): Float32Array {
  const values: number[] = [0, -0, 1e-30, 1e-8, 1e-4, 0.1, 0.5, 0.6249, 0.6251, 1, 2, 10, 50, 87, 88.7, 89, 100, 1e30, 3.4e38];
  for (let i = -2000; i <= 2000; i++) values.push(i / 97.3);
  return Float32Array.from([...values, ...values.map((v) => -v), NaN, Infinity, -Infinity]);
}

// Relative error in units of float32 epsilon (2^-23), with an absolute floor for tiny
// results (`atol`, for functions like sin whose zeros make relative error meaningless).
function check(name: string, got: ArrayLike<number>, x: Float32Array, f: (v: number) => number, ulps: number, atol = 1e-38) {
  for (let i = 0; i < x.length; i++) {
    const want = Math.fround(f(x[i]));
    if (Number.isNaN(want)) { expect(got[i], `${name}(${x[i]})`).toBeNaN(); continue; }
    if (!Number.isFinite(want)) { expect(got[i], `${name}(${x[i]})`).toBe(want); continue; }
    const err = Math.abs(got[i] - want) / Math.max(Math.abs(want), 1e-37);
    if (err > ulps * 2 ** -23 && Math.abs(got[i] - want) > atol) {
      throw new Error(`${name}(${x[i]}) = ${got[i]}, want ${want} (${(err / 2 ** -23).toFixed(1)} ulp)`);
    }
  }
}

describe("vector math accuracy", () => {
  const x = grid();
  const t = tensor(x);
  test("exp", () => check("exp", t.exp().toTypedArray(), x, Math.exp, 4));
  test("log", () => check("log", t.log().toTypedArray(), x, Math.log, 4));
  test("tanh", () => check("tanh", t.tanh().toTypedArray(), x, Math.tanh, 4));
  test("sin", () => check("sin", t.sin().toTypedArray(), x, Math.sin, 4, 2e-7));
  test("cos", () => check("cos", t.cos().toTypedArray(), x, Math.cos, 4, 2e-7));
  test("sin and cos of large arguments fall back to exact reduction", () => {
    const big = Float32Array.from([8000, 8193, 1e5, -3e6, 1e30, 12345.678]);
    const b = tensor(big);
    check("sin", b.sin().toTypedArray(), big, Math.sin, 4, 2e-7);
    check("cos", b.cos().toTypedArray(), big, Math.cos, 4, 2e-7);
  });
  test("sigmoid", () => check("sigmoid", t.sigmoid().toTypedArray(), x, (v) => 1 / (1 + Math.exp(-v)), 6));
});
