// Two worker_threads train with the built package at the same time. Each has its own
// wasm instance and memory, so each must get exactly what a lone run on the main thread
// gets, whatever the other does meanwhile.
import { beforeAll, expect, test } from "vitest";
import { Worker } from "node:worker_threads";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as wg from "../../bindings/index.js";

const root = resolve(import.meta.dirname, "../..");

// The same training run everywhere: the function's source is sent to the workers.
function train(lib: typeof wg, seed: number, steps: number): { w: number[]; loss: number } {
  lib.manual_seed(seed);
  const x = lib.randn([64, 4]);
  const wTrue = lib.randn([4, 1]);
  const y = lib.no_grad(() => x.matmul(wTrue).tanh());
  const w = lib.zeros([4, 1], { requires_grad: true });
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    const l = x.matmul(w).tanh().sub(y).pow(2).mean();
    l.backward();
    lib.no_grad(() => w.sub_(w.grad!.mul(0.5)));
    w.grad!.zero_();
    loss = l.item();
  }
  return { w: Array.from(w.toTypedArray()), loss };
}

let script = "";

beforeAll(() => {
  if (!existsSync(join(root, "dist", "index.js"))) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  script = join(mkdtempSync(join(tmpdir(), "wasmgrad-workers-")), "worker.mjs");
  writeFileSync(script, `
    import { parentPort, workerData } from "node:worker_threads";
    import * as lib from ${JSON.stringify(pathToFileURL(join(root, "dist", "index.js")).href)};
    const train = ${train.toString()};
    // Both workers start together: each counts itself in, then waits for the other.
    const gate = new Int32Array(workerData.gate);
    Atomics.add(gate, 0, 1);
    while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, Atomics.load(gate, 0), 10);
    parentPort.postMessage(train(lib, workerData.seed, workerData.steps));
  `);
});

test("two workers use wasmgrad at the same time, independently and correctly", async () => {
  const steps = 3000;
  const gate = new SharedArrayBuffer(4);
  const runIn = (seed: number) => new Promise<ReturnType<typeof train>>((done, fail) => {
    const worker = new Worker(script, { workerData: { seed, steps, gate } });
    worker.once("message", (m) => { done(m); void worker.terminate(); });
    worker.once("error", fail);
  });
  const [a, b] = await Promise.all([runIn(1), runIn(2)]);
  const aloneA = train(wg, 1, steps), aloneB = train(wg, 2, steps);
  expect(a.w).toEqual(aloneA.w);
  expect(b.w).toEqual(aloneB.w);
  expect(a.loss).toBe(aloneA.loss);
  expect(b.loss).toBe(aloneB.loss);
  expect(a.w).not.toEqual(b.w);
  expect(a.loss).toBeLessThan(1e-3);
  expect(b.loss).toBeLessThan(1e-3);
});
