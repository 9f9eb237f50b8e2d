// torch.nn.functional's dropout, dropout1d, dropout2d and dropout3d, as PyTorch 1.13 defines
// them (its checks, warnings and messages), written as composites of tensor ops so that
// autograd differentiates them: the input times a scaled Bernoulli mask. Arguments are
// checked before any kernel runs; the mask is made in a scope, so that only the result
// outlives the call.

import { Tensor, tensorArg } from "../tensor.js";
import { checkOptions } from "../options.js";
import { fail } from "../shape.js";
import { isFloating, scalarTypeName } from "../dtype.js";
import { warn } from "./loss-reduction.js";
import { dropNoise } from "./layer-helpers.js";

export interface DropoutOptions { p?: number; training?: boolean; inplace?: boolean }
const DROPOUT_OPTIONS = { p: "number", training: "boolean", inplace: "boolean" } as const;

function dropoutArgs(op: string, input: unknown, options: DropoutOptions) {
  checkOptions(op, options, DROPOUT_OPTIONS);
  const x = tensorArg(op, "input", input);
  x._live(op);
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) fail(op, `dropout probability has to be between 0 and 1, but got ${p}`);
  if (!isFloating(x.dtype)) fail(op, `result type Float can't be cast to the desired output type ${scalarTypeName(x.dtype)}`);
  return { x, p, training: options.training ?? true, inplace: options.inplace ?? false };
}

/** Zeroes each element with probability p and scales the others by 1 / (1 - p) while training. */
export function dropout(input: Tensor, options: DropoutOptions = {}): Tensor {
  const { x, p, training, inplace } = dropoutArgs("dropout", input, options);
  return dropNoise(x, p, training, inplace, x.shape);
}

// Channel dropout: one draw per element of the first `kept` dims, shared over the rest.
const channelMask = (x: Tensor, kept: number) => x.shape.map((s, d) => (d < kept ? s : 1));

/** Zeroes whole channels (dim 1 of (N, C, L), dim 0 of (C, L)) with probability p. */
export function dropout1d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const op = "dropout1d";
  const { x, p, training, inplace } = dropoutArgs(op, input, options);
  if (x.ndim !== 2 && x.ndim !== 3) {
    fail(op, `dropout1d: Expected 2D or 3D input, but received a ${x.ndim}D input. Note that dropout1d exists to provide ` +
      "channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension " +
      "(i.e. 2D or 3D inputs).");
  }
  return dropNoise(x, p, training, inplace, channelMask(x, x.ndim === 3 ? 2 : 1));
}

// PyTorch's warning for an input to dropout2d or dropout3d of a rank other than an optional
// batch dim, a channel dim and `spatial` more.
function warnRank(op: string, ndim: number, spatial: number): void {
  if (ndim === spatial + 1 || ndim === spatial + 2) return;
  warn(op, `${op}: Received a ${ndim}-D input to ${op}, which is deprecated and will result in an error in a ` +
    `future release. To retain the behavior and silence this warning, please use dropout instead. Note that ${op} ` +
    `exists to provide channel-wise dropout on inputs with ${spatial} spatial dimensions, a channel dimension, and an optional ` +
    `batch dimension (i.e. ${spatial + 1}D or ${spatial + 2}D inputs).`);
}

/** Zeroes whole channels (dim 1 of (N, C, H, W)) with probability p; a 3-D input is taken as (N, C, L), as PyTorch 1.13 does. */
export function dropout2d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const op = "dropout2d";
  const { x, p, training, inplace } = dropoutArgs(op, input, options);
  warnRank(op, x.ndim, 2);
  if (x.ndim === 3) {
    warn(op, "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - " +
      "input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release " +
      "to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise " +
      "dropout behavior, please switch to using dropout1d instead.");
  }
  if (x.ndim < 2) fail(op, `Feature dropout requires at least 2 dimensions in the input, got ${x.ndim}`);
  return dropNoise(x, p, training, inplace, channelMask(x, 2));
}

/** Zeroes whole channels (dim 1 of (N, C, D, H, W), dim 0 of (C, D, H, W)) with probability p. */
export function dropout3d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const op = "dropout3d";
  const { x, p, training, inplace } = dropoutArgs(op, input, options);
  warnRank(op, x.ndim, 3);
  if (x.ndim < 1) fail(op, "Feature dropout requires at least 2 dimensions in the input, got 1");
  return dropNoise(x, p, training, inplace, channelMask(x, x.ndim === 5 ? 2 : 1));
}
