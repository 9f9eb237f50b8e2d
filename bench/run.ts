// npm run bench: every contender on every workload, each pair in a child process of its
// own. Checks gradients, times medians, writes bench/results/latest.{json,md}, prints the
// table; a full run (no options) also puts the table in the README. Options, for a partial
// run: --only ew,mlp   --contenders wasmgrad,"jax-js jit"
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONTENDERS } from "./contenders/index.js";
import { DESCRIPTIONS, WORKLOADS, makeData, rate, type WorkloadId } from "./workloads.js";

const here = dirname(fileURLToPath(import.meta.url));
const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? null : process.argv[i + 1].split(",");
};
const workloads = (option("only") ?? WORKLOADS) as WorkloadId[];
const contenders = option("contenders") ?? Object.keys(CONTENDERS);
for (const [given, known] of [[workloads, WORKLOADS], [contenders, Object.keys(CONTENDERS)]] as const) {
  const unknown = given.filter((name) => !(known as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`bench: unknown ${unknown.join(", ")}; known: ${known.join(", ")}`);
}

// jax-js's deep chains overflow V8's default stack (about 1 MB); such a run is reported,
// then repeated with a larger one (within Linux's default 8 MB main-thread stack).
const BIG_STACK = "--stack-size=7800";

interface Result {
  contender: string; workload: WorkloadId; median?: number; min?: number; max?: number; times?: number[];
  gradError?: number; peakRssMiB: number; failed?: string; skipped?: string; note?: string;
}

function runChild(contender: string, workload: WorkloadId, nodeFlags: string[]): Result {
  const child = spawnSync(process.execPath, [...nodeFlags, "--import", "tsx", join(here, "child.ts"), contender, workload],
    { encoding: "utf8", maxBuffer: 1 << 24 });
  const line = child.stdout.split("\n").reverse().find((l) => l.startsWith("{"));
  if (line === undefined) {
    return { contender, workload, peakRssMiB: 0, failed: `exit ${child.status} ${child.signal ?? ""}: ${child.stderr.trim().split("\n").pop()}` };
  }
  return JSON.parse(line) as Result;
}

const started = Date.now();
const results: Result[] = [];
for (const workload of workloads) {
  for (const contender of contenders) {
    let r = runChild(contender, workload, []);
    if (r.failed?.includes("Maximum call stack size exceeded")) {
      const overflow = r.failed;
      r = runChild(contender, workload, [BIG_STACK]);
      r.note = `overflows the default stack (${overflow.slice(0, 60)}); run with ${BIG_STACK}`;
    }
    if (r.skipped) continue;
    results.push(r);
    console.error(`${workload} / ${contender}: ${r.failed ?? `${r.median!.toFixed(2)} ms`}`);
  }
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const rows = [
  "| workload | contender | median ms | min | max | time vs wasmgrad | rate | peak RSS MiB | grad error |",
  "|---|---|---|---|---|---|---|---|---|",
];
const notes: string[] = [];
for (const workload of workloads) {
  const data = makeData(workload);
  const base = results.find((r) => r.workload === workload && r.contender === "wasmgrad")?.median;
  for (const r of results.filter((x) => x.workload === workload)) {
    if (r.note) notes.push(`- ${workload} / ${r.contender}: ${r.note}.`);
    if (r.median === undefined) {
      rows.push(`| ${workload} | ${r.contender} | failed: ${r.failed} | | | | | ${r.peakRssMiB} | |`);
      continue;
    }
    const ratio = base === undefined ? "" : `${(r.median / base).toFixed(2)}x`;
    rows.push(`| ${workload} | ${r.contender}${r.note ? " *" : ""} | ${fmt(r.median)} | ${fmt(r.min!)} | ${fmt(r.max!)} | ${ratio} | ` +
      `${rate(data, r.median)} | ${r.peakRssMiB} | ${r.gradError!.toExponential(1)} |`);
  }
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version, platform: `${process.platform}-${process.arch}`,
};
const date = new Date().toISOString().slice(0, 10);
const header = [
  `Run on ${date}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; single-threaded; ` +
    "medians of 7 to 31 timed calls after warm-up; every contender's gradients checked against float64 first.",
  "",
  ...Object.entries(DESCRIPTIONS).filter(([id]) => workloads.includes(id as WorkloadId)).map(([id, text]) => `- ${id}: ${text}`),
  "",
];
const markdown = [...header, ...rows, ...(notes.length ? ["", ...notes] : [])].join("\n");
const out = join(here, "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "latest.json"), `${JSON.stringify({ date, machine, workloads: DESCRIPTIONS, results }, null, 2)}\n`);
writeFileSync(join(out, "latest.md"), `${markdown}\n`);
console.log(markdown);
if (option("only") === null && option("contenders") === null) {
  const readme = join(here, "..", "README.md");
  const text = readFileSync(readme, "utf8");
  const start = "<!-- bench:start -->", end = "<!-- bench:end -->";
  const from = text.indexOf(start), to = text.indexOf(end);
  if (from >= 0 && to > from) {
    writeFileSync(readme, `${text.slice(0, from + start.length)}\n${markdown}\n${text.slice(to)}`);
    console.error("bench: updated the table in README.md");
  }
}
console.error(`bench: ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results/latest.json and latest.md`);
