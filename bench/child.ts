// One contender on one workload, in a process of its own (so that peak memory is its own):
// check the gradients against the float64 reference, warm up, time, print one JSON line.
import { makeData, referenceGrads, type WorkloadId } from "./workloads.js";
import { CONTENDERS } from "./contenders/index.js";

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 0, err = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / Math.max(scale, 1e-30);
}

async function measure(contender: string, workload: WorkloadId) {
  const data = makeData(workload);
  const session = await (await CONTENDERS[contender]())(data);
  if (session === null) return { skipped: "not supported" };
  const grads = await session.grads();
  const reference = referenceGrads(data);
  const gradError = Math.max(...reference.map((r, i) => maxRelError(grads[i], r)));
  if (!(gradError < 1e-3)) throw new Error(`gradients differ from the float64 reference: max rel. error ${gradError}`);
  // Warm up (V8 tiers up, jit compiles, allocators settle): at least 3 calls or 1 s.
  for (let i = 0, t0 = performance.now(); i < 3 || performance.now() - t0 < 1000; i++) await session.step();
  // Then at least 7 timed calls, up to 31, within about 5 s.
  const times: number[] = [];
  for (let t0 = performance.now(); times.length < 7 || (times.length < 31 && performance.now() - t0 < 5000);) {
    const start = performance.now();
    await session.step();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { gradError, times, median: times[times.length >> 1], min: times[0], max: times[times.length - 1] };
}

const [contender, workload] = process.argv.slice(2) as [string, WorkloadId];
let result: Record<string, unknown>;
try {
  result = await measure(contender, workload);
} catch (error) {
  result = { failed: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error) };
}
result.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify({ contender, workload, ...result })}\n`);
process.exit(0); // jax-js and tfjs may keep handles open
