// The published package, as a user gets it: `npm pack`'s tarball installed into an empty
// project (no dev tools, no network), then imported from ESM and CommonJS in Node, its
// subpaths included, and bundled into a page by Vite and run in Chromium.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { chromium } from "playwright";

const root = resolve(import.meta.dirname, "../..");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let work = "", consumer = "";

beforeAll(() => {
  if (!existsSync(join(root, "dist", "index.js"))) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  work = mkdtempSync(join(tmpdir(), "wasmgrad-pack-"));
  // the dist/ already built (npm ci's prepare): packing must not rebuild it under other tests
  const packed = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" });
  const tarball = join(work, (JSON.parse(packed) as { filename: string }[])[0].filename);
  consumer = join(work, "app");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: consumer, stdio: "pipe" });
}, 120_000);

afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

const run = (file: string, source: string) => {
  writeFileSync(join(consumer, file), source);
  return execFileSync(process.execPath, [file], { cwd: consumer, encoding: "utf8" });
};

describe("npm pack's tarball in an empty project", () => {
  test("holds dist/ and no sources or tests", () => {
    const files = readdirSync(join(consumer, "node_modules", "wasmgrad"));
    expect(files).toEqual(expect.arrayContaining(["dist", "package.json", "README.md"]));
    for (const source of ["bindings", "assembly", "test", "node_modules"]) expect(files).not.toContain(source);
    expect(existsSync(join(consumer, "node_modules", "wasmgrad", "dist", "nn", "index.d.ts"))).toBe(true);
  });

  test("ESM: the core and the subpaths nn, nn/functional, optim and data", () => {
    const out = run("train.mjs", `
      import { tensor, manual_seed } from "wasmgrad";
      import { Linear } from "wasmgrad/nn";
      import { mse_loss } from "wasmgrad/nn/functional";
      import { SGD } from "wasmgrad/optim";
      import { TensorDataset, DataLoader } from "wasmgrad/data";
      manual_seed(0);
      const x = tensor([[0], [1], [2], [3]]), y = x.mul(2).add(1);
      const model = new Linear(1, 1), opt = new SGD(model.parameters(), { lr: 0.05 });
      let first = 0, last = 0;
      for (let epoch = 0; epoch < 200; epoch++) {
        for (const [xb, yb] of new DataLoader(new TensorDataset(x, y), { batch_size: 4 })) {
          opt.zero_grad();
          const loss = mse_loss(model.call(xb), yb);
          loss.backward();
          opt.step();
          if (epoch === 0) first = loss.item();
          last = loss.item();
        }
      }
      console.log(JSON.stringify({ first, last, w: model.weight.item(), b: model.bias.item() }));
    `);
    const { first, last, w, b } = JSON.parse(out) as Record<string, number>;
    expect(last).toBeLessThan(first / 100);
    expect(w).toBeCloseTo(2, 1);
    expect(b).toBeCloseTo(1, 1);
  });

  test("CommonJS: require() of the core and a subpath", () => {
    const out = run("main.cjs", `
      const { arange } = require("wasmgrad");
      const { ReLU } = require("wasmgrad/nn");
      const x = arange(3, { requires_grad: true });
      new ReLU().call(x.sub(1)).sum().backward();
      console.log(x.grad.tolist().join(","));
    `);
    expect(out).toBe("0,0,1\n");
  });

  test("Vite bundles it into a page that runs in Chromium", async () => {
    if (!existsSync(executablePath)) {
      if (process.env.REQUIRE_BROWSER === "1") throw new Error(`no Chromium at ${executablePath}`);
      console.log(`SKIPPED: the Vite page needs Chromium at ${executablePath}`);
      return;
    }
    writeFileSync(join(consumer, "index.html"), `<!doctype html><script type="module" src="./main.js"></script>`);
    writeFileSync(join(consumer, "main.js"), `
      import { arange } from "wasmgrad";
      import { Sequential, Linear, Tanh } from "wasmgrad/nn";
      const x = arange(4, { requires_grad: true });
      x.dot(x).backward();
      const model = new Sequential(new Linear(4, 3), new Tanh());
      window.result = { grad: x.grad.tolist(), out: model.call(x.detach()).shape, repr: String(model) };
    `);
    const vite = join(root, "node_modules", "vite", "bin", "vite.js");
    execFileSync(process.execPath, [vite, "build", "--logLevel", "error"], { cwd: consumer, stdio: "pipe" });
    const distDir = join(consumer, "dist");
    const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
    const server: Server = createServer((req, res) => {
      const path = join(distDir, new URL(req.url ?? "/", "http://x").pathname.replace(/\/$/, "/index.html"));
      if (!existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({
      executablePath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 20_000 });
      const result = await page.evaluate(() => (window as unknown as { result: unknown }).result);
      expect(errors).toEqual([]);
      // the bundle is minified: the repr must still name PyTorch's classes
      expect(result).toEqual({
        grad: [0, 2, 4, 6], out: [3],
        repr: "Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n  (1): Tanh()\n)",
      });
    } finally {
      await browser.close();
      server.close();
    }
  }, 60_000);
});
