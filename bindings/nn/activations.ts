// The activations of torch.nn.functional that wasmgrad's tensors lack as methods (mish,
// hardswish, glu, prelu, rrelu, ...), as PyTorch 1.13 defines them, written as composites of
// tensor ops so that autograd differentiates them. Arguments are checked before any kernel
// runs; each function runs in a scope, so that only its result outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { rand } from "../create.js";
import { checkOptions } from "../options.js";
import { fail, normalizeDim } from "../shape.js";
import { isFloating, scalarTypeName } from "../dtype.js";
import { warn } from "./loss-reduction.js";
import { perChannel } from "./layer-helpers.js";
import "../join-ops.js"; // chunk

const floatingInput = (op: string, x: unknown): Tensor => {
  const t = tensorArg(op, "input", x);
  t._live(op);
  if (!isFloating(t.dtype)) fail(op, `not implemented for '${scalarTypeName(t.dtype)}'; convert the input with .float() first`);
  return t;
};

/** x tanh(softplus(x)). */
export function mish(input: Tensor): Tensor {
  const x = floatingInput("mish", input);
  return scope(() => x.mul(x.softplus().tanh()));
}

/** x relu6(x + 3) / 6. */
export function hardswish(input: Tensor): Tensor {
  const x = floatingInput("hardswish", input);
  return scope(() => x.mul(x.add(3).relu6()).div(6));
}

/** relu6(x + 3) / 6. */
export function hardsigmoid(input: Tensor): Tensor {
  const x = floatingInput("hardsigmoid", input);
  return scope(() => x.add(3).relu6().div(6));
}

/** log(sigmoid(x)), as -logaddexp(0, -x): finite for any finite x. */
export function logsigmoid(input: Tensor): Tensor {
  const x = floatingInput("logsigmoid", input);
  return scope(() => x.neg().logaddexp(0).neg());
}

/** x / (1 + |x|). */
export function softsign(input: Tensor): Tensor {
  const x = tensorArg("softsign", "input", input);
  return scope(() => x.div(x.abs().add(1)));
}

/** x - tanh(x). */
export function tanhshrink(input: Tensor): Tensor {
  const x = tensorArg("tanhshrink", "input", input);
  return scope(() => x.sub(x.tanh()));
}

/** softmax(-x) along dim (PyTorch's implicit dim, with its warning, when dim is not given). */
export function softmin(input: Tensor, dim?: number | null): Tensor {
  const op = "softmin";
  const x = tensorArg(op, "input", input);
  x._live(op);
  let d = dim ?? null;
  if (d === null) {
    warn(op, "Implicit dimension choice for softmin has been deprecated. Change the call to include dim=X as an argument.");
    d = x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
  }
  const along = normalizeDim(op, d, x.ndim);
  return scope(() => x.neg().softmax(along));
}

/** a sigmoid(b), a and b the halves of input along dim. */
export function glu(input: Tensor, dim = -1): Tensor {
  const op = "glu";
  const x = tensorArg(op, "input", input);
  x._live(op);
  if (x.ndim === 0) fail(op, "glu does not support scalars because halving size must be even");
  const d = normalizeDim(op, dim, x.ndim);
  if (x.shape[d] % 2 !== 0) fail(op, `Halving dimension must be even, but dimension ${d} is size ${x.shape[d]}`);
  return scope(() => {
    const [a, b] = x.chunk(2, d);
    return a.mul(b.sigmoid());
  });
}

/** x where x > 0, else alpha (e^(x / alpha) - 1). */
export function celu(input: Tensor, alpha = 1): Tensor {
  const x = floatingInput("celu", input);
  if (alpha === 0) fail("celu", "ZeroDivisionError: alpha cannot be 0 for CELU");
  return scope(() => x.div(alpha).elu(1).mul(alpha));
}

/** x where |x| > lambd, else 0. */
export function hardshrink(input: Tensor, lambd = 0.5): Tensor {
  const x = floatingInput("hardshrink", input);
  return scope(() => x.where(x.abs().gt(lambd), 0));
}

/** x - lambd above lambd, x + lambd below -lambd, else 0. */
export function softshrink(input: Tensor, lambd = 0.5): Tensor {
  const x = floatingInput("softshrink", input);
  if (!(lambd >= 0)) fail("softshrink", `lambda must be greater or equal to 0, but found to be ${lambd}.`);
  return scope(() => x.sub(x.clamp(-lambd, lambd)));
}

/** x where x > threshold, else value. */
export function threshold(input: Tensor, threshold: number, value: number): Tensor {
  const x = tensorArg("threshold", "input", input);
  return scope(() => x.where(x.gt(threshold), value));
}

/** x where x > 0, else weight x: weight has one element, or one per channel (dim 1). */
export function prelu(input: Tensor, weight: Tensor): Tensor {
  const op = "prelu";
  const x = floatingInput(op, input), w = tensorArg(op, "weight", weight);
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  if (w.numel() !== 1 && w.numel() !== channels) {
    fail(op, `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${w.numel()} and channel size = ${channels}.`);
  }
  return scope(() => {
    const slope = w.numel() === 1 ? w.reshape([]) : perChannel(w, x.ndim);
    return x.where(x.gt(0), x.mul(slope));
  });
}

/**
 * leaky_relu with a random slope for each element from U(lower, upper) while training, and
 * the mean slope (lower + upper) / 2 otherwise (training false, the default).
 */
export function rrelu(input: Tensor, options: { lower?: number; upper?: number; training?: boolean } = {}): Tensor {
  const op = "rrelu";
  checkOptions(op, options, { lower: "number", upper: "number", training: "boolean" });
  const x = floatingInput(op, input);
  const lower = options.lower ?? 1 / 8, upper = options.upper ?? 1 / 3;
  if (!(lower <= upper)) fail(op, `Lower bound should be less than or equal to the upper bound, got ${lower} and ${upper}`);
  if (!options.training) return x.leaky_relu((lower + upper) / 2);
  return scope(() => x.where(x.gt(0), x.mul(rand(x.shape, { dtype: x.dtype }).mul(upper - lower).add(lower))));
}
