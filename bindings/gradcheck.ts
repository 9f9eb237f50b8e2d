// gradcheck and gradgradcheck, as torch.autograd's: the analytical Jacobian (one backward
// sweep per output element) against central finite differences, in the inputs' dtype,
// which should be float64 for the default tolerances to mean anything.

import { core, heapOf, dataIndex } from "./core.js";
import { Tensor } from "./tensor.js";
import { grad } from "./autograd.js";
import { scope } from "./lifetime.js";
import { describe, fail, formatShape } from "./shape.js";
import { checkOptions } from "./options.js";
import { formatTensor } from "./format.js";
import { normal } from "./random.js";
import { fromValues } from "./create.js";
import { dual_level, make_dual, unpack_dual } from "./forward-ad.js";

export interface GradcheckOptions {
  /** Perturbation of the finite differences (PyTorch's default 1e-6). */
  eps?: number;
  /** Absolute tolerance (1e-5). */
  atol?: number;
  /** Relative tolerance (1e-3). */
  rtol?: number;
  /** Throw on a mismatch (the default), or return false. */
  raise_exception?: boolean;
  /** Also check the forward-mode Jacobian (one JVP per input element) against finite differences. */
  check_forward_ad?: boolean;
  /** Check the reverse-mode Jacobian (the default). */
  check_backward_ad?: boolean;
}

/** What gradcheck throws on a mismatch, as PyTorch's GradcheckError. */
export class GradcheckError extends Error {
  override name = "GradcheckError";
}

const OPTIONS = {
  eps: "number", atol: "number", rtol: "number", raise_exception: "boolean", check_forward_ad: "boolean",
  check_backward_ad: "boolean",
} as const;

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

function asList(op: string, value: unknown, what: string): Tensor[] {
  const list = Array.isArray(value) ? value : [value];
  for (const t of list) {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}(): ${what} must be Tensors, got ${describe(t)}`);
  }
  return list as Tensor[];
}

function outputsOf(op: string, fn: Fn, inputs: Tensor[]): Tensor[] {
  return asList(op, fn(...inputs), "the function's outputs");
}

/** Element j of tensor t as a number, and writing it (in place, as a version bump). */
function read(t: Tensor, j: number): number {
  return heapOf(t._dtype)[dataIndex(t._live("gradcheck"), t._dtype) + j];
}
function write(t: Tensor, j: number, value: number): void {
  const id = t._live("gradcheck");
  heapOf(t._dtype)[dataIndex(id, t._dtype) + j] = value;
  core.bumpVersion(id);
}

/** J[k][i]: d outputs[k] / d inputs[i], each as rows (output elements) of columns (input elements). */
type Jacobians = Float64Array[][][];

function numerical(fn: Fn, inputs: Tensor[], eps: number, shapes: number[]): Jacobians {
  const jac: Jacobians = shapes.map((m) => inputs.map((x) => Array.from({ length: m }, () => new Float64Array(x.numel()))));
  inputs.forEach((x, i) => {
    if (!x.requires_grad) return;
    for (let j = 0; j < x.numel(); j++) {
      const original = read(x, j);
      // Evaluated with grad mode as it is: fn may differentiate inside (gradgradcheck).
      const at = (value: number) => scope(() => {
        write(x, j, value);
        return outputsOf("gradcheck", fn, inputs).map((o) => Float64Array.from(o.toTypedArray()));
      });
      const plus = at(original + eps), minus = at(original - eps);
      write(x, j, original);
      plus.forEach((p, k) => {
        for (let m = 0; m < p.length; m++) jac[k][i][m][j] = (p[m] - minus[k][m]) / (2 * eps);
      });
    }
  });
  return jac;
}

function analytical(outputs: Tensor[], inputs: Tensor[], shapes: number[]): Jacobians {
  const wrt = inputs.filter((x) => x.requires_grad);
  return outputs.map((out, k) => {
    const rows = inputs.map((x) => Array.from({ length: shapes[k] }, () => new Float64Array(x.numel())));
    if (!out.requires_grad) return rows; // constant output: zero Jacobian
    for (let m = 0; m < shapes[k]; m++) {
      const seed = new Float64Array(shapes[k]);
      seed[m] = 1;
      const g = fromValues(out._shape, seed, { dtype: out._dtype });
      const grads = grad(out, wrt, { grad_outputs: g, retain_graph: true, allow_unused: true });
      g.dispose();
      let w = 0;
      inputs.forEach((x, i) => {
        if (!x.requires_grad) return;
        const gi = grads[w++];
        if (gi !== null) rows[i][m].set(gi.toTypedArray());
        gi?.dispose();
      });
    }
    return rows;
  });
}

// Column j of each Jacobian: the tangents of the outputs when input i has the tangent e_j.
function forwardMode(fn: Fn, inputs: Tensor[], shapes: number[]): Jacobians {
  const jac: Jacobians = shapes.map((m) => inputs.map((x) => Array.from({ length: m }, () => new Float64Array(x.numel()))));
  inputs.forEach((x, i) => {
    if (!x.requires_grad) return;
    for (let j = 0; j < x.numel(); j++) {
      scope(() => dual_level(() => {
        const e = new Float64Array(x.numel());
        e[j] = 1;
        const dual = make_dual(x, fromValues(x._shape, e, { dtype: x._dtype }));
        const outputs = outputsOf("gradcheck", fn, inputs.map((y, q) => (q === i ? dual : y)));
        outputs.forEach((o, k) => {
          const tangent = unpack_dual(o).tangent;
          if (tangent === null) return; // a zero tangent
          const values = tangent.toTypedArray();
          for (let m = 0; m < shapes[k]; m++) jac[k][i][m][j] = Number(values[m]);
        });
      }));
    }
  });
  return jac;
}

// A Jacobian printed as PyTorch prints it: [input elements, output elements].
function asTensorText(rows: Float64Array[], cols: number): string {
  const flat = new Float64Array(rows.length * cols);
  rows.forEach((r, m) => r.forEach((v, j) => { flat[j * rows.length + m] = v; }));
  return formatTensor(flat, [cols, rows.length], ["dtype=torch.float64"], "float64");
}

/**
 * Checks the gradients of fn at inputs (those that require grad) against finite
 * differences, as torch.autograd.gradcheck. Returns true, or throws a GradcheckError
 * naming the output, the input and both Jacobians.
 */
export function gradcheck(fn: Fn, inputs: Tensor | Tensor[], options: GradcheckOptions = {}): boolean {
  checkOptions("gradcheck", options, OPTIONS);
  if (typeof fn !== "function") throw new TypeError(`gradcheck(): expected a function, got ${describe(fn)}`);
  const xs = asList("gradcheck", inputs, "inputs");
  const eps = options.eps ?? 1e-6, atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-3;
  if (!xs.some((x) => x.requires_grad)) {
    fail("gradcheck", "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.");
  }
  const outputs = outputsOf("gradcheck", fn, xs);
  const shapes = outputs.map((o) => o.numel());
  // before the finite differences, which write into the inputs that outputs' graph saved
  const reverse = options.check_backward_ad !== false ? analytical(outputs, xs, shapes) : null;
  const approx = numerical(fn, xs, eps, shapes);
  // Each mode's Jacobian against the numerical one; the first mismatch is reported.
  const mismatch = (exact: Jacobians, mode: string): string | null => {
    for (let k = 0; k < outputs.length; k++) {
      for (let i = 0; i < xs.length; i++) {
        if (!xs[i].requires_grad) continue;
        const a = exact[k][i], n = approx[k][i];
        const bad = a.some((row, m) => row.some((v, j) => !(Math.abs(v - n[m][j]) <= atol + rtol * Math.abs(n[m][j]))));
        if (!bad) continue;
        const note = xs[i]._dtype === "float64" ? "" :
          `\n(input ${i} is ${xs[i]._dtype}: gradcheck is meant for float64 inputs, whose finite differences are accurate)`;
        return `Jacobian ${mode}mismatch for output ${k} with respect to input ${i} ` +
          `(output shape ${formatShape(outputs[k]._shape)}, input shape ${formatShape(xs[i]._shape)}),\n` +
          `numerical:${asTensorText(n, xs[i].numel())}\nanalytical:${asTensorText(a, xs[i].numel())}${note}\n`;
      }
    }
    return null;
  };
  const problem = (reverse !== null ? mismatch(reverse, "") : null) ??
    (options.check_forward_ad === true ? mismatch(forwardMode(fn, xs, shapes), "computed with forward mode ") : null);
  if (problem === null) return true;
  if (options.raise_exception === false) return false;
  throw new GradcheckError(problem);
}

export interface GradgradcheckOptions extends GradcheckOptions {
  /** Gradients of the outputs to differentiate through (random when not given). */
  grad_outputs?: Tensor | Tensor[];
}

/**
 * Checks second derivatives, as torch.autograd.gradgradcheck: gradcheck of the function
 * (inputs, grad_outputs) -> the gradients of fn's outputs, weighted by grad_outputs, with
 * respect to the inputs, computed with create_graph.
 */
export function gradgradcheck(fn: Fn, inputs: Tensor | Tensor[], options: GradgradcheckOptions = {}): boolean {
  const { grad_outputs, ...rest } = options;
  checkOptions("gradgradcheck", rest, OPTIONS);
  const xs = asList("gradgradcheck", inputs, "inputs");
  const outputs = outputsOf("gradgradcheck", fn, xs);
  const vs = grad_outputs !== undefined ? asList("gradgradcheck", grad_outputs, "grad_outputs")
    : outputs.map((o) => fromValues(o._shape, Float64Array.from({ length: o.numel() }, normal), { dtype: o._dtype }));
  if (vs.length !== outputs.length) fail("gradgradcheck", `expected ${outputs.length} grad_outputs, got ${vs.length}`);
  const seeds = vs.map((v) => v.detach().requires_grad_(true));
  const n = xs.length;
  const wrt = xs.filter((x) => x.requires_grad);
  const firstGrads = (...all: Tensor[]): Tensor[] => {
    const ins = all.slice(0, n), gs = all.slice(n);
    const outs = outputsOf("gradgradcheck", fn, ins);
    const differentiable = outs.map((o, k) => [o, gs[k]] as const).filter(([o]) => o.requires_grad);
    const grads = grad(differentiable.map(([o]) => o), ins.filter((x) => x.requires_grad),
      { grad_outputs: differentiable.map(([, g]) => g), create_graph: true, allow_unused: true });
    return grads.map((g, i) => g ?? fromValues(wrt[i]._shape, new Float64Array(wrt[i].numel()), { dtype: wrt[i]._dtype }));
  };
  return gradcheck(firstGrads, [...xs, ...seeds], rest);
}
