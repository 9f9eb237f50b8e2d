// wasmgrad/optim against PyTorch 1.13's optimizers (test/fixtures/optim.json, from
// generate_optim.py): the same fixed gradients for 6 steps, two parameter groups (the
// second with half the lr), every parameter value after every step; then zero_grad, state
// dicts, a training run, and the refusals.
import { describe, expect, test } from "vitest";
import { memory, nn, optim, scope, tensor, type Tensor } from "../bindings/index.js";
import * as direct from "../bindings/optim.js";
import fixture from "./fixtures/optim.json" with { type: "json" };

interface Case { optimizer: keyof typeof OPTIMIZERS; options: Record<string, unknown>; second_lr: number; trajectory: number[][][] }
const OPTIMIZERS = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop, Adagrad: optim.Adagrad };
interface Schedule { scheduler: string; optimizer: "SGD" | "Adam"; args: Record<string, unknown>; rows: [number, number][][] }
const data = fixture as unknown as {
  params: { shape: number[]; values: number[] }[]; grads: number[][][]; cases: Case[]; schedules: Schedule[];
  clipping: { norm_type: number | "inf"; max_norm: number; total: number; grads: number[][] }[];
  clip_value: { clip_value: number; grads: number[][] };
};

const params = () => data.params.map((p) => tensor(Float64Array.from(p.values), { shape: p.shape, requires_grad: true }));
type Constructor = new (params: direct.ParamGroup<{ lr: number }>[], options: Record<string, unknown>) => direct.Optimizer<object>;
const make = (c: Case, ps: Tensor[]) =>
  new (OPTIMIZERS[c.optimizer] as unknown as Constructor)([{ params: [ps[0]] }, { params: [ps[1]], lr: c.second_lr }], c.options);

function run(c: Case, opt: direct.Optimizer<object>, ps: Tensor[], from: number, to: number) {
  for (let k = from; k < to; k++) {
    // the step's gradient, set through backward (d sum(p * g) / dp = g)
    opt.zero_grad({ set_to_none: true });
    ps.forEach((p, i) => p.mul(tensor(Float64Array.from(data.grads[k][i]), { shape: p.shape })).sum().backward());
    opt.step();
    ps.forEach((p, i) => {
      const got = Array.from(p.toTypedArray() as Float64Array);
      c.trajectory[k][i].forEach((v, j) => expect(Math.abs(got[j] - v), `step ${k + 1}, param ${i}[${j}]`).toBeLessThan(1e-12 * Math.max(1, Math.abs(v))));
    });
  }
}

describe("each optimizer follows PyTorch's trajectory", () => {
  test.each(data.cases.map((c) => [`${c.optimizer} ${JSON.stringify(c.options)}`, c] as const))("%s", (_name, c) => {
    const ps = params();
    run(c, make(c, ps), ps, 0, 6);
  });

  test.each(data.cases.map((c) => [`${c.optimizer} ${JSON.stringify(c.options)}`, c] as const))("%s, resumed from a state dict after 3 steps", (_name, c) => {
    const ps = params();
    const first = make(c, ps);
    run(c, first, ps, 0, 3);
    const saved = first.state_dict();
    const again = make(c, ps);
    again.load_state_dict(saved);
    run(c, again, ps, 3, 6);
  });
});

describe("the lr schedules follow PyTorch's", () => {
  const S = optim.lr_scheduler;
  // each schedule, built from the fixture's arguments
  const SCHEDULES: Record<string, (o: direct.Optimizer<object>, a: Record<string, unknown>) => { step(): void }> = {
    StepLR: (o, a) => new S.StepLR(o, a.step_size as number, a.gamma as number),
    MultiStepLR: (o, a) => new S.MultiStepLR(o, a.milestones as number[], a.gamma as number),
    ExponentialLR: (o, a) => new S.ExponentialLR(o, a.gamma as number),
    CosineAnnealingLR: (o, a) => new S.CosineAnnealingLR(o, a.T_max as number, a.eta_min as number),
    LambdaLR: (o) => new S.LambdaLR(o, (e) => 1 / (1 + e)),
    OneCycleLR: (o, a) => { const { max_lr, ...rest } = a; return new S.OneCycleLR(o, max_lr as number, rest); },
  };
  test.each(data.schedules.map((c) => [`${c.scheduler} ${JSON.stringify(c.args)} on ${c.optimizer}`, c] as const))("%s", (_name, c) => {
    const ps = params();
    const groups = [{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05 }];
    const opt = c.optimizer === "SGD" ? new optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new optim.Adam(groups, { lr: 0.01 });
    const schedule = SCHEDULES[c.scheduler](opt as unknown as direct.Optimizer<object>, c.args);
    c.rows.forEach((row, k) => {
      opt.step();
      schedule.step();
      row.forEach(([lr, momentum], i) => {
        const g = opt.param_groups[i] as unknown as { lr: number; momentum?: number; betas?: number[] };
        expect(Math.abs(g.lr - lr), `step ${k + 1}, group ${i}: lr ${g.lr} vs ${lr}`).toBeLessThan(1e-15);
        const m = c.optimizer === "SGD" ? g.momentum! : g.betas![0];
        expect(Math.abs(m - momentum), `step ${k + 1}, group ${i}: momentum`).toBeLessThan(1e-15);
      });
    });
  });

  test("OneCycleLR refuses to step past its total", () => {
    const opt = new optim.SGD([tensor([1], { requires_grad: true })], { lr: 0.1, momentum: 0.9 });
    const s = new S.OneCycleLR(opt, 1, { total_steps: 2 });
    s.step();
    s.step();
    expect(() => s.step()).toThrow("Tried to step 4 times. The specified number of total steps is 2");
  });
});

describe("gradient clipping matches PyTorch's", () => {
  const withGrads = () => {
    const ps = params();
    ps.forEach((p, i) => p.mul(tensor(Float64Array.from(data.grads[0][i]), { shape: p.shape })).sum().backward());
    return ps;
  };
  const expectGrads = (ps: Tensor[], want: number[][]) => ps.forEach((p, i) => {
    const got = Array.from(p.grad!.toTypedArray() as Float64Array);
    want[i].forEach((v, j) => expect(Math.abs(got[j] - v)).toBeLessThan(1e-12));
  });
  test.each(data.clipping.map((c) => [`clip_grad_norm_ to ${c.max_norm}, norm ${c.norm_type}`, c] as const))("%s", (_name, c) => {
    const ps = withGrads();
    const total = nn.utils.clip_grad_norm_(ps, c.max_norm, { norm_type: c.norm_type === "inf" ? Infinity : c.norm_type });
    expect(total.item()).toBeCloseTo(c.total, 12);
    expectGrads(ps, c.grads);
  });
  test("clip_grad_value_", () => {
    const ps = withGrads();
    nn.utils.clip_grad_value_(ps, data.clip_value.clip_value);
    expectGrads(ps, data.clip_value.grads);
  });
  test("a non-finite norm is refused when asked", () => {
    const p = tensor([1, 2], { requires_grad: true });
    p.mul(tensor([Infinity, 1])).sum().backward();
    expect(() => nn.utils.clip_grad_norm_(p, 1, { error_if_nonfinite: true })).toThrow("is non-finite, so it cannot be clipped");
  });
});

describe("the optimizer API", () => {
  test("zero_grad zeroes in place, or drops the gradients with set_to_none", () => {
    const p = tensor([1, 2], { requires_grad: true });
    p.mul(p).sum().backward();
    const opt = new optim.SGD([p], { lr: 0.1 });
    const g = p.grad!;
    opt.zero_grad();
    expect(p.grad).toBe(g);
    expect(g.tolist()).toEqual([0, 0]);
    opt.zero_grad({ set_to_none: true });
    expect(p.grad).toBeNull();
  });

  test("a training loop converges, and each step releases its temporaries", () => {
    const w = tensor([3, -2], { dtype: "float64", requires_grad: true });
    const opt = new optim.Adam([w], { lr: 0.1 });
    const step = () => {
      opt.zero_grad();
      scope(() => w.sub(tensor([1, 1], { dtype: "float64" })).square().sum().backward());
      opt.step();
    };
    for (let i = 0; i < 5; i++) step();
    const before = memory().tensors;
    for (let i = 0; i < 300; i++) step();
    expect(memory().tensors).toBe(before);
    (w.tolist() as number[]).forEach((v) => expect(v).toBeCloseTo(1, 3));
  });

  test("the subpath module is the namespace", () => {
    expect(direct.SGD).toBe(optim.SGD);
  });

  test.each([
    ["SGD without lr", () => new optim.SGD([tensor([1], { requires_grad: true })], {} as never), "required argument 'lr' is missing"],
    ["a negative lr", () => new optim.Adam([tensor([1], { requires_grad: true })], { lr: -1 }), "Invalid learning rate: -1"],
    ["Nesterov without momentum", () => new optim.SGD([tensor([1], { requires_grad: true })], { lr: 1, nesterov: true }), "Nesterov momentum requires a momentum and zero dampening"],
    ["a beta of 1", () => new optim.Adam([tensor([1], { requires_grad: true })], { betas: [0.9, 1] }), "Invalid beta parameter at index 1: 1"],
    ["an unknown option", () => new optim.Adam([tensor([1], { requires_grad: true })], { beta: 0.9 } as never), "unexpected option 'beta'"],
    ["no parameters", () => new optim.Adam([]), "optimizer got an empty parameter list"],
    ["a non-leaf", () => new optim.Adam([tensor([1], { requires_grad: true }).mul(2)]), "can't optimize a non-leaf Tensor"],
    ["a parameter twice", () => { const p = tensor([1], { requires_grad: true }); return new optim.Adam([{ params: [p] }, { params: [p] }]); },
      "some parameters appear in more than one parameter group"],
  ] as const)("%s is refused", (_name, build, message) => {
    expect(build).toThrow(message);
  });
});
