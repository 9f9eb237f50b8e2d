// matmul of any rank, tensordot, einsum, cross, flip, fliplr, flipud, roll, diag,
// diag_embed, meshgrid and arange against PyTorch 1.13 (test/fixtures/linalg.json, from
// generate_linalg.py): values, dtypes, shapes and the gradients of sum(out * weights), with
// broadcasting, 0-d tensors, empty dims, transposed and expanded (stride 0) inputs, and
// einsum over random equations; plus float64 gradchecks and gradgradchecks, and errors.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { arange, einsum, gradcheck, gradgradcheck, grad, meshgrid, rand, tensor, tensordot, type DType, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/linalg.json" with { type: "json" };

interface Spec {
  shape: number[]; dtype: DType; values: (number | boolean)[];
  transposed?: boolean; expanded_from?: number[]; requires_grad?: boolean;
}
interface Described { shape: number[]; dtype: string; values: (number | null)[] }
interface Case {
  name: string; op: string; inputs: Spec[]; out: Described[];
  weights?: (number | null)[][]; grads?: ((number | null)[] | null)[];
  [arg: string]: unknown;
}

const flat = (t: Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>);

// A fixture operand: the leaf that holds the values, and the view the op is given.
function operand(spec: Spec): { leaf: Tensor; arg: Tensor } {
  const stored = spec.expanded_from ?? (spec.transposed ? [...spec.shape.slice(0, -2), ...spec.shape.slice(-2).reverse()] : spec.shape);
  const typed = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[spec.dtype];
  const leaf = spec.dtype === "bool"
    ? tensor(spec.values.map(Boolean), { dtype: "bool" }).reshape(stored)
    : tensor(typed.from(spec.values.map(Number)), { shape: stored, requires_grad: spec.requires_grad ?? false });
  const arg = spec.transposed ? leaf.transpose(-1, -2) : spec.expanded_from ? leaf.expand(spec.shape) : leaf;
  return { leaf, arg };
}

const OPS: Record<string, (c: Case, xs: Tensor[]) => Tensor | Tensor[]> = {
  matmul: (_c, [a, b]) => a.matmul(b),
  tensordot: (c, [a, b]) => tensordot(a, b, c.dims as number | [number[], number[]]),
  einsum: (c, xs) => einsum(c.equation as string, ...xs),
  cross: (c, [a, b]) => (c.dim === null ? a.cross(b) : a.cross(b, c.dim as number)),
  flip: (c, [x]) => x.flip(c.dims as number[]),
  fliplr: (_c, [x]) => x.fliplr(),
  flipud: (_c, [x]) => wg.flipud(x),
  roll: (c, [x]) => x.roll(c.shifts as number | number[], c.dims as number | number[] | null),
  diag: (c, [x]) => wg.diag(x, c.diagonal as number),
  diag_embed: (c, [x]) => x.diag_embed(c.offset as number, c.dim1 as number, c.dim2 as number),
  meshgrid: (c, xs) => meshgrid(...xs, { indexing: c.indexing as "ij" | "xy" }),
};

function expectValues(got: ArrayLike<number>, want: (number | null)[], digits: number, what: string) {
  expect(got.length, what).toBe(want.length);
  want.forEach((v, i) => expect(got[i], `${what}[${i}]`).toBeCloseTo(v ?? NaN, digits));
}

const cases = (fixture.cases as unknown as Case[]).filter((c) => c.op in OPS);

describe("matmul, tensordot, einsum, cross, flip, roll, diag and meshgrid match PyTorch", () => {
  test.each(cases.map((c) => [`${c.op}: ${c.name}`, c] as const))("%s", (_name, c) => {
    const xs = c.inputs.map(operand);
    const result = OPS[c.op](c, xs.map((x) => x.arg));
    const outs = Array.isArray(result) ? result : [result];
    const digits = outs.some((o) => o.dtype === "float32") ? 4 : 10;
    expect(outs.length).toBe(c.out.length);
    outs.forEach((o, k) => {
      if (c.op === "matmul") expect(o.is_contiguous(), "contiguous, as PyTorch's").toBe(true);
      expect(o.shape, "shape").toEqual(c.out[k].shape);
      expect(o.dtype, "dtype").toBe(c.out[k].dtype);
      expectValues(flat(o), c.out[k].values, digits, `out ${k}`);
    });
    if (c.weights === undefined) return;
    let loss: Tensor | null = null;
    outs.forEach((o, k) => {
      const term = o.mul(tensor(Float64Array.from(c.weights![k] as number[]), { shape: o.shape }).to(o.dtype)).sum();
      loss = loss === null ? term : loss.add(term);
    });
    loss!.backward();
    c.grads!.forEach((want, i) => {
      if (want === null) return;
      expectValues(flat(xs[i].leaf.grad!), want, digits, `grad of input ${i}`);
    });
  });

  test("arange with float steps has PyTorch's length ceil((end - start) / step) and values", () => {
    const aranges = (fixture.cases as unknown as { op: string; args: number[]; out: Described[] }[]).filter((c) => c.op === "arange");
    expect(aranges.length).toBeGreaterThan(0);
    for (const c of aranges) {
      const t = arange(c.args[0], c.args[1], c.args[2]);
      expect(t.shape).toEqual(c.out[0].shape);
      expect(flat(t)).toEqual(c.out[0].values); // float32 values, exactly
    }
  });

  test("tensor() of booleans is a bool tensor", () => {
    const t = tensor([[true, false], [false, true]]);
    expect(t.dtype).toBe("bool");
    expect(t.tolist()).toEqual([[true, false], [false, true]]);
    expect(t.flip(0).tolist()).toEqual([[false, true], [true, false]]);
  });
});

const f64 = (shape: number[]) => rand(shape, { dtype: "float64", requires_grad: true });

describe("gradients and second derivatives (gradcheck and gradgradcheck, float64)", () => {
  test.each([
    [[2, 3, 4, 5], [2, 3, 5, 2]],
    [[2, 1, 3, 4], [1, 3, 4, 2]],
    [[2, 3, 4, 5], [5, 3]],
    [[4, 5], [2, 3, 5, 2]],
    [[2, 2, 3, 4], [4]],
    [[3], [2, 2, 3, 4]],
    [[1, 1, 3, 4], [2, 2, 4, 2]],
  ])("matmul %j @ %j", (sa, sb) => {
    const a = f64(sa), b = f64(sb);
    expect(gradcheck((x: Tensor, y: Tensor) => x.matmul(y), [a, b])).toBe(true);
    expect(gradgradcheck((x: Tensor, y: Tensor) => x.matmul(y), [a, b])).toBe(true);
  });

  test("matmul of transposed and expanded 4-D views", () => {
    const a = f64([2, 3, 5, 4]), b = f64([1, 3, 5, 2]);
    const f = (x: Tensor, y: Tensor) => x.transpose(-1, -2).matmul(y.expand([2, 3, 5, 2]));
    expect(gradcheck(f, [a, b])).toBe(true);
    expect(gradgradcheck(f, [a, b])).toBe(true);
  });

  test("create_graph through a 4-D matmul: the Hessian-vector product of sum((a @ b)^2)", () => {
    const a = f64([2, 1, 2, 3]), b = f64([3, 3, 2]);
    const [ga] = grad(a.matmul(b).square().sum(), [a], { create_graph: true });
    expect(ga!.requires_grad).toBe(true);
    // d/da of sum(ga * v) = 2 sum_batch (v b) bᵀ... checked against the same derivative by gradcheck
    expect(gradcheck((x: Tensor) => grad(x.matmul(b).square().sum(), [x], { create_graph: true })[0]!, [a])).toBe(true);
  });

  test("tensordot", () => {
    expect(gradgradcheck((x: Tensor, y: Tensor) => tensordot(x, y, [[0, 2], [2, 1]]), [f64([3, 2, 4]), f64([2, 4, 3])])).toBe(true);
    expect(gradcheck((x: Tensor, y: Tensor) => tensordot(x, y, 1), [f64([2, 3]), f64([3, 2])])).toBe(true);
  });

  test.each([
    ["ij,jk->ik", [[2, 3], [3, 4]]],
    ["bij,bjk->bik", [[2, 2, 3], [2, 3, 2]]],
    ["ii->i", [[3, 3]]],
    ["ii", [[3, 3]]],
    ["...ij,...jk", [[2, 1, 2, 3], [2, 3, 2]]],
    ["ij,jk,kl->il", [[2, 3], [3, 2], [2, 2]]],
    ["bn,anm,bm->ba", [[2, 3], [2, 3, 2], [2, 2]]],
    ["i,j", [[3], [2]]],
  ] as const)("einsum %s", (eq, shapes) => {
    const xs = shapes.map((s) => f64([...s]));
    expect(gradcheck((...ys: Tensor[]) => einsum(eq, ...ys), xs)).toBe(true);
    expect(gradgradcheck((...ys: Tensor[]) => einsum(eq, ...ys), xs)).toBe(true);
  });

  test("cross", () => {
    const f = (x: Tensor, y: Tensor) => x.cross(y, 0);
    expect(gradcheck(f, [f64([3, 2]), f64([3, 1])])).toBe(true);
    expect(gradgradcheck(f, [f64([3, 2]), f64([3, 1])])).toBe(true);
  });

  test("flip, fliplr, flipud, roll, diag, diag_embed, meshgrid", () => {
    const checks: [(...xs: Tensor[]) => Tensor, number[][]][] = [
      [(x) => x.flip([0, 2]).mul(x), [[2, 3, 2]]],
      [(x) => x.T.fliplr().mul(x.T), [[3, 2]]],
      [(x) => x.flipud().square(), [[3, 2]]],
      [(x) => x.roll([1, -1], [0, 1]).mul(x), [[3, 4]]],
      [(x) => x.roll(2).square(), [[2, 3]]],
      [(x) => x.diag(1).square(), [[3]]],
      [(x) => x.diag(-1).square(), [[3, 4]]],
      [(x) => x.diag_embed(1, 0, 2).square(), [[2, 3]]],
      [(x, y) => { const [p, q] = meshgrid(x, y, { indexing: "xy" }); return p.mul(q); }, [[2], [3]]],
    ];
    for (const [f, shapes] of checks) {
      const xs = shapes.map(f64);
      expect(gradcheck(f, xs)).toBe(true);
      expect(gradgradcheck(f, xs)).toBe(true);
    }
  });
});

describe("structure", () => {
  test("flip is one node whose backward is a flip (FlipBackward); meshgrid gives expanded views", () => {
    const x = f64([2, 3]);
    expect(x.flip(0).grad_fn!.name()).toBe("FlipBackward");
    const [g] = meshgrid(x.select(0, 0), tensor(new Float64Array(4)));
    expect(g.shape).toEqual([3, 4]);
    expect(g.stride()).toEqual([1, 0]);
    expect(g.grad_fn!.name()).toBe("ExpandBackward");
  });

  test.each(["float32", "float64", "int32", "bool"] as const)("flip of a long last dim of %s (read a vector at a time) agrees with flipping through a transpose", (dtype) => {
    const x = dtype === "bool" ? rand([3, 37]).gt(0.5) : rand([3, 37]).mul(10).to(dtype);
    expect(x.flip(-1).tolist()).toEqual(x.T.flip(0).T.tolist());
    expect(x.flip(-1).flip(-1).tolist()).toEqual(x.tolist());
    expect(x.flip(-1).tolist()).not.toEqual(x.tolist());
  });

  test.each([
    ["only a's batch dims beyond b's", [4, 8, 16, 16], [4, 1, 16, 16]],
    ["a batch against a matrix", [4, 8, 16, 16], [16, 16]],
    ["a matrix against a batch", [1, 1, 16, 16], [4, 8, 16, 16]],
  ])("matmul broadcasts %s without expanding either operand: it allocates its output only", (_what, sa, sb) => {
    const a = rand(sa), b = rand(sb);
    wg.no_grad(() => wg.scope(() => {
      const before = wg.memory().bytes;
      const c = a.matmul(b);
      expect(wg.memory().bytes - before).toBe(c.numel() * 4);
    }));
  });

  test("einsum and tensordot of operands already laid out are one matrix product node", () => {
    const a = f64([2, 3]), b = f64([3, 4]), p = f64([2, 2, 3]), q = f64([2, 3, 4]);
    expect(einsum("ij,jk->ik", a, b).grad_fn!.name()).toBe("MmBackward");
    expect(einsum("bij,bjk->bik", p, q).grad_fn!.name()).toBe("MmBackward");
    expect(tensordot(a, b, 1).grad_fn!.name()).toBe("MmBackward");
    expect(einsum("ij->ji", a).grad_fn!.name()).toBe("PermuteBackward");
  });

  test("a matrix b multiplies a contiguous 4-D a's folded rows; a batch of one matrix broadcasts as a view", () => {
    const a = tensor(Float64Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 2, 2] });
    const b = tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] });
    const c = a.matmul(b);
    expect(c.shape).toEqual([2, 3, 2, 2]);
    expect(c.is_contiguous()).toBe(true);
    const ref = einsum("...ij,jk->...ik", a, b);
    expect(flat(c)).toEqual(flat(ref));
  });

  test("roll without dims, diag and einsum of integer and bool tensors keep their dtype", () => {
    const x = tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(x.roll(1).tolist()).toEqual([[4, 1], [2, 3]]);
    expect(x.diag().dtype).toBe("int32");
    expect(x.diag().tolist()).toEqual([1, 4]);
    expect(einsum("ij->ji", x).tolist()).toEqual([[1, 3], [2, 4]]);
    expect(tensor([true, false]).diag().tolist()).toEqual([[true, false], [false, false]]);
  });
});

describe("bad input gets PyTorch's messages", () => {
  const startsWith = (message: string) => new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);
  const a = rand([2, 3]), b = rand([3, 4]);
  test("matmul", () => {
    expect(() => rand([2, 3, 4, 5]).matmul(rand([2, 4, 6, 7]))).toThrow(/mat1 and mat2 shapes cannot be multiplied \(4x5 and 6x7\)/);
    expect(() => rand([2, 3, 4, 5]).matmul(rand([3, 3, 5, 5]))).toThrow(
      /The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0/);
    expect(() => tensor(3).matmul(rand([2, 2, 2, 2]))).toThrow(/both arguments to matmul need to be at least 1D, but they are 0D and 4D/);
  });

  test("tensordot", () => {
    expect(() => tensordot(rand([2, 3, 4]), rand([3, 4, 5]), 1)).toThrow(
      "contracted dimensions need to match, but first has size 4 in dim -1 and second has size 3 in dim 0");
    expect(() => tensordot(a, b, -1)).toThrow("tensordot expects dims >= 0, but got dims=-1");
    expect(() => tensordot(a, b, [[0, 1], [0]])).toThrow("both dimension lists should have same length");
    expect(() => tensordot(a, b, [[1, 1], [0, 0]])).toThrow("dim 1 appears multiple times in the list of dims");
    expect(() => tensordot(a, b.double(), 1)).toThrow("expected scalar type Float but found Double");
  });

  test("einsum", () => {
    expect(() => einsum("ij,jk->ii", a, b)).toThrow(startsWith("einsum(): output subscript i appears more than once in the output"));
    expect(() => einsum("ij,jk->l", a, b)).toThrow(startsWith("einsum(): output subscript l does not appear in the equation for any input operand"));
    expect(() => einsum("ij,jk", a)).toThrow(startsWith("einsum(): fewer operands were provided than specified in the equation"));
    expect(() => einsum("ij", a, b)).toThrow(startsWith("einsum(): more operands were provided than specified in the equation"));
    expect(() => einsum("ijk,jk", a, b)).toThrow("einsum(): the number of subscripts in the equation (3) does not match the " +
      "number of dimensions (2) for operand 0 and no ellipsis was given");
    expect(() => einsum("ij,kk", a, b)).toThrow(startsWith("einsum(): subscript k is repeated for operand 1 but the sizes don't match, 4 != 3"));
    expect(() => einsum("i1,jk", a, b)).toThrow(startsWith("einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]"));
    expect(() => einsum("ij,ik", a, b)).toThrow(startsWith("einsum(): subscript i has size 3 for operand 1 which does not broadcast with previously seen size 2"));
    expect(() => einsum("...ij,...jk", rand([2, 2, 2, 3]), rand([5, 3, 4]))).toThrow(
      "einsum(): dimension 0 covered by ellipsis in operand 1 has size 5 which does not broadcast with previously seen ellipsis with size 2");
    expect(() => einsum("......ij", rand([2, 2, 2, 3]))).toThrow(startsWith("einsum(): found '.' for operand 0 for which an ellipsis was already found"));
    expect(() => einsum("..ij", rand([2, 2]))).toThrow(startsWith("einsum(): found '.' for operand 0 that is not part of any ellipsis"));
    expect(() => einsum("ij->ij.", a)).toThrow(startsWith("einsum(): found '.' for output that is not part of any ellipsis (...)"));
    expect(() => einsum("ij->i...j...", a)).toThrow(startsWith("einsum(): found '.' for output but an ellipsis (...) was already found"));
    expect(() => einsum("ij,jk", a, b.double())).toThrow("expected scalar type Float but found Double");
    expect(() => einsum(3 as unknown as string, a)).toThrow(startsWith("einsum(): argument 'equation' (position 1) must be str, not"));
    expect(() => einsum("ijk...", a)).toThrow(startsWith(
      "einsum(): the number of subscripts in the equation (3) is more than the number of dimensions (2) for operand 0"));
    expect(() => einsum("ij")).toThrow(startsWith("einsum(): must specify the equation string and at least one operand"));
    const ints = tensor(new Int32Array(4), { shape: [2, 2] });
    expect(() => einsum("ij,jk", ints, ints)).toThrow(startsWith("einsum(): integer and bool contractions are not supported (got int32)"));
    expect(() => tensordot(ints, ints, 1)).toThrow("tensordot(): integer and bool contractions are not supported (got int32)");
  });

  test("cross", () => {
    expect(() => rand([4, 2]).cross(rand([4, 2]))).toThrow("linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2");
    expect(() => rand([4, 3]).cross(rand([3]))).toThrow("linalg.cross: inputs must have the same number of dimensions.");
    expect(() => rand([2, 3]).cross(rand([4, 3]))).toThrow(/The size of tensor a \(2\) must match the size of tensor b \(4\)/);
    expect(() => wg.cross(rand([3]), rand([3]).double())).toThrow("expected scalar type Float but found Double");
  });

  test("flip, fliplr, flipud, roll, diag, diag_embed, meshgrid", () => {
    expect(() => a.flip(0, 0)).toThrow("dim 0 appears multiple times in the list of dims");
    expect(() => a.flip(2)).toThrow(/Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/);
    expect(() => rand([3]).fliplr()).toThrow("Input must be >= 2-d.");
    expect(() => tensor(1).flipud()).toThrow("Input must be >= 1-d.");
    expect(() => a.roll([1, 2])).toThrow("shifts and dimensions must align. shifts: 2, dims:0");
    expect(() => a.roll([1, 2], [0])).toThrow("shifts and dimensions must align. shifts: 2, dims:1");
    expect(() => tensor(1).roll(1, 0)).toThrow("Dimension specified as 0 but tensor has no dimensions");
    expect(() => rand([2, 2, 2]).diag()).toThrow(/matrix or a vector expected/);
    expect(() => rand([3]).diag_embed(0, 0, 0)).toThrow("diagonal dimensions cannot be identical 0, 0");
    expect(() => meshgrid(rand([2]), rand([3, 1]))).toThrow(/Expected 0D or 1D tensor in the tensor list/);
    expect(() => meshgrid(rand([2]), rand([3]).double())).toThrow("meshgrid expects all tensors to have the same dtype");
    expect(() => meshgrid()).toThrow("meshgrid expects a non-empty TensorList");
    expect(() => meshgrid(rand([2]), { indexing: "xz" as "xy" })).toThrow('meshgrid(): indexing must be "ij" or "xy", got the string "xz"');
  });
});
