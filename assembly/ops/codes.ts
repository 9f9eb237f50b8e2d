// Op codes, shared by the forward functions, the tape and the reverse sweep.
// Exported to JavaScript as globals named "Op.<Name>", which the bindings' op table reads,
// so the two sides cannot drift apart silently.
export enum Op {
  None = 0,
  // unary, differentiable
  Neg, Exp, Log, Sqrt, Abs, Sin, Cos, Tanh, Sigmoid, Relu,
  // unary, not differentiable (used by backward rules)
  Sign, Positive,
  // binary, differentiable
  Add, Sub, Mul, Div, Pow,
  // binary comparisons, not differentiable
  Gt, Lt, Ge, Le, Eq,
  // reductions and their adjoint
  Sum, Mean, Max, Expand,
  // linear algebra
  Dot, Matmul, Norm,
  // shape
  Reshape, Transpose,
  // normalisation
  Softmax, LogSoftmax,
  Count,
}
