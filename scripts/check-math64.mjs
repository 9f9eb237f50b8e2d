// Accuracy and speed check for the float64 vector math in assembly/ops/simd64.ts.
//
//   node scripts/check-math64.mjs [--points N] [--quick] [--no-speed] [--speed-only] [--only tanh,exp]
//
// Compiles a small AssemblyScript entry (written to a temporary directory) that imports
// simd64.ts and exports, per kernel, a vector loop with a scalar tail (as the core's
// elementwise loops), a loop over the scalar form only, and the same loop over
// AssemblyScript's NativeMath. Each kernel runs over generated ranges (dense near 0,
// logarithmic spans, thresholds, subnormals, special values, both signs); results are
// compared with Math.* in float64 and the worst ulp distance and its argument printed.
// Then each kernel and its NativeMath loop are timed on 1e6 doubles (median of repeated
// runs after warm-up, in rounds of short blocks: see below). Exits non-zero if an error
// exceeds the target (4 ulp; tanh: 2 ulp from the exact value) or a special value (NaN,
// +-inf, +-0) is handled differently from Math.*. --only restricts the checks and timings to
// the kernels named.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const POINTS = option("--points", flag("--quick") ? 200_000 : 1_000_001); // per range (odd: exercises the tail)
const TARGET_ULP = 4; // distance to Math.* and exact error; a kernel's exactTarget can be tighter

// ---- kernels --------------------------------------------------------------------------

const ALL_KERNELS = [
  { name: "exp", vec: "expV64(x)", sca: "expS64(x)", nat: "Math.exp(x)", ref: Math.exp },
  { name: "log", vec: "logV64(x)", sca: "logS64(x)", nat: "Math.log(x)", ref: Math.log },
  { name: "tanh", vec: "tanhV64(x)", sca: "tanhS64(x)", nat: "Math.tanh(x)", ref: Math.tanh, exactTarget: 2 },
  { name: "sin", vec: "sinCosV64(x, false)", sca: "sinCosS64(x, false)", nat: "Math.sin(x)", ref: Math.sin },
  { name: "cos", vec: "sinCosV64(x, true)", sca: "sinCosS64(x, true)", nat: "Math.cos(x)", ref: Math.cos },
];
const ONLY = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : null;
const KERNELS = ONLY ? ALL_KERNELS.filter((k) => ONLY.includes(k.name)) : ALL_KERNELS;

// ---- build ----------------------------------------------------------------------------

function build() {
  const dir = mkdtempSync(join(tmpdir(), "check-math64-"));
  const entry = join(dir, "entry.ts");
  // asc resolves imports relative to the importing file (an absolute path is taken as a
  // library path), so the entry imports simd64.ts by a relative path from the temp dir.
  let lib = relative(dir, join(root, "assembly", "ops", "simd64")).split("\\").join("/");
  if (!lib.startsWith(".")) lib = "./" + lib;
  const loops = ALL_KERNELS.map(({ name, vec, sca, nat }) => `
export function v_${name}(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    const x = v128.load(src + off);
    v128.store(dst + off, ${vec});
  }
  for (; i < n; i++) {
    const off = <usize>i << 3;
    const x = load<f64>(src + off);
    store<f64>(dst + off, ${sca});
  }
}
export function s_${name}(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 3;
    const x = load<f64>(src + off);
    store<f64>(dst + off, ${sca});
  }
}
export function n_${name}(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 3;
    const x = load<f64>(src + off);
    store<f64>(dst + off, ${nat});
  }
}`).join("\n");
  writeFileSync(entry, `
import { expV64, expS64, logV64, logS64, tanhV64, tanhS64, sinCosV64, sinCosS64, hsum64 }
  from "${lib}";
${loops}

// Distance in ulps between a and b: how many doubles lie between them (so steps across
// binades, into the subnormals and from DBL_MAX to inf count one each); NaN-NaN is 0,
// NaN against a number is inf; +0 and -0 are the same point.
@inline function ordered(x: f64): i64 {
  const b = reinterpret<i64>(x);
  return b >= 0 ? b : -(b & 0x7fffffffffffffff);
}
export function ulps(pa: usize, pb: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 3;
    const a = load<f64>(pa + off), b = load<f64>(pb + off);
    let d: f64;
    if (isNaN(a) || isNaN(b)) d = isNaN(a) && isNaN(b) ? 0 : Infinity;
    else {
      const oa = ordered(a), ob = ordered(b);
      d = <f64>(oa > ob ? <u64>(oa - ob) : <u64>(ob - oa));
    }
    store<f64>(out + off, d);
  }
}
export function hsum(a: f64, b: f64): f64 {
  return hsum64(f64x2.replace_lane(f64x2.splat(a), 1, b));
}
export const heapStart: usize = __heap_base;
`);
  const out = join(dir, "entry.wasm");
  execFileSync(join(root, "node_modules", ".bin", "asc"), [
    entry, "--enable", "simd", "-O3", "--runtime", "stub", "--initialMemory", "256", "-o", out,
  ], { stdio: "inherit", cwd: dir }); // not the repo root: its asconfig.json adds the core's entries
  const bytes = readFileSync(out);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

const wasm = build();
const { exports: w } = new WebAssembly.Instance(new WebAssembly.Module(wasm), {
  env: { abort() { throw new Error("abort"); } },
});
const CHUNK = 1 << 20;
const BYTES = CHUNK * 8;
const base = (Number(w.heapStart.value ?? w.heapStart) + 63) & ~63;
const need = base + 4 * BYTES;
const have = w.memory.buffer.byteLength;
if (need > have) w.memory.grow(Math.ceil((need - have) / 65536));
const SRC = base, DST = base + BYTES, REF = base + 2 * BYTES, OUT = base + 3 * BYTES;
const view = (p, n = CHUNK) => new Float64Array(w.memory.buffer, p, n);

// ---- inputs ---------------------------------------------------------------------------

// xoshiro128** seeded per range: reproducible without Math.random.
function rng(seed) {
  let a = seed ^ 0x9e3779b9, b = 0x243f6a88, c = 0x85a308d3, d = 0x13198a2e;
  const next = () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
    return r >>> 0;
  };
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  for (let i = 0; i < 16; i++) next();
  const u = () => (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53; // [0, 1)
  return { u, int: next };
}
const f64 = new Float64Array(1), u32 = new Uint32Array(f64.buffer);
function fromBits(hi, lo) { u32[1] = hi; u32[0] = lo; return f64[0]; }
function nudge(x, k) { // x moved k doubles towards +inf (k may be negative), finite x
  f64[0] = x;
  let big = (BigInt(u32[1]) << 32n) | BigInt(u32[0]);
  big = x >= 0 ? big + BigInt(k) : big - BigInt(k);
  u32[1] = Number((big >> 32n) & 0xffffffffn); u32[0] = Number(big & 0xffffffffn);
  return f64[0];
}

// ---- exact reference -------------------------------------------------------------------
//
// Math.* is V8's fdlibm port, itself up to ~1.7 ulp off (tanh) and usually below 1, so a
// distance to it does not tell which side is wrong. Points where a kernel and Math.* differ,
// plus a random sample of each range, are also evaluated in BigInt fixed point (hundreds of
// bits, constants from series), giving the kernel's error in ulps of the exact value.

const big = (n) => BigInt(n);
const bitlen = (v) => (v === 0n ? 0 : v.toString(2).length);
function decompose(x) { // finite x = M * 2^e, M a signed integer
  f64[0] = x;
  const hi = u32[1], lo = u32[0], be = (hi >>> 20) & 0x7ff;
  let M = (big(hi & 0xfffff) << 32n) | big(lo);
  if (be) M |= 1n << 52n;
  return { M: hi >>> 31 ? -M : M, e: (be || 1) - 1075 };
}
const shiftR = (v, n) => (n <= 0 ? v << big(-n) : (v + (1n << big(n - 1))) >> big(n)); // rounded
const trunc = (v, n) => (v < 0n ? -(-v >> n) : v >> n); // v / 2^n towards 0: series end at 0
const fixed = (x, S) => { const { M, e } = decompose(x); return shiftR(M, -(e + S)); }; // x 2^S
function atanhInv(k, S) { // atanh(1/k) 2^S
  const K = big(k), K2 = K * K;
  let term = (1n << big(S)) / K, sum = term;
  for (let j = 1n; term; j++) { term /= K2; sum += term / (2n * j + 1n); }
  return sum;
}
function atanInv(k, S) { // atan(1/k) 2^S
  const K = big(k), K2 = K * K;
  let term = (1n << big(S)) / K, sum = term;
  for (let j = 1n; term; j++) { term /= K2; sum += (j & 1n ? -term : term) / (2n * j + 1n); }
  return sum;
}
const CS = 1700; // fraction bits of the constants
const LN2_C = 2n * atanhInv(3, CS + 16) >> 16n;
const PIO2_C = (8n * atanInv(5, CS + 16) - 2n * atanInv(239, CS + 16)) >> 16n;
const constant = (c, S) => shiftR(c, CS - S);
const W = 400; // working fraction bits

// expm1(r) 2^S for |r| <= ~0.4, r = R 2^-S: Taylor on r / 2^16, then 16 doublings of
// expm1 (e^2a - 1 = u (u + 2)), which keep the relative precision of tiny results.
function expm1Fixed(R, S) {
  const G = S + 48, ONE = 1n << big(G), g = big(G);
  const X = R << 32n; // r / 2^16 at scale G
  let term = X, sum = X;
  for (let n = 2n; term; n++) { term = trunc(term * X, g) / n; sum += term; }
  for (let i = 0; i < 16; i++) sum = trunc(sum * (sum + 2n * ONE), g);
  return shiftR(sum, 48);
}
const exactly = (x) => ({ special: x });

const EXACT = {
  exp(x) {
    if (Number.isNaN(x) || x > 710 || x < -746 || x === 0) return exactly(x > 0 ? Infinity : x < 0 ? 0 : x === 0 ? 1 : NaN);
    const k = Math.round(x * Math.LOG2E);
    const R = fixed(x, W) - big(k) * constant(LN2_C, W);
    return { V: expm1Fixed(R, W) + (1n << big(W)), e: k - W };
  },
  log(x) {
    if (!(x > 0) || x === Infinity) return exactly(x === 0 ? -Infinity : x === Infinity ? Infinity : NaN);
    const { M, e } = decompose(x);
    const S = W + 64, bl = bitlen(M);
    let k = e + bl - 1, m = M << big(S - (bl - 1)); // x = m 2^k, m in [1, 2)
    if (m * m > 2n << big(2 * S)) { m >>= 1n; k++; } // m in [sqrt(1/2), sqrt(2))
    const ONE = 1n << big(S), s = big(S);
    const z = ((m - ONE) << s) / (m + ONE), z2 = z * z >> s;
    let term = z, sum = z;
    for (let j = 1n; term; j++) { term = trunc(term * z2, s); sum += term / (2n * j + 1n); }
    return { V: big(k) * constant(LN2_C, S) + 2n * sum, e: -S };
  },
  tanh(x) {
    if (Number.isNaN(x) || x === 0) return exactly(x);
    if (Math.abs(x) > 40) return exactly(Math.sign(x));
    const a = Math.abs(x);
    const S = W + Math.max(0, -Math.floor(Math.log2(a))) + 8, ONE = 1n << big(S);
    const A2 = fixed(2 * a, S);
    let E1;
    if (2 * a <= 0.35) E1 = expm1Fixed(A2, S);
    else {
      const k = Math.round(2 * a * Math.LOG2E);
      E1 = ((ONE + expm1Fixed(A2 - big(k) * constant(LN2_C, S), S)) << big(k)) - ONE;
    }
    const V = (E1 << big(S)) / (E1 + 2n * ONE);
    return { V: x < 0 ? -V : V, e: -S };
  },
  trig(x, cosine) {
    if (!Number.isFinite(x)) return exactly(NaN);
    if (x === 0) return exactly(cosine ? 1 : x);
    const PS = 1500, P = constant(PIO2_C, PS);
    const X = fixed(x, PS); // exact
    const AX = X < 0n ? -X : X;
    let n = (2n * AX + P) / (2n * P);
    let R = AX - n * P;
    if (X < 0n) { n = -n; R = -R; }
    const q = Number(((n % 4n) + 4n) % 4n);
    const lg = bitlen(R < 0n ? -R : R) - PS;
    const T = W + Math.max(0, -lg);
    const r = shiftR(R, PS - T), t = big(T), r2 = r * r >> t;
    const series = (first, k0) => {
      let term = first, sum = first;
      for (let k = k0; term; k += 2n) { term = -trunc(term * r2, t) / (k * (k + 1n)); sum += term; }
      return sum;
    };
    const sn = series(r, 2n), cs = series(1n << t, 1n);
    const pick = cosine ? [cs, -sn, -cs, sn][q] : [sn, cs, -sn, -cs][q];
    return { V: pick, e: -T };
  },
};
EXACT.sin = (x) => EXACT.trig(x, false);
EXACT.cos = (x) => EXACT.trig(x, true);

function roundToDouble({ V, e }) { // correctly rounded V 2^e
  const neg = V < 0n, A = neg ? -V : V;
  const bl = bitlen(A), lg = bl - 1 + e;
  const shift = lg >= -1022 ? bl - 53 : -1074 - e;
  let q = A, sh = shift;
  if (shift > 0) {
    q = A >> big(shift);
    const rem = A - (q << big(shift)), half = 1n << big(shift - 1);
    if (rem > half || (rem === half && (q & 1n))) q++;
  } else { q = A << big(-shift); sh = 0; }
  const mag = e + sh > 1023 ? Infinity : Number(q) * 2 ** (e + sh);
  return neg ? -mag : mag;
}

// |got - exact| in ulps of the exact value (ulp of its binade, 2^-1074 in the subnormals)
function exactError(got, exact) {
  if ("special" in exact) {
    const s = exact.special;
    if (Number.isNaN(s)) return Number.isNaN(got) ? 0 : Infinity;
    if (s === 0 && got !== 0 && Number.isFinite(got)) return Math.abs(got) / Number.MIN_VALUE;
    return Object.is(got, s) || (s !== 0 && got === s) ? 0 : Infinity;
  }
  const cr = roundToDouble(exact);
  if (!Number.isFinite(cr)) return got === cr ? 0 : Infinity;
  if (!Number.isFinite(got)) return Infinity;
  const { V, e } = exact;
  const lg = bitlen(V < 0n ? -V : V) - 1 + e, ulpExp = Math.max(lg - 52, -1074);
  const g = decompose(got), emin = Math.min(g.e, e);
  let D = (g.M << big(g.e - emin)) - (V << big(e - emin));
  if (D < 0n) D = -D;
  const sh = ulpExp - emin;
  return sh > 60 ? Number(D >> big(sh - 60)) / 2 ** 60 : Number(D) / 2 ** sh;
}

const uniform = (lo, hi) => (r) => lo + (hi - lo) * r.u();
const sym = (g) => (r) => (r.int() & 1 ? -g(r) : g(r));
// |x| log-uniform in [lo, hi] (any doubles in between, subnormals included)
const logU = (lo, hi) => { const a = Math.log(lo), b = Math.log(hi); return (r) => Math.exp(a + (b - a) * r.u()); };
// random bit patterns with the biased exponent uniform in [e0, e1]: every binade equally
const binades = (e0, e1) => (r) => fromBits(((e0 + (r.int() % (e1 - e0 + 1))) << 20) | (r.int() & 0xfffff), r.int());
const subnormal = (r) => fromBits(r.int() & 0xfffff, r.int());
// doubles next to multiples of pi/2 (where the reduction cancels most)
const nearPio2 = (nmax) => (r) => nudge((1 + (r.int() % nmax)) * (Math.PI / 2), (r.int() % 2001) - 1000);

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1, -1, 2, 0.5, Number.MIN_VALUE, -Number.MIN_VALUE,
  2.2250738585072014e-308, -2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE,
  -Number.MAX_VALUE, 1e-300, -1e-300, 1e300, -1e300, 709.782712893384, 709.7827128933841,
  -745.1332191019411, -745.1332191019412, -708.3964185322641, -708.4, 0.625, -0.625,
  nudge(0.625, 1), nudge(0.625, -1), 0.75, -0.75, nudge(0.75, 1), nudge(0.75, -1), 19.06154746539849,
  22, -22, 112.94785306110163, nudge(112.94785306110163, 1), -112.94785306110163, // tanh's clamp
  Math.PI, Math.PI / 2, Math.PI / 4,
  1.6e6, nudge(1.6e6, 1), -1.6e6, 1e22, 2 ** 52, 2 ** 53, 2 ** 1023, Math.E, Math.LN2, 1e-8, -1e-8,
  7.450580596923828e-9, nudge(7.450580596923828e-9, 1)];
const special = (r) => SPECIAL[r.int() % SPECIAL.length];

// The doubles closest to a multiple of pi/2 (relative to their size), n pi/2 <= 1.6e6: the
// hardest cases of the sin/cos reduction. Found by rounding n pi/2 (200-bit) to a double
// for every n and keeping the smallest remainders; used with a few neighbours each.
function closestToPio2(count, nmax) {
  const P = constant(PIO2_C, 200), best = [];
  let worst = Infinity;
  for (let n = 1; n <= nmax; n++) {
    const X = big(n) * P;
    const x = roundToDouble({ V: X, e: -200 });
    let R = fixed(x, 200) - X;
    if (R < 0n) R = -R;
    const rel = Number(R) / x; // |x - n pi/2| / x (scaled by 2^200)
    if (best.length < count || rel < worst) {
      best.push({ x, rel });
      if (best.length > count) { best.sort((p, q) => p.rel - q.rel); best.length = count; }
      worst = best.length < count ? Infinity : Math.max(...best.map((b) => b.rel));
    }
  }
  return best.map((b) => b.x);
}
const HARD_PIO2 = closestToPio2(64, flag("--quick") ? 100_000 : 1_018_000);
const hardPio2 = (r) => nudge(HARD_PIO2[r.int() % HARD_PIO2.length], (r.int() % 7) - 3) * (r.int() & 1 ? -1 : 1);

const RANGES = {
  exp: [
    ["|x| < 1e-3", uniform(-1e-3, 1e-3)],
    ["[-1, 1]", uniform(-1, 1)],
    ["[-40, 40]", uniform(-40, 40)],
    ["[-708, 709.78]", uniform(-708.3964185322641, 709.782712893384)],
    ["subnormal results [-745.2, -708.3]", uniform(-745.2, -708.3)],
    ["overflow edge [709, 710]", uniform(709, 710)],
    ["|x| log-uniform 1e-320..1e3", sym(logU(1e-320, 1e3))],
    ["special values", special],
  ],
  log: [
    ["all binades (subnormal..max)", binades(0, 2046)],
    ["subnormals", subnormal],
    ["[0.5, 2]", uniform(0.5, 2)],
    ["1 +- 1e-3", uniform(1 - 1e-3, 1 + 1e-3)],
    ["1 + log-uniform 1e-16..0.4 (both sides)", (r) => 1 + (r.int() & 1 ? -1 : 1) * logU(1e-16, 0.4)(r)],
    ["(0, 100]", uniform(0, 100)],
    ["negative numbers", (r) => -binades(0, 2046)(r)],
    ["special values", special],
  ],
  tanh: [
    ["|x| log-uniform 1e-320..1", sym(logU(1e-320, 1))],
    ["|x| < 1e-3", uniform(-1e-3, 1e-3)],
    ["[-0.9, 0.9] (form switch at 0.75)", uniform(-0.9, 0.9)],
    ["|x| in [0.7, 1.3] (k = 2, 3: the largest errors)", sym(uniform(0.7, 1.3))],
    ["[-3, 3]", uniform(-3, 3)],
    ["[-25, 25]", uniform(-25, 25)],
    ["|x| log-uniform 1..1e300", sym(logU(1, 1e300))],
    ["special values", special],
  ],
  sin: [
    ["|x| log-uniform 1e-320..1", sym(logU(1e-320, 1))],
    ["[-pi, pi]", uniform(-Math.PI, Math.PI)],
    ["[-100, 100]", uniform(-100, 100)],
    ["[-1e5, 1e5]", uniform(-1e5, 1e5)],
    ["[-1.6e6, 1.6e6]", uniform(-1.6e6, 1.6e6)],
    ["near n pi/2, n < 1e6", sym(nearPio2(1_000_000))],
    ["closest doubles to n pi/2 (+-3 ulps), |x| < 1.6e6", hardPio2],
    ["|x| log-uniform 1.6e6..1e308 (NativeMath lanes)", sym(logU(1.6e6, 1e308))],
    ["special values", special],
  ],
};
RANGES.cos = RANGES.sin;

// ---- accuracy -------------------------------------------------------------------------

const bitsOf = (x) => { f64[0] = x; return u32[1] * 2 ** 32 + u32[0]; };
const signbit = (x) => (f64[0] = x, u32[1] >>> 31);
const fmt = (x) => (Object.is(x, -0) ? "-0" : String(x));
const EXACT_SAMPLE = option("--exact", flag("--quick") ? 300 : 3000); // random points per range
const EXACT_CANDIDATES = 1500; // points per range where the kernel and Math.* differ

function checkRange(kernel, label, gen, seed) {
  const r = rng(seed);
  const res = { label, n: 0, vMax: -1, vAt: 0, vGot: 0, vRef: 0, sMax: -1, over1: 0, specials: 0,
    specialAt: null, differ: 0, eMax: 0, eAt: 0, eGot: 0, eN: 0, refMax: 0 };
  const vf = w[`v_${kernel.name}`], sf = w[`s_${kernel.name}`];
  const sample = [], candidates = [];
  for (let done = 0; done < POINTS; done += CHUNK) {
    const n = Math.min(CHUNK, POINTS - done);
    const src = view(SRC, n), ref = view(REF, n);
    for (let i = 0; i < n; i++) { src[i] = gen(r); ref[i] = kernel.ref(src[i]); }
    for (const [fn, vector] of [[vf, true], [sf, false]]) {
      fn(SRC, DST, n);
      w.ulps(DST, REF, OUT, n);
      const got = view(DST, n), out = view(OUT, n);
      for (let i = 0; i < n; i++) {
        const d = out[i];
        if (!vector) { if (d > res.sMax) res.sMax = d; continue; }
        if (d > res.vMax) { res.vMax = d; res.vAt = src[i]; res.vGot = got[i]; res.vRef = ref[i]; }
        if (d > 1) res.over1++;
        if (d >= 1 && (candidates.length < EXACT_CANDIDATES || d > 1)) candidates.push(src[i]);
        const g = got[i], e = ref[i];
        if (Number.isNaN(g) !== Number.isNaN(e) || (!Number.isNaN(e) &&
            (Number.isFinite(g) !== Number.isFinite(e) || (g === 0) !== (e === 0) ||
             signbit(g) !== signbit(e) || (!Number.isFinite(e) && g !== e)))) {
          res.specials++;
          res.specialAt ??= `${fmt(src[i])} -> ${fmt(g)} (Math: ${fmt(e)})`;
        }
      }
    }
    for (let i = 0; i < n && sample.length < EXACT_SAMPLE * (done + n) / POINTS; i += 1 + (r.int() % 64)) sample.push(src[i]);
    // the scalar tail must give exactly the vector loop's values
    vf(SRC, OUT, n);
    sf(SRC, DST, n);
    const a = view(OUT, n), b = view(DST, n);
    for (let i = 0; i < n; i++) if (bitsOf(a[i]) !== bitsOf(b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) res.differ++;
    res.n += n;
  }
  // exact errors of the kernel (and, as a check of the reference, of Math.*)
  const xs = [...sample, ...candidates.slice(0, 4 * EXACT_CANDIDATES)];
  const src = view(SRC, xs.length);
  xs.forEach((x, i) => { src[i] = x; });
  vf(SRC, DST, xs.length);
  const got = view(DST, xs.length);
  const ex = EXACT[kernel.name];
  for (let i = 0; i < xs.length; i++) {
    const exact = ex(xs[i]);
    const err = exactError(got[i], exact);
    if (err > res.eMax) { res.eMax = err; res.eAt = xs[i]; res.eGot = got[i]; }
    res.refMax = Math.max(res.refMax, exactError(kernel.ref(xs[i]), exact));
  }
  res.eN = xs.length;
  return res;
}

let failed = false;
const summary = [];
const ACCURACY = !flag("--speed-only");
if (ACCURACY) console.log(`${POINTS} points per range; "vs Math" is the distance to Math.* in doubles (vector loop, ` +
  `scalar form); "exact" the error against the exact value on ~${EXACT_SAMPLE} sampled points plus ` +
  `those where the kernel and Math.* differ, with Math.*'s own error beside it\n`);
for (const kernel of ACCURACY ? KERNELS : []) {
  let seed = 1 + 100 * ALL_KERNELS.indexOf(kernel); // the same points with or without --only
  console.log(`${kernel.name}`);
  console.log(`  ${"range".padEnd(48)} ${"vs Math".padStart(7)} ${"scalar".padStart(6)} ${">1ulp".padStart(8)} ` +
    `${"exact".padStart(6)} ${"Math".padStart(5)} ${"points".padStart(6)}  worst (exact) at`);
  for (const [label, gen] of RANGES[kernel.name]) {
    const res = checkRange(kernel, label, gen, seed++);
    summary.push({ kernel: kernel.name, ...res });
    const frac = (res.over1 / res.n * 100).toFixed(3) + "%";
    console.log(`  ${label.padEnd(48)} ${String(res.vMax).padStart(7)} ${String(res.sMax).padStart(6)} ${frac.padStart(8)} ` +
      `${res.eMax.toFixed(3).padStart(6)} ${res.refMax.toFixed(2).padStart(5)} ${String(res.eN).padStart(6)}  ` +
      (res.eMax > 0 ? `x=${fmt(res.eAt)} -> ${fmt(res.eGot)}` : "-"));
    if (res.vMax > 0 && res.vAt !== res.eAt) console.log(`    ${"".padEnd(44)} (vs Math worst: x=${fmt(res.vAt)} got ${fmt(res.vGot)} Math ${fmt(res.vRef)})`);
    if (res.specials) console.log(`    ${res.specials} special-value mismatches, first: ${res.specialAt}`);
    if (res.differ) console.log(`    ${res.differ} lanes where the scalar form differs from the vector loop`);
    if (res.eMax > (kernel.exactTarget ?? TARGET_ULP) || res.vMax > TARGET_ULP || res.sMax > TARGET_ULP || res.specials || res.differ) failed = true;
  }
}

// hsum64: an exact operation, checked for equality (the max of a span is reduce.ts's
// generic maxSpan, tested with the core)
if (ACCURACY) {
  const r = rng(99);
  let bad = 0;
  for (let i = 0; i < 100000; i++) {
    const a = (r.u() - 0.5) * 2 ** ((r.int() % 200) - 100), b = (r.u() - 0.5) * 2 ** ((r.int() % 200) - 100);
    if (w.hsum(a, b) !== a + b) bad++;
  }
  if (!Number.isNaN(w.hsum(Infinity, -Infinity))) bad++;
  console.log(`\nhsum64: ${bad === 0 ? "exact on all tested inputs" : `${bad} mismatches`}`);
  if (bad) failed = true;
}

// ---- speed ----------------------------------------------------------------------------

const SPEED = {
  exp: ["[-20, 20]", uniform(-20, 20)],
  log: ["log-uniform 1e-10..1e10", logU(1e-10, 1e10)],
  tanh: ["[-5, 5]", uniform(-5, 5)],
  sin: ["[-100, 100]", uniform(-100, 100)],
  cos: ["[-100, 100]", uniform(-100, 100)],
};
if (!flag("--no-speed")) {
  // Rounds of short blocks: each loop runs a few times untimed, then a few times timed, so a
  // timed call follows calls of the same loop (right after a long scalar loop such as
  // NativeMath tanh, a vector loop ran up to 1.5x slower on this machine) while the rounds
  // still spread machine noise over all three loops.
  const N = 1_000_000, ROUNDS = flag("--quick") ? 3 : 7, UNTIMED = 2, TIMED = flag("--quick") ? 4 : 6;
  const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
  console.log(`\nspeed, 1e6 doubles, median of ${ROUNDS * TIMED} runs (${ROUNDS} rounds of ${UNTIMED} untimed + ` +
    `${TIMED} timed runs per loop) (ms)`);
  console.log(`  ${"kernel".padEnd(7)} ${"input".padEnd(24)} ${"vector".padStart(8)} ${"scalar form".padStart(12)} ${"NativeMath".padStart(11)} ${"speed-up".padStart(9)}`);
  for (const kernel of KERNELS) {
    const [label, gen] = SPEED[kernel.name];
    const r = rng(1234);
    const src = view(SRC, N);
    for (let i = 0; i < N; i++) src[i] = gen(r);
    const fns = [w[`v_${kernel.name}`], w[`s_${kernel.name}`], w[`n_${kernel.name}`]];
    const times = fns.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      fns.forEach((fn, j) => {
        for (let i = 0; i < UNTIMED + (round === 0 ? 8 : 0); i++) fn(SRC, DST, N); // + warm-up
        for (let i = 0; i < TIMED; i++) { const t0 = performance.now(); fn(SRC, DST, N); times[j].push(performance.now() - t0); }
      });
    }
    const [tv, ts, tn] = times.map(median);
    console.log(`  ${kernel.name.padEnd(7)} ${label.padEnd(24)} ${tv.toFixed(2).padStart(8)} ${ts.toFixed(2).padStart(12)} ${tn.toFixed(2).padStart(11)} ${(tn / tv).toFixed(2).padStart(8)}x`);
  }
}

console.log(failed ? `\nFAIL (target: <= ${TARGET_ULP} ulp, tanh <= 2 ulp exact, special values as Math.*)` :
  `\nOK: all ranges within ${TARGET_ULP} ulp of Math.* (tanh within 2 ulp of the exact value), special values as Math.*`);
process.exit(failed ? 1 : 0);
