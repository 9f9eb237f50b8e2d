// The shipped dist/ imported by a plain <script type="module"> in Chromium: no bundler, no
// init call, no fetch of a .wasm file. (The rest of the suite runs in Chromium through
// vitest's browser mode, which bundles the sources.)
import { afterAll, beforeAll, expect, test } from "vitest";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright";

const root = resolve(import.meta.dirname, "../..");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasBrowser = existsSync(executablePath);
let server: Server;
let port = 0;

const page = `<!doctype html><script type="module">
  import { arange, tensor } from "/dist/index.js";
  const x = arange(4, { requires_grad: true });
  const y = x.dot(x).mul(2);
  y.backward();
  window.result = { y: String(y), grad: String(x.grad), sum: tensor([[1, 2], [3, 4]]).sum(1).tolist() };
</script>`;

beforeAll(async () => {
  if (!existsSync(join(root, "dist", "index.js"))) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(page);
      return;
    }
    const file = join(root, url.pathname);
    if (!file.startsWith(join(root, "dist")) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = extname(file) === ".js" ? "text/javascript" : "application/octet-stream";
    res.writeHead(200, { "content-type": type }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  port = (server.address() as { port: number }).port;
});

afterAll(() => server?.close());

test.skipIf(!hasBrowser)("dist/index.js works in Chromium from a plain module script", async () => {
  const browser = await chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.goto(`http://127.0.0.1:${port}/`);
    await tab.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 20_000 });
    const result = await tab.evaluate(() => (window as unknown as { result: unknown }).result);
    expect(errors).toEqual([]);
    expect(result).toEqual({ y: "tensor(28., grad_fn=<MulBackward>)", grad: "tensor([ 0.,  4.,  8., 12.])", sum: [3, 7] });
  } finally {
    await browser.close();
  }
});
