// torch.Generator: a seeded stream of random numbers held by an object, so that a consumer
// (a DataLoader's shuffling, random_split) is reproducible whatever else draws from the
// global stream. xoshiro128** with a splitmix32 seed expansion: the same numbers in Node and
// in browsers. The global stream behind rand() and randn() is one of these (random.ts).

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

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Generator {
  private state = new Uint32Array(4);
  private seed_ = 0;

  /** A generator seeded from the clock, as PyTorch's default one is (at start-up). */
  constructor() {
    this.manual_seed(Date.now());
  }

  /** Restarts the stream from `seed` (an integer; the fraction is dropped). Returns this. */
  manual_seed(seed: number): this {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new TypeError(`manual_seed(): seed must be a finite number, got ${String(seed)}`);
    }
    const s = Math.floor(seed);
    const next = splitmix32(s ^ Math.floor(s / 2 ** 32));
    this.state = new Uint32Array([next(), next(), next(), next()]);
    this.seed_ = s;
    return this;
  }

  /** The seed given to the last manual_seed(). */
  initial_seed(): number {
    return this.seed_;
  }

  /** A copy of the state, for set_state() to resume the stream from this point. */
  get_state(): Uint32Array {
    return this.state.slice();
  }

  set_state(state: Uint32Array): this {
    if (!(state instanceof Uint32Array) || state.length !== 4 || state.every((w) => w === 0)) {
      throw new TypeError("Generator.set_state(): expected a Uint32Array of 4 words (not all zero), as get_state() returns");
    }
    this.state = state.slice();
    return this;
  }

  /** @internal The next 32 random bits, as an unsigned integer. */
  _nextUint32(): number {
    const s = this.state;
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

  /** @internal Uniform in [0, 1), with 24 random bits (every float32 step is reachable). */
  _uniform(): number {
    return (this._nextUint32() >>> 8) / 16777216;
  }

  /**
   * @internal A uniform integer in [0, bound), bound <= 2^32. Rejection keeps it unbiased,
   * which floor(uniform() * bound) is not once bound nears 2^24.
   */
  _below(bound: number): number {
    const limit = 2 ** 32 - (2 ** 32 % bound);
    let x = this._nextUint32();
    while (x >= limit) x = this._nextUint32();
    return x % bound;
  }

  /** @internal A uniformly random permutation of 0 .. n-1 (Fisher-Yates). */
  _permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this._below(i + 1);
      const v = order[i];
      order[i] = order[j];
      order[j] = v;
    }
    return order;
  }
}
