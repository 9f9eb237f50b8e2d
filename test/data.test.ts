// wasmgrad/data in Node and in Chromium: every batch against the rows of the source arrays,
// picked independently; batch counts with and without drop_last; shuffling (a permutation per
// epoch, new each epoch, reproducible from a seed, independent of the global stream); the
// TensorDataset fast path; default_collate; random_split; memory; and the refusals.
import { afterEach, describe, expect, test, vi } from "vitest";
import { Tensor, memory, manual_seed, rand, scope, tensor } from "../bindings/index.js";
import { DataLoader, Subset, TensorDataset, default_collate, random_split, type Dataset } from "../bindings/data.js";
import { Generator } from "../bindings/generator.js";

afterEach(() => vi.restoreAllMocks());

// n samples: 3 float32 features (row i is [i, i + 0.5, -i]), an int32 label (i * 7 % 5) and a
// bool flag (i odd), kept as JS arrays to check the batches against.
function source(n: number) {
  const features = Float32Array.from({ length: 3 * n }, (_, k) => [Math.floor(k / 3), Math.floor(k / 3) + 0.5, -Math.floor(k / 3)][k % 3]);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 5);
  const flags = Uint8Array.from({ length: n }, (_, i) => i % 2);
  const dataset = new TensorDataset(
    tensor(features, { shape: [n, 3] }), tensor(labels), tensor(flags, { dtype: "bool" }), tensor(Int32Array.from({ length: n }, (_, i) => i)));
  const rows = (ids: number[]) => ({
    x: ids.flatMap((i) => Array.from(features.subarray(3 * i, 3 * i + 3))),
    y: ids.map((i) => labels[i]), f: ids.map((i) => flags[i]),
  });
  return { dataset, rows };
}

/** Checks a batch [x, y, flag, id] against the source rows of its ids; returns the ids. */
function checkBatch(batch: Tensor[], rows: ReturnType<typeof source>["rows"]): number[] {
  const [x, y, f, id] = batch;
  const ids = Array.from(id.toTypedArray());
  expect(x.shape).toEqual([ids.length, 3]);
  expect([x.dtype, y.dtype, f.dtype, id.dtype]).toEqual(["float32", "int32", "bool", "int32"]);
  const want = rows(ids);
  expect(Array.from(x.toTypedArray())).toEqual(want.x);
  expect(Array.from(y.toTypedArray())).toEqual(want.y);
  expect(Array.from(f.toTypedArray())).toEqual(want.f);
  return ids;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const epochIds = (loader: Iterable<Tensor[]>, rows: ReturnType<typeof source>["rows"]) => [...loader].map((b) => checkBatch(b, rows));

describe("TensorDataset", () => {
  test("length and get(i): the i-th row of every tensor, as PyTorch's __getitem__", () => {
    const { dataset } = source(5);
    expect(dataset.length).toBe(5);
    const [x, y, f, id] = dataset.get(3);
    expect([x.tolist(), y.item(), f.item(), id.item()]).toEqual([[3, 3.5, -3], 1, 1, 3]);
    expect(dataset.get(-1)[3].item()).toBe(4);
    expect(x.shape).toEqual([3]);
  });

  test("refuses what is not tensors with one first dim", () => {
    expect(() => new TensorDataset()).toThrow(/TensorDataset\(\): expected at least one tensor/);
    expect(() => new TensorDataset(tensor([1]), [1] as never)).toThrow(/TensorDataset\(\): argument 1 is an array, expected a Tensor/);
    expect(() => new TensorDataset(tensor(2))).toThrow(/tensor 0 is 0-d; every tensor needs a first dim/);
    expect(() => new TensorDataset(tensor([1, 2, 3]), tensor([[1], [2]]))).toThrow(
      /size mismatch between tensors: tensor 0 has 3 rows \(shape \[3\]\) but tensor 1 has 2 \(shape \[2, 1\]\)/);
    const { dataset } = source(4);
    expect(() => dataset.get(4)).toThrow(/TensorDataset.get\(\): index 4 is out of range for a dataset of length 4/);
    expect(() => dataset.get(-5)).toThrow(/index -5 is out of range/);
    expect(() => dataset.get(1.5)).toThrow(/TensorDataset.get\(\): index must be an integer, got number 1.5/);
  });
});

describe("DataLoader over a TensorDataset", () => {
  test("in order: every batch holds the next rows; the last batch is partial; length counts it", () => {
    const { dataset, rows } = source(10);
    const loader = new DataLoader(dataset, { batch_size: 4 });
    expect(loader.length).toBe(3);
    expect(epochIds(loader, rows)).toEqual([range(0, 4), range(4, 8), range(8, 10)]);
  });

  test("drop_last drops the partial batch, and only it", () => {
    const { dataset, rows } = source(10);
    const loader = new DataLoader(dataset, { batch_size: 4, drop_last: true });
    expect(loader.length).toBe(2);
    expect(epochIds(loader, rows)).toEqual([range(0, 4), range(4, 8)]);
    const even = new DataLoader(source(8).dataset, { batch_size: 4, drop_last: true });
    expect([even.length, [...even].length]).toEqual([2, 2]);
    expect(new DataLoader(source(3).dataset, { batch_size: 4, drop_last: true }).length).toBe(0);
    expect([...new DataLoader(source(3).dataset, { batch_size: 4, drop_last: true })]).toEqual([]);
  });

  test("batch_size 1 by default; a batch larger than the dataset; an empty dataset", () => {
    const { dataset, rows } = source(3);
    expect(epochIds(new DataLoader(dataset), rows)).toEqual([[0], [1], [2]]);
    expect(epochIds(new DataLoader(dataset, { batch_size: 100 }), rows)).toEqual([[0, 1, 2]]);
    const empty = new DataLoader(new TensorDataset(tensor([])), { batch_size: 2 });
    expect([empty.length, [...empty].length]).toEqual([0, 0]);
  });

  test("shuffle: each epoch a permutation of the samples, with the partial batch last", () => {
    const { dataset, rows } = source(23);
    const loader = new DataLoader(dataset, { batch_size: 5, shuffle: true, generator: new Generator().manual_seed(1) });
    for (let epoch = 0; epoch < 3; epoch++) {
      const batches = epochIds(loader, rows);
      expect(batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
      expect(batches.flat().sort((a, b) => a - b)).toEqual(range(0, 23));
    }
  });

  test("shuffle: a new order every epoch, the same orders from the same seed, whatever the global stream does", () => {
    const { dataset, rows } = source(40);
    const epochs = (seed: number, meddle: boolean) => {
      const loader = new DataLoader(dataset, { batch_size: 8, shuffle: true, generator: new Generator().manual_seed(seed) });
      return Array.from({ length: 4 }, (_, e) => {
        if (meddle) { manual_seed(e); rand(5); }
        return epochIds(loader, rows).flat();
      });
    };
    const a = epochs(42, false), b = epochs(42, true), c = epochs(43, false);
    expect(b).toEqual(a);
    expect(new Set(a.map((ids) => ids.join())).size).toBe(4);
    expect(a[0]).not.toEqual(range(0, 40));
    expect(c[0]).not.toEqual(a[0]);
  });

  test("shuffle without a generator draws from the global stream: reproducible with manual_seed", () => {
    const { dataset, rows } = source(30);
    const loader = new DataLoader(dataset, { batch_size: 7, shuffle: true });
    manual_seed(5);
    const first = [epochIds(loader, rows).flat(), epochIds(loader, rows).flat()];
    manual_seed(5);
    const again = [epochIds(loader, rows).flat(), epochIds(loader, rows).flat()];
    expect(again).toEqual(first);
    expect(first[1]).not.toEqual(first[0]);
  });

  test("the order is drawn when an epoch starts, so two iterators at once keep their own", () => {
    const { dataset, rows } = source(12);
    const loader = new DataLoader(dataset, { batch_size: 3, shuffle: true, generator: new Generator().manual_seed(9) });
    const first = loader[Symbol.iterator](), second = loader[Symbol.iterator]();
    const ids = (it: Iterator<Tensor[]>) => { const out: number[] = []; for (let r = it.next(); !r.done; r = it.next()) out.push(...checkBatch(r.value, rows)); return out; };
    const a = ids(second), b = ids(first);
    expect(a).not.toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(range(0, 12));
  });

  test("the fast path: one index_select per tensor per batch, no get() per sample", () => {
    const { dataset, rows } = source(10);
    const get = vi.spyOn(TensorDataset.prototype, "get");
    const select = vi.spyOn(Tensor.prototype, "index_select");
    const loader = new DataLoader(dataset, { batch_size: 4, shuffle: true, generator: new Generator().manual_seed(3) });
    const batches = epochIds(loader, rows);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(range(0, 10));
    expect(get).not.toHaveBeenCalled();
    expect(select).toHaveBeenCalledTimes(3 * 4);
  });

  test("a subclass that overrides get() is asked for each sample", () => {
    class Doubled extends TensorDataset {
      override get(i: number) { return super.get(i).map((t) => t.mul(2)); }
    }
    const loader = new DataLoader(new Doubled(tensor([1, 2, 3])), { batch_size: 2 });
    expect([...loader].map((b) => b[0].tolist())).toEqual([[2, 4], [6]]);
  });

  test("batches are copies: writing into one leaves the dataset as it was", () => {
    const { dataset } = source(4);
    const [x] = [...new DataLoader(dataset, { batch_size: 4 })][0];
    x.fill_(0);
    expect(dataset.tensors[0].sum().item()).toBe(0.5 + 1.5 + 2.5 + 3.5); // rows sum to i + 0.5
  });
});

describe("DataLoader over any Dataset, with default_collate or a collate_fn", () => {
  // Samples of several kinds: a tensor, a number, a boolean, an array and a nested object.
  class Records implements Dataset<{ image: Tensor; score: number; pair: [Tensor, boolean]; meta: { id: Tensor } }> {
    calls = 0;
    constructor(readonly length: number) {}
    get(i: number) {
      this.calls++;
      return { image: tensor([[i, -i], [2 * i, 0.25]]), score: i / 4, pair: [tensor(i, { dtype: "int32" }), i % 3 === 0] as [Tensor, boolean],
        meta: { id: tensor([i], { dtype: "float64" }) } };
    }
  }

  test("tensors stack, numbers and booleans become tensors, arrays and objects collate by position and key", () => {
    const data = new Records(5);
    const loader = new DataLoader(data, { batch_size: 2 });
    const batches = [...loader];
    expect(batches.length).toBe(3);
    expect(data.calls).toBe(5);
    batches.forEach((b, k) => {
      const ids = range(2 * k, Math.min(2 * k + 2, 5));
      expect(b.image.shape).toEqual([ids.length, 2, 2]);
      expect(b.image.tolist()).toEqual(ids.map((i) => [[i, -i], [2 * i, 0.25]]));
      expect([b.score.dtype, b.score.tolist()]).toEqual(["float32", ids.map((i) => i / 4)]);
      expect([b.pair[0].dtype, b.pair[0].tolist()]).toEqual(["int32", ids]);
      expect([b.pair[1].dtype, b.pair[1].tolist()]).toEqual(["bool", ids.map((i) => i % 3 === 0)]);
      expect([b.meta.id.dtype, b.meta.id.shape]).toEqual(["float64", [ids.length, 1]]);
      expect(Object.keys(b)).toEqual(["image", "score", "pair", "meta"]);
    });
  });

  test("a collate_fn gets the samples of each batch, in the loader's order", () => {
    const loader = new DataLoader(new Records(7), {
      batch_size: 3, shuffle: true, generator: new Generator().manual_seed(2),
      collate_fn: (samples) => samples.map((s) => s.pair[0].item()),
    });
    const batches = [...loader];
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().sort()).toEqual(range(0, 7));
  });

  test("default_collate refuses samples that do not batch, naming where", () => {
    expect(() => default_collate([tensor([1, 2]), tensor([1])])).toThrow(/default_collate\(\): the samples do not stack: stack\(\): stack expects each tensor to be equal size/);
    expect(() => default_collate([{ a: [tensor([1]), 2] }, { a: [tensor([1, 2]), 3] }])).toThrow(/the samples' a\[0\] do not stack/);
    expect(() => default_collate([1, tensor([1])])).toThrow(/default_collate\(\): the samples mix types: sample 0 is number 1, sample 1 is Tensor/);
    expect(() => default_collate([[1, 2], [1]])).toThrow(/arrays of different lengths: 2 in sample 0, 1 in sample 1/);
    expect(() => default_collate([{ a: 1 }, { b: 1 }])).toThrow(/different keys: a in sample 0, b in sample 1/);
    expect(() => default_collate(["cat", "dog"])).toThrow(/cannot batch the samples: the string "cat" is not a Tensor.*pass a collate_fn/);
    expect(() => default_collate([new Map(), new Map()])).toThrow(/cannot batch the samples: Map/);
  });
});

describe("Subset and random_split", () => {
  test("Subset: the samples at the given indices; a DataLoader over it takes the fast path", () => {
    const { dataset, rows } = source(10);
    const subset = new Subset(dataset, [7, 2, 9, 0]);
    expect(subset.length).toBe(4);
    expect(subset.get(1)[3].item()).toBe(2);
    const get = vi.spyOn(TensorDataset.prototype, "get");
    expect(epochIds(new DataLoader(subset, { batch_size: 3 }), rows)).toEqual([[7, 2, 9], [0]]);
    expect(epochIds(new DataLoader(new Subset(subset, [3, 1]), { batch_size: 3 }), rows)).toEqual([[0, 2]]);
    expect(get).not.toHaveBeenCalled();
    expect(() => new Subset(dataset, [10])).toThrow(/Subset\(\): index 10 is out of range for a dataset of length 10/);
    expect(() => subset.get(4)).toThrow(/Subset.get\(\): index 4 is out of range/);
  });

  test("random_split: disjoint subsets of the given sizes covering the dataset, reproducible from a seed", () => {
    const { dataset, rows } = source(20);
    const split = (seed: number) => random_split(dataset, [12, 5, 3], new Generator().manual_seed(seed));
    const parts = split(4);
    expect(parts.map((p) => p.length)).toEqual([12, 5, 3]);
    const ids = parts.map((p) => epochIds(new DataLoader(p, { batch_size: 50 }), rows).flat());
    expect(ids.flat().sort((a, b) => a - b)).toEqual(range(0, 20));
    expect(split(4).map((p) => p.indices)).toEqual(parts.map((p) => p.indices));
    expect(split(5).map((p) => p.indices)).not.toEqual(parts.map((p) => p.indices));
  });

  test("random_split with fractions: floors, the remainder one each to the first subsets", () => {
    const { dataset } = source(10);
    // the sizes PyTorch 1.13's random_split gives
    expect(random_split(dataset, [0.25, 0.25, 0.5], new Generator().manual_seed(0)).map((p) => p.length)).toEqual([3, 2, 5]);
    expect(random_split(dataset, [0.7, 0.3]).map((p) => p.length)).toEqual([7, 3]);
    expect(random_split(source(7).dataset, [0.3, 0.3, 0.4]).map((p) => p.length)).toEqual([3, 2, 2]);
    expect(() => random_split(dataset, [5, 4])).toThrow(/random_split\(\): the lengths sum to 9, not to the dataset's length 10/);
    expect(() => random_split(dataset, [0.5, 0.4])).toThrow(/lengths must be integers, or fractions that sum to 1 \(they sum to 0.9\)/);
    expect(() => random_split(dataset, [-1, 11])).toThrow(/lengths must be an array of non-negative numbers/);
    expect(() => random_split(dataset, [10], 3 as never)).toThrow(/generator must be a Generator, got number 3/);
  });
});

describe("DataLoader refuses bad arguments clearly", () => {
  const { dataset } = source(4);
  test("the dataset", () => {
    expect(() => new DataLoader([1, 2] as never)).toThrow(/DataLoader\(\): expected a Dataset \(an object with a length, a non-negative integer, and get\(index\)\), got an array/);
    expect(() => new DataLoader({ length: 2 } as never)).toThrow(/expected a Dataset/);
    expect(() => new DataLoader({ length: -1, get: () => 0 } as never)).toThrow(/expected a Dataset/);
  });

  test("the options", () => {
    expect(() => new DataLoader(dataset, { batch_size: 0 })).toThrow(/DataLoader\(\): batch_size must be a positive integer, got number 0/);
    expect(() => new DataLoader(dataset, { batch_size: 1.5 })).toThrow(/batch_size must be a positive integer/);
    expect(() => new DataLoader(dataset, { batch_size: "2" as never })).toThrow(/batch_size must be a positive integer, got the string "2"/);
    expect(() => new DataLoader(dataset, { shuffle: 1 as never })).toThrow(/shuffle must be a boolean/);
    expect(() => new DataLoader(dataset, { generator: 7 as never })).toThrow(/generator must be a Generator/);
    expect(() => new DataLoader(dataset, { collate_fn: "stack" as never })).toThrow(/collate_fn must be a function/);
    expect(() => new DataLoader(dataset, { batchsize: 2 } as never)).toThrow(/unexpected option 'batchsize' \(did you mean 'batch_size'\?\)/);
  });
});

describe("Generator", () => {
  test("manual_seed returns the generator; the same seed, the same stream; get_state and set_state resume it", () => {
    const g = new Generator();
    expect(g.manual_seed(11)).toBe(g);
    expect(g.initial_seed()).toBe(11);
    const a = Array.from({ length: 5 }, () => g._nextUint32());
    const h = new Generator().manual_seed(11);
    expect(Array.from({ length: 5 }, () => h._nextUint32())).toEqual(a);
    const state = h.get_state();
    const next = [h._nextUint32(), h._nextUint32()];
    h.set_state(state);
    expect([h._nextUint32(), h._nextUint32()]).toEqual(next);
    expect(() => g.manual_seed(NaN)).toThrow(/manual_seed\(\): seed must be a finite number/);
    expect(() => g.set_state(new Uint32Array(4))).toThrow(/set_state\(\): expected a Uint32Array of 4 words \(not all zero\)/);
  });

  test("its permutations are uniform: each of the 6 orders of 3 about equally often", () => {
    const g = new Generator().manual_seed(0);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = Array.from(g._permutation(3)).join();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(120); // > 4 standard deviations
  });
});

describe("memory", () => {
  test("an epoch inside scope() leaves nothing behind: fast path, shuffled, and per-sample collation", () => {
    const { dataset } = source(50);
    const loaders = [
      new DataLoader(dataset, { batch_size: 8 }),
      new DataLoader(new Subset(dataset, range(0, 30)), { batch_size: 8, shuffle: true, generator: new Generator().manual_seed(1) }),
      new DataLoader({ length: 20, get: (i: number) => [tensor([i, i]), i] as [Tensor, number] }, { batch_size: 6 }),
    ];
    for (const loader of loaders) {
      const before = memory().tensors;
      let total = 0;
      scope(() => {
        for (const [x] of loader) total += scope(() => x.sum().item());
      });
      expect(total).toBeGreaterThan(0);
      expect(memory().tensors).toBe(before);
    }
  });

  test("disposing each batch frees it all: the samples get() made are freed once collated", () => {
    const made: Tensor[] = [];
    const dataset = { length: 12, get: (i: number) => { const t = tensor([i]); made.push(t); return { x: t.mul(2) }; } };
    const before = memory().tensors;
    for (const batch of new DataLoader(dataset, { batch_size: 5 })) {
      expect(batch.x.shape[0]).toBeGreaterThan(0);
      batch.x.dispose();
    }
    expect(memory().tensors).toBe(before);
    expect(made.length).toBe(12);
    expect(() => made[0].item()).toThrow(/disposed/);
  });

  test("a tensor the dataset made before iterating is not freed", () => {
    const rows = [tensor([1, 2]), tensor([3, 4])];
    const loader = new DataLoader({ length: 2, get: (i: number) => rows[i] }, { batch_size: 2 });
    for (const batch of loader) expect(batch.tolist()).toEqual([[1, 2], [3, 4]]);
    expect(rows[1].tolist()).toEqual([3, 4]);
  });
});
