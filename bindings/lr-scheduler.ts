// optim.lr_scheduler: PyTorch 1.13's learning-rate schedules (StepLR, MultiStepLR,
// ExponentialLR, CosineAnnealingLR, LambdaLR, OneCycleLR), computed as PyTorch computes
// them (the recursive forms where PyTorch uses them), so the rates agree to the last bits.
// A scheduler sets each parameter group's lr; call step() once per epoch (per batch for
// OneCycleLR), after the optimizer's step.

import type { Optimizer } from "./optim.js";
import { checkOptions } from "./options.js";

type Group = Record<string, unknown> & { lr: number };

/** The base of the schedules: the epoch count, each group's initial lr, and get_last_lr(). */
export abstract class LRScheduler {
  last_epoch: number;
  readonly base_lrs: number[];
  private lastLrs: number[] = [];

  protected constructor(readonly optimizer: Optimizer<object>, last_epoch = -1) {
    const groups = this.groups();
    if (last_epoch === -1) for (const g of groups) g.initial_lr = g.lr;
    this.base_lrs = groups.map((g) => g.initial_lr as number);
    this.last_epoch = last_epoch;
  }

  protected groups(): Group[] {
    return this.optimizer.param_groups as unknown as Group[];
  }

  // PyTorch's constructor ends with a first step (epoch 0); subclasses call it once set up.
  protected start(): void {
    this.step();
  }

  /** Moves to the next epoch and sets every group's lr. */
  step(): void {
    this.last_epoch++;
    const lrs = this.get_lr();
    this.groups().forEach((g, i) => { g.lr = lrs[i]; });
    this.lastLrs = lrs;
  }

  /** The lrs the last step() set. */
  get_last_lr(): number[] {
    return this.lastLrs.slice();
  }

  /** The rates for the current epoch (last_epoch), from the groups' current ones. */
  protected abstract get_lr(): number[];
}

/** lr times gamma every step_size epochs. */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly step_size: number, readonly gamma = 0.1, last_epoch = -1) {
    super(optimizer, last_epoch);
    this.start();
  }
  protected get_lr(): number[] {
    const groups = this.groups();
    if (this.last_epoch === 0 || this.last_epoch % this.step_size !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
}

/** lr times gamma at each of the milestones (epochs). */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly milestones: number[], readonly gamma = 0.1, last_epoch = -1) {
    super(optimizer, last_epoch);
    this.start();
  }
  protected get_lr(): number[] {
    const hits = this.milestones.filter((m) => m === this.last_epoch).length;
    return this.groups().map((g) => g.lr * this.gamma ** hits);
  }
}

/** lr times gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly gamma: number, last_epoch = -1) {
    super(optimizer, last_epoch);
    this.start();
  }
  protected get_lr(): number[] {
    return this.groups().map((g) => (this.last_epoch === 0 ? g.lr : g.lr * this.gamma));
  }
}

/** The lr annealed from its initial value to eta_min along half a cosine of T_max epochs (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly T_max: number, readonly eta_min = 0, last_epoch = -1) {
    super(optimizer, last_epoch);
    this.start();
  }
  protected get_lr(): number[] {
    const e = this.last_epoch, T = this.T_max, min = this.eta_min;
    return this.groups().map((g, i) => {
      if (e === 0) return g.lr;
      if ((e - 1 - T) % (2 * T) === 0) return g.lr + (this.base_lrs[i] - min) * (1 - Math.cos(Math.PI / T)) / 2;
      return (1 + Math.cos(Math.PI * e / T)) / (1 + Math.cos(Math.PI * (e - 1) / T)) * (g.lr - min) + min;
    });
  }
}

/** The initial lr times lr_lambda(epoch) (one function for all groups, or one per group). */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer<object>, lr_lambda: ((epoch: number) => number) | ((epoch: number) => number)[], last_epoch = -1) {
    super(optimizer, last_epoch);
    const n = optimizer.param_groups.length;
    this.lambdas = Array.isArray(lr_lambda) ? lr_lambda : Array.from({ length: n }, () => lr_lambda);
    if (this.lambdas.length !== n) throw new RangeError(`LambdaLR(): Expected ${n} lr_lambdas, but got ${this.lambdas.length}`);
    this.start();
  }
  protected get_lr(): number[] {
    return this.base_lrs.map((lr, i) => lr * this.lambdas[i](this.last_epoch));
  }
}

export interface OneCycleOptions {
  total_steps?: number; epochs?: number; steps_per_epoch?: number; pct_start?: number;
  anneal_strategy?: "cos" | "linear"; cycle_momentum?: boolean; base_momentum?: number; max_momentum?: number;
  div_factor?: number; final_div_factor?: number; three_phase?: boolean; last_epoch?: number;
}

interface Phase { end: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

/** The 1cycle policy (Smith): lr up to max_lr and back far below, momentum the other way; one step() per batch. */
export class OneCycleLR extends LRScheduler {
  readonly total_steps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycle_momentum: boolean;
  private readonly useBeta1: boolean;

  constructor(optimizer: Optimizer<object>, max_lr: number | number[], options: OneCycleOptions = {}) {
    checkOptions("OneCycleLR", options, {
      total_steps: "number", epochs: "number", steps_per_epoch: "number", pct_start: "number",
      anneal_strategy: { expected: '"cos" or "linear"', test: (v) => v === "cos" || v === "linear" }, cycle_momentum: "boolean",
      base_momentum: "number", max_momentum: "number", div_factor: "number", final_div_factor: "number",
      three_phase: "boolean", last_epoch: "number",
    });
    const o = { pct_start: 0.3, anneal_strategy: "cos", cycle_momentum: true, base_momentum: 0.85, max_momentum: 0.95,
      div_factor: 25, final_div_factor: 1e4, three_phase: false, last_epoch: -1, ...options };
    super(optimizer, -1);
    let total: number;
    if (o.total_steps !== undefined) {
      if (!(Number.isInteger(o.total_steps) && o.total_steps > 0)) throw new RangeError(`OneCycleLR(): Expected positive integer total_steps, but got ${o.total_steps}`);
      total = o.total_steps;
    } else if (o.epochs !== undefined && o.steps_per_epoch !== undefined) {
      total = o.epochs * o.steps_per_epoch;
    } else {
      throw new TypeError("OneCycleLR(): You must define either total_steps OR (epochs AND steps_per_epoch)");
    }
    this.total_steps = total;
    const up = o.pct_start * total - 1;
    this.phases = o.three_phase
      ? [{ end: up, startLr: "initial_lr", endLr: "max_lr", startMomentum: "max_momentum", endMomentum: "base_momentum" },
        { end: 2 * o.pct_start * total - 2, startLr: "max_lr", endLr: "initial_lr", startMomentum: "base_momentum", endMomentum: "max_momentum" },
        { end: total - 1, startLr: "initial_lr", endLr: "min_lr", startMomentum: "max_momentum", endMomentum: "max_momentum" }]
      : [{ end: up, startLr: "initial_lr", endLr: "max_lr", startMomentum: "max_momentum", endMomentum: "base_momentum" },
        { end: total - 1, startLr: "max_lr", endLr: "min_lr", startMomentum: "base_momentum", endMomentum: "max_momentum" }];
    if (!(o.pct_start >= 0 && o.pct_start <= 1)) throw new RangeError(`OneCycleLR(): Expected float between 0 and 1 pct_start, but got ${o.pct_start}`);
    this.anneal = o.anneal_strategy === "cos"
      ? (start, end, pct) => end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1)
      : (start, end, pct) => (end - start) * pct + start;
    const groups = this.groups();
    const maxLrs = Array.isArray(max_lr) ? max_lr : groups.map(() => max_lr);
    groups.forEach((g, i) => {
      g.initial_lr = maxLrs[i] / o.div_factor;
      g.max_lr = maxLrs[i];
      g.min_lr = (g.initial_lr as number) / o.final_div_factor;
    });
    this.base_lrs.splice(0, this.base_lrs.length, ...groups.map((g) => g.initial_lr as number));
    this.cycle_momentum = o.cycle_momentum;
    this.useBeta1 = "betas" in optimizer.defaults;
    if (this.cycle_momentum) {
      if (!("momentum" in optimizer.defaults) && !this.useBeta1) {
        throw new TypeError("OneCycleLR(): optimizer must support momentum with `cycle_momentum` option enabled");
      }
      for (const g of groups) {
        if (this.useBeta1) g.betas = [o.max_momentum, (g.betas as number[])[1]];
        else g.momentum = o.max_momentum;
        g.max_momentum = o.max_momentum;
        g.base_momentum = o.base_momentum;
      }
    }
    this.start();
  }

  protected get_lr(): number[] {
    const step = this.last_epoch;
    if (step > this.total_steps) {
      throw new RangeError(`OneCycleLR.step(): Tried to step ${step + 1} times. The specified number of total steps is ${this.total_steps}`);
    }
    return this.groups().map((g) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        if (step <= phase.end || i === this.phases.length - 1) {
          const pct = (step - start) / (phase.end - start);
          if (this.cycle_momentum) {
            const m = this.anneal(g[phase.startMomentum] as number, g[phase.endMomentum] as number, pct);
            if (this.useBeta1) g.betas = [m, (g.betas as number[])[1]];
            else g.momentum = m;
          }
          return this.anneal(g[phase.startLr] as number, g[phase.endLr] as number, pct);
        }
        start = phase.end;
      }
      return g.lr;
    });
  }
}
