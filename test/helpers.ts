// Shared test helpers: float64 reference arithmetic and tolerant comparisons.
import { expect } from "vitest";
import type { Tensor } from "../bindings/index.js";

/** Flattens nested number arrays. */
export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

/** Asserts that a tensor holds the expected values within a relative+absolute tolerance. */
export function expectClose(t: Tensor | null, expected: ArrayLike<number> | number, rtol = 1e-5, atol = 1e-6): void {
  expect(t).not.toBeNull();
  const got = Array.from(t!.toTypedArray());
  const want = typeof expected === "number" ? [expected] : Array.from(expected);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    if (Number.isNaN(w)) { expect(g, `element ${i}`).toBeNaN(); continue; }
    if (!Number.isFinite(w)) { expect(g, `element ${i}`).toBe(w); continue; }
    const tol = atol + rtol * Math.abs(w);
    if (Math.abs(g - w) > tol) {
      throw new Error(`element ${i}: got ${g}, expected ${w} (tolerance ${tol})\n got: [${got.join(", ")}]\nwant: [${want.join(", ")}]`);
    }
  }
}

/** The book's control-flow function (d2l 2.5.4): the graph follows whichever branches run. */
export function f(a: Tensor): Tensor {
  let b = a.mul(2);
  while (b.norm().item() < 1000) b = b.mul(2);
  return b.sum().item() > 0 ? b : b.mul(100);
}

/** Seed of the property and fuzz tests: fixed for reproducible CI, FC_SEED=<n> (Node) for others. */
export const fuzzSeed = Number((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.FC_SEED ?? 20261125);
