// The walkthrough that `npm start` runs prints the chapter's values.
import { expect, test } from "vitest";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

test("examples/chapter.ts runs and prints the book's results", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/chapter.ts"], { cwd: root, encoding: "utf8" });
  expect(out).toContain("y = tensor(28., grad_fn=<MulBackward>)");
  expect(out).toContain("x.grad = tensor([ 0.,  4.,  8., 12.])");
  expect(out).toContain("x.grad after x.sum().backward() = tensor([1., 1., 1., 1.])");
  expect(out).toContain("x.grad == u = tensor([True, True, True, True])");
  expect(out).toContain("d2/ds2 s^3 = 6 s = tensor([ 6., 12., 18.])");
  // forward mode's tangent is J's first column, sin(0.5) + 0.5 cos(0.5) in its first place
  expect(out).toContain("J e_1 (forward mode) = tensor([0.9182, 0.0000, 0.0000])");
  expect(out).toContain("1^T J (reverse mode) = tensor([0.9182, 1.3818, 0.0770])");
});

test("examples/forward-vs-reverse.ts computes the three Jacobians both ways (it checks them against the closed form)", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/forward-vs-reverse.ts", "--repeats", "1"],
    { cwd: root, encoding: "utf8" });
  for (const [n, m] of [[1000, 1], [1, 1000], [100, 100]]) expect(out).toMatch(new RegExp(`^ +${n} +${m} +[\\d.]+ +[\\d.]+ `, "m"));
  expect(out).toContain("takes n passes");
}, 60_000);

test("examples/mlp.ts trains to high accuracy", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/mlp.ts"], { cwd: root, encoding: "utf8" });
  const last = out.trim().split("\n").pop()!;
  const accuracy = Number(/accuracy ([\d.]+)%/.exec(last)![1]);
  expect(accuracy).toBeGreaterThan(95);
});

test("examples/porting.ts learns its classes", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/porting.ts"], { cwd: root, encoding: "utf8" });
  const lines = out.trim().split("\n");
  const loss = (line: string) => Number(/loss ([\d.]+)/.exec(line)![1]);
  const top1 = Number(/top-1 ([\d.]+)/.exec(lines[lines.length - 1])![1]);
  expect(loss(lines[lines.length - 1])).toBeLessThan(loss(lines[0]) / 2);
  expect(top1).toBeGreaterThan(0.7); // 4 classes: chance is 0.25
});

test("examples/mnist.ts: the CNN learns the digits in two epochs and saves weights PyTorch's format holds", async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { load, load_metadata } = await import("../../bindings/index.js");
  const file = join(mkdtempSync(join(tmpdir(), "wasmgrad-mnist-")), "cnn.safetensors");
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/mnist.ts", "--epochs", "2", "--quiet", "--out", file],
    { cwd: root, encoding: "utf8" });
  const accuracy = Number(/test accuracy ([\d.]+)% on 2000 digits/.exec(out)![1]);
  expect(accuracy).toBeGreaterThan(93);
  const weights = load(file);
  expect(weights["0.weight"].shape).toEqual([8, 1, 5, 5]);
  expect(weights["9.bias"].shape).toEqual([10]);
  expect(load_metadata(file)).toEqual({ model: "cnn", test_accuracy: (accuracy / 100).toFixed(4) });
}, 120_000);

test("examples/graphs.ts draws the chapter's graphs as SVG", async () => {
  const { mkdtempSync, readFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const out = mkdtempSync(join(tmpdir(), "wasmgrad-graphs-"));
  execFileSync(process.execPath, ["--import", "tsx", "examples/graphs.ts", "--out", out], { cwd: root, encoding: "utf8" });
  const svg = (name: string) => readFileSync(join(out, `${name}.svg`), "utf8");
  expect(svg("dot")).toContain("<svg");
  expect(svg("dot")).toContain("DotBackward");
  expect(svg("dot")).toContain("AccumulateGrad");
  expect(svg("sum")).toContain("SumBackward");
  // u = (x * x).detach() leaves no path through u: one MulBackward, of u * x
  expect(svg("detach").match(/MulBackward/g)!.length).toBe(1);
  // the while loop doubles b until its norm reaches 1000: a chain of MulBackward nodes
  expect(svg("control-flow").match(/MulBackward/g)!.length).toBeGreaterThan(5);
}, 60_000);
