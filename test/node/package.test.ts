// The built package as a consumer sees it: `import ... from "wasmgrad"` from another folder,
// in plain Node with no flags, no loader and no init call; require() too.
import { describe, expect, test, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
let consumer = "";

beforeAll(() => {
  if (!existsSync(join(root, "dist", "index.js"))) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  consumer = mkdtempSync(join(tmpdir(), "wasmgrad-consumer-"));
  mkdirSync(join(consumer, "node_modules"));
  symlinkSync(root, join(consumer, "node_modules", "wasmgrad"), "dir");
});

const run = (file: string, source: string) => {
  writeFileSync(join(consumer, file), source);
  return execFileSync(process.execPath, [file], { cwd: consumer, encoding: "utf8" });
};

describe("the built package", () => {
  test("imports by name from ESM", () => {
    const out = run("esm.mjs", `
      import { tensor, arange } from "wasmgrad";
      const x = arange(4, { requires_grad: true });
      const y = x.dot(x).mul(2);
      y.backward();
      console.log(String(y));
      console.log(String(x.grad));
      console.log(String(tensor([[1, 2], [3, 4]]).sum(0)));
    `);
    expect(out).toBe("tensor(28., grad_fn=<MulBackward>)\ntensor([ 0.,  4.,  8., 12.])\ntensor([4., 6.])\n");
  });

  test("requires by name from CommonJS", () => {
    const out = run("cjs.cjs", `
      const { arange } = require("wasmgrad");
      const x = arange(3, { requires_grad: true });
      x.mul(x).sum().backward();
      console.log(x.grad.tolist().join(","));
    `);
    expect(out).toBe("0,2,4\n");
  });

  test("ships type declarations", () => {
    expect(existsSync(join(root, "dist", "index.d.ts"))).toBe(true);
  });
});
