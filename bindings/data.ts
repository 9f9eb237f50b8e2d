// wasmgrad/data: torch.utils.data's Dataset, TensorDataset, Subset, random_split and
// DataLoader, for training loops that iterate over mini-batches.
//
// Batches are ordinary tensors, owned by the loop that receives them. Free them either
//   - per step: `for (const [x, y] of loader) { scope(() => step(x, y)); x.dispose(); y.dispose(); }`
//   - per epoch: `scope(() => { for (const [x, y] of loader) scope(() => step(x, y)); })`, which
//     frees the epoch's batches when it ends;
//   - or not at all: tensors nothing holds are evicted from wasm memory (lifetime.ts).
// Whatever a dataset's get() creates for a batch (the samples) is freed once the batch is
// collated, so a dataset that caches tensors should make them outside get().

import { Tensor } from "./tensor.js";
import { tensor } from "./create.js";
import { stack } from "./join-ops.js";
import "./index-ops.js"; // Tensor.prototype.index_select
import { scope } from "./lifetime.js";
import { checkOptions } from "./options.js";
import { describe } from "./shape.js";
import { Generator } from "./generator.js";
import { default_generator } from "./random.js";

/** What a DataLoader iterates over: `length` samples, `get(i)` the i-th (torch's __getitem__). */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

function checkIndex(op: string, index: unknown, length: number, negative: boolean): number {
  if (typeof index !== "number" || !Number.isInteger(index)) throw new TypeError(`${op}: index must be an integer, got ${describe(index)}`);
  if (index >= length || index < (negative ? -length : 0)) {
    throw new RangeError(`${op}: index ${index} is out of range for a dataset of length ${length}`);
  }
  return index < 0 ? index + length : index;
}

/** Samples that are the rows of tensors with a common first dim: get(i) is [t0[i], t1[i], ...] (views). */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new TypeError("TensorDataset(): expected at least one tensor");
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset(): argument ${i} is ${describe(t)}, expected a Tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset(): tensor ${i} is 0-d; every tensor needs a first dim to index the samples by`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new Error(`TensorDataset(): size mismatch between tensors: tensor 0 has ${tensors[0].shape[0]} rows ` +
          `(shape [${tensors[0].shape.join(", ")}]) but tensor ${i} has ${t.shape[0]} (shape [${t.shape.join(", ")}])`);
      }
    });
    this.tensors = tensors.slice();
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    const i = checkIndex("TensorDataset.get()", index, this.length, true);
    return this.tensors.map((t) => t.select(0, i));
  }
}

function checkDataset(op: string, dataset: unknown): Dataset<unknown> {
  const d = dataset as Dataset<unknown> | null;
  if (d === null || typeof d !== "object" || typeof d.get !== "function" ||
      typeof d.length !== "number" || !Number.isInteger(d.length) || d.length < 0) {
    throw new TypeError(`${op}: expected a Dataset (an object with a length, a non-negative integer, and get(index)), got ${describe(dataset)}`);
  }
  return d;
}

/** The samples of `dataset` at `indices`, in that order. */
export class Subset<T> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: readonly number[];

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    checkDataset("Subset()", dataset);
    this.dataset = dataset;
    this.indices = Array.from(indices, (i) => checkIndex("Subset()", i, dataset.length, false));
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex("Subset.get()", index, this.length, true)]);
  }
}

/**
 * Splits the dataset into non-overlapping random subsets of the given lengths (or fractions
 * of its length summing to 1: the remainder goes one each to the first subsets, as in PyTorch).
 */
export function random_split<T>(dataset: Dataset<T>, lengths: number[], generator: Generator = default_generator): Subset<T>[] {
  const n = checkDataset("random_split()", dataset).length;
  if (!(generator instanceof Generator)) throw new TypeError(`random_split(): generator must be a Generator, got ${describe(generator)}`);
  if (!Array.isArray(lengths) || lengths.some((l) => typeof l !== "number" || !(l >= 0))) {
    throw new TypeError("random_split(): lengths must be an array of non-negative numbers (sizes, or fractions summing to 1)");
  }
  let sizes = lengths;
  const total = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) <= 1e-9 && total <= 1) {
    sizes = lengths.map((f) => Math.floor(n * f));
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length]++;
  } else if (!lengths.every(Number.isInteger)) {
    throw new Error(`random_split(): lengths must be integers, or fractions that sum to 1 (they sum to ${total})`);
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) throw new Error(`random_split(): the lengths sum to ${sum}, not to the dataset's length ${n}`);
  const order = generator._permutation(n);
  let offset = 0;
  return sizes.map((size) => new Subset(dataset, order.subarray(offset, (offset += size))));
}

/** What default_collate makes of a list of samples of type T. */
export type Collated<T> = T extends Tensor ? Tensor : T extends number | boolean ? Tensor
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
  : T extends object ? { [K in keyof T]: Collated<T[K]> } : never;

/**
 * torch's default_collate: tensors are stacked along a new first dim, numbers become a 1-D
 * tensor of the default dtype (as tensor() makes them; return 0-d int32 tensors for integer
 * labels), booleans a bool tensor, and arrays and plain objects are collated position by
 * position and key by key.
 */
export function default_collate<T>(samples: T[]): Collated<T> {
  return collate(samples as unknown[], "") as Collated<T>;
}

function kind(v: unknown): string {
  if (v instanceof Tensor) return "Tensor";
  if (Array.isArray(v)) return "array";
  if (typeof v !== "object" || v === null) return typeof v;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null ? "object" : "instance";
}

function collate(samples: unknown[], path: string): unknown {
  const where = path === "" ? "the samples" : `the samples' ${path}`;
  const first = samples[0];
  const k = kind(first);
  samples.forEach((s, i) => {
    if (kind(s) !== k) throw new TypeError(`default_collate(): ${where} mix types: sample 0 is ${describe(first)}, sample ${i} is ${describe(s)}`);
  });
  if (k === "Tensor") {
    try {
      return stack(samples as Tensor[]);
    } catch (error) {
      throw new Error(`default_collate(): ${where} do not stack: ${(error as Error).message}`, { cause: error });
    }
  }
  if (k === "number") return tensor(samples as number[]);
  if (k === "boolean") return tensor(samples as boolean[]);
  if (k === "array") {
    const length = (first as unknown[]).length;
    samples.forEach((s, i) => {
      if ((s as unknown[]).length !== length) {
        throw new Error(`default_collate(): ${where} are arrays of different lengths: ${length} in sample 0, ${(s as unknown[]).length} in sample ${i}`);
      }
    });
    return Array.from({ length }, (_, j) => collate(samples.map((s) => (s as unknown[])[j]), `${path}[${j}]`));
  }
  if (k === "object") {
    const keys = Object.keys(first as object);
    const out: Record<string, unknown> = {};
    samples.forEach((s, i) => {
      const ks = Object.keys(s as object);
      if (ks.length !== keys.length || !keys.every((key) => Object.hasOwn(s as object, key))) {
        throw new Error(`default_collate(): ${where} have different keys: ${keys.join(", ")} in sample 0, ${ks.join(", ")} in sample ${i}`);
      }
    });
    for (const key of keys) {
      Object.defineProperty(out, key, { value: collate(samples.map((s) => (s as Record<string, unknown>)[key]), path === "" ? key : `${path}.${key}`), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new TypeError(`default_collate(): cannot batch ${where}: ${describe(first)} is not a Tensor, a number, a boolean, ` +
    "an array or a plain object; pass a collate_fn to DataLoader");
}

export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batch_size?: number;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batch_size (default false). */
  drop_last?: boolean;
  /** The stream shuffling draws from (default: the global one, seeded by manual_seed). */
  generator?: Generator;
  /** Makes a batch of a list of samples (default: default_collate). */
  collate_fn?: (samples: T[]) => B;
}

const isPositiveInteger = { expected: "a positive integer", test: (v: unknown) => Number.isInteger(v) && (v as number) > 0 };
const LOADER_OPTIONS = {
  batch_size: isPositiveInteger, shuffle: "boolean", drop_last: "boolean",
  generator: { expected: "a Generator", test: (v: unknown) => v instanceof Generator },
  collate_fn: { expected: "a function", test: (v: unknown) => typeof v === "function" },
} as const;

/** The rows of tensors a dataset's samples are, when get() is TensorDataset's (through Subsets). */
function tensorRows(dataset: Dataset<unknown>): { tensors: readonly Tensor[]; rows: ArrayLike<number> | null } | null {
  if (dataset instanceof TensorDataset && dataset.get === TensorDataset.prototype.get) return { tensors: dataset.tensors, rows: null };
  if (dataset instanceof Subset && dataset.get === Subset.prototype.get) {
    const inner = tensorRows(dataset.dataset);
    if (inner === null) return null;
    const rows = inner.rows;
    return { tensors: inner.tensors, rows: rows === null ? dataset.indices : dataset.indices.map((i) => rows[i]) };
  }
  return null;
}

/**
 * Iterates over a dataset in batches: `for (const [x, y] of loader)`. Each epoch (each
 * for...of) is one pass over the samples, in order or, with shuffle, in a new random order
 * drawn from the generator when the epoch starts. A TensorDataset (or Subset of one) with the
 * default collate makes each batch by one index_select per tensor.
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batch_size: number;
  readonly shuffle: boolean;
  readonly drop_last: boolean;
  readonly generator: Generator | null;
  private readonly collate_fn: ((samples: T[]) => B) | null;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    checkDataset("DataLoader()", dataset);
    checkOptions("DataLoader", options, LOADER_OPTIONS);
    this.dataset = dataset;
    this.batch_size = options.batch_size ?? 1;
    this.shuffle = options.shuffle ?? false;
    this.drop_last = options.drop_last ?? false;
    this.generator = options.generator ?? null;
    this.collate_fn = options.collate_fn ?? null;
  }

  /** The number of batches in an epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.drop_last ? Math.floor(n / this.batch_size) : Math.ceil(n / this.batch_size);
  }

  [Symbol.iterator](): Iterator<B> {
    // The order is drawn here, when the epoch starts, as PyTorch's sampler draws it at iter().
    const n = this.dataset.length;
    const order = this.shuffle ? (this.generator ?? default_generator)._permutation(n) : null;
    return this.batches(n, order);
  }

  private *batches(n: number, order: Int32Array | null): IterableIterator<B> {
    const count = this.length, size = this.batch_size;
    const fast = this.collate_fn === null ? tensorRows(this.dataset) : null;
    for (let b = 0; b < count; b++) {
      const positions = Array.from({ length: Math.min(size, n - b * size) }, (_, j) => {
        const p = b * size + j;
        return order === null ? p : order[p];
      });
      if (fast !== null) {
        const rows = fast.rows;
        const index = tensor(Int32Array.from(positions, (p) => (rows === null ? p : rows[p])));
        let batch: Tensor[];
        try {
          batch = fast.tensors.map((t) => t.index_select(0, index));
        } finally {
          index.dispose();
        }
        yield batch as B;
      } else {
        const collate = this.collate_fn ?? (default_collate as unknown as (samples: T[]) => B);
        yield scope(() => collate(positions.map((p) => this.dataset.get(p))));
      }
    }
  }
}
