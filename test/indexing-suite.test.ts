// Indexing against PyTorch 1.13 (test/fixtures/indexing.json, from generate_indexing.py):
// x.index(...items) as x[items] over random expressions that mix integers, slices (strings and
// wg.slice), None, the ellipsis, index arrays, int32 tensors and bool masks, on inputs of rank
// 0 to 4 with empty dims: the result's shape and values, whether it is a view (checked by
// writing through it), and the gradient of sum(out * weights). Then the expressions PyTorch
// rejects, and the index ops (index_select, gather, scatter, scatter_add, index_add,
// index_copy, index_fill, masked_fill, masked_select, take_along_dim, nonzero, index_put,
// take, put, masked_scatter).
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { slice, type IndexItem, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/indexing.json" with { type: "json" };

type Nested = number | Nested[];
type Encoded =
  | number | string | null
  | { slice: (number | null)[] }
  | { list: Nested[] }
  | { int32: number[]; values: number[] }
  | { bool: number[]; values: boolean[] };

interface Values { shape: number[]; values: number[] }
interface Mask { shape: number[]; values: boolean[] }

interface IndexCase {
  name: string; input: Values; items: Encoded[]; out: Values;
  view: boolean; written: number[]; weights?: number[]; grad?: number[];
}
interface ErrorCase { name: string; input: Values; items: Encoded[]; message: string; phrase: string }
interface OpCase {
  op: string; name: string; self: Values; out: Values; weights?: number[]; grads?: Record<string, number[]>;
  dim?: number | null; index?: Values; indices?: Values | Values[]; mask?: Mask;
  src?: Values; source?: Values; values?: Values; value?: number; alpha?: number; accumulate?: boolean;
}
interface Fixture { torch: string; fill: number; index: IndexCase[]; errors: ErrorCase[]; ops: OpCase[] }

const data = fixture as unknown as Fixture;

const floats = (v: Values, requires_grad = false) =>
  wg.tensor(Float64Array.from(v.values), { shape: v.shape, requires_grad });
const ints = (v: Values) => wg.tensor(Int32Array.from(v.values), { shape: v.shape });
const bools = (m: Mask) => wg.tensor(m.values, { dtype: "bool" }).reshape(m.shape);

// New tensors on every call: a view check must not see the tensors of the value check.
function items(encoded: Encoded[]): IndexItem[] {
  return encoded.map((e) => {
    if (e === null || typeof e === "number" || typeof e === "string") return e;
    if ("slice" in e) return slice(e.slice[0], e.slice[1], e.slice[2]);
    if ("list" in e) return e.list;
    if ("int32" in e) return ints({ shape: e.int32, values: e.values });
    return bools({ shape: e.bool, values: e.values });
  });
}

// Copies are exact; sums (scatter_add, index_add, accumulating index_put) may round in another
// order than PyTorch's. The weights are multiples of 1/16, so gradients are exact too.
function expectNumbers(t: Tensor, want: number[], what: string) {
  const got = Array.from(t.toTypedArray() as ArrayLike<number>);
  expect(got.length, `${what}: number of elements`).toBe(want.length);
  const bad = want.findIndex((v, i) => !(Math.abs(got[i] - v) <= 1e-12 * Math.max(1, Math.abs(v))));
  if (bad >= 0) expect(got, `${what}: first difference at ${bad}`).toEqual(want);
}

function expectValues(t: Tensor, want: Values, dtype: string, what: string) {
  expect(t.shape, `${what} shape`).toEqual(want.shape);
  expect(t.dtype, `${what} dtype`).toBe(dtype);
  expectNumbers(t, want.values, what);
}

describe("x.index(...items) matches PyTorch's x[items]", () => {
  test.each(data.index.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const x = floats(c.input, true);
    const out = x.index(...items(c.items));
    expectValues(out, c.out, "float64", "out");
    if (c.weights) {
      out.mul(floats({ shape: c.out.shape, values: c.weights })).sum().backward();
      expectNumbers(x.grad!, c.grad!, "grad");
    }

    // A view writes through to its input, exactly where PyTorch's does; a copy leaves it alone.
    const y = floats(c.input);
    y.index(...items(c.items)).fill_(data.fill);
    const after = c.input.values.slice();
    for (const i of c.written) after[i] = data.fill;
    expectNumbers(y, after, c.view ? "input after filling the view" : "input after filling the copy");
  });
});

describe("x.index(...items) refuses what PyTorch refuses, with its message", () => {
  test.each(data.errors.map((c) => [`${c.name}: ${c.message}`, c] as const))("%s", (_name, c) => {
    const x = floats(c.input, true);
    expect(() => x.index(...items(c.items))).toThrow(c.phrase);
  });
});

type Run = (x: Tensor, c: OpCase, args: Record<string, Tensor>) => Tensor;
const OPS: Record<string, Run> = {
  index_select: (x, c) => x.index_select(c.dim!, ints(c.index!)),
  gather: (x, c) => x.gather(c.dim!, ints(c.index!)),
  scatter: (x, c, a) => x.scatter(c.dim!, ints(c.index!), a.src),
  scatter_add: (x, c, a) => x.scatter_add(c.dim!, ints(c.index!), a.src),
  index_add: (x, c, a) => x.index_add(c.dim!, ints(c.index!), a.source, { alpha: c.alpha }),
  index_copy: (x, c, a) => x.index_copy(c.dim!, ints(c.index!), a.source),
  index_fill: (x, c) => x.index_fill(c.dim!, ints(c.index!), c.value!),
  masked_fill: (x, c) => x.masked_fill(bools(c.mask!), c.value!),
  masked_select: (x, c) => x.masked_select(bools(c.mask!)),
  take_along_dim: (x, c) => c.dim === null
    ? x.take_along_dim(ints(c.indices as Values))
    : x.take_along_dim(ints(c.indices as Values), c.dim),
  nonzero: (x) => x.nonzero(),
  take: (x, c) => x.take(ints(c.index!)),
  put: (x, c, a) => x.put(ints(c.index!), a.source, c.accumulate),
  masked_scatter: (x, c, a) => x.masked_scatter(bools(c.mask!), a.source),
  index_put: (x, c, a) => x.index_put((c.indices as Values[]).map(ints), a.values, c.accumulate),
};
// The float arguments besides self: leaves, so that their gradients can be compared.
const FLOAT_ARGS = ["src", "source", "values"] as const;

describe("the index ops match PyTorch", () => {
  test("every op of the fixture has a runner", () => {
    expect([...new Set(data.ops.map((c) => c.op))].sort()).toEqual(Object.keys(OPS).sort());
  });

  test.each(data.ops.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const x = floats(c.self, c.op !== "nonzero");
    const args: Record<string, Tensor> = {};
    for (const k of FLOAT_ARGS) if (c[k]) args[k] = floats(c[k]!, true);
    const out = OPS[c.op](x, c, args);
    expectValues(out, c.out, c.op === "nonzero" ? "int32" : "float64", "out");
    if (!c.grads) return;
    out.mul(floats({ shape: c.out.shape, values: c.weights! })).sum().backward();
    for (const [name, want] of Object.entries(c.grads)) {
      const leaf = name === "self" ? x : args[name];
      expectNumbers(leaf.grad!, want, `${name}.grad`);
    }
  });
});
