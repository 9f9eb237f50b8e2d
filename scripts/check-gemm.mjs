// Standalone check and benchmark of the generic GEMM (assembly/ops/gemm.ts), outside the
// rest of the core:
//   1. compiles a tiny AssemblyScript entry exporting gemm<f32> and gemm<f64>, and another
//      one around a committed float32 gemm (git show <base>:assembly/ops/gemm.ts, base
//      HEAD unless --base says otherwise), the same way;
//   2. checks every transA/transB combination on many shapes (odd ones, ones crossing the
//      tile and block sizes of either type, empty ones, unaligned operands) against a naive
//      float64 matmul, with an error bound per type;
//   3. times 256 and 512 square products (NN as in the forward, NT and TN as in the
//      backward): medians after warm-up, in GFLOP/s, base f32 vs new f32 vs new f64.
//
//   node scripts/check-gemm.mjs [--runs N] [--base REV] [--no-bench]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runsArg = args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 31;
const baseArg = args.indexOf("--base");
const BASE = baseArg >= 0 ? args[baseArg + 1] : "HEAD"; // a revision whose gemm is the float32 one
const BENCH = !args.includes("--no-bench");
if (!(RUNS >= 15)) throw new Error("--runs must be at least 15");

// ---- build -------------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), "check-gemm-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

// AssemblyScript resolves a non-relative import in its standard library, so the absolute
// path of a module is imported as the equivalent path relative to the entry's directory.
const importOf = (absolute) => {
  const rel = relative(tmp, absolute).replace(/\\/g, "/").replace(/\.ts$/, "");
  return rel.startsWith(".") ? rel : "./" + rel;
};

const signature = "a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool";
const call = "a, b, c, m, k, n, transA, transB";
const memoryExports = `
export function alloc(bytes: usize): usize { return heap.alloc(bytes); }
export function free(ptr: usize): void { heap.free(ptr); }
`;

function compile(name, source) {
  const entry = join(tmp, name + ".ts"), out = join(tmp, name + ".wasm");
  writeFileSync(entry, source);
  // run from the temporary directory, so that the project's asconfig.json is not picked up
  execFileSync(join(root, "node_modules", ".bin", "asc"),
    [entry, "--enable", "simd", "-O3", "--runtime", "minimal", "--initialMemory", "512", "-o", out],
    { cwd: tmp, stdio: "inherit" });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {
    env: { abort: (_m, _f, line, col) => { throw new Error(`abort in wasm at ${line}:${col}`); } },
  });
  return exports;
}

const gemmPath = join(root, "assembly", "ops", "gemm.ts");
const basePath = join(tmp, "gemm-base.ts");
writeFileSync(basePath, execFileSync("git", ["show", `${BASE}:assembly/ops/gemm.ts`], { cwd: root }));

const current = compile("current", `import { gemm } from "${importOf(gemmPath)}";
export function gemm32(${signature}): void { gemm<f32>(${call}); }
export function gemm64(${signature}): void { gemm<f64>(${call}); }
${memoryExports}`);
const base = compile("base", `import { gemm } from "${importOf(basePath)}";
export function gemm32(${signature}): void { gemm(${call}); }
${memoryExports}`);

// One GEMM under test: a module, its exported function and the element type.
const variants = [
  { name: "base f32", mod: base, fn: base.gemm32, Arr: Float32Array, u: 2 ** -24 },
  { name: "new f32", mod: current, fn: current.gemm32, Arr: Float32Array, u: 2 ** -24 },
  { name: "new f64", mod: current, fn: current.gemm64, Arr: Float64Array, u: 2 ** -53 },
];

// An array of `length` elements in the module's memory, `shift` elements past an
// allocation (to test unaligned operands); its view is re-created after memory growth.
function buffer(v, length, shift = 0) {
  const bytes = v.Arr.BYTES_PER_ELEMENT;
  const base = v.mod.alloc((length + shift) * bytes + 16);
  const ptr = base + shift * bytes;
  return { ptr, free: () => v.mod.free(base), view: () => new v.Arr(v.mod.memory.buffer, ptr, length) };
}

let seed = 12345;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;

// ---- correctness -------------------------------------------------------------------------

// op(A) is m x k, op(B) k x n; A is stored k x m when transA, B n x k when transB.
function reference(A, B, m, k, n, transA, transB) {
  const C = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) {
        const x = (transA ? A[p * m + i] : A[i * k + p]) * (transB ? B[j * k + p] : B[p * n + j]);
        s += x; t += Math.abs(x);
      }
      C[i * n + j] = s; bound[i * n + j] = t;
    }
  }
  return { C, bound };
}

const shapes = [
  [1, 1, 1], [1, 1, 5], [2, 3, 1], [1, 7, 1], [4, 4, 4], [4, 8, 8], [5, 7, 9], [7, 9, 6],
  [3, 300, 5], [8, 128, 4], [9, 129, 5], [8, 256, 8], [9, 257, 17], [17, 513, 3], [1, 513, 3],
  [64, 64, 64], [65, 127, 63], [67, 300, 45], [130, 5, 1030], [33, 1000, 9],
  [65, 257, 1025], [513, 17, 33], [200, 200, 200],
  [0, 3, 4], [3, 0, 4], [3, 4, 0], [0, 0, 0],
];

let failures = 0;
const worst = new Map(variants.map((v) => [v.name, 0]));
for (const [s, [m, k, n]] of shapes.entries()) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const a64 = Float64Array.from({ length: m * k }, random), b64 = Float64Array.from({ length: k * n }, random);
      for (const v of variants) {
        // inputs rounded to the variant's type; the reference sums in float64 (whose
        // products of float32 values are exact)
        const a = v.Arr.from(a64), b = v.Arr.from(b64);
        const { C, bound } = reference(a, b, m, k, n, transA, transB);
        const shift = s % 3; // 0, 1 or 2 elements: operands of every alignment
        const A = buffer(v, m * k, shift), B = buffer(v, k * n, (shift + 1) % 3);
        const Cb = buffer(v, m * n, (shift + 2) % 3);
        A.view().set(a); B.view().set(b); Cb.view().fill(NaN); // every element must be written
        v.fn(A.ptr, B.ptr, Cb.ptr, m, k, n, transA, transB);
        const got = Cb.view();
        // |error| <= γ(k + 1) Σ|a||b| for the kernel's summation and rounding to its type;
        // doubled for f64, whose reference is no more accurate than the kernel
        const tol = (k + 2) * v.u * (v.Arr === Float64Array ? 2 : 1);
        let bad = 0, first = "";
        for (let i = 0; i < m * n; i++) {
          const err = Math.abs(got[i] - C[i]);
          if (bound[i] > 0) worst.set(v.name, Math.max(worst.get(v.name), err / (bound[i] * v.u)));
          if (!(err <= tol * bound[i])) {
            if (!bad++) first = `[${(i / n) | 0}, ${i % n}] = ${got[i]}, expected ${C[i]}`;
          }
        }
        if (bad) {
          failures++;
          console.log(`FAIL ${v.name} ${m}x${k}x${n} transA=${transA} transB=${transB}: ${bad} wrong, first ${first}`);
        }
        A.free(); B.free(); Cb.free();
      }
    }
  }
}
const cases = shapes.length * 4 * variants.length;
console.log(`correctness: ${cases - failures}/${cases} cases pass (${shapes.length} shapes x 4 transposes x ` +
  `${variants.map((v) => v.name).join(", ")})`);
console.log("  largest error, in units of u·Σ|a·b| (u = 2^-24 for f32, 2^-53 for f64): " +
  variants.map((v) => `${v.name} ${worst.get(v.name).toFixed(2)}`).join(", "));

// ---- benchmark ---------------------------------------------------------------------------

if (BENCH) {
  const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[s.length >> 1]; };
  const forms = [["NN", false, false], ["NT", false, true], ["TN", true, false]];
  const rows = [];
  for (const size of [256, 512]) {
    const flops = 2 * size ** 3;
    const reps = Math.ceil((512 / size) ** 3); // calls per sample: as many flops as one 512 product
    const totals = variants.map(() => 0);
    for (const [form, transA, transB] of forms) {
      const runs = variants.map((v) => {
        const A = buffer(v, size * size), B = buffer(v, size * size), C = buffer(v, size * size);
        A.view().set(Float64Array.from({ length: size * size }, random));
        B.view().set(Float64Array.from({ length: size * size }, random));
        const sample = () => {
          const t0 = performance.now();
          for (let r = 0; r < reps; r++) v.fn(A.ptr, B.ptr, C.ptr, size, size, size, transA, transB);
          return (performance.now() - t0) / reps;
        };
        return { A, B, C, sample, times: [] };
      });
      for (let w = 0; w < 5; w++) for (const r of runs) r.sample();
      // interleaved, in a rotating order, so that drift in clock speed hits all alike
      for (let i = 0; i < RUNS; i++) {
        for (let j = 0; j < runs.length; j++) {
          const r = runs[(i + j) % runs.length];
          r.times.push(r.sample());
        }
      }
      const ms = runs.map((r) => median(r.times));
      ms.forEach((t, i) => (totals[i] += t));
      rows.push([`${size} ${form}`, ...ms.map((t) => flops / t / 1e6)]);
      for (const r of runs) { r.A.free(); r.B.free(); r.C.free(); }
    }
    rows.push([`${size} NN+NT+TN`, ...totals.map((t) => (3 * flops) / t / 1e6)]);
  }
  const pad = (s, w) => String(s).padStart(w);
  console.log(`\nGFLOP/s, medians of ${RUNS} runs after warm-up (base: ${BASE})`);
  console.log(["product", ...variants.map((v) => v.name), "new/base f32", "f64/f32"].map((s) => pad(s, 14)).join(""));
  for (const [label, old32, new32, new64] of rows) {
    console.log([pad(label, 14), ...[old32, new32, new64].map((g) => pad(g.toFixed(1), 14)),
      pad(((100 * new32) / old32).toFixed(1) + "%", 14), pad(((100 * new64) / new32).toFixed(1) + "%", 14)].join(""));
  }
}

if (failures) process.exit(1);
