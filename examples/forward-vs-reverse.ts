// The chapter's comparison of forward and reverse accumulation, measured: the Jacobian of
// f: R^n -> R^m, f(x) = tanh(W x) with a fixed W (m x n), by jacfwd (forward mode, one pass
// per input) and by jacrev (reverse mode, one sweep per output), at (n, m) = (1000, 1),
// (1, 1000) and (100, 100). Both are checked against the closed form diag(1 - f^2) W.
// Run with: npx tsx examples/forward-vs-reverse.ts [--repeats 5]
import { func, manual_seed, randn, no_grad, type Tensor } from "../bindings/index.js";

const repeats = Number(process.argv[process.argv.indexOf("--repeats") + 1]) || 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// The median time of fn over the repeats, after one warm-up run, and its last result.
function timed(fn: () => Tensor): { ms: number; result: Tensor } {
  let result = fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    result.dispose();
    const start = performance.now();
    result = fn();
    times.push(performance.now() - start);
  }
  return { ms: median(times), result };
}

manual_seed(0);
const rows: string[][] = [];
for (const [n, m] of [[1000, 1], [1, 1000], [100, 100]]) {
  const W = randn([m, n], { dtype: "float64" }).div(Math.sqrt(n));
  const x = randn([n], { dtype: "float64" });
  const f = (v: Tensor) => W.matmul(v).tanh();
  const forward = timed(() => func.jacfwd(f)(x) as Tensor);
  const reverse = timed(() => func.jacrev(f)(x) as Tensor);
  const exact = no_grad(() => f(x).square().neg().add(1).unsqueeze(1).mul(W));
  const error = Math.max(forward.result.sub(exact).abs().max().item(), reverse.result.sub(exact).abs().max().item());
  if (!(error < 1e-12)) throw new Error(`the Jacobians differ from the closed form by ${error}`);
  const perPass = (ms: number, passes: number) => `${((ms / passes) * 1000).toFixed(0)} µs x ${passes}`;
  rows.push([`${n}`, `${m}`, forward.ms.toFixed(2), reverse.ms.toFixed(2), (forward.ms / reverse.ms).toPrecision(3),
    perPass(forward.ms, n), perPass(reverse.ms, m)]);
}

const header = ["n (inputs)", "m (outputs)", "jacfwd ms", "jacrev ms", "jacfwd / jacrev", "forward passes", "reverse sweeps"];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) => cells.map((cell, c) => cell.padStart(widths[c])).join("  ");
console.log(`Jacobian of f(x) = tanh(W x), float64, median of ${repeats} runs (both match the closed form)\n`);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(`
Forward accumulation pushes one tangent from the inputs towards the outputs per pass: a
pass gives one column of the Jacobian, J e_i, so the whole Jacobian takes n passes.
Reverse accumulation pulls one gradient from the outputs back to the inputs per sweep: a
sweep gives one row, e_j^T J, so it takes m sweeps (after one forward pass that records the
graph). A pass and a sweep cost about the same, a small multiple of evaluating f, so the
count decides: with many inputs and one output (n = 1000, m = 1, the shape of a training
loss) reverse mode is faster by about a factor of n, with one input and many outputs
(n = 1, m = 1000) forward mode is by about a factor of m, and a square Jacobian takes as
many of either. This is why deep learning trains with reverse mode: one sweep gives the
gradient of a scalar loss with respect to every parameter.`);
