// Argument checks shared by the layers' constructors.

import { describe } from "../../shape.js";

/** Each size must be a non-negative integer (PyTorch's wording for Linear and the rest). */
export function checkSize(layer: string, sizes: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new TypeError(`${layer}(): ${name} must be a non-negative integer, got ${describe(value)}`);
    }
  }
}

/** A probability in [0, 1] (Dropout's p). */
export function checkProbability(layer: string, p: unknown): number {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${layer}(): dropout probability has to be between 0 and 1, but got ${typeof p === "number" ? p : describe(p)}`);
  }
  return p;
}

/** A float as Python's repr prints it (1.0, 0.1, 1e-05), so module reprs read as PyTorch's. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const exponent = Math.floor(Math.log10(Math.abs(x)));
  if (exponent < -4 || exponent >= 16) {
    const [mantissa, e] = x.toExponential().split("e");
    return `${mantissa}e${e[0] === "-" ? "-" : "+"}${e.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  return String(x);
}
