// The table of ops as the bindings see them. Codes come from the core's exported `Op`
// enum; this table adds what JavaScript needs per op. The Record type makes it
// exhaustive over OpName, and the load-time check below makes OpName exhaustive over the
// core, so an op added on either side without the other fails at once.

import { coreOpNames, opCode } from "./core.js";

export type OpName =
  | "Neg" | "Exp" | "Log" | "Sqrt" | "Abs" | "Sin" | "Cos" | "Tanh" | "Sigmoid" | "Relu"
  | "Sign" | "Positive"
  | "Add" | "Sub" | "Mul" | "Div" | "Pow"
  | "Gt" | "Lt" | "Ge" | "Le" | "Eq"
  | "Sum" | "Mean" | "Max" | "Expand"
  | "Dot" | "Matmul" | "Norm"
  | "Reshape" | "Transpose"
  | "Softmax" | "LogSoftmax";

interface OpInfo {
  /** The name grad_fn reports for a tensor this op made (null: never recorded). */
  gradFn: string | null;
}

const INFO: Record<OpName, OpInfo> = {
  Neg: { gradFn: "NegBackward" },
  Exp: { gradFn: "ExpBackward" },
  Log: { gradFn: "LogBackward" },
  Sqrt: { gradFn: "SqrtBackward" },
  Abs: { gradFn: "AbsBackward" },
  Sin: { gradFn: "SinBackward" },
  Cos: { gradFn: "CosBackward" },
  Tanh: { gradFn: "TanhBackward" },
  Sigmoid: { gradFn: "SigmoidBackward" },
  Relu: { gradFn: "ReluBackward" },
  Sign: { gradFn: null },
  Positive: { gradFn: null },
  Add: { gradFn: "AddBackward" },
  Sub: { gradFn: "SubBackward" },
  Mul: { gradFn: "MulBackward" },
  Div: { gradFn: "DivBackward" },
  Pow: { gradFn: "PowBackward" },
  Gt: { gradFn: null },
  Lt: { gradFn: null },
  Ge: { gradFn: null },
  Le: { gradFn: null },
  Eq: { gradFn: null },
  Sum: { gradFn: "SumBackward" },
  Mean: { gradFn: "MeanBackward" },
  Max: { gradFn: "MaxBackward" },
  Expand: { gradFn: "ExpandBackward" },
  Dot: { gradFn: "DotBackward" },
  Matmul: { gradFn: "MmBackward" },
  Norm: { gradFn: "NormBackward" },
  Reshape: { gradFn: "ViewBackward" },
  Transpose: { gradFn: "TransposeBackward" },
  Softmax: { gradFn: "SoftmaxBackward" },
  LogSoftmax: { gradFn: "LogSoftmaxBackward" },
};

function resolveCodes(): Record<OpName, number> {
  const codes = {} as Record<OpName, number>;
  for (const name of Object.keys(INFO) as OpName[]) {
    const code = opCode(name);
    if (code === undefined) throw new Error(`wasmgrad: the core has no op ${name}; rebuild it (npm run build)`);
    codes[name] = code;
  }
  for (const name of coreOpNames()) {
    if (!(name in INFO)) throw new Error(`wasmgrad: core op ${name} is missing from bindings/ops.ts`);
  }
  return codes;
}

/** Op codes by name, e.g. OP.Mul. */
export const OP: Readonly<Record<OpName, number>> = resolveCodes();

/** The object grad_fn returns: PyTorch-style, with the backward node's name. */
export interface GradFn {
  readonly name: string;
}

const gradFnByCode = new Map<number, GradFn>();
for (const name of Object.keys(INFO) as OpName[]) {
  const fn = INFO[name].gradFn;
  if (fn !== null) {
    gradFnByCode.set(OP[name], Object.freeze({ name: fn, toString: () => `<${fn}>` }));
  }
}

export function gradFnOf(code: number): GradFn | null {
  return gradFnByCode.get(code) ?? null;
}
