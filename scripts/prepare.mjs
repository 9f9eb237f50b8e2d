// npm's prepare step: builds the package (scripts/build.mjs). It also runs when a clone is
// installed into another project by path (`npm install ../wasmgrad`), where npm links the
// folder without installing its dev dependencies; the compiler is then installed here first,
// from the lockfile, so that the documented install works from a fresh clone.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

if (!existsSync(join(root, "node_modules", ".bin", "asc"))) {
  console.log("wasmgrad: installing the build tools (dev dependencies) to build the package");
  const npm = process.env.npm_execpath;
  // dev dependencies even under NODE_ENV=production; their own install scripts are not needed
  const args = ["ci", "--include=dev", "--ignore-scripts", "--no-audit", "--no-fund"];
  if (npm !== undefined && npm.endsWith(".js")) run(process.execPath, [npm, ...args]);
  else run(process.platform === "win32" ? "npm.cmd" : "npm", args);
}
run(process.execPath, [join(root, "scripts", "build.mjs")]);
