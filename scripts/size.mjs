// npm run size: what `import ... from "wasmgrad"` (and each subpath) costs a page, as a
// minified, tree-shaken bundle of dist/ with its embedded wasm, gzipped. Fails when an
// entry grows past its budget, so that growth is a decision rather than an accident.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Budgets in gzipped KiB, a little above today's sizes; the wasm core is most of each (see
// the README's "Size" section for what it holds and the target).
const BUDGETS = { "index.js": 150, "nn/index.js": 118, "optim.js": 85, "data.js": 89 };

let over = false;
for (const [entry, budget] of Object.entries(BUDGETS)) {
  const result = await build({
    entryPoints: [join(root, "dist", entry)], bundle: true, minify: true, format: "esm", write: false, logLevel: "error",
  });
  const bytes = result.outputFiles[0].contents;
  const gzipped = gzipSync(bytes, { level: 9 }).length / 1024;
  const ok = gzipped <= budget;
  over ||= !ok;
  console.log(`${ok ? "ok  " : "OVER"} wasmgrad/${entry.replace(/(\/index)?\.js$/, "").replace(/^index$/, "")}: ` +
    `${(bytes.length / 1024).toFixed(1)} KiB minified, ${gzipped.toFixed(1)} KiB gzipped (budget ${budget} KiB)`);
}
process.exit(over ? 1 : 0);
