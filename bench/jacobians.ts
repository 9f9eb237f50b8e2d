// The cost of a Jacobian by vmap-ed reverse mode (func.jacrev: every row in one batched
// sweep) against a loop of backward calls (one autograd.grad per output element, the graph
// retained), and by forward mode (func.jacfwd), for f: R^n -> R^m, f(x) = tanh(W x) * sum(x),
// at m x n = 10 x 100 and 100 x 100, float64. Medians of the repeats, ratios in the same run.
// Run with: npx tsx bench/jacobians.ts [--repeats 21]
import { func, grad, manual_seed, randn, scope, stack, zeros, type Tensor } from "../bindings/index.js";

const repeats = Number(process.argv[process.argv.indexOf("--repeats") + 1]) || 21;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn: () => Tensor): { ms: number; value: Tensor } {
  const value = fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    scope(() => { fn(); });
    times.push(performance.now() - start);
  }
  return { ms: median(times), value };
}

manual_seed(0);
console.log(`Jacobian of f(x) = tanh(W x) * sum(x), float64, median of ${repeats} runs\n`);
console.log("  m x n     loop of backward  jacrev (vmap)  jacfwd (vmap)  loop / jacrev");
for (const [m, n] of [[10, 100], [100, 100]]) {
  const W = randn([m, n], { dtype: "float64" }).div(Math.sqrt(n));
  const x = randn([n], { dtype: "float64" });
  const f = (v: Tensor) => W.matmul(v).tanh().mul(v.sum());
  const loop = time(() => {
    const xr = x.detach().requires_grad_(true);
    const y = f(xr);
    const rows = Array.from({ length: m }, (_, i) => {
      const seed = zeros([m], { dtype: "float64" });
      seed.index(`${i}:${i + 1}`).fill_(1);
      return grad(y, [xr], { grad_outputs: [seed], retain_graph: true })[0]!;
    });
    return stack(rows);
  });
  const rev = time(() => func.jacrev(f)(x) as Tensor);
  const fwd = time(() => func.jacfwd(f)(x) as Tensor);
  const error = Math.max(rev.value.sub(loop.value).abs().max().item(), fwd.value.sub(loop.value).abs().max().item());
  if (!(error < 1e-12)) throw new Error(`the Jacobians differ by ${error}`);
  const cell = (ms: number) => `${ms.toFixed(2)} ms`.padStart(15);
  console.log(`${`${m} x ${n}`.padStart(9)}  ${cell(loop.ms)}  ${cell(rev.ms)}  ${cell(fwd.ms)}  ${(loop.ms / rev.ms).toFixed(2).padStart(13)}`);
}
