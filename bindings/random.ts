// The seeded generator behind rand() and randn(): xoshiro128** with a splitmix32 seed
// expansion. Same seed, same numbers, in Node and in browsers.

let state = new Uint32Array(4);

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Seeds the generator used by rand() and randn(). */
export function manual_seed(seed: number): void {
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new TypeError(`manual_seed(): seed must be a finite number, got ${String(seed)}`);
  }
  const next = splitmix32(Math.floor(seed) ^ Math.floor(seed / 2 ** 32));
  state = new Uint32Array([next(), next(), next(), next()]);
}

manual_seed(Date.now());

function nextUint32(): number {
  const s = state;
  const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Uniform in [0, 1), with 24 random bits (every float32 step is reachable). */
export function uniform(): number {
  return (nextUint32() >>> 8) / 16777216;
}

/** Standard normal, by Box-Muller. */
export function normal(): number {
  let u = uniform();
  while (u === 0) u = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}
