// wasmgrad/optim: PyTorch 1.13's optimizers with its formulas, defaults and option names
// (SGD, Adam, AdamW, RMSprop, Adagrad), parameter groups, zero_grad and state dicts. Each
// step updates the parameters in place under no_grad, with the in-place ops of the core.

import { Tensor } from "./tensor.js";
import { no_grad } from "./autograd.js";
import { zeros_like } from "./create.js";
import { checkOptions } from "./options.js";
import { describe } from "./shape.js";
import { keep, scope } from "./lifetime.js";

/** A group of parameters with its own options (any option left out takes the optimizer's default). */
export type ParamGroup<O> = Partial<O> & { params: Tensor[] };
type Params<O> = Tensor[] | ParamGroup<O>[];
type State = Record<string, Tensor | number>;

export interface OptimizerStateDict<O> {
  /** Per parameter (by its index over all groups): its buffers and step count. */
  state: Record<number, State>;
  /** Each group's options, and its parameters as indices. */
  param_groups: (O & { params: number[] })[];
}

type OptionTypes = Record<string, "number" | "boolean" | { expected: string; test: (v: unknown) => boolean }>;

/** The base of the optimizers: parameter groups with options, per-parameter state. */
export abstract class Optimizer<O extends object> {
  readonly param_groups: (O & { params: Tensor[] })[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  readonly state = new Map<Tensor, State>();

  protected constructor(protected readonly name: string, params: Params<O>, readonly defaults: O, types: OptionTypes) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${name}(): optimizer got an empty parameter list`);
    }
    const groups: ParamGroup<O>[] = params[0] instanceof Tensor ? [{ params: params as Tensor[] } as ParamGroup<O>] : params as ParamGroup<O>[];
    for (const group of groups) this.add_param_group(group, types);
  }

  /** Adds a group of parameters (with its own options) to optimize. */
  add_param_group(group: ParamGroup<O>, types?: OptionTypes): void {
    const { params, ...options } = group;
    if (types) checkOptions(this.name, options, types);
    if (!Array.isArray(params)) throw new TypeError(`${this.name}(): a parameter group's params must be an array of Tensors`);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}(): params[${i}] is ${describe(p)}, not a Tensor`);
      if (!p.is_leaf) throw new Error(`${this.name}(): can't optimize a non-leaf Tensor`);
      if (this.param_groups.some((g) => g.params.includes(p))) {
        throw new Error(`${this.name}(): some parameters appear in more than one parameter group`);
      }
    });
    const full = { ...this.defaults, ...options, params: params.slice() } as O & { params: Tensor[] };
    this.validate(full);
    this.param_groups.push(full);
  }

  /** Clears the gradients: zeroes them in place, or with set_to_none drops them (PyTorch 1.13's default is false). */
  zero_grad(options: { set_to_none?: boolean } = {}): void {
    checkOptions("zero_grad", options, { set_to_none: "boolean" });
    for (const group of this.param_groups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (options.set_to_none) p.grad = null;
        else p.grad.zero_();
      }
    }
  }

  /** One update of every parameter that has a gradient; `closure` recomputes the loss first, as in PyTorch. */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = closure === undefined ? undefined : closure();
    no_grad(() => {
      for (const group of this.param_groups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          let state = this.state.get(p);
          if (state === undefined) this.state.set(p, state = {});
          const s = state, grad = p.grad;
          // the update's temporaries are released; the state's tensors outlive any scope around step()
          scope(() => { this.update(p, grad, s, group); keep(Object.values(s).filter((v): v is Tensor => v instanceof Tensor)); });
        }
      }
    });
    return loss;
  }

  /** The optimizer's state, with parameters named by their index over all groups. */
  state_dict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const param_groups = this.param_groups.map((g) => ({
      ...g, params: g.params.map((p) => { if (!index.has(p)) index.set(p, index.size); return index.get(p)!; }),
    }));
    const state: Record<number, State> = {};
    for (const [p, s] of this.state) {
      state[index.get(p)!] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Tensor ? v.clone() : v]));
    }
    return { state, param_groups } as OptimizerStateDict<O>;
  }

  /** Restores a state_dict() of an optimizer over parameters of the same shapes, in the same groups. */
  load_state_dict(dict: OptimizerStateDict<O>): void {
    if (dict.param_groups.length !== this.param_groups.length) {
      throw new Error(`${this.name}.load_state_dict(): loaded state dict has a different number of parameter groups`);
    }
    const params: Tensor[] = [];
    dict.param_groups.forEach((g, i) => {
      const mine = this.param_groups[i];
      if (g.params.length !== mine.params.length) {
        throw new Error(`${this.name}.load_state_dict(): loaded state dict contains a parameter group that doesn't match the size of optimizer's group`);
      }
      const { params: _ids, ...options } = g;
      Object.assign(mine, options);
      params.push(...mine.params);
    });
    this.state.clear();
    for (const [k, s] of Object.entries(dict.state)) {
      const p = params[Number(k)];
      this.state.set(p, Object.fromEntries(Object.entries(s).map(([name, v]) => [name, v instanceof Tensor ? keep(v.to(p.dtype).clone()) : v])));
    }
  }

  protected abstract validate(group: O): void;
  protected abstract update(p: Tensor, grad: Tensor, state: State, group: O): void;
}

const nonNegative = (name: string, op: string, v: number) => {
  if (!(v >= 0)) throw new RangeError(`${op}(): Invalid ${name}: ${v}`);
};
const betasType = { expected: "a pair of numbers", test: (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === "number") };

// ---- SGD -------------------------------------------------------------------------------------

export interface SGDOptions { lr: number; momentum: number; dampening: number; weight_decay: number; nesterov: boolean; maximize: boolean }
const SGD_TYPES: OptionTypes = { lr: "number", momentum: "number", dampening: "number", weight_decay: "number", nesterov: "boolean", maximize: "boolean" };

/** Stochastic gradient descent, with momentum (and Nesterov's), dampening and weight decay, as torch.optim.SGD. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    checkOptions("SGD", options, SGD_TYPES);
    if (options?.lr === undefined) throw new TypeError("SGD(): required argument 'lr' is missing");
    super("SGD", params, { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false, ...options }, SGD_TYPES);
  }

  protected validate(g: SGDOptions): void {
    nonNegative("learning rate", "SGD", g.lr);
    nonNegative("momentum value", "SGD", g.momentum);
    nonNegative("weight_decay value", "SGD", g.weight_decay);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new Error("SGD(): Nesterov momentum requires a momentum and zero dampening");
    }
  }

  protected update(p: Tensor, grad: Tensor, state: State, g: SGDOptions): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weight_decay !== 0) d = d.add(p.mul(g.weight_decay));
    if (g.momentum !== 0) {
      let buf = state.momentum_buffer as Tensor | undefined;
      if (buf === undefined) state.momentum_buffer = buf = d.clone();
      else buf.mul_(g.momentum).add_(d, { alpha: 1 - g.dampening });
      d = g.nesterov ? d.add(buf.mul(g.momentum)) : buf;
    }
    p.add_(d, { alpha: -g.lr });
  }
}

// ---- Adam, AdamW -------------------------------------------------------------------------------

export interface AdamOptions { lr: number; betas: [number, number]; eps: number; weight_decay: number; amsgrad: boolean; maximize: boolean }
const ADAM_TYPES: OptionTypes = { lr: "number", betas: betasType, eps: "number", weight_decay: "number", amsgrad: "boolean", maximize: "boolean" };

/** Adam (Kingma and Ba), with amsgrad, as torch.optim.Adam; weight decay is added to the gradient (L2). */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}, name = "Adam", decoupledDecay = 0) {
    checkOptions(name, options, ADAM_TYPES);
    super(name, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: decoupledDecay, amsgrad: false, maximize: false, ...options }, ADAM_TYPES);
  }

  protected decoupled = false;

  protected validate(g: AdamOptions): void {
    const op = this.name;
    nonNegative("learning rate", op, g.lr);
    nonNegative("epsilon value", op, g.eps);
    g.betas.forEach((b, i) => { if (!(b >= 0 && b < 1)) throw new RangeError(`${op}(): Invalid beta parameter at index ${i}: ${b}`); });
    nonNegative("weight_decay value", op, g.weight_decay);
  }

  protected update(p: Tensor, grad: Tensor, state: State, g: AdamOptions): void {
    const [beta1, beta2] = g.betas;
    let d = g.maximize ? grad.neg() : grad;
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = zeros_like(p);
      state.exp_avg_sq = zeros_like(p);
      if (g.amsgrad) state.max_exp_avg_sq = zeros_like(p);
    }
    const step = (state.step as number) + 1;
    state.step = step;
    if (this.decoupled) p.mul_(1 - g.lr * g.weight_decay);
    else if (g.weight_decay !== 0) d = d.add(p.mul(g.weight_decay));
    const expAvg = state.exp_avg as Tensor, expAvgSq = state.exp_avg_sq as Tensor;
    expAvg.mul_(beta1).add_(d, { alpha: 1 - beta1 });
    expAvgSq.mul_(beta2).addcmul_(d, d, { value: 1 - beta2 });
    const stepSize = g.lr / (1 - beta1 ** step);
    const correction2 = Math.sqrt(1 - beta2 ** step);
    let second = expAvgSq;
    if (g.amsgrad) {
      const best = state.max_exp_avg_sq as Tensor;
      best.copy_(best.maximum(expAvgSq));
      second = best;
    }
    const denom = second.sqrt().div(correction2).add(g.eps);
    p.addcdiv_(expAvg, denom, { value: -stepSize });
  }
}

/** AdamW (Loshchilov and Hutter): Adam with the weight decay applied to the parameters, as torch.optim.AdamW. */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, options, "AdamW", 1e-2);
    this.decoupled = true;
  }
}

// ---- RMSprop, Adagrad ----------------------------------------------------------------------------

export interface RMSpropOptions { lr: number; alpha: number; eps: number; weight_decay: number; momentum: number; centered: boolean; maximize: boolean }
const RMSPROP_TYPES: OptionTypes = { lr: "number", alpha: "number", eps: "number", weight_decay: "number", momentum: "number", centered: "boolean", maximize: "boolean" };

/** RMSprop (Hinton), centered and with momentum, as torch.optim.RMSprop. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    checkOptions("RMSprop", options, RMSPROP_TYPES);
    super("RMSprop", params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false, maximize: false, ...options }, RMSPROP_TYPES);
  }

  protected validate(g: RMSpropOptions): void {
    for (const [name, v] of [["learning rate", g.lr], ["epsilon value", g.eps], ["momentum value", g.momentum], ["weight_decay value", g.weight_decay], ["alpha value", g.alpha]] as const) {
      nonNegative(name, "RMSprop", v);
    }
  }

  protected update(p: Tensor, grad: Tensor, state: State, g: RMSpropOptions): void {
    let d = g.maximize ? grad.neg() : grad;
    if (state.step === undefined) {
      state.step = 0;
      state.square_avg = zeros_like(p);
      if (g.momentum > 0) state.momentum_buffer = zeros_like(p);
      if (g.centered) state.grad_avg = zeros_like(p);
    }
    state.step = (state.step as number) + 1;
    if (g.weight_decay !== 0) d = d.add(p.mul(g.weight_decay));
    const squareAvg = state.square_avg as Tensor;
    squareAvg.mul_(g.alpha).addcmul_(d, d, { value: 1 - g.alpha });
    let avg: Tensor;
    if (g.centered) {
      const gradAvg = state.grad_avg as Tensor;
      gradAvg.mul_(g.alpha).add_(d, { alpha: 1 - g.alpha });
      avg = squareAvg.addcmul(gradAvg, gradAvg, { value: -1 }).sqrt();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add(g.eps);
    if (g.momentum > 0) {
      const buf = state.momentum_buffer as Tensor;
      buf.mul_(g.momentum).addcdiv_(d, avg);
      p.add_(buf, { alpha: -g.lr });
    } else {
      p.addcdiv_(d, avg, { value: -g.lr });
    }
  }
}

export interface AdagradOptions { lr: number; lr_decay: number; weight_decay: number; initial_accumulator_value: number; eps: number; maximize: boolean }
const ADAGRAD_TYPES: OptionTypes = { lr: "number", lr_decay: "number", weight_decay: "number", initial_accumulator_value: "number", eps: "number", maximize: "boolean" };

/** Adagrad (Duchi et al.), as torch.optim.Adagrad. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    checkOptions("Adagrad", options, ADAGRAD_TYPES);
    super("Adagrad", params, { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10, maximize: false, ...options }, ADAGRAD_TYPES);
  }

  protected validate(g: AdagradOptions): void {
    for (const [name, v] of [["learning rate", g.lr], ["lr_decay value", g.lr_decay], ["weight_decay value", g.weight_decay], ["initial_accumulator_value value", g.initial_accumulator_value], ["epsilon value", g.eps]] as const) {
      nonNegative(name, "Adagrad", v);
    }
  }

  protected update(p: Tensor, grad: Tensor, state: State, g: AdagradOptions): void {
    let d = g.maximize ? grad.neg() : grad;
    if (state.step === undefined) {
      state.step = 0;
      state.sum = zeros_like(p).add_(g.initial_accumulator_value);
    }
    const step = (state.step as number) + 1;
    state.step = step;
    if (g.weight_decay !== 0) d = d.add(p.mul(g.weight_decay));
    const clr = g.lr / (1 + (step - 1) * g.lr_decay);
    const sum = state.sum as Tensor;
    sum.addcmul_(d, d, { value: 1 });
    p.addcdiv_(d, sum.sqrt().add(g.eps), { value: -clr });
  }
}

export * as lr_scheduler from "./lr-scheduler.js";
