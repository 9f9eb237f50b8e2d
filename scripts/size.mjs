// npm run size: what `import ... from "wasmgrad"` (and each subpath) costs a page, as a
// minified, tree-shaken bundle of dist/ with its embedded wasm, gzipped. Each entry is
// measured whole (every export kept, as `import * as wg` keeps them), and so is the smallest
// real program: a gradient by named imports, which drops what it does not reach (nn, optim,
// func, ...) but keeps the Tensor class with its methods and the whole wasm core. Fails when
// a bundle grows past its budget, so that growth is a decision rather than an accident.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const SMALLEST_APP = `import { tensor } from "./index.js";
const x = tensor([1, 2, 3], { requires_grad: true });
x.mul(x).sum().backward();
console.log(x.grad.tolist());`;
// Budgets in gzipped KiB, a little above today's sizes; the wasm core (58 KiB of each) is the
// largest single part (see the README's "Size" section).
const BUNDLES = [
  { name: "wasmgrad", entry: "index.js", budget: 152 },
  { name: "wasmgrad/nn", entry: "nn/index.js", budget: 119 },
  { name: "wasmgrad/optim", entry: "optim.js", budget: 86 },
  { name: "wasmgrad/data", entry: "data.js", budget: 90 },
  { name: "a gradient by named imports", source: SMALLEST_APP, budget: 100 },
];

let over = false;
for (const { name, entry, source, budget } of BUNDLES) {
  const input = source === undefined
    ? { entryPoints: [join(dist, entry)] }
    : { stdin: { contents: source, resolveDir: dist, sourcefile: "app.js" } };
  const result = await build({ ...input, bundle: true, minify: true, format: "esm", write: false, logLevel: "error" });
  const bytes = result.outputFiles[0].contents;
  const gzipped = gzipSync(bytes, { level: 9 }).length / 1024;
  const ok = gzipped <= budget;
  over ||= !ok;
  console.log(`${ok ? "ok  " : "OVER"} ${name}: ` +
    `${(bytes.length / 1024).toFixed(1)} KiB minified, ${gzipped.toFixed(1)} KiB gzipped (budget ${budget} KiB)`);
}
process.exit(over ? 1 : 0);
