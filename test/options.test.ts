// Options objects are checked: an unknown key (with the valid key it most likely was meant
// to be) or a value of the wrong type is a TypeError naming the op and the key; undefined
// means "not given".
import { describe, expect, test } from "vitest";
import {
  tensor, zeros, ones, full, zeros_like, ones_like, rand, randn, arange, linspace, grad,
  type Tensor,
} from "../bindings/index.js";
import { checkOptions } from "../bindings/options.js";
import { expectClose } from "./helpers.js";

/** Asserts that fn throws a TypeError with exactly this message. */
function expectTypeError(fn: () => unknown, message: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TypeError);
  expect((error as TypeError).message).toBe(message);
}

// Each factory as a function of its options object; `never` lets bad options through the types.
const factories: [string, string, string, (options?: unknown) => Tensor][] = [
  ["tensor(nested)", "tensor", "dtype, requires_grad, shape", (o) => tensor([1, 2], o as never)],
  ["tensor(typed array)", "tensor", "dtype, requires_grad, shape", (o) => tensor(new Float32Array(2), o as never)],
  ["tensor(tensor)", "tensor", "dtype, requires_grad, shape", (o) => tensor(ones([2]), o as never)],
  ["zeros([2])", "zeros", "dtype, requires_grad", (o) => zeros([2], o as never)],
  ["zeros(2)", "zeros", "dtype, requires_grad", (o) => zeros(2, o as never)],
  ["ones", "ones", "dtype, requires_grad", (o) => ones([2], o as never)],
  ["full", "full", "dtype, requires_grad", (o) => full([2], 7, o as never)],
  ["zeros_like", "zeros_like", "dtype, requires_grad", (o) => zeros_like(ones([2]), o as never)],
  ["ones_like", "ones_like", "dtype, requires_grad", (o) => ones_like(ones([2]), o as never)],
  ["rand", "rand", "dtype, requires_grad", (o) => rand([2], o as never)],
  ["randn", "randn", "dtype, requires_grad", (o) => randn(2, o as never)],
  ["arange(end)", "arange", "dtype, requires_grad", (o) => arange(2, o as never)],
  ["arange(start, end, step)", "arange", "dtype, requires_grad", (o) => arange(0, 4, 2, o as never)],
  ["linspace", "linspace", "dtype, requires_grad", (o) => linspace(0, 1, 2, o as never)],
];

describe("factory options", () => {
  test.each(factories)("%s: a misspelt key is named, with the key it was meant to be", (_, op, valid, make) => {
    expectTypeError(() => make({ requiresGrad: true }),
      `${op}(): unexpected option 'requiresGrad' (did you mean 'requires_grad'?); valid options: ${valid}`);
    expectTypeError(() => make({ requires_gard: true }),
      `${op}(): unexpected option 'requires_gard' (did you mean 'requires_grad'?); valid options: ${valid}`);
    expectTypeError(() => make({ requires_grad: true, device: "cpu" }),
      `${op}(): unexpected option 'device'; valid options: ${valid}`);
  });

  test.each(factories)("%s: a wrong-typed value is named with the expected type", (_, op, _valid, make) => {
    expectTypeError(() => make({ requires_grad: 1 }), `${op}(): requires_grad must be a boolean, got number 1`);
    expectTypeError(() => make({ requires_grad: "true" }),
      `${op}(): requires_grad must be a boolean, got the string "true"`);
  });

  test.each(factories)("%s: options that are not a plain object say what they are", (_, op, valid, make) => {
    expectTypeError(() => make(null), `${op}(): options must be a plain object, got null; valid options: ${valid}`);
    expectTypeError(() => make(ones([1])), `${op}(): options must be a plain object, got Tensor; valid options: ${valid}`);
    expectTypeError(() => make(new Map()), `${op}(): options must be a plain object, got Map; valid options: ${valid}`);
  });

  test.each(factories)("%s: valid options still work, and undefined means not given", (_, _op, _valid, make) => {
    const on = make({ requires_grad: true });
    expect(on.shape).toEqual([2]);
    expect(on.requires_grad).toBe(true);
    expect(on.is_leaf).toBe(true);
    expect(make({ requires_grad: false }).requires_grad).toBe(false);
    expect(make({ requires_grad: undefined }).requires_grad).toBe(false);
    expect(make(undefined).requires_grad).toBe(false);
    expect(make({}).requires_grad).toBe(false);
    const bare = Object.assign(Object.create(null), { requires_grad: true });
    expect(make(bare).requires_grad).toBe(true);
  });

  test("an array where options belong is refused, not read as sizes or ignored", () => {
    expectTypeError(() => tensor([1], [] as never),
      "tensor(): options must be a plain object, got an array; valid options: dtype, requires_grad, shape");
    expectTypeError(() => arange(3, [] as never),
      "arange(): options must be a plain object, got an array; valid options: dtype, requires_grad");
    expectTypeError(() => full([2], 1, [] as never),
      "full(): options must be a plain object, got an array; valid options: dtype, requires_grad");
  });

  test("tensor(): shape is checked, and works with requires_grad", () => {
    expectTypeError(() => tensor(new Float32Array(4), { shape: 4 } as never),
      "tensor(): shape must be an array of non-negative integers, got number 4");
    expectTypeError(() => tensor(new Float32Array(4), { Shape: [2, 2] } as never),
      "tensor(): unexpected option 'Shape' (did you mean 'shape'?); valid options: dtype, requires_grad, shape");
    const t = tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2], requires_grad: true });
    expect(t.shape).toEqual([2, 2]);
    expect(t.requires_grad).toBe(true);
    expect(tensor(new Float32Array(4), { shape: undefined }).shape).toEqual([4]);
  });

  test("sizes followed by undefined options", () => {
    expect(zeros([2, 3], undefined).shape).toEqual([2, 3]);
    expect(ones(2, 3, undefined).shape).toEqual([2, 3]);
    expect(randn([2], undefined).shape).toEqual([2]);
    expect(arange(3, undefined).tolist()).toEqual([0, 1, 2]);
    expect(arange(1, 7, 2, undefined).tolist()).toEqual([1, 3, 5]);
  });
});

describe("backward options", () => {
  const graph = () => {
    const x = tensor([1, 2, 3], { requires_grad: true });
    return { x, y: x.mul(x).sum() };
  };

  test("a misspelt key is named, and nothing is swept", () => {
    const { x, y } = graph();
    expectTypeError(() => y.backward(undefined, { retainGraph: true } as never),
      "backward(): unexpected option 'retainGraph' (did you mean 'retain_graph'?); valid options: retain_graph, create_graph");
    expectTypeError(() => y.backward(undefined, { createGraph: true } as never),
      "backward(): unexpected option 'createGraph' (did you mean 'create_graph'?); valid options: retain_graph, create_graph");
    expectTypeError(() => y.backward(undefined, { retain_grahp: true } as never),
      "backward(): unexpected option 'retain_grahp' (did you mean 'retain_graph'?); valid options: retain_graph, create_graph");
    expect(x.grad).toBeNull();
    y.backward(); // the graph is intact
    expectClose(x.grad, [2, 4, 6], 0, 0);
  });

  test("a wrong-typed value is named with the expected type", () => {
    const { x, y } = graph();
    expectTypeError(() => y.backward(undefined, { retain_graph: 1 } as never),
      "backward(): retain_graph must be a boolean, got number 1");
    expectTypeError(() => y.backward(null, { create_graph: "yes" } as never),
      "backward(): create_graph must be a boolean, got the string \"yes\"");
    expectTypeError(() => y.backward(undefined, [] as never),
      "backward(): options must be a plain object, got an array; valid options: retain_graph, create_graph");
    expect(x.grad).toBeNull();
  });

  test("valid options still work, and undefined means not given", () => {
    const { x, y } = graph();
    y.backward(undefined, { retain_graph: true, create_graph: undefined });
    y.backward(1, { retain_graph: true });
    expectClose(x.grad, [4, 8, 12], 0, 0);
    y.backward(undefined, { retain_graph: undefined });
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);

    const g = graph();
    g.y.backward(undefined, { create_graph: true });
    expect(g.x.grad!.grad_fn).not.toBeNull();
    g.x.grad!.sum().backward(); // d/dx of 2x, summed, adds 2 to each grad element
    expectClose(g.x.grad, [4, 6, 8], 0, 0);
  });
});

describe("grad options", () => {
  const valid = "grad_outputs, retain_graph, create_graph, allow_unused";

  test("misspelt keys are named, with the key each was meant to be", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const y = x.mul(x);
    expectTypeError(() => grad(y, x, { gradOutputs: ones([2]) } as never),
      `grad(): unexpected option 'gradOutputs' (did you mean 'grad_outputs'?); valid options: ${valid}`);
    expectTypeError(() => grad(y, x, { grad_output: ones([2]) } as never),
      `grad(): unexpected option 'grad_output' (did you mean 'grad_outputs'?); valid options: ${valid}`);
    expectTypeError(() => grad(y.sum(), x, { allowUnused: true } as never),
      `grad(): unexpected option 'allowUnused' (did you mean 'allow_unused'?); valid options: ${valid}`);
    expectTypeError(() => grad(y.sum(), x, { RETAIN_GRAPH: true } as never),
      `grad(): unexpected option 'RETAIN_GRAPH' (did you mean 'retain_graph'?); valid options: ${valid}`);
    expectTypeError(() => grad(y.sum(), x, { createGraph: true } as never),
      `grad(): unexpected option 'createGraph' (did you mean 'create_graph'?); valid options: ${valid}`);
    expectTypeError(() => grad(y.sum(), x, { only_inputs: true } as never),
      `grad(): unexpected option 'only_inputs'; valid options: ${valid}`);
  });

  test("wrong-typed values are named with the expected type", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const y = x.mul(x);
    expectTypeError(() => grad(y.sum(), x, { allow_unused: 1 } as never),
      "grad(): allow_unused must be a boolean, got number 1");
    expectTypeError(() => grad(y.sum(), x, { retain_graph: "no" } as never),
      "grad(): retain_graph must be a boolean, got the string \"no\"");
    expectTypeError(() => grad(y.sum(), x, { create_graph: {} } as never),
      "grad(): create_graph must be a boolean, got Object");
    expectTypeError(() => grad(y, x, { grad_outputs: "ones" } as never),
      "grad(): grad_outputs must be a Tensor, a number, null or an array of them, got the string \"ones\"");
    expectTypeError(() => grad(y.sum(), x, ones([1]) as never),
      `grad(): options must be a plain object, got Tensor; valid options: ${valid}`);
  });

  test("valid options still work, and undefined means not given", () => {
    const x = tensor([1, 2], { requires_grad: true });
    const u = tensor([5], { requires_grad: true });
    const y = x.mul(x);
    const [g] = grad(y, x, { grad_outputs: tensor([1, 10]), retain_graph: true });
    expectClose(g, [2, 40], 0, 0);
    const [gx, gu] = grad(y.sum(), [x, u], { allow_unused: true, retain_graph: true, grad_outputs: undefined });
    expectClose(gx, [2, 4], 0, 0);
    expect(gu).toBeNull();
    const [h] = grad(y.sum(), x, { grad_outputs: [null], create_graph: true, allow_unused: undefined });
    expect(h!.grad_fn).not.toBeNull();
    const [once] = grad(x.sum(), x, { retain_graph: undefined, create_graph: undefined });
    expectClose(once, [1, 1], 0, 0);
    expect(x.grad).toBeNull();
  });
});

describe("add_ and sub_ options", () => {
  test("a misspelt key is named, and nothing is written", () => {
    const t = tensor([1, 2]);
    expectTypeError(() => t.add_(1, { alpah: 2 } as never),
      "add_(): unexpected option 'alpah' (did you mean 'alpha'?); valid options: alpha");
    expectTypeError(() => t.sub_(tensor([1, 1]), { Alpha: 2 } as never),
      "sub_(): unexpected option 'Alpha' (did you mean 'alpha'?); valid options: alpha");
    expectTypeError(() => t.sub_(1, { lr: 2 } as never), "sub_(): unexpected option 'lr'; valid options: alpha");
    expect(t.tolist()).toEqual([1, 2]);
  });

  test("a wrong-typed value is named with the expected type, and nothing is written", () => {
    const t = tensor([1, 2]);
    expectTypeError(() => t.add_(tensor([1, 1]), { alpha: "2" } as never),
      "add_(): alpha must be a number, got the string \"2\"");
    // sub_ would otherwise negate the string into a number and go on
    expectTypeError(() => t.sub_(1, { alpha: "2" } as never), "sub_(): alpha must be a number, got the string \"2\"");
    expectTypeError(() => t.sub_(1, { alpha: true } as never), "sub_(): alpha must be a number, got boolean true");
    expectTypeError(() => t.add_(1, null as never), "add_(): options must be a plain object, got null; valid options: alpha");
    expectTypeError(() => t.sub_(1, [2] as never), "sub_(): options must be a plain object, got an array; valid options: alpha");
    expect(t.tolist()).toEqual([1, 2]);
  });

  test("valid options still work, and undefined means not given", () => {
    const t = tensor([1, 2]);
    t.add_(tensor([1, 1]), { alpha: 3 });
    expect(t.tolist()).toEqual([4, 5]);
    t.add_(1, { alpha: undefined });
    expect(t.tolist()).toEqual([5, 6]);
    t.sub_(tensor([1, 2]), { alpha: 2 });
    expect(t.tolist()).toEqual([3, 2]);
    t.sub_(1, { alpha: undefined });
    expect(t.tolist()).toEqual([2, 1]);
    t.sub_(1, undefined);
    expect(t.tolist()).toEqual([1, 0]);
  });
});

describe("checkOptions", () => {
  test("suggests by case and underscores first, then within two edits, else nothing", () => {
    const spec = { keepdim: "boolean", dim: "number" } as const;
    expectTypeError(() => checkOptions("sum", { keepDim: true }, spec),
      "sum(): unexpected option 'keepDim' (did you mean 'keepdim'?); valid options: keepdim, dim");
    expectTypeError(() => checkOptions("sum", { KEEP_DIM: true }, spec),
      "sum(): unexpected option 'KEEP_DIM' (did you mean 'keepdim'?); valid options: keepdim, dim");
    expectTypeError(() => checkOptions("sum", { keepdims: true }, spec),
      "sum(): unexpected option 'keepdims' (did you mean 'keepdim'?); valid options: keepdim, dim");
    expectTypeError(() => checkOptions("sum", { dims: 0 }, spec),
      "sum(): unexpected option 'dims' (did you mean 'dim'?); valid options: keepdim, dim");
    expectTypeError(() => checkOptions("sum", { axis: 0 }, spec),
      "sum(): unexpected option 'axis'; valid options: keepdim, dim");
    // within two edits of 'dim', but one letter is too little to go on
    expectTypeError(() => checkOptions("sum", { d: 0 }, spec),
      "sum(): unexpected option 'd'; valid options: keepdim, dim");
  });

  test("a list of strings accepts exactly those strings (for a string union such as a dtype)", () => {
    const spec = { dtype: ["float32", "float64"] } as const;
    expect(() => checkOptions("zeros", { dtype: "float64" }, spec)).not.toThrow();
    expect(() => checkOptions("zeros", { dtype: undefined }, spec)).not.toThrow();
    expect(() => checkOptions("zeros", undefined, spec)).not.toThrow();
    expectTypeError(() => checkOptions("zeros", { dtype: "int32" }, spec),
      "zeros(): dtype must be one of 'float32', 'float64', got the string \"int32\"");
    expectTypeError(() => checkOptions("zeros", { dtype: 32 }, spec),
      "zeros(): dtype must be one of 'float32', 'float64', got number 32");
    expectTypeError(() => checkOptions("zeros", { dType: "float32" }, spec),
      "zeros(): unexpected option 'dType' (did you mean 'dtype'?); valid options: dtype");
  });

  test("an inherited key of the spec object is not a valid option", () => {
    expectTypeError(() => checkOptions("ones", { toString: true }, { requires_grad: "boolean" }),
      "ones(): unexpected option 'toString'; valid options: requires_grad");
  });
});
