// The demo page (demo/) built with Vite and opened in Chromium: both panels train in their
// workers while the page stays responsive, a digit drawn on the pad gets a prediction, and
// a screenshot of the page goes to test/screenshots/latest/demo.png (not tracked: every run
// differs), and with UPDATE_SCREENSHOTS=1 to the committed test/screenshots/demo.png.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createServer, type Server } from "node:http";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { build } from "vite";
import { chromium, type Page } from "playwright";

const root = resolve(import.meta.dirname, "../..");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasBrowser = existsSync(executablePath);
const outDir = mkdtempSync(join(tmpdir(), "wasmgrad-demo-"));
const TYPES: Record<string, string> = {
  ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".bin": "application/octet-stream", ".svg": "image/svg+xml",
};
let server: Server;
let port = 0;

interface PanelState { ready: boolean; step: number; loss: number; accuracy: number; firstLoss: number; samplesPerSec: number; error: string | null }
interface DemoState {
  spiral: PanelState & { boundaryFrames: number };
  mnist: PanelState & { testAccuracy: number; prediction: null | { digit: number; probs: number[] } };
  maxLagMs: number; lastClickDelayMs: number; clicks: number;
}
const state = (tab: Page) => tab.evaluate(() => (window as unknown as { demoState: DemoState }).demoState);

beforeAll(async () => {
  await build({ configFile: join(root, "demo", "vite.config.ts"), logLevel: "warn", build: { outDir, emptyOutDir: true } });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const file = normalize(join(outDir, path === "/" ? "index.html" : path));
    if (!file.startsWith(outDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  port = (server.address() as { port: number }).port;
}, 60_000);

afterAll(() => {
  server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

test.skipIf(!hasBrowser)("the demo trains both models live and stays responsive", async () => {
  const browser = await chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    tab.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await tab.goto(`http://127.0.0.1:${port}/`);
    type W = { demoState: DemoState };
    await tab.waitForFunction(() => { const s = (window as unknown as W).demoState; return s.spiral.ready && s.mnist.ready; }, null, { timeout: 15_000 });

    await tab.click("#spiral-start");
    await tab.click("#mnist-start");
    await tab.evaluate(() => { (window as unknown as W).demoState.maxLagMs = 0; });
    // train for 3 s, and on until both have learnt something, for 12 s at most
    await tab.waitForTimeout(3000);
    await tab.waitForFunction(() => {
      const s = (window as unknown as W).demoState;
      return s.spiral.accuracy > 0.9 && s.mnist.testAccuracy > 0.8 && s.spiral.boundaryFrames > 5;
    }, null, { timeout: 12_000, polling: 250 }).catch(() => undefined);

    // a click while both workers train: handled promptly, and the main thread was never held up long
    const before = (await state(tab)).clicks;
    const clickStart = Date.now();
    await tab.click("#mnist-clear");
    const clickMs = Date.now() - clickStart;
    const trained = await state(tab);
    expect(trained.clicks).toBe(before + 1);
    // generous bounds: other test files may share the two cores meanwhile
    expect(trained.lastClickDelayMs).toBeLessThan(200);
    expect(clickMs).toBeLessThan(1000);
    expect(trained.maxLagMs).toBeLessThan(500);

    for (const panel of [trained.spiral, trained.mnist]) {
      expect(panel.error).toBeNull();
      expect(panel.step).toBeGreaterThan(50);
      expect(panel.samplesPerSec).toBeGreaterThan(0);
      expect(panel.loss).toBeLessThan(panel.firstLoss * 0.6);
    }
    expect(trained.spiral.accuracy).toBeGreaterThan(0.8); // chance is 1/3
    expect(trained.spiral.boundaryFrames).toBeGreaterThan(2);
    expect(trained.mnist.accuracy).toBeGreaterThan(0.7); // chance is 1/10
    expect(trained.mnist.testAccuracy).toBeGreaterThan(0.7);

    // draw a "7" on the pad with the mouse: a prediction appears
    const box = (await tab.locator("#mnist-pad").boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    await tab.mouse.move(...at(0.28, 0.22));
    await tab.mouse.down();
    for (const [fx, fy] of [[0.5, 0.22], [0.72, 0.22], [0.6, 0.45], [0.5, 0.65], [0.42, 0.82]]) await tab.mouse.move(...at(fx, fy), { steps: 6 });
    await tab.mouse.up();
    await tab.waitForFunction(() => (window as unknown as W).demoState.mnist.prediction !== null, null, { timeout: 5_000 });
    const { prediction } = (await state(tab)).mnist;
    expect(prediction!.probs).toHaveLength(10);
    expect(prediction!.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(prediction!.digit).toBeGreaterThanOrEqual(0);
    expect(await tab.textContent("#mnist-digit")).toBe(String(prediction!.digit));
    expect(await tab.locator("#spiral svg.graph .graph-node").count()).toBeGreaterThan(5);
    expect(await tab.locator("#mnist svg.graph .graph-node").count()).toBeGreaterThan(5);

    await tab.waitForTimeout(300); // the plots redraw on the next animation frame
    const shots = join(root, "test", "screenshots");
    mkdirSync(join(shots, "latest"), { recursive: true });
    await tab.screenshot({ path: join(shots, "latest", "demo.png"), fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === "1") copyFileSync(join(shots, "latest", "demo.png"), join(shots, "demo.png"));
    console.log(`demo: spiral ${trained.spiral.step} steps, loss ${trained.spiral.firstLoss.toFixed(3)} → ${trained.spiral.loss.toFixed(3)}, ` +
      `accuracy ${trained.spiral.accuracy}; mnist ${trained.mnist.step} steps, loss ${trained.mnist.firstLoss.toFixed(3)} → ${trained.mnist.loss.toFixed(3)}, ` +
      `test accuracy ${trained.mnist.testAccuracy}; drawn 7 read as ${prediction!.digit}; max lag ${trained.maxLagMs.toFixed(0)} ms, click ${clickMs} ms`);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
