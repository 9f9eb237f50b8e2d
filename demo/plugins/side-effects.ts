// package.json's "sideEffects" names the dist/ files that add methods to Tensor.prototype
// (shape-ops.js, ...); their sources in bindings/ are not on that list, so a production
// build would drop `import "./shape-ops.js"` and, with it, x.movedim() and the rest. The
// demo bundles the sources, so it marks every module of bindings/ as having side effects.
import { sep } from "node:path";
import type { Plugin } from "vite";

export function bindingsHaveSideEffects(bindingsDir: string): Plugin {
  const prefix = bindingsDir.endsWith(sep) ? bindingsDir : bindingsDir + sep;
  return {
    name: "wasmgrad-demo-bindings-side-effects",
    transform(code, id) {
      if (id.startsWith(prefix)) return { code, map: null, moduleSideEffects: true };
    },
  };
}
