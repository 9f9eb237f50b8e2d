// The core's embedded form: bindings/inflate.ts decodes what Node's zlib encodes, for every
// kind of DEFLATE block, and refuses a corrupt stream.
import { expect, test } from "vitest";
import { deflateRawSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRaw } from "../../bindings/inflate.js";

const root = join(import.meta.dirname, "..", "..");

function roundTrip(data: Uint8Array, level: number): void {
  const packed = deflateRawSync(data, { level });
  expect(Buffer.from(inflateRaw(packed, data.length)).equals(Buffer.from(data))).toBe(true);
}

test("stored, fixed and dynamic blocks decode to zlib's input", () => {
  let s = 12345;
  const random = Uint8Array.from({ length: 70_000 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
  const text = new TextEncoder().encode("the chain rule, forward and reverse; ".repeat(3000));
  for (const data of [new Uint8Array(0), Uint8Array.of(7), random, text]) {
    for (const level of [0, 1, 6, 9]) roundTrip(data, level); // level 0: stored blocks; small inputs: fixed codes
  }
  roundTrip(readFileSync(join(root, "build", "wasmgrad.wasm")), 9); // the core itself
});

test("a corrupt or short stream is refused", () => {
  const packed = deflateRawSync(new TextEncoder().encode("abc".repeat(100)));
  expect(() => inflateRaw(packed.subarray(0, packed.length - 3), 300)).toThrow(/inflate/);
  expect(() => inflateRaw(packed, 299)).toThrow();
});
