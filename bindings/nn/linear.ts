// torch.nn.functional's linear maps, linear and bilinear, as PyTorch 1.13 defines them,
// written as composites of tensor ops (matmul and its friends) so that autograd
// differentiates them. Arguments are checked before any kernel runs; each function runs in a
// scope, so that only its result outlives it.

import { Tensor, tensorArg } from "../tensor.js";
import { scope } from "../lifetime.js";
import { fail, formatShape } from "../shape.js";
import { optionalTensor } from "./layer-helpers.js";

/** input @ weight.T + bias: weight (out_features, in_features), or (in_features) for one output without its dim. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = "linear";
  const x = tensorArg(op, "input", input), w = tensorArg(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  x._live(op);
  w._live(op);
  if (x.ndim === 0 || w.ndim === 0) {
    fail(op, `both arguments to matmul need to be at least 1D, but they are ${x.ndim}D and ${w.ndim}D`);
  }
  if (w.ndim > 2) fail(op, `weight must be 1-D or 2-D, got a ${w.ndim}-D tensor of shape ${formatShape(w.shape)}`);
  const inFeatures = x.shape[x.ndim - 1], rows = x.numel() / Math.max(inFeatures, 1);
  const wIn = w.shape[w.ndim - 1];
  if (inFeatures !== wIn) {
    fail(op, `mat1 and mat2 shapes cannot be multiplied (${x.ndim === 1 ? 1 : rows}x${inFeatures} and ` +
      `${wIn}x${w.ndim === 2 ? w.shape[0] : 1})`);
  }
  if (b !== null) {
    if (w.ndim === 1) fail(op, "mat2 must be a matrix, got 1-D tensor");
    const outShape = [...x.shape.slice(0, -1), w.shape[0]];
    // bias is expanded to the output's shape, as PyTorch's addmm does: it may not grow it
    const lead = outShape.length - b.ndim;
    const bad = b.shape.findIndex((s, d) => s !== 1 && s !== outShape[lead + d]);
    if (lead < 0 || bad >= 0) {
      const d = lead < 0 ? 0 : lead + bad;
      fail(op, `The expanded size of the tensor (${outShape[d]}) must match the existing size (${b.shape[d - lead]}) at ` +
        `non-singleton dimension ${d}.  Target sizes: ${formatShape(outShape)}.  Tensor sizes: ${formatShape(b.shape)}`);
    }
  }
  return scope(() => {
    const out = x.matmul(w.ndim === 2 ? w.t() : w);
    return b === null ? out : out.add(b);
  });
}

/** y_o = x1ᵀ A_o x2 + b_o over the last dims: weight (out, in1, in2); the leading dims of x1 and x2 must agree. */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = "bilinear";
  const x1 = tensorArg(op, "input1", input1), x2 = tensorArg(op, "input2", input2);
  const w = tensorArg(op, "weight", weight), b = optionalTensor(op, "bias", bias);
  if (x1.ndim !== x2.ndim) fail(op, `bilinear(): input dimensions do not match: got ${x1.ndim} and ${x2.ndim}`);
  for (let d = 0; d < x1.ndim - 1; d++) {
    if (x1.shape[d] !== x2.shape[d]) {
      fail(op, `bilinear(): input batch dimensions do not match at dim ${d}: got ${x1.shape[d]} and ${x2.shape[d]}`);
    }
  }
  if (w.ndim !== 3) fail(op, `weight must be 3-D (out_features, in1_features, in2_features), got shape ${formatShape(w.shape)}`);
  const [out, in1, in2] = w.shape;
  const n1 = x1.shape[x1.ndim - 1], n2 = x2.shape[x2.ndim - 1];
  if (n1 !== in1) fail(op, `bilinear(): input1 size does not match weight size: got ${n1} but expected ${in1}`);
  if (n2 !== in2) fail(op, `bilinear(): input2 size does not match weight size: got ${n2} but expected ${in2}`);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== out)) {
    fail(op, `bilinear(): bias size does not match weight size: got ${b.shape[b.ndim - 1]} but expected ${out}`);
  }
  return scope(() => {
    const a = x1.reshape([-1, in1]), c = x2.reshape([-1, in2]);
    // (rows, in1) @ (in1, out * in2): each row's x1ᵀ A_o for every o, then the dot with x2
    const left = a.matmul(w.permute([1, 0, 2]).reshape([in1, out * in2])).reshape([-1, out, in2]);
    let y = left.mul(c.unsqueeze(1)).sum(-1).reshape([...x1.shape.slice(0, -1), out]);
    if (b !== null) y = y.add(b);
    return y;
  });
}
