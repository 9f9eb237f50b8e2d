// npm test: a typecheck, the suite in Node, then the same files in Chromium (vitest
// browser mode).
// Without a Chromium the browser half is skipped loudly, or fails with REQUIRE_BROWSER=1.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vitest = join(root, "node_modules", ".bin", "vitest");
const extra = process.argv.slice(2);
const run = (project) =>
  spawnSync(vitest, ["run", "--project", project, ...extra], { cwd: root, stdio: "inherit" }).status ?? 1;

const tsc = join(root, "node_modules", ".bin", "tsc");
// the whole tree, then the package's own build settings, whose declaration output
// has checks of its own (an exported class may not expose private members, say)
const tscRun = (project) => spawnSync(tsc, ["--noEmit", "-p", project], { cwd: root, stdio: "inherit" }).status ?? 1;
const typecheck = tscRun("tsconfig.json") || tscRun("tsconfig.build.json");
if (typecheck !== 0) console.error("typecheck failed (tsc --noEmit)");
const nodeStatus = run("node");
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let browserStatus = 0;
if (existsSync(chromium)) {
  browserStatus = run("browser");
} else {
  const line = "=".repeat(78);
  console.log(`\n${line}\nSKIPPED: browser tests. No Chromium at ${chromium}.\n` +
    `Fix: apt-get install chromium (or set CHROMIUM_PATH).\n${line}\n`);
  if (process.env.REQUIRE_BROWSER === "1") {
    console.error("REQUIRE_BROWSER=1: failing because the browser tests could not run.");
    browserStatus = 1;
  }
}
process.exit(typecheck || nodeStatus || browserStatus);
