// Convolution, pooling and padding (nn.functional) against PyTorch 1.13
// (test/fixtures/convolution.json, from generate_convolution.py): outputs, max pooling's
// indices and the gradients of every tensor argument in float64, and torch's refusals; then
// double backward through conv2d by finite differences, and memory.
import { describe, expect, test } from "vitest";
import { memory, nn, scope, tensor, grad, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/convolution.json" with { type: "json" };

const F = nn.functional;
interface Encoded { shape: number[]; values: number[] }
interface Case {
  fn: string; options: Record<string, unknown>; inputs: (Encoded | null)[]; output: Encoded;
  indices: Encoded | null; cotangent: Encoded; grads: (Encoded | null)[];
}
const data = fixture as unknown as { cases: Case[]; errors: { fn: string; shapes: (number[] | null)[]; options: Record<string, unknown>; message: string }[] };

const decode = (e: Encoded, requires_grad = false) => tensor(Float64Array.from(e.values), { shape: e.shape, requires_grad });

function expectClose(actual: Tensor, expected: Encoded, tol = 1e-12) {
  expect(actual.shape).toEqual(expected.shape);
  Array.from(actual.toTypedArray(), Number).forEach((v, i) =>
    expect(Math.abs(v - expected.values[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected.values[i]))));
}

// torch's F.<fn>(*tensors, **options), as wasmgrad's signature takes it
function call(fn: string, ts: (Tensor | null)[], options: Record<string, unknown>): Tensor | [Tensor, Tensor] {
  const { kernel_size, output_size, pad, ...rest } = options;
  const f = F as unknown as Record<string, (...a: unknown[]) => Tensor | [Tensor, Tensor]>;
  switch (fn) {
    case "conv1d": case "conv2d": return f[fn](ts[0], ts[1], ts[2], rest);
    case "unfold": return F.unfold(ts[0]!, kernel_size as number, rest);
    case "fold": return F.fold(ts[0]!, output_size as number, kernel_size as number, rest);
    case "pad": return F.pad(ts[0]!, pad as number[], rest);
    case "adaptive_avg_pool1d": case "adaptive_avg_pool2d": return f[fn](ts[0], output_size);
    default: return f[fn](ts[0], kernel_size, rest);
  }
}

describe("nn.functional's convolution, pooling and padding match PyTorch (float64)", () => {
  for (const c of data.cases) {
    test(`${c.fn}(${c.inputs.map((e) => (e === null ? "None" : `[${e.shape}]`)).join(", ")}, ${JSON.stringify(c.options)})`, () => {
      scope(() => {
        const inputs = c.inputs.map((e) => (e === null ? null : decode(e, true)));
        const result = call(c.fn, inputs, c.options);
        const [out, indices] = Array.isArray(result) ? result : [result, null];
        expectClose(out, c.output);
        if (c.indices !== null) {
          expect(indices!.dtype).toBe("int32");
          expect(indices!.shape).toEqual(c.indices.shape);
          expect(Array.from(indices!.toTypedArray())).toEqual(c.indices.values);
        }
        out.mul(decode(c.cotangent)).sum().backward();
        c.grads.forEach((g, i) => { if (g !== null) expectClose(inputs[i]!.grad!, g); });
      });
    });
  }
});

describe("refusals name the problem as PyTorch does", () => {
  for (const e of data.errors) {
    test(`${e.fn} ${JSON.stringify(e.shapes)} ${JSON.stringify(e.options)}`, () => {
      const ts = e.shapes.map((s) => (s === null ? null : tensor(new Float64Array(s.reduce((a, b) => a * b, 1)), { shape: s })));
      // torch doubles the brackets of one shape in its message
      expect(() => call(e.fn, ts, e.options)).toThrow(e.message.replace("[[", "[").replace("]]", "]"));
    });
  }

  test("wrong ranks, dtypes and options", () => {
    const x = tensor(new Float32Array(16), { shape: [1, 1, 4, 4] });
    expect(() => F.conv2d(x.reshape([16]), x)).toThrow("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [16]");
    expect(() => F.conv2d(x, x.double())).toThrow("expected scalar type Float but found Double");
    expect(() => F.conv2d(x.int(), x)).toThrow("expected a floating point input");
    expect(() => F.conv2d(x, x, null, { padding: "full" as "same" })).toThrow("Invalid padding string: 'full'");
    expect(() => F.max_pool2d(x, 0)).toThrow("stride should not be zero"); // PyTorch 1.13 checks the stride (the kernel size by default) first
    expect(() => F.pad(x, [1])).toThrow("Padding length must be divisible by 2");
  });
});

describe("conv2d", () => {
  test("double backward: the gradient of a gradient matches finite differences", () => {
    const x = tensor(Float64Array.from({ length: 2 * 2 * 4 * 4 }, (_, i) => Math.sin(i)), { shape: [2, 2, 4, 4], requires_grad: true });
    const w = tensor(Float64Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => Math.cos(i)), { shape: [3, 2, 3, 3], requires_grad: true });
    // s(w) = sum(dL/dx ⊙ dL/dx) for L = sum(conv2d(x, w)²): its gradient in w needs double backward
    const s = (wt: Tensor) => {
      const [gx] = grad(F.conv2d(x, wt, null, { padding: 1, stride: 2 }).square().sum(), [x], { create_graph: true });
      return gx!.square().sum();
    };
    const [gw] = grad(s(w), [w]);
    const eps = 1e-6, base = w.detach().toTypedArray() as Float64Array;
    for (const i of [0, 7, 20, 53]) {
      const at = (delta: number) => {
        const shifted = Float64Array.from(base);
        shifted[i] += delta;
        return scope(() => s(tensor(shifted, { shape: w.shape })).item());
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      expect(Math.abs((gw!.toTypedArray()[i] as number) - numeric)).toBeLessThan(1e-5 * (1 + Math.abs(numeric)));
    }
  });

  test("a training step through conv and pooling inside scope leaks nothing", () => {
    const conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
    const x = tensor(new Float32Array(2 * 8 * 8).map((_, i) => Math.sin(i)), { shape: [2, 1, 8, 8] });
    const step = () => scope(() => {
      const y = F.max_pool2d(conv.call(x).relu(), 2, { return_indices: true })[0];
      F.avg_pool2d(y, 2).add(F.adaptive_avg_pool2d(y, 1)).sum().backward();
    });
    step();
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) step();
    expect(memory().tensors).toBe(before);
  });
});
