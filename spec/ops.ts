// The op table: every op of wasmgrad, described once. `npm run build` generates from it
// the core's op codes, its recording and backward dispatch and the exported entry points
// (assembly/generated/), and the bindings' op codes, grad_fn names, Tensor methods and
// functions (bindings/generated/). See docs/adding-an-op.md.
//
// Each forward function is called as `forward(Op.<Name>, ...inputs, ...params)` and
// returns the output tensor; `record` in assembly/graph.ts makes it a graph node with the
// saves listed here. Each backward rule is `rule(node, g, grads)`: it stores one gradient
// per input that needs one into grads and returns nothing; the engine (assembly/engine.ts)
// sums them over broadcast dims and accumulates them. Each forward-mode rule (`jvp`) gives
// the output's tangent from the inputs' (assembly/forward.ts). A differentiable op without
// a backward or forward-mode rule, or a rule that no op names, fails the build.

export type Family = "elementwise" | "select" | "index" | "activations" | "reduce" | "scan" | "sort" | "linalg" | "views" | "softmax" | "math" | "conv" | "pool" | "custom";

/** How the bindings expose an op; "custom" ops are written by hand in bindings/tensor.ts. */
export type Binding = "unary" | "binary" | "custom" | "internal";

/** The dtype of the result, from the inputs' dtypes (PyTorch's rules). */
export type DtypeRule = "same" | "promote" | "float" | "bool";

export interface Param {
  name: string;
  type: "i32" | "f64";
}

/**
 * How vmap runs the op on batched inputs (bindings/vmap-rules.ts): batched tensors carry
 * their batch dims first, one per vmap level; a rule moves the op's dims and shapes past them.
 * - "elementwise": the inputs broadcast; the batch dims are aligned in front (`rank`: the
 *   parameter that gives the output's rank, whose shape is in scratch)
 * - "dims": `dims` parameters are dims, `masks` bit masks of dims, `rank` the output's rank
 *   (its shape in scratch); `outs` inputs are outputs the bindings allocate (indices);
 *   `expand`: the tensor inputs are expanded to the full batch (ops that do not broadcast)
 * - "view": the geometry in scratch gains the batch dims (`dims` parameters move past them,
 *   `permute` is the packed permutation)
 * - "same": the output has the input's layout (copies, aliases, views of the same geometry)
 * - one of its own: "matmul", "dot", "conv", "pool", "indexSelect", "indexPut"
 * - "internal": only the core's backward rules run it, never under the bindings' vmap
 * - "unsupported": vmap refuses it, saying why
 */
export type BatchRule =
  | { kind: "elementwise"; rank?: string }
  | { kind: "dims"; dims?: string[]; masks?: string[]; rank?: string; outs?: string[]; expand?: boolean }
  | { kind: "view"; dims?: string[]; permute?: string }
  | { kind: "same" | "matmul" | "dot" | "conv" | "pool" | "indexSelect" | "indexPut" | "internal" }
  | { kind: "unsupported"; reason: string };

export interface OpSpec {
  /** Enum member in the core, e.g. "Mul". */
  name: string;
  /** Tensor method and function name; omitted for internal ops. */
  method?: string;
  binding: Binding;
  /** grad_fn name of a tensor this op made (defaults to `${name}Backward`). */
  gradFn?: string;
  family: Family;
  /** Input tensors, in order (PyTorch's argument names). */
  inputs: string[];
  params?: Param[];
  dtype: DtypeRule;
  /** What the backward rule reads: input names and/or "result". */
  saves?: string[];
  /**
   * Saved inputs that only some gradients read: input -> the inputs whose gradients read it.
   * Such an input is saved only when one of those needs a gradient (mul saves x for y's
   * gradient), so an in-place write to it afterwards is refused only when it matters.
   */
  savedFor?: Record<string, string[]>;
  /** Forward function in assembly/ops/<family>.ts, or a generic instantiation of one. */
  forward: string;
  /** Backward rule in assembly/ops/<family>.ts; null for an op that is not differentiable. */
  backward: string | null;
  /** vmap's batching rule (required of every op; the build checks). */
  batch?: BatchRule;
  /**
   * Forward-mode rule (required of a differentiable op): "elementwise" when each input's
   * Jacobian is diagonal, so that the backward rule run on the input's tangent serves
   * (PyTorch's auto_element_wise); "view" when the output shares its input's data (its
   * tangent is the same view of the input's); else a rule `jvp(out, args, tangents)` in
   * assembly/ops/<family>.ts that returns the output's tangent. See assembly/forward.ts.
   */
  jvp?: string;
}

// Elementwise ops of floating tensors ("float": integer inputs are converted to the default
// dtype first, as PyTorch does) and of any numeric tensor ("same" / "promote").
const unary = (name: string, method: string, saves: string[]): OpSpec => ({
  name, method, binding: "unary", family: "elementwise", inputs: ["self"], dtype: "float", saves,
  forward: `unaryFloat<${name}K>`, backward: `${method}Backward`, jvp: "elementwise", batch: { kind: "elementwise" },
});

const unaryNumeric = (name: string, method: string, saves: string[]): OpSpec => ({
  ...unary(name, method, saves), dtype: "same", forward: `unaryNumeric<${name}K>`,
});

const binary = (name: string, method: string, saves: string[]): OpSpec => ({
  name, method, binding: "binary", family: "elementwise", inputs: ["self", "other"], dtype: "promote",
  saves, forward: `binaryNumeric<${name}K>`, backward: `${method}Backward`, jvp: "elementwise", batch: { kind: "elementwise" },
});

const binaryFloat = (name: string, method: string, saves: string[]): OpSpec => ({
  ...binary(name, method, saves), dtype: "float", forward: `binaryFloat<${name}K>`,
});

const comparison = (name: string, method: string): OpSpec => ({
  name, method, binding: "binary", family: "elementwise", inputs: ["self", "other"], dtype: "bool",
  forward: `compare<${name}K>`, backward: null, batch: { kind: "elementwise" },
});

const view = (name: string, method: string, params: Param[], gradFn?: string, batch: BatchRule = { kind: "view" }): OpSpec => ({
  name, method, gradFn, binding: "custom", family: "views", inputs: ["self"], dtype: "same",
  params: [{ name: "rank", type: "i32" }, { name: "offset", type: "i32" }, ...params],
  forward: "viewForward", backward: `${method}Backward`, jvp: "view", batch,
});

const reduction: Param[] = [{ name: "mask", type: "i32" }, { name: "rank", type: "i32" }];

export const OPS: OpSpec[] = [
  unaryNumeric("Neg", "neg", []),
  unary("Exp", "exp", ["result"]),
  unary("Log", "log", ["self"]),
  unary("Sqrt", "sqrt", ["result"]),
  unaryNumeric("Abs", "abs", ["self"]),
  unary("Sin", "sin", ["self"]),
  unary("Cos", "cos", ["self"]),
  unary("Tanh", "tanh", ["result"]),
  unary("Sigmoid", "sigmoid", ["result"]),
  unaryNumeric("Relu", "relu", ["result"]),
  unary("Reciprocal", "reciprocal", ["result"]),
  unaryNumeric("Square", "square", ["self"]),
  unary("Rsqrt", "rsqrt", ["result"]),
  unary("Silu", "silu", ["self"]),
  unary("Log1p", "log1p", ["self"]),
  unary("Expm1", "expm1", ["result"]),
  unary("Log2", "log2", ["self"]),
  unary("Log10", "log10", ["self"]),
  unary("Exp2", "exp2", ["result"]),
  unary("Tan", "tan", ["result"]),
  unary("Sinh", "sinh", ["self"]),
  unary("Cosh", "cosh", ["self"]),
  unary("Asin", "asin", ["self"]),
  unary("Acos", "acos", ["self"]),
  unary("Atan", "atan", ["self"]),
  unary("Asinh", "asinh", ["self"]),
  unary("Acosh", "acosh", ["self"]),
  unary("Atanh", "atanh", ["self"]),
  // piecewise constant: zero gradients (frac's is the identity); integers keep their dtype
  unaryNumeric("Floor", "floor", []),
  unaryNumeric("Ceil", "ceil", []),
  unaryNumeric("Round", "round", []),
  unaryNumeric("Trunc", "trunc", []),
  unary("Frac", "frac", []),
  unaryNumeric("Sign", "sign", []),
  // Used by backward rules; not differentiable, not exposed.

  { name: "Positive", binding: "internal", family: "elementwise", inputs: ["self"], dtype: "same",
    forward: "unaryFloat<PositiveK>", batch: { kind: "internal" }, backward: null },
  // self with 0 where mask (a 0/1 tensor of self's dtype) is 1: masked_fill(mask, 0), for
  // rules whose formula is 0 * inf at some points (pow at base 0); differentiable in self.
  { name: "ZeroWhere", gradFn: "MaskedFillBackward", binding: "internal", family: "elementwise",
    inputs: ["self", "mask"], dtype: "same", saves: ["mask"], forward: "binaryFloat<ZeroWhereK>", batch: { kind: "elementwise" },
    backward: "zeroWhereBackward", jvp: "elementwise" },
  // Conversion to dtype code `dtype` (a copy); differentiable between floating dtypes.
  { name: "To", method: "to", gradFn: "ToCopyBackward", binding: "custom", family: "elementwise",
    inputs: ["self"], params: [{ name: "dtype", type: "i32" }], dtype: "same",
    forward: "toForward", batch: { kind: "elementwise" }, backward: "toBackward", jvp: "toJvp" },

  binary("Add", "add", []),
  binary("Sub", "sub", []),
  { ...binary("Mul", "mul", ["self", "other"]), savedFor: { self: ["other"], other: ["self"] } },
  binaryFloat("Div", "div", ["other", "result"]),
  binary("Pow", "pow", ["self", "other", "result"]),
  binary("Maximum", "maximum", ["self", "other"]),
  binary("Fmax", "fmax", ["self", "other"]),
  binary("Fmin", "fmin", ["self", "other"]),
  binaryFloat("Atan2", "atan2", ["self", "other"]),
  binaryFloat("Logaddexp", "logaddexp", ["self", "other"]),
  binaryFloat("Xlogy", "xlogy", ["self", "other"]),
  binary("Minimum", "minimum", ["self", "other"]),
  comparison("Gt", "gt"),
  comparison("Lt", "lt"),
  comparison("Ge", "ge"),
  comparison("Le", "le"),
  comparison("Eq", "eq"),
  comparison("Ne", "ne"),
  // Logical ops and element tests: bool results, not differentiable; the bindings convert
  // the operands of the logical ops to bool (nonzero is true).
  { name: "LogicalAnd", method: "logical_and", binding: "custom", family: "elementwise", inputs: ["self", "other"],
    dtype: "bool", forward: "logical<AndK>", batch: { kind: "elementwise" }, backward: null },
  { name: "LogicalOr", method: "logical_or", binding: "custom", family: "elementwise", inputs: ["self", "other"],
    dtype: "bool", forward: "logical<OrK>", batch: { kind: "elementwise" }, backward: null },
  { name: "LogicalXor", method: "logical_xor", binding: "custom", family: "elementwise", inputs: ["self", "other"],
    dtype: "bool", forward: "logical<XorK>", batch: { kind: "elementwise" }, backward: null },
  { name: "LogicalNot", method: "logical_not", binding: "custom", family: "elementwise", inputs: ["self"],
    dtype: "bool", forward: "classify<NotK>", batch: { kind: "elementwise" }, backward: null },
  { name: "Isnan", method: "isnan", binding: "custom", family: "elementwise", inputs: ["self"],
    dtype: "bool", forward: "classify<IsNanK>", batch: { kind: "elementwise" }, backward: null },
  { name: "Isinf", method: "isinf", binding: "custom", family: "elementwise", inputs: ["self"],
    dtype: "bool", forward: "classify<IsInfK>", batch: { kind: "elementwise" }, backward: null },
  { name: "Isfinite", method: "isfinite", binding: "custom", family: "elementwise", inputs: ["self"],
    dtype: "bool", forward: "classify<IsFiniteK>", batch: { kind: "elementwise" }, backward: null },

  // where(condition, self, other): the condition is bool, self and other promoted together.
  { name: "Where", method: "where", binding: "custom", family: "select", inputs: ["condition", "self", "other"],
    dtype: "promote", saves: ["condition"], forward: "whereForward", batch: { kind: "elementwise" }, backward: "whereBackward", jvp: "elementwise" },

  // clamp(self, min, max): the bindings pass a missing bound as an infinite (or extreme) one.
  { name: "Clamp", method: "clamp", binding: "custom", family: "select", inputs: ["self", "min", "max"],
    dtype: "promote", saves: ["self", "min", "max"], forward: "clampForward", batch: { kind: "elementwise" }, backward: "clampBackward", jvp: "elementwise" },

  // Activations with parameters (assembly/ops/activations.ts); selu is elu with fixed
  // constants and relu6 is hardtanh(0, 6), as in PyTorch.
  { name: "LeakyRelu", method: "leaky_relu", binding: "custom", family: "activations", inputs: ["self"],
    params: [{ name: "negative_slope", type: "f64" }], dtype: "float", saves: ["self"],
    forward: "leakyReluForward", batch: { kind: "elementwise" }, backward: "leakyReluBackward", jvp: "elementwise" },
  { name: "Elu", method: "elu", binding: "custom", family: "activations", inputs: ["self"],
    params: [{ name: "alpha", type: "f64" }, { name: "scale", type: "f64" }], dtype: "float", saves: ["self"],
    forward: "eluForward", batch: { kind: "elementwise" }, backward: "eluBackward", jvp: "elementwise" },
  { name: "Hardtanh", method: "hardtanh", binding: "custom", family: "activations", inputs: ["self"],
    params: [{ name: "min_val", type: "f64" }, { name: "max_val", type: "f64" }], dtype: "float", saves: ["self"],
    forward: "hardtanhForward", batch: { kind: "elementwise" }, backward: "hardtanhBackward", jvp: "elementwise" },
  { name: "Softplus", method: "softplus", binding: "custom", family: "activations", inputs: ["self"],
    params: [{ name: "beta", type: "f64" }, { name: "threshold", type: "f64" }], dtype: "float", saves: ["self"],
    forward: "softplusForward", batch: { kind: "elementwise" }, backward: "softplusBackward", jvp: "elementwise" },

  // Indexing along `dim` (assembly/ops/index.ts): int32 indices, which the bindings have
  // checked; each take op's rule is a put op and each put op's a take op.
  { name: "Gather", method: "gather", binding: "custom", family: "index", inputs: ["self", "index"],
    params: [{ name: "dim", type: "i32" }], dtype: "same", saves: ["index"],
    forward: "gatherForward", batch: { kind: "dims", dims: ["dim"], expand: true }, backward: "gatherBackward", jvp: "gatherJvp" },
  { name: "IndexSelect", method: "index_select", binding: "custom", family: "index", inputs: ["self", "index"],
    params: [{ name: "dim", type: "i32" }], dtype: "same", saves: ["index"],
    forward: "indexSelectForward", batch: { kind: "indexSelect" }, backward: "indexSelectBackward", jvp: "indexSelectJvp" },
  { name: "Scatter", method: "scatter", binding: "custom", family: "index", inputs: ["self", "index", "src"],
    params: [{ name: "dim", type: "i32" }], dtype: "same", saves: ["index"],
    forward: "scatterForward", batch: { kind: "dims", dims: ["dim"], expand: true }, backward: "scatterBackward", jvp: "scatterJvp" },
  { name: "ScatterAdd", method: "scatter_add", binding: "custom", family: "index", inputs: ["self", "index", "src"],
    params: [{ name: "dim", type: "i32" }], dtype: "same", saves: ["index"],
    forward: "scatterForward", batch: { kind: "dims", dims: ["dim"], expand: true }, backward: "scatterAddBackward", jvp: "scatterAddJvp" },
  // `reduce`: 1 sum, 2 prod, 3 mean, 4 amax, 5 amin (the codes of assembly/ops/index.ts)
  { name: "ScatterReduce", method: "scatter_reduce", binding: "custom", family: "index", inputs: ["self", "index", "src"],
    params: [{ name: "dim", type: "i32" }, { name: "reduce", type: "i32" }, { name: "include_self", type: "i32" }],
    dtype: "same", saves: ["self", "index", "src"], // the rule recomputes the result: an in-place form replaces it
    forward: "scatterReduceForward", batch: { kind: "dims", dims: ["dim"], expand: true }, backward: "scatterReduceBackward", jvp: "scatterReduceJvp" },
  { name: "IndexCopy", method: "index_copy", binding: "custom", family: "index", inputs: ["self", "index", "source"],
    params: [{ name: "dim", type: "i32" }], dtype: "same", saves: ["index"],
    forward: "indexPutForward", batch: { kind: "indexPut" }, backward: "indexCopyBackward", jvp: "indexCopyJvp" },
  { name: "IndexAdd", method: "index_add", binding: "custom", family: "index", inputs: ["self", "index", "source"],
    params: [{ name: "dim", type: "i32" }, { name: "alpha", type: "f64" }], dtype: "same", saves: ["index"],
    forward: "indexPutForward", batch: { kind: "indexPut" }, backward: "indexAddBackward", jvp: "indexAddJvp" },
  { name: "Nonzero", method: "nonzero", binding: "custom", family: "index", inputs: ["self"], dtype: "same",
    forward: "nonzeroForward", batch: { kind: "unsupported", reason: "We do not support batching operators that can output dynamic shape (nonzero); its output's size depends on the values of each example" }, backward: null },
  // Special functions, division remainders, lerp, addcmul and addcdiv (assembly/ops/math.ts). gelu's `approximate`
  // is 1 for "tanh", 0 for "none". div's rounding modes are piecewise constant, with zero
  // gradients and grad_fn DivBackward as in PyTorch; floor_divide is div's "floor" mode.
  { name: "Erf", method: "erf", binding: "unary", family: "math", inputs: ["self"], dtype: "float", saves: ["self"],
    forward: "mathUnary<ErfK>", batch: { kind: "elementwise" }, backward: "erfBackward", jvp: "elementwise" },
  { name: "Erfc", method: "erfc", binding: "unary", family: "math", inputs: ["self"], dtype: "float", saves: ["self"],
    forward: "mathUnary<ErfcK>", batch: { kind: "elementwise" }, backward: "erfcBackward", jvp: "elementwise" },
  { name: "Gelu", method: "gelu", binding: "custom", family: "math", inputs: ["self"],
    params: [{ name: "approximate", type: "i32" }], dtype: "float", saves: ["self"],
    forward: "geluForward", batch: { kind: "elementwise" }, backward: "geluBackward", jvp: "elementwise" },
  { name: "Fmod", method: "fmod", binding: "custom", family: "math", inputs: ["self", "other"], dtype: "promote",
    saves: ["self", "other"], savedFor: { self: ["other"], other: ["other"] },
    forward: "mathBinary<FmodK>", batch: { kind: "elementwise" }, backward: "fmodBackward", jvp: "elementwise" },
  { name: "Remainder", method: "remainder", binding: "custom", family: "math", inputs: ["self", "other"], dtype: "promote",
    saves: ["self", "other"], savedFor: { self: ["other"], other: ["other"] },
    forward: "mathBinary<RemainderK>", batch: { kind: "elementwise" }, backward: "remainderBackward", jvp: "elementwise" },
  { name: "DivTrunc", gradFn: "DivBackward", binding: "internal", family: "math", inputs: ["self", "other"],
    dtype: "promote", forward: "mathBinary<DivTruncK>", batch: { kind: "elementwise" }, backward: "divTruncBackward", jvp: "elementwise" },
  { name: "FloorDivide", method: "floor_divide", gradFn: "DivBackward", binding: "custom", family: "math",
    inputs: ["self", "other"], dtype: "promote", forward: "mathBinary<FloorDivideK>", batch: { kind: "elementwise" }, backward: "floorDivideBackward", jvp: "elementwise" },
  // lerp(self, end, weight) into the broadcast shape (of rank `rank`) in scratch; a number
  // weight comes as a 0-d tensor
  { name: "Lerp", method: "lerp", binding: "custom", family: "math", inputs: ["self", "end", "weight"], dtype: "same",
    params: [{ name: "rank", type: "i32" }], saves: ["self", "end", "weight"],
    savedFor: { self: ["weight"], end: ["weight"], weight: ["self", "end"] }, forward: "lerpForward", batch: { kind: "elementwise", rank: "rank" }, backward: "lerpBackward", jvp: "elementwise" },
  // self + value tensor1 (* or /) tensor2, into the broadcast shape in scratch
  { name: "Addcmul", method: "addcmul", binding: "custom", family: "math", inputs: ["self", "tensor1", "tensor2"],
    dtype: "same", params: [{ name: "value", type: "f64" }, { name: "rank", type: "i32" }], saves: ["tensor1", "tensor2"],
    savedFor: { tensor1: ["tensor2"], tensor2: ["tensor1"] }, forward: "addcmulForward", batch: { kind: "elementwise", rank: "rank" }, backward: "addcmulBackward", jvp: "elementwise" },
  { name: "Addcdiv", method: "addcdiv", binding: "custom", family: "math", inputs: ["self", "tensor1", "tensor2"],
    dtype: "same", params: [{ name: "value", type: "f64" }, { name: "rank", type: "i32" }], saves: ["tensor1", "tensor2"],
    savedFor: { tensor1: ["tensor2"], tensor2: ["tensor1", "tensor2"] }, forward: "addcdivForward", batch: { kind: "elementwise", rank: "rank" }, backward: "addcdivBackward", jvp: "elementwise" },

  // Running sums along `dim`; `reverse` runs them from the end (the rule's own adjoint).
  { name: "Cumsum", method: "cumsum", binding: "custom", family: "scan", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }, { name: "reverse", type: "i32" }], dtype: "same",
    forward: "cumsumForward", batch: { kind: "dims", dims: ["dim"] }, backward: "cumsumBackward", jvp: "cumsumJvp" },
  // log(cumsum(exp(self))) along `dim` (from the end when `reverse`, as its rule runs it)
  { name: "Logcumsumexp", method: "logcumsumexp", binding: "custom", family: "scan", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }, { name: "reverse", type: "i32" }], dtype: "float", saves: ["self", "result"],
    forward: "logcumsumexpForward", batch: { kind: "dims", dims: ["dim"] }, backward: "logcumsumexpBackward", jvp: "logcumsumexpJvp" },
  // Running products along `dim` (from the end when `reverse`), and the product along `dim`
  // (its output shape, of rank `rank`, in scratch). Their rules are made of the two internal
  // ops below, so they are exact with zeros in the input and twice differentiable.
  { name: "Cumprod", method: "cumprod", binding: "custom", family: "scan", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }, { name: "reverse", type: "i32" }], dtype: "same", saves: ["self", "result"],
    forward: "cumprodForward", batch: { kind: "dims", dims: ["dim"] }, backward: "cumprodBackward", jvp: "cumprodJvp" },
  { name: "Prod", method: "prod", binding: "custom", family: "scan", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }, { name: "rank", type: "i32" }], dtype: "same", saves: ["self"],
    forward: "prodForward", batch: { kind: "dims", dims: ["dim"], rank: "rank" }, backward: "prodBackward", jvp: "prodJvp" },
  // self moved `by` places along `dim`, `fill` where nothing lands
  { name: "Shift", binding: "internal", family: "scan", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }, { name: "by", type: "i32" }, { name: "fill", type: "f64" }], dtype: "same",
    forward: "shiftForward", batch: { kind: "internal" }, backward: "shiftBackward", jvp: "shiftJvp" },
  // y_k = self_k + coef_k y_{k-1} along `dim` (y_{k+1} when `reverse`)
  { name: "Recurrence", binding: "internal", family: "scan", inputs: ["self", "coef"],
    params: [{ name: "dim", type: "i32" }, { name: "reverse", type: "i32" }], dtype: "same", saves: ["coef", "result"],
    forward: "recurrenceForward", batch: { kind: "internal" }, backward: "recurrenceBackward", jvp: "recurrenceJvp" },

  // The values of self sorted along `dim` (assembly/ops/sort.ts), the first indices.size(dim)
  // of each row (topk); the kernel writes their positions into `indices`, an int32 tensor of
  // the output's shape that the bindings allocate for it. The rule is a scatter_add.
  { name: "Sort", method: "sort", binding: "custom", family: "sort", inputs: ["self", "indices"],
    params: [{ name: "dim", type: "i32" }, { name: "descending", type: "i32" }], dtype: "same", saves: ["indices"],
    forward: "sortForward", batch: { kind: "dims", dims: ["dim"], outs: ["indices"] }, backward: "sortBackward", jvp: "sortJvp" },
  { name: "Topk", method: "topk", binding: "custom", family: "sort", inputs: ["self", "indices"],
    params: [{ name: "dim", type: "i32" }, { name: "descending", type: "i32" }], dtype: "same", saves: ["indices"],
    forward: "sortForward", batch: { kind: "dims", dims: ["dim"], outs: ["indices"] }, backward: "sortBackward", jvp: "sortJvp" },
  // One element of each row along `dim` (assembly/ops/sort.ts), chosen by `kind` (0: the
  // k-th smallest, 1: the median, 2: the median of the non-NaN, 3: the most frequent), and
  // its position, written into `indices` (x's shape with size 1 at dim); the output's shape
  // (of rank `rank`, without that 1 unless keepdim) is in scratch.
  ...["Kthvalue", "MedianDim", "NanmedianDim", "Mode"].map((name): OpSpec => ({
    name, binding: "internal", family: "sort", inputs: ["self", "indices"],
    gradFn: `${name.replace("Dim", "")}Backward`,
    params: [{ name: "dim", type: "i32" }, { name: "k", type: "i32" }, { name: "kind", type: "i32" }, { name: "rank", type: "i32" }],
    dtype: "same", saves: ["indices"], forward: "pickForward", backward: "pickBackward",
    batch: { kind: "dims", dims: ["dim"], rank: "rank", outs: ["indices"] }, jvp: "pickJvp" })),
  // The running max (min when `minimum`) along `dim` and where it was reached (assembly/ops/scan.ts).
  ...["Cummax", "Cummin"].map((name): OpSpec => ({
    name, method: name.toLowerCase(), binding: "custom", family: "scan", inputs: ["self", "indices"],
    params: [{ name: "dim", type: "i32" }, { name: "minimum", type: "i32" }],
    dtype: "same", saves: ["indices"], forward: "cummaxForward", backward: "cummaxBackward",
    batch: { kind: "dims", dims: ["dim"], outs: ["indices"] }, jvp: "cummaxJvp" })),

  // The insertion positions (int32) of values in the last dim of sorted_sequence; the
  // bindings give both one dtype and check the leading dims. Not differentiable.
  { name: "Searchsorted", method: "searchsorted", binding: "custom", family: "sort", inputs: ["sorted_sequence", "self"],
    params: [{ name: "right", type: "i32" }], dtype: "same", forward: "searchsortedForward", batch: { kind: "dims", expand: true }, backward: null },

  // Reductions over the dims in `mask`; the output shape (of rank `rank`) is in scratch.
  { name: "Sum", method: "sum", binding: "custom", family: "reduce", inputs: ["self"], dtype: "same",
    params: reduction, forward: "sumForward", batch: { kind: "dims", masks: ["mask"], rank: "rank" }, backward: "sumBackward", jvp: "sumJvp" },
  { name: "Mean", method: "mean", binding: "custom", family: "reduce", inputs: ["self"], dtype: "same",
    params: reduction, forward: "sumForward", batch: { kind: "dims", masks: ["mask"], rank: "rank" }, backward: "sumBackward", jvp: "meanJvp" },
  // Max over the run of dims [start, end); the output shape is in scratch. `even`: tied
  // maxima share the gradient (max(), amax()) instead of the first taking it (max(dim)).
  { name: "Max", method: "max", binding: "custom", family: "reduce", inputs: ["self"], dtype: "same",
    params: [{ name: "start", type: "i32" }, { name: "end", type: "i32" }, { name: "rank", type: "i32" },
      { name: "even", type: "i32" }],
    forward: "maxForward", batch: { kind: "dims", dims: ["start", "end"], rank: "rank" }, backward: "maxBackward", jvp: "maxJvp" },
  // The index of the first maximum along `dim` (max(dim).indices, argmax): int32, not differentiable.
  { name: "Argmax", binding: "internal", family: "reduce", inputs: ["self"], dtype: "same",
    params: [{ name: "dim", type: "i32" }, { name: "rank", type: "i32" }], forward: "argmaxForward", batch: { kind: "dims", dims: ["dim"], rank: "rank" }, backward: null },
  // The adjoint of Sum: broadcasts over the dims in `mask` up to the shape in scratch.
  { name: "Broadcast", gradFn: "ExpandBackward", binding: "internal", family: "reduce", inputs: ["self"],
    dtype: "same", params: reduction, forward: "broadcastForward", batch: { kind: "dims", masks: ["mask"], rank: "rank" }, backward: "broadcastBackward", jvp: "broadcastJvp" },

  { name: "Dot", method: "dot", binding: "custom", family: "linalg", inputs: ["self", "tensor"],
    dtype: "promote", saves: ["self", "tensor"], savedFor: { self: ["tensor"], tensor: ["self"] },
    forward: "dotForward", batch: { kind: "dot" }, backward: "dotBackward", jvp: "dotJvp" },
  { name: "Matmul", method: "matmul", gradFn: "MmBackward", binding: "custom", family: "linalg",
    inputs: ["self", "other"], dtype: "promote", saves: ["self", "other"],
    savedFor: { self: ["other"], other: ["self"] }, forward: "matmulForward", batch: { kind: "matmul" }, backward: "matmulBackward", jvp: "matmulJvp" },
  // The p-norm over the trailing dims from `start` (the bindings move the reduced dims there);
  // the output shape (of rank `rank`) is in scratch.
  { name: "Norm", method: "norm", binding: "custom", family: "linalg", inputs: ["self"], dtype: "same",
    params: [{ name: "p", type: "f64" }, { name: "start", type: "i32" }, { name: "rank", type: "i32" }],
    saves: ["self", "result"], forward: "normForward", batch: { kind: "dims", dims: ["start"], rank: "rank" }, backward: "normBackward", jvp: "normJvp" },

  // Views: the output shares the input's data. The bindings compute the geometry (shape and
  // strides in scratch, `offset` into the root's data); the rest are the rule's parameters.
  view("View", "view", [], "ViewBackward"),
  view("Transpose", "transpose", [{ name: "dim0", type: "i32" }, { name: "dim1", type: "i32" }], undefined, { kind: "view", dims: ["dim0", "dim1"] }),
  // dims packed four bits each: output dim d is input dim (dims >> 4d) & 15
  view("Permute", "permute", [{ name: "dims", type: "i32" }], undefined, { kind: "view", permute: "dims" }),
  view("Expand", "expand", []),
  // narrow, and slices with a step (x.index("::2")): every step-th element along dim from start
  view("Narrow", "narrow", [{ name: "dim", type: "i32" }, { name: "start", type: "i32" }, { name: "step", type: "i32" }],
    "SliceBackward", { kind: "view", dims: ["dim"] }),
  view("Select", "select", [{ name: "dim", type: "i32" }, { name: "index", type: "i32" }], undefined, { kind: "view", dims: ["dim"] }),
  // geometry computed by the bindings; the gradient is scattered back through it
  { ...view("Diagonal", "diagonal", []), backward: "regionBackward" },
  { ...view("Unfold", "unfold", []), backward: "regionBackward" },
  // wg.autograd.Function: a node whose backward is the user's, run by the bindings. The
  // bindings record it over any number of inputs (recordCustom); this entry point, of one
  // input, is not used.
  { name: "Custom", gradFn: "CustomFunctionBackward", binding: "internal", family: "custom", inputs: ["inputs"], dtype: "same",
    forward: "customForward", batch: { kind: "unsupported", reason: "vmap over a custom autograd.Function is not supported: its forward and backward see the batched tensors" }, backward: "customBackward", jvp: "customJvp" },
  // detach(): a view outside the graph
  { name: "Alias", binding: "internal", family: "views", inputs: ["self"], dtype: "same",
    forward: "aliasForward", batch: { kind: "same" }, backward: null },
  { name: "Contiguous", method: "contiguous", gradFn: "CloneBackward", binding: "custom", family: "views",
    inputs: ["self"], dtype: "same", forward: "contiguousForward", batch: { kind: "same" }, backward: "contiguousBackward", jvp: "contiguousJvp" },
  // In-place ops through views (see assembly/ops/views.ts): the base's new history, a view
  // seen through another view's geometry, and that view's adjoint. "view", "template" and
  // "like" are only read for their geometry: they are not inputs of the graph.
  { name: "CopySlices", gradFn: "CopySlices", binding: "internal", family: "views", inputs: ["self", "src", "view"], dtype: "same",
    forward: "copySlicesForward", batch: { kind: "same" }, backward: "copySlicesBackward", jvp: "view" },
  { name: "Region", gradFn: "AsStridedBackward", binding: "internal", family: "views", inputs: ["self", "template"],
    dtype: "same", forward: "regionForward", batch: { kind: "same" }, backward: "regionBackward", jvp: "view" },
  { name: "ScatterRegion", binding: "internal", family: "views", inputs: ["self", "like", "template"], dtype: "same",
    forward: "scatterRegionForward", batch: { kind: "internal" }, backward: "scatterRegionBackward", jvp: "scatterRegionJvp" },
  // narrow's adjoint: zeros of the shape in scratch, the input written along `dim` from `start`
  // every `step`
  { name: "NarrowScatter", binding: "internal", family: "views", inputs: ["self"], dtype: "same",
    params: [{ name: "dim", type: "i32" }, { name: "start", type: "i32" }, { name: "step", type: "i32" },
      { name: "rank", type: "i32" }],
    forward: "narrowScatterForward", batch: { kind: "internal" }, backward: "narrowScatterBackward", jvp: "narrowScatterJvp" },

  // A copy with the dims in `mask` reversed (a strided copy walking them backwards); its
  // own adjoint.
  { name: "Flip", method: "flip", binding: "custom", family: "views", inputs: ["self"],
    params: [{ name: "mask", type: "i32" }], dtype: "same", forward: "flipForward", batch: { kind: "dims", masks: ["mask"] }, backward: "flipBackward", jvp: "flipJvp" },

  // im2col and col2im (assembly/ops/conv.ts), each the other's adjoint and backward rule.
  // The geometry is packed (h << 16) | w per pair; Im2Col's batch_inner lays its columns out
  // (C·kh·kw, N, L) instead of (N, C·kh·kw, L); Col2Im's output size is two more words.
  ...[["Im2Col", "im2colForward", "im2colBackward", [{ name: "batch_inner", type: "i32" }]],
    ["Col2Im", "col2imForward", "col2imBackward", [{ name: "height", type: "i32" }, { name: "width", type: "i32" }]]].map(([name, forward, backward, size]): OpSpec => ({
    name: name as string, binding: "internal", family: "conv", inputs: ["self"], dtype: "same",
    params: [{ name: "kernel", type: "i32" }, { name: "dilation", type: "i32" }, { name: "padding", type: "i32" },
      { name: "stride", type: "i32" }, ...(size as Param[])],
    forward: forward as string, backward: backward as string, batch: { kind: "conv" }, jvp: `${name === "Im2Col" ? "im2col" : "col2im"}Jvp` })),
  // Max pooling over (N, C, H, W) (assembly/ops/pool.ts): the max of each window, and where
  // it lies in its plane written into `indices` (int32, the output's shape, allocated by the
  // bindings). The gradient is scattered back through the indices (PoolScatter), whose
  // adjoint reads a tensor at them (PoolGather).
  ...[["MaxPool2d", "MaxPool2DWithIndicesBackward"], ["AdaptiveMaxPool2d", "AdaptiveMaxPool2DBackward"]].map(
    ([name, gradFn]): OpSpec => ({
      name, gradFn, binding: "internal", family: "pool", inputs: ["self", "indices"], dtype: "same",
      params: [{ name: "kernel", type: "i32" }, { name: "dilation", type: "i32" }, { name: "padding", type: "i32" },
        { name: "stride", type: "i32" }],
      saves: ["indices"], forward: "maxPoolForward", backward: "maxPoolBackward", batch: { kind: "pool" }, jvp: "poolGatherJvp" })),
  { name: "PoolScatter", gradFn: "MaxPool2DWithIndicesBackwardBackward", binding: "internal", family: "pool",
    inputs: ["self", "indices"], params: [{ name: "height", type: "i32" }, { name: "width", type: "i32" }],
    dtype: "same", saves: ["indices"], forward: "poolScatterForward", batch: { kind: "internal" }, backward: "poolScatterBackward", jvp: "poolScatterJvp" },
  { name: "PoolGather", binding: "internal", family: "pool", inputs: ["self", "indices"], dtype: "same",
    saves: ["indices"], forward: "poolGatherForward", batch: { kind: "internal" }, backward: "poolGatherBackward", jvp: "poolGatherJvp" },

  { name: "Softmax", method: "softmax", binding: "custom", family: "softmax", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }], dtype: "float", saves: ["result"],
    forward: "softmaxForward", batch: { kind: "dims", dims: ["dim"] }, backward: "softmaxBackward", jvp: "softmaxJvp" },
  { name: "LogSoftmax", method: "log_softmax", binding: "custom", family: "softmax", inputs: ["self"],
    params: [{ name: "dim", type: "i32" }], dtype: "float", saves: ["result"],
    forward: "softmaxForward", batch: { kind: "dims", dims: ["dim"] }, backward: "logSoftmaxBackward", jvp: "logSoftmaxJvp" },
];
