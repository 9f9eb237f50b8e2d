// Dtypes: promotion against PyTorch 1.13 (test/fixtures/dtypes.json, written by
// test/fixtures/generate_core_v2.py), conversions, factories, data out, printing, and the
// gradients' dtypes.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { tensor, zeros, ones, full, arange, linspace, rand, randn, zeros_like, type Tensor, type DType } from "../bindings/index.js";
import fixture from "./fixtures/dtypes.json" with { type: "json" };

// Non-finite values are written as "inf", "-inf" and "nan".
type Outcome = { dtype: string; values?: (number | boolean | string)[]; shape?: number[]; error?: string };
type PairRow = Outcome & { a: DType; b: DType; op: string };
type ScalarRow = { dtype: DType; op: string; scalar: number | boolean; scalar_kind: string; tensor_first: Outcome; scalar_first: Outcome };

const make = (dtype: DType, zeroD: boolean): Tensor => zeroD
  ? tensor(fixture.inputs.zero_d[dtype] as number | boolean, { dtype })
  : tensor(fixture.inputs.one_d[dtype] as number[] | boolean[], { dtype });

type Binary = (a: Tensor | number, b: Tensor | number) => Tensor;
const fns: Record<string, Binary> = {
  add: wg.add, sub: wg.sub, mul: wg.mul, div: wg.div, pow: wg.pow, eq: wg.eq, lt: wg.lt, gt: wg.gt, le: wg.le, ge: wg.ge,
};

// PyTorch gives int64 where wasmgrad, which has no int64, gives int32 (see the README).
const expectedDtype = (dtype: string) => (dtype === "int64" ? "int32" : dtype);

function expectOutcome(run: () => Tensor, want: Outcome, what: string): void {
  if (want.dtype === "error") {
    expect(run, what).toThrow(want.error!.split("\n")[0].slice(0, 60));
    return;
  }
  const out = run();
  expect(out.dtype, what).toBe(expectedDtype(want.dtype));
  expect(out.shape, what).toEqual(want.shape);
  const got = out.shape.length === 0 ? [out.tolist()] : (out.tolist() as unknown[]);
  const values = want.values!.map((v) => (typeof v === "string" ? Number(v.replace("inf", "Infinity")) : v));
  got.forEach((v, i) => {
    if (typeof values[i] === "boolean" || !Number.isFinite(values[i])) expect(v, `${what}[${i}]`).toBe(values[i]);
    else expect(v as number, `${what}[${i}]`).toBeCloseTo(values[i] as number, 6);
  });
}

describe("type promotion matches torch.result_type", () => {
  const pairs: [string, PairRow[], boolean, boolean][] = [
    ["1-d with 1-d", fixture.tensor_tensor as PairRow[], false, false],
    ["1-d with 0-d", fixture.tensor_zero_d as PairRow[], false, true],
    ["0-d with 1-d", fixture.zero_d_tensor as PairRow[], true, false],
    ["0-d with 0-d", fixture.zero_d_zero_d as PairRow[], true, true],
  ];
  test.each(pairs)("tensor ops, %s, every pair of dtypes", (_, rows, zeroA, zeroB) => {
    expect(rows.length).toBe(160);
    for (const r of rows) {
      const what = `${r.op}(${r.a}${zeroA ? " 0-d" : ""}, ${r.b}${zeroB ? " 0-d" : ""})`;
      expectOutcome(() => fns[r.op](make(r.a, zeroA), make(r.b, zeroB)), r, what);
    }
  });

  const scalars: [string, ScalarRow[], boolean][] = [
    ["1-d", fixture.tensor_scalar as ScalarRow[], false],
    ["0-d", fixture.zero_d_scalar as ScalarRow[], true],
  ];
  test.each(scalars)("scalar ops with a %s tensor: numbers act as Python scalars", (_, rows, zeroD) => {
    let checked = 0;
    for (const r of rows) {
      if (typeof r.scalar === "boolean") continue; // JS booleans are not operands (only data)
      const s = r.scalar;
      const what = `${r.op}(${r.dtype}${zeroD ? " 0-d" : ""}, ${r.scalar_kind} ${s})`;
      expectOutcome(() => fns[r.op](make(r.dtype, zeroD), s), r.tensor_first, what);
      // gt's reflected form is lt with the operands swapped, as Python evaluates s > t
      if (r.op !== "gt") expectOutcome(() => fns[r.op](s, make(r.dtype, zeroD)), r.scalar_first, `${what} reflected`);
      checked++;
    }
    expect(checked).toBe(56);
  });

  test("only floating tensors require grad, with PyTorch's message", () => {
    for (const r of fixture.requires_grad) {
      const make = () => zeros([2], { dtype: r.dtype as DType }).requires_grad_();
      if (r.raises) expect(make).toThrow(r.error);
      else expect(make().requires_grad).toBe(true);
    }
  });
});

describe("dtypes of tensors made from JS values", () => {
  test("numbers give the default dtype, integral or not; typed arrays keep theirs", () => {
    expect(tensor([1, 2]).dtype).toBe("float32");
    expect(arange(4).dtype).toBe("float32");
    expect(full([2], 7).dtype).toBe("float32");
    expect(tensor(3).dtype).toBe("float32");
    expect(tensor([true, false]).dtype).toBe("bool");
    expect(tensor(new Float64Array(2)).dtype).toBe("float64");
    for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array]) {
      expect(tensor(new T([1, 2])).dtype, T.name).toBe("int32");
    }
    expect(tensor(new Uint32Array([4294967295])).tolist()).toEqual([4294967295]); // float64, exact
    expect(arange(4.0, { requires_grad: true }).requires_grad).toBe(true);
  });

  test("every factory takes dtype", () => {
    const dtypes: DType[] = ["float32", "float64", "int32", "bool"];
    for (const dtype of dtypes) {
      expect(zeros([2], { dtype }).dtype).toBe(dtype);
      expect(ones(2, { dtype }).dtype).toBe(dtype);
      expect(full([2], 1, { dtype }).dtype).toBe(dtype);
      expect(tensor([1, 0], { dtype }).dtype).toBe(dtype);
      expect(arange(3, { dtype }).dtype).toBe(dtype);
      expect(linspace(0, 1, 2, { dtype }).dtype).toBe(dtype);
      expect(zeros_like(ones([2], { dtype })).dtype).toBe(dtype);
    }
    expect(zeros_like(ones([2], { dtype: "int32" }), { dtype: "float64" }).dtype).toBe("float64");
    expect(rand([2], { dtype: "float64" }).dtype).toBe("float64");
    expect(() => randn([2], { dtype: "int32" })).toThrow('randn(): "randn" is only implemented for floating dtypes, got int32');
  });

  test("an unknown dtype is an error naming the valid ones", () => {
    expect(() => tensor([1], { dtype: "float16" as DType }))
      .toThrow(`tensor(): dtype must be one of 'float32', 'float64', 'int32', 'bool', got the string "float16"`);
    expect(() => tensor([1]).to("torch.float64" as DType))
      .toThrow(`to(): unknown dtype the string "torch.float64" (write 'float64')`);
  });

  test("values out: typed arrays, numbers and booleans", () => {
    expect(tensor([1.5, 2]).toTypedArray()).toBeInstanceOf(Float32Array);
    expect(tensor([1.5, 2], { dtype: "float64" }).toTypedArray()).toEqual(new Float64Array([1.5, 2]));
    expect(tensor([1, -2], { dtype: "int32" }).toTypedArray()).toEqual(new Int32Array([1, -2]));
    expect(tensor([true, false]).toTypedArray()).toEqual(new Uint8Array([1, 0]));
    expect(tensor([[true], [false]]).tolist()).toEqual([[true], [false]]);
    expect(tensor(0.1, { dtype: "float64" }).item()).toBe(0.1);
    expect(tensor([2.7, -2.7, NaN]).int().tolist()).toEqual([2, -2, 0]);
    expect(tensor([0, 0.5, NaN]).bool().tolist()).toEqual([false, true, true]);
    expect(tensor([2147483647], { dtype: "int32" }).add(1).tolist()).toEqual([-2147483648]);
  });

  test("set_default_dtype changes what numbers give", () => {
    expect(wg.get_default_dtype()).toBe("float32");
    wg.set_default_dtype("float64");
    try {
      expect(tensor([1, 2]).dtype).toBe("float64");
      expect(tensor([1], { dtype: "int32" }).div(2).dtype).toBe("float64");
      expect(zeros([1]).dtype).toBe("float64");
    } finally {
      wg.set_default_dtype("float32");
    }
    expect(() => wg.set_default_dtype("int32")).toThrow("only floating-point types are supported as the default type");
  });

  test("printing names the dtype as PyTorch does", () => {
    expect(String(tensor([1, 2], { dtype: "int32" }))).toBe("tensor([1, 2], dtype=torch.int32)");
    expect(String(tensor([true, false]))).toBe("tensor([ True, False])");
    expect(String(tensor([1.5, 2], { dtype: "float64", requires_grad: true })))
      .toBe("tensor([1.5000, 2.0000], dtype=torch.float64, requires_grad=True)");
    expect(String(tensor([[-10, 200]], { dtype: "int32" }))).toBe("tensor([[-10, 200]], dtype=torch.int32)");
  });
});

describe("dtypes through ops and gradients", () => {
  test("gradients have their tensor's dtype and flow through conversions", () => {
    const x = tensor([0.5, -1], { dtype: "float64", requires_grad: true });
    const w = tensor([2, 3], { requires_grad: true });
    const y = x.mul(w).sum(); // float32 w is promoted: a recorded conversion
    expect(y.dtype).toBe("float64");
    y.backward();
    expect(x.grad!.dtype).toBe("float64");
    expect(w.grad!.dtype).toBe("float32");
    expect(x.grad!.tolist()).toEqual([2, 3]);
    expect(w.grad!.tolist()).toEqual([0.5, -1]);
    const z = tensor([1.25], { requires_grad: true });
    const d = z.double();
    expect(d.grad_fn?.name()).toBe("ToCopyBackward");
    d.mul(d).sum().backward();
    expect(z.grad!.dtype).toBe("float32");
    expect(z.grad!.tolist()).toEqual([2.5]);
  });

  test("float64 keeps double precision through the kernels", () => {
    const x = tensor([1 + 2 ** -40, 3], { dtype: "float64" });
    expect(x.sub(1).toTypedArray()[0]).toBe(2 ** -40); // lost in float32
    const v = tensor([0.1, 1, 5, -3], { dtype: "float64" });
    const ref = [0.1, 1, 5, -3];
    expect(Array.from(v.exp().toTypedArray())).toEqual(ref.map(Math.exp).map((e, i) => expect.closeTo(e, 14 - Math.ceil(Math.log10(Math.abs(e) + 1)))));
    const s = tensor(Float64Array.from({ length: 1000 }, (_, i) => i / 7), { dtype: "float64" });
    let want = 0;
    for (let i = 0; i < 1000; i++) want += i / 7;
    expect(s.sum().item()).toBeCloseTo(want, 9);
  });

  test("integer ops stay integers; true division, mean and float-only ops convert or refuse", () => {
    const i = tensor([7, -2, 3], { dtype: "int32" });
    expect(i.mul(i).tolist()).toEqual([49, 4, 9]);
    expect(i.neg().abs().tolist()).toEqual([7, 2, 3]);
    expect(i.pow(2).dtype).toBe("int32");
    expect(i.pow(2).tolist()).toEqual([49, 4, 9]);
    expect(i.div(2).tolist()).toEqual([3.5, -1, 1.5]);
    expect(i.exp().dtype).toBe("float32");
    expect(i.sum().dtype).toBe("int32");
    expect(i.sum().item()).toBe(8);
    expect(tensor([true, true, false]).sum().item()).toBe(2);
    expect(i.max().item()).toBe(7);
    expect(i.max(0).indices.dtype).toBe("int32");
    expect(tensor([[1, 5, 5]]).max(1).indices.tolist()).toEqual([1]);
    expect(() => i.mean()).toThrow("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: int32");
    expect(() => i.norm()).toThrow("norm(): input dtype should be either floating point or complex. Got Int instead.");
    const m = i.reshape([3, 1]);
    expect(() => m.matmul(m.T)).toThrow("matmul(): integer and bool matrix products are not supported (got int32 and int32)");
    expect(tensor([true, false]).add(tensor([true, true])).tolist()).toEqual([true, true]);
  });

  test("in-place ops keep the tensor's dtype, and refuse what cannot be cast, as PyTorch", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    i.add_(3);
    expect(i.tolist()).toEqual([4, 5]);
    expect(() => i.add_(0.5)).toThrow("add_(): result type Float can't be cast to the desired output type Int");
    expect(() => i.mul_(tensor([1, 1], { dtype: "float64" }))).toThrow("result type Double can't be cast to the desired output type Int");
    const f = tensor([1, 2]);
    f.add_(tensor([1, 1], { dtype: "int32" }));
    f.mul_(tensor([2, 2], { dtype: "float64" }));
    expect(f.dtype).toBe("float32");
    expect(f.tolist()).toEqual([4, 6]);
    f.copy_(tensor([7, 8], { dtype: "int32" }));
    expect(f.tolist()).toEqual([7, 8]);
    i.copy_(tensor([1.9, -1.9]));
    expect(i.tolist()).toEqual([1, -1]);
    const b = tensor([false, false]);
    b.copy_(tensor([0, 3]));
    expect(b.tolist()).toEqual([false, true]);
    b.fill_(true);
    expect(b.tolist()).toEqual([true, true]);
  });

  test("float32 sums and means are accurate at scale", () => {
    const n = 10_000_000;
    const x = full([n], 0.1);
    const exact = Math.fround(0.1); // the float64 mean of n copies of float32 0.1
    expect(Math.abs(x.mean().item() - exact) / exact).toBeLessThan(1e-6);
    expect(Math.abs(x.sum().item() - exact * n) / (exact * n)).toBeLessThan(1e-6);
    const cols = full([n / 10, 10], 0.1).sum(0).toTypedArray();
    for (const c of cols) expect(Math.abs(c - exact * n / 10) / (exact * n / 10)).toBeLessThan(1e-6);
    x.dispose();
  });
});
