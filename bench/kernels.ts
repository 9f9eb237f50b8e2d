// Per-kernel medians: the forward and backward of single elementwise ops on 1024 x 1024
// tensors, contiguous, broadcast and through a transposed view. For judging a change to the
// core's loops: `--against <checkout>` loads another wasmgrad checkout's core into the same
// process and alternates the two on every case, which cancels most of a shared machine's
// drift; the ratio column is this checkout's time over the other's.
// Run with: npx tsx bench/kernels.ts [--dtype float64] [--repeats 15] [--against ../other]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as here from "../bindings/index.js";

type Library = typeof here;
const arg = (name: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined);
const repeats = Number(arg("repeats") ?? 15);
const dtype = (arg("dtype") ?? "float32") as here.DType;
const against = arg("against");
const other: Library | undefined = against === undefined ? undefined
  : await import(pathToFileURL(resolve(against, "bindings", "index.ts")).href);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function cases(wg: Library): [string, () => void][] {
  wg.manual_seed(0);
  const x = wg.rand([1024, 1024], { dtype }).sub(0.5).mul(4);
  const y = wg.rand([1024, 1024], { dtype }).add(0.5);
  const row = wg.rand([1024], { dtype }).add(0.5);
  const xt = x.t();
  const backward = (f: (v: here.Tensor) => here.Tensor) => () => {
    const v = x.detach().requires_grad_(true);
    f(v).backward(wg.ones([1024, 1024], { dtype }));
  };
  return [
    ["add", () => { x.add(y); }],
    ["mul row", () => { x.mul(row); }],
    ["add column", () => { x.add(row.unsqueeze(1)); }],
    ["add transposed", () => { xt.add(y); }],
    ["exp", () => { x.exp(); }],
    ["tanh", () => { x.tanh(); }],
    ["sigmoid", () => { x.sigmoid(); }],
    ["log", () => { y.log(); }],
    ["sin", () => { x.sin(); }],
    ["erf", () => { x.erf(); }],
    ["gelu", () => { x.gelu(); }],
    ["exp transposed", () => { xt.exp(); }],
    ["where", () => { wg.where(x.gt(0), x, y); }],
    ["lerp", () => { x.lerp(y, 0.3); }],
    ["tanh backward", backward((v) => v.tanh())],
    ["gelu backward", backward((v) => v.gelu())],
    ["div row backward", backward((v) => v.div(row))],
  ];
}

const time = (wg: Library, fn: () => void) => {
  const start = performance.now();
  wg.scope(fn);
  return performance.now() - start;
};
const mine = cases(here), theirs = other === undefined ? undefined : cases(other);
console.log(`${dtype}, 1024 x 1024, median of ${repeats} runs (ms)` + (other ? `, against ${against}` : ""));
console.log(`${"".padEnd(18)} ${"this".padStart(8)}` + (other ? ` ${"other".padStart(8)}  this/other` : ""));
mine.forEach(([name, fn], i) => {
  const a: number[] = [], b: number[] = [];
  for (let r = -3; r < repeats; r++) { // three warm-up rounds; who goes first alternates
    const first = r & 1 && theirs ? 1 : 0;
    for (const turn of first ? [1, 0] : [0, 1]) {
      if (turn === 0) { const t = time(here, fn); if (r >= 0) a.push(t); }
      else if (theirs) { const t = time(other!, theirs[i][1]); if (r >= 0) b.push(t); }
    }
  }
  const line = `${name.padEnd(18)} ${median(a).toFixed(3).padStart(8)}`;
  console.log(theirs ? `${line} ${median(b).toFixed(3).padStart(8)}  ${(median(a) / median(b)).toFixed(2).padStart(10)}` : line);
});
