// The demo imports wasmgrad from its sources, which embed the wasm core from
// bindings/generated/ (made by the build, not committed). When that is missing, the core
// alone is built first (a few seconds; dist/ is not needed).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";

export function ensureCore(repoRoot: string): Plugin {
  return {
    name: "wasmgrad-demo-ensure-core",
    config() {
      if (existsSync(join(repoRoot, "bindings", "generated", "wasm.ts"))) return;
      console.log("wasmgrad demo: building the wasm core (bindings/generated/)");
      execFileSync(process.execPath, [join(repoRoot, "scripts", "build.mjs"), "wasm"], { cwd: repoRoot, stdio: "inherit" });
    },
  };
}
