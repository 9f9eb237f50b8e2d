// Views against PyTorch 1.13 (test/fixtures/views.json, written by
// test/fixtures/generate_core_v2.py): shapes, strides, offsets, contiguity and values
// after chains of view ops and in-place writes through them, shared version counters, and
// gradients through views, including the slice-by-slice example.
import { describe, expect, test } from "vitest";
import { arange, cat, gradcheck, gradgradcheck, stack, tensor, zeros, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/views.json" with { type: "json" };

type Step = [string, ...unknown[]];

function apply(t: Tensor, [op, ...args]: Step): Tensor {
  switch (op) {
    case "view": return t.view(args[0] as number[]);
    case "reshape": return t.reshape(args[0] as number[]);
    case "transpose": return t.transpose(args[0] as number, args[1] as number);
    case "permute": return t.permute(args[0] as number[]);
    case "t": return t.t();
    case "T": return t.T;
    case "mT": return t.mT;
    case "unsqueeze": return t.unsqueeze(args[0] as number);
    case "squeeze": return args[0] === null ? t.squeeze() : t.squeeze(args[0] as number);
    case "expand": return t.expand(args[0] as number[]);
    case "narrow": return t.narrow(args[0] as number, args[1] as number, args[2] as number);
    case "select": return t.select(args[0] as number, args[1] as number);
    case "diagonal": return t.diagonal(...(args as number[]));
    case "unfold": return t.unfold(args[0] as number, args[1] as number, args[2] as number);
    case "contiguous": return t.contiguous();
    case "add_": return t.add_(args[0] as number);
    case "mul_": return t.mul_(args[0] as number);
    case "fill_": return t.fill_(args[0] as number);
    case "zero_": return t.zero_();
  }
  throw new Error(`unknown step ${op}`);
}

const flat = (t: Tensor) => Array.from(t.toTypedArray());
const base = (shape: number[]) => arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);

describe("view geometry and values match PyTorch", () => {
  const cases = fixture.cases.filter((c) => !("implementation_defined" in c));
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const x = base(c.base_shape);
    let t = x;
    const result = c.result as Record<string, unknown>;
    c.steps.forEach((step, i) => {
      if ("error" in result && result.error_step === i) {
        expect(() => apply(t, step as Step)).toThrow((result.error as string).slice(0, 50));
        return;
      }
      if ("error" in result && i > (result.error_step as number)) return;
      t = apply(t, step as Step);
      const want = c.trace[i];
      const what = `${c.name} step ${i} ${JSON.stringify(step)}`;
      expect(t.shape, what).toEqual(want.shape);
      expect(t.stride(), what).toEqual(want.stride);
      expect(t.storage_offset(), what).toBe(want.storage_offset);
      expect(t.is_contiguous(), what).toBe(want.is_contiguous);
    });
    if (!("error" in result)) expect(flat(t)).toEqual(result.values);
    expect(flat(x)).toEqual(result.base_values);
  });
});

describe("versions are shared by a base and its views", () => {
  test.each(fixture.versions.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const named: Record<string, Tensor> = { x: base(c.base_shape) };
    for (const step of c.steps as unknown as { define?: string; from?: string; on?: string; op: Step; versions: Record<string, number> }[]) {
      if (step.define !== undefined) named[step.define] = apply(named[step.from!], step.op);
      else apply(named[step.on!], step.op);
      for (const [name, version] of Object.entries(step.versions)) {
        expect(named[name]._version, `${name} after ${JSON.stringify(step.op)}`).toBe(version);
      }
    }
    expect(flat(named.x)).toEqual(c.base_values);
  });
});

describe("gradients through views and in-place writes match PyTorch (float64)", () => {
  type Instr = [string | null, string, string | null, ...unknown[]];
  const cases = fixture.view_grads.filter((c) => !c.name.startsWith("unfold_overlapping"));
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const env: Record<string, Tensor> = {};
    for (const [name, spec] of Object.entries(c.inputs as unknown as Record<string, { shape: number[]; values: number[]; requires_grad: boolean }>)) {
      env[name] = tensor(Float64Array.from(spec.values), { shape: spec.shape, requires_grad: spec.requires_grad });
    }
    const arg = (a: unknown) => (typeof a === "string" ? env[a] : a);
    const run = () => {
      (c.program as unknown as Instr[]).forEach(([dest, method, self, ...args]) => {
        let out: Tensor;
        if (method === "zeros") out = zeros(args[0] as number[], { dtype: "float64" });
        else if (method === "sum") out = env[self!].sum();
        else if (method === "mul" || method === "add" || method === "add_" || method === "mul_" || method === "copy_") {
          out = (env[self!] as unknown as Record<string, (x: unknown) => Tensor>)[method](arg(args[0]));
        } else if (method === "sin") out = env[self!].sin();
        else out = apply(env[self!], [method, ...args] as Step);
        if (dest !== null) env[dest] = out;
      });
      env[c.loss].backward();
    };
    if ("expect_error" in c) {
      expect(run).toThrow(/modified by an inplace operation|a leaf Variable that requires grad|a view of a leaf/);
      return;
    }
    run();
    const want = c.expect as unknown as { grads: Record<string, number[] | null>; values: Record<string, { values: number[] }> };
    for (const [name, grad] of Object.entries(want.grads)) {
      if (grad === null) expect(env[name].grad, name).toBeNull();
      else flat(env[name].grad!).forEach((g, i) => expect(g, `${name}.grad[${i}]`).toBeCloseTo(grad[i], 10));
    }
    for (const [name, v] of Object.entries(want.values)) {
      flat(env[name]).forEach((x, i) => expect(x, `${name}[${i}]`).toBeCloseTo(v.values[i], 10));
    }
  });
});

describe("a view older than an in-place op on its data", () => {
  // PyTorch 1.13: v.grad_fn is AsStridedBackward0 after h.mul_(2), and w.grad = 2 c in row 0.
  test("has its history regenerated from the base's, so its gradient includes the write", () => {
    const w = tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3], requires_grad: true });
    const c = tensor(Float64Array.from([1, -2, 0.5]));
    const h = w.mul(1);
    const v = h.select(0, 0);
    expect(v.grad_fn!.name()).toBe("SelectBackward");
    h.mul_(2);
    expect(v.grad_fn!.name()).toBe("AsStridedBackward");
    expect(flat(v)).toEqual([2, 4, 6]);
    v.mul(c).sum().backward();
    expect(flat(w.grad!)).toEqual([2, -4, 1, 0, 0, 0]);
  });

  test("an in-place op on a view of a leaf that requires grad is refused", () => {
    const w = tensor([1, 2, 3], { requires_grad: true });
    expect(() => w.narrow(0, 0, 2).mul_(2)).toThrow(
      "a view of a leaf Variable that requires grad is being used in an in-place operation");
  });
});

test("factories start at version 0, as PyTorch's do", () => {
  expect([zeros([2])._version, zeros([2], { dtype: "int32" })._version, arange(3)._version]).toEqual([0, 0, 0]);
});

describe("writes whose source was itself written through views", () => {
  // The source is a rewritten base (as cat's result is), written at an offset into another
  // base; the gradients reach it through the slice's region, in the root's layout.
  const nested = (x: Tensor) => {
    const rolled = cat([x.narrow(0, 1, 2), x.narrow(0, 0, 1)]);
    const out = zeros([5, 2], { dtype: "float64" });
    out.narrow(0, 2, 3).copy_(rolled);
    return cat([x.mul(2), out]).T.mul(out.sum());
  };
  test("gradcheck and gradgradcheck, read back through a transpose", () => {
    const x = tensor([[1, -2], [0.5, 3], [2, 1]], { dtype: "float64", requires_grad: true });
    expect(gradcheck(nested, [x])).toBe(true);
    expect(gradgradcheck(nested, [x])).toBe(true);
  });

  test("the values and gradients, against the same program written without writes", () => {
    const x = tensor([[1, -2], [0.5, 3], [2, 1]], { dtype: "float64", requires_grad: true });
    const y = tensor([[1, -2], [0.5, 3], [2, 1]], { dtype: "float64", requires_grad: true });
    const direct = (t: Tensor) => {
      const out = stack([zeros([2], { dtype: "float64" }), zeros([2], { dtype: "float64" }), t.select(0, 1), t.select(0, 2), t.select(0, 0)]);
      return stack([...t.mul(2).unbind(0), ...out.unbind(0)]).T.mul(out.sum());
    };
    const a = nested(x), b = direct(y);
    expect(a.tolist()).toEqual(b.tolist());
    a.sum().backward();
    b.sum().backward();
    expect(x.grad!.tolist()).toEqual(y.grad!.tolist());
  });
});
