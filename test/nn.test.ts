// wasmgrad/nn's Module, containers and layers against PyTorch 1.13 (test/fixtures/nn.json,
// from generate_nn.py): every layer's output and gradients from the same weights, the repr
// and names of nested models, and 20-step training runs from the same initial weights.
import { describe, expect, test } from "vitest";
import { manual_seed, memory, nn, optim, scope, tensor, type Tensor } from "../bindings/index.js";
import fixture from "./fixtures/nn.json" with { type: "json" };

interface Encoded { shape: number[]; dtype: string; values: number[] }
interface LayerCase {
  layer: string; args: unknown[]; kwargs: Record<string, unknown>; eval: boolean;
  state: Record<string, Encoded>; state_after: Record<string, Encoded>;
  inputs: Encoded[]; output: Encoded; cotangent: Encoded; input_grads: (Encoded | null)[]; param_grads: Record<string, Encoded>;
}
interface ReprCase { repr: string; state_keys: string[]; parameters: [string, number[]][]; modules: string[] }
interface Trajectory {
  model: "mlp" | "cnn"; optimizer: "SGD" | "Adam" | "AdamW"; options: Record<string, number>; loss: "CrossEntropyLoss" | "MSELoss";
  loss_options: Record<string, number>; initial: Record<string, Encoded>; losses: number[]; final: Record<string, Encoded>;
}
interface AttentionCase {
  embed_dim: number; num_heads: number; kwargs: Record<string, unknown>; call: Record<string, unknown>;
  masks: Record<string, Encoded>; state: Record<string, Encoded>; inputs: Encoded[]; output: Encoded; cotangent: Encoded;
  weights: Encoded | null; input_grads: Encoded[]; param_grads: Record<string, Encoded>;
}
const data = fixture as unknown as {
  layers: LayerCase[]; attention: AttentionCase[]; reprs: Record<string, ReprCase>;
  data: { x: Encoded; classes: Encoded; images: Encoded; image_classes: Encoded }; trajectories: Trajectory[];
};

const decode = (e: Encoded, dtype: "float32" | "float64" = "float64", requires_grad = false): Tensor =>
  e.dtype === "int64"
    ? tensor(Int32Array.from(e.values), { shape: e.shape })
    : tensor(dtype === "float64" ? Float64Array.from(e.values) : Float32Array.from(e.values), { shape: e.shape, requires_grad });

function expectClose(actual: Tensor, expected: Encoded, tol: number) {
  expect(actual.shape).toEqual(expected.shape);
  const a = Array.from(actual.toTypedArray(), Number);
  a.forEach((v, i) => expect(Math.abs(v - expected.values[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected.values[i]))));
}

// PyTorch's nn.X(*args, **kwargs) is new nn.X(...args, kwargs) here.
type LayerClass = new (...args: unknown[]) => nn.Module;
const build = (name: string, args: unknown[], kwargs: Record<string, unknown>) =>
  new ((nn as unknown as Record<string, LayerClass>)[name])(...args, ...(Object.keys(kwargs).length > 0 ? [kwargs] : []));

describe("layers match PyTorch's output, gradients and updated buffers from the same weights (float64)", () => {
  for (const c of data.layers) {
    test(`${c.layer}(${[...c.args.map((a) => JSON.stringify(a)), ...Object.entries(c.kwargs).map(([k, v]) => `${k}=${v}`)].join(", ")})`, () => {
      scope(() => {
        const layer = build(c.layer, c.args, c.kwargs).double();
        layer.load_state_dict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, decode(v)])));
        if (c.eval) layer.eval();
        const inputs = c.inputs.map((e) => decode(e, "float64", e.dtype !== "int64"));
        const out = layer.call(...inputs) as Tensor;
        expectClose(out, c.output, 1e-12);
        out.mul(decode(c.cotangent)).sum().backward();
        c.input_grads.forEach((g, i) => { if (g !== null) expectClose(inputs[i].grad!, g, 1e-12); });
        const params = Object.fromEntries(layer.named_parameters());
        expect(Object.keys(params)).toEqual(Object.keys(c.param_grads));
        for (const [name, g] of Object.entries(c.param_grads)) expectClose(params[name].grad!, g, 1e-12);
        // the buffers after the call: BatchNorm's running statistics
        const after = layer.state_dict();
        expect(Object.keys(after)).toEqual(Object.keys(c.state_after));
        for (const [name, v] of Object.entries(c.state_after)) expectClose(after[name], v, 1e-12);
      });
    });
  }
});

describe("MultiheadAttention matches PyTorch's (float64)", () => {
  for (const c of data.attention) {
    test(`${c.embed_dim} dims, ${c.num_heads} heads, ${JSON.stringify({ ...c.kwargs, ...c.call })}, masks: ${Object.keys(c.masks).join(", ") || "none"}`, () => {
      scope(() => {
        const mha = new nn.MultiheadAttention(c.embed_dim, c.num_heads, c.kwargs).double();
        mha.load_state_dict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, decode(v)])));
        const [q, k, v] = c.inputs.map((e) => decode(e, "float64", true));
        const masks = Object.fromEntries(Object.entries(c.masks).map(([name, e]) =>
          [name, e.dtype === "bool" ? tensor(Uint8Array.from(e.values, Number), { shape: e.shape, dtype: "bool" }) : decode(e)]));
        const [out, weights] = mha.call(q, k, v, { ...c.call, ...masks });
        expectClose(out, c.output, 1e-12);
        if (c.weights === null) expect(weights).toBeNull();
        else expectClose(weights!, c.weights, 1e-12);
        out.mul(decode(c.cotangent)).sum().backward();
        [q, k, v].forEach((t, i) => expectClose(t.grad!, c.input_grads[i], 1e-12));
        const params = Object.fromEntries(mha.named_parameters());
        expect(Object.keys(params)).toEqual(Object.keys(c.param_grads));
        for (const [name, g] of Object.entries(c.param_grads)) expectClose(params[name].grad!, g, 1e-12);
      });
    });
  }
});

class Net extends nn.Module {
  embed = new nn.Embedding(10, 4, { padding_idx: 0 });
  body = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(8, 8, { bias: false }));
  heads = new nn.ModuleDict({ cls: new nn.Linear(8, 3), reg: new nn.Linear(8, 1) });
  extra = new nn.ModuleList([new nn.Tanh(), new nn.GELU({ approximate: "tanh" })]);
  act = new nn.LeakyReLU(0.2);
  override forward(x: Tensor) { return x; }
}

const MODELS: Record<string, () => nn.Module> = {
  Net: () => new Net(),
  Sequential: () => new nn.Sequential(new nn.Flatten(), new nn.Linear(6, 5), new nn.Softmax(1)),
  NamedSequential: () => new nn.Sequential({ fc: new nn.Linear(2, 2), act: new nn.Sigmoid(), out: new nn.Unflatten(1, [1, 2]) }),
  Bilinear: () => new nn.Bilinear(2, 3, 4, { bias: false }),
  Empty: () => new nn.Identity(),
  CNN: () => new nn.Sequential(new nn.Conv2d(1, 8, 5), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, [5, 3], { padding: 2, bias: false, groups: 2 }), new nn.BatchNorm2d(16), new nn.AvgPool2d(2),
    new nn.Conv1d(3, 3, 3, { padding: "same", dilation: 2 }), new nn.AdaptiveAvgPool2d(1),
    new nn.MaxPool2d(3, { stride: 1, padding: 1, ceil_mode: true }), new nn.Flatten(), new nn.LayerNorm(16), new nn.Linear(16, 10)),
};

describe("nested models print and name their members as PyTorch's", () => {
  for (const [name, expected] of Object.entries(data.reprs)) {
    test(name, () => {
      const model = MODELS[name]();
      expect(model.toString()).toBe(expected.repr);
      expect(Object.keys(model.state_dict())).toEqual(expected.state_keys);
      expect(model.named_parameters().map(([k, p]) => [k, p.shape])).toEqual(expected.parameters);
      expect(model.named_modules().map(([k]) => k)).toEqual(expected.modules);
    });
  }
});

describe("20 training steps match PyTorch's from the same initial weights (float32)", () => {
  const OPTIMIZERS = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW };
  for (const t of data.trajectories) {
    test(`${t.model}, ${t.optimizer} ${JSON.stringify(t.options)} on ${t.loss} ${JSON.stringify(t.loss_options)}`, () => {
      const model = t.model === "mlp"
        ? new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3))
        : new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(4, 8, 3),
          new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(8, 3));
      model.load_state_dict(Object.fromEntries(Object.entries(t.initial).map(([k, v]) => [k, decode(v, "float32")])));
      const opt = new OPTIMIZERS[t.optimizer](model.parameters(), t.options as { lr: number });
      const lossFn = t.loss === "CrossEntropyLoss" ? new nn.CrossEntropyLoss(t.loss_options) : new nn.MSELoss();
      const x = decode(t.model === "mlp" ? data.data.x : data.data.images, "float32");
      const classes = decode(t.model === "mlp" ? data.data.classes : data.data.image_classes);
      const target = t.loss === "CrossEntropyLoss" ? classes : nn.functional.one_hot(classes, 3).float();
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        scope(() => {
          opt.zero_grad();
          const loss = lossFn.call(model.call(x), target);
          loss.backward();
          opt.step();
          losses.push(loss.item());
        });
      }
      losses.forEach((l, i) => expect(Math.abs(l - t.losses[i])).toBeLessThan(2e-6 * (1 + Math.abs(t.losses[i]))));
      expect(losses[19]).toBeLessThan(losses[0]);
      const final = model.state_dict();
      for (const [k, e] of Object.entries(t.final)) expectClose(final[k], e, 2e-5);
    });
  }
});

describe("Module", () => {
  class Pair extends nn.Module {
    shared = new nn.Linear(2, 2);
    again = this.shared; // the same module twice: its parameters count once
    scale = new nn.Parameter(tensor([2]));
    constant = tensor([1, 2]); // a plain tensor field is neither parameter nor buffer
    constructor() {
      super();
      this.register_buffer("steps", tensor([0]));
      this.register_buffer("cache", tensor([5]), { persistent: false });
    }
    override forward(x: Tensor) { return this.shared.call(x).mul(this.scale); }
  }

  test("members: parameters once each, buffers, persistent buffers in the state dict", () => {
    const m = new Pair();
    // PyTorch's order: each module's own members (parameters, then buffers), then its children's
    expect(m.named_parameters().map(([k]) => k)).toEqual(["scale", "shared.weight", "shared.bias"]);
    expect(m.named_buffers().map(([k]) => k)).toEqual(["steps", "cache"]);
    expect(Object.keys(m.state_dict())).toEqual(["scale", "steps", "shared.weight", "shared.bias"]);
    expect(m.children()).toEqual([m.shared]);
    expect(m.parameters({ recurse: false })).toEqual([m.scale]);
  });

  test("a subclass's forward runs through call(), with its gradient", () => {
    const m = new Pair();
    const x = tensor([[1, -1]]);
    const out = m.call(x);
    const expected = x.matmul(m.shared.weight.t()).add(m.shared.bias as Tensor).mul(2);
    expect(Array.from(out.toTypedArray())).toEqual(Array.from(expected.toTypedArray()));
    out.sum().backward();
    expect(m.scale.grad!.item()).toBeCloseTo(expected.sum().item() / 2, 5);
  });

  test("train(), eval() reach every submodule; Dropout acts only in training", () => {
    const model = new Net();
    expect(model.modules().every((m) => m.training)).toBe(true);
    model.eval();
    expect(model.modules().some((m) => m.training)).toBe(false);
    const drop = new nn.Dropout(0.5).eval();
    const x = tensor([1, 2, 3]);
    expect(Array.from(drop.call(x).toTypedArray())).toEqual([1, 2, 3]);
    drop.train();
    const y = Array.from(drop.call(tensor(new Float32Array(1000).fill(1))).toTypedArray());
    expect(y.every((v) => v === 0 || v === 2)).toBe(true);
    expect(y.filter((v) => v === 0).length).toBeGreaterThan(400);
    expect(y.filter((v) => v === 0).length).toBeLessThan(600);
  });

  test("zero_grad, requires_grad_, apply", () => {
    const m = new Pair();
    m.call(tensor([[1, 2]])).sum().backward();
    expect(m.scale.grad).not.toBeNull();
    m.zero_grad();
    expect(m.scale.grad!.item()).toBe(0);
    m.zero_grad({ set_to_none: true });
    expect(m.scale.grad).toBeNull();
    m.requires_grad_(false);
    expect(m.parameters().some((p) => p.requires_grad)).toBe(false);
    const seen: string[] = [];
    new Net().apply((mod) => seen.push(mod._name()));
    expect(seen.slice(0, 2)).toEqual(["Embedding", "Linear"]);
    expect(seen[seen.length - 1]).toBe("Net");
  });

  test("forward hooks and pre-hooks, with remove()", () => {
    const m = new nn.Linear(2, 1);
    const calls: string[] = [];
    const pre = m.register_forward_pre_hook((_mod, args) => { calls.push("pre"); return [(args[0] as Tensor).mul(0)]; });
    const post = m.register_forward_hook((mod, _args, out) => { calls.push("post"); return (out as Tensor).sub(mod.bias as Tensor); });
    expect(m.call(tensor([[3, 4]])).item()).toBe(0);
    expect(calls).toEqual(["pre", "post"]);
    pre.remove();
    post.remove();
    const plain = m.call(tensor([[3, 4]])).item();
    const w = m.weight.tolist() as number[][];
    expect(plain).toBeCloseTo(3 * w[0][0] + 4 * w[0][1] + m.bias!.item(), 5);
    expect(calls.length).toBe(2);
  });

  test("to(float64) converts parameters and buffers", () => {
    const m = new Pair().double();
    expect(m.parameters().map((p) => p.dtype)).toEqual(["float64", "float64", "float64"]);
    expect(m.buffers().every((b) => b.dtype === "float64")).toBe(true);
    expect(m.shared.weight).toBeInstanceOf(nn.Parameter);
    expect(m.shared.weight.requires_grad).toBe(true);
    expect(() => m.to("int32")).toThrow("nn.Module.to only accepts floating point dtypes, but got desired dtype=int32");
  });

  test("load_state_dict copies values, and refuses as PyTorch does", () => {
    const a = new nn.Linear(3, 2), b = new nn.Linear(3, 2);
    b.load_state_dict(a.state_dict());
    expect(b.weight.tolist()).toEqual(a.weight.tolist());
    expect(b.bias!.tolist()).toEqual(a.bias!.tolist());
    expect(() => b.load_state_dict({ weight: a.weight })).toThrow(
      'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". ');
    expect(() => b.load_state_dict({ ...a.state_dict(), extra: a.weight })).toThrow('Unexpected key(s) in state_dict: "extra". ');
    expect(() => b.load_state_dict({ weight: tensor([[1, 2]]), bias: a.bias! })).toThrow(
      "size mismatch for weight: copying a param with shape [1, 2] from checkpoint, the shape in current model is [2, 3].");
    expect(b.load_state_dict({ weight: a.weight, extra: a.bias! }, { strict: false }))
      .toEqual({ missing_keys: ["bias"], unexpected_keys: ["extra"] });
  });

  test("a module without forward, and bad members, are refused clearly", () => {
    expect(() => new nn.ModuleList([new nn.ReLU()]).call(tensor([1]))).toThrow(
      'Module [ModuleList] is missing the required "forward" function');
    const m = new nn.Module();
    expect(() => m.register_buffer("a.b", tensor([1]))).toThrow(`name can't be empty or contain "."`);
    expect(() => m.register_buffer("forward", tensor([1]))).toThrow("attribute 'forward' already exists");
    expect(() => new nn.Sequential(new nn.ReLU(), 3 as unknown as nn.Module)).toThrow("Sequential(): item 1 is number 3, not a Module subclass");
    expect(() => new nn.Linear(2.5, 1)).toThrow("in_features must be a non-negative integer");
    expect(() => new nn.Dropout(1.5)).toThrow("dropout probability has to be between 0 and 1, but got 1.5");
  });

  test("containers: indexing, append, insert, dict access", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    expect(seq.at(-1)).toBeInstanceOf(nn.ReLU);
    seq.append(new nn.Tanh());
    expect(seq.length).toBe(3);
    expect([...seq].map((m) => m._name())).toEqual(["Linear", "ReLU", "Tanh"]);
    expect(() => seq.at(3)).toThrow("index 3 is out of range");
    const list = new nn.ModuleList();
    list.append(new nn.Linear(1, 1)).extend([new nn.Linear(1, 2)]);
    list.insert(0, new nn.Linear(2, 1));
    expect(list.named_parameters().map(([k]) => k)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]);
    const dict = new nn.ModuleDict({ a: new nn.ReLU() });
    dict.set("b", new nn.Tanh());
    expect(dict.keys()).toEqual(["a", "b"]);
    expect(dict.get("b")).toBeInstanceOf(nn.Tanh);
    expect(() => dict.get("c")).toThrow("no module named 'c'");
  });

  test("Parameter: a leaf that requires grad, holding a copy of its data", () => {
    const data = tensor([1, 2]);
    const p = new nn.Parameter(data);
    expect(p.requires_grad).toBe(true);
    expect(p.is_leaf).toBe(true);
    expect(new nn.Parameter(data, false).requires_grad).toBe(false);
    expect(p.toString()).toBe("Parameter containing:\ntensor([1., 2.], requires_grad=True)");
    expect(() => new nn.Parameter(tensor([1], { dtype: "int32" }))).toThrow("only Tensors of floating point dtype can require gradients");
  });

  test("a training step inside scope leaks nothing", () => {
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = tensor(new Float32Array(40).map((_, i) => Math.sin(i)), { shape: [10, 4] });
    const y = tensor(Int32Array.from({ length: 10 }, (_, i) => i % 3));
    const lossFn = new nn.CrossEntropyLoss();
    const step = () => scope(() => { opt.zero_grad(); const l = lossFn.call(model.call(x), y); l.backward(); opt.step(); });
    step();
    const before = memory().tensors;
    for (let i = 0; i < 5; i++) step();
    expect(memory().tensors).toBe(before);
  });
});

describe("init", () => {
  const stats = (t: Tensor) => {
    const v = Array.from(t.toTypedArray(), Number);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    return { mean, std, min: Math.min(...v), max: Math.max(...v) };
  };

  test("Linear's default: U(±1/√fan_in) for weight and bias", () => {
    manual_seed(3);
    const layer = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    for (const p of [layer.weight, layer.bias!]) {
      const s = stats(p);
      // float32 samples of U(-b, b) lie within b rounded to float32
      expect(s.max).toBeLessThanOrEqual(Math.fround(bound));
      expect(s.min).toBeGreaterThanOrEqual(-Math.fround(bound));
    }
    const s = stats(layer.weight);
    expect(s.max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(s.std - bound / Math.sqrt(3))).toBeLessThan(0.01 * bound);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * bound);
  });

  test("xavier, kaiming and normal have their standard deviations", () => {
    const w = tensor(new Float32Array(200 * 300), { shape: [200, 300] });
    const cases: [() => void, number][] = [
      [() => nn.init.xavier_uniform_(w, 2), 2 * Math.sqrt(2 / 500)],
      [() => nn.init.xavier_normal_(w), Math.sqrt(2 / 500)],
      [() => nn.init.kaiming_uniform_(w, { nonlinearity: "relu" }), Math.sqrt(2) / Math.sqrt(300)],
      [() => nn.init.kaiming_normal_(w, { mode: "fan_out", nonlinearity: "relu" }), Math.sqrt(2) / Math.sqrt(200)],
      [() => nn.init.normal_(w, 1, 0.5), 0.5],
      // N(0, 1) truncated to [-1, 1]: variance 1 - 2 φ(1) / (Φ(1) - Φ(-1)), with Φ(1) - Φ(-1) = 0.682689492137
      [() => nn.init.trunc_normal_(w, 0, 1, -1, 1), Math.sqrt(1 - (2 * Math.exp(-0.5) / Math.sqrt(2 * Math.PI)) / 0.682689492137)],
    ];
    for (const [init, std] of cases) {
      init();
      expect(Math.abs(stats(w).std - std)).toBeLessThan(0.02 * std);
    }
    expect(stats(nn.init.trunc_normal_(w, 0, 1, -1, 1)).max).toBeLessThanOrEqual(1);
  });

  test("orthogonal_ gives orthonormal rows or columns, times gain", () => {
    for (const shape of [[6, 4], [4, 6], [3, 2, 2]]) {
      const w = nn.init.orthogonal_(tensor(new Float64Array(shape.reduce((a, b) => a * b)), { shape }), 2).flatten(1);
      const gram = w.shape[0] >= w.shape[1] ? w.t().matmul(w) : w.matmul(w.t());
      const n = gram.shape[0];
      const g = gram.tolist() as number[][];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g[i][j]).toBeCloseTo(i === j ? 4 : 0, 10);
    }
  });

  test("calculate_gain, constants and errors", () => {
    expect(nn.init.calculate_gain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(nn.init.calculate_gain("tanh")).toBe(5 / 3);
    expect(nn.init.eye_(tensor(new Float32Array(6), { shape: [2, 3] })).tolist()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(nn.init.constant_(tensor([1, 2]), 0.5).tolist()).toEqual([0.5, 0.5]);
    expect(() => nn.init.xavier_uniform_(tensor([1, 2]))).toThrow(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  });
});
