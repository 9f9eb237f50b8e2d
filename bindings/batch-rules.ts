// vmap's batching rules, one per kind of the op table's `batch` column (spec/ops.ts): each
// runs an op whose inputs carry batch dims (batching.ts) as one call of the core on the
// batched operands, its dims and shapes moved past the batch dims, and returns the result
// (new id) laid out with the call's batch dims first.

import { core, ops } from "./core.js";
import { OPS } from "./generated/ops.js";
import { MAX_DIMS } from "./shape.js";
import {
  aligned, batchDims, examples, param, permuted, physicalShape, physicalStrides, readScratch, reshaped, setParam, setRules,
  unbatched, view, writeScratch, type Call, type Rule,
} from "./batching.js";

const inputCount = (call: Call) => OPS[call.op].inputs.length;
const logicalRank = (id: number) => core.rankOf(id) - batchDims(id);

// Runs the call with the given arguments (borrowed), releasing `temps` afterwards.
function run(call: Call, args: number[], temps: number[]): number {
  try {
    return unbatched(() => call.entry(...args));
  } finally {
    for (const t of temps) core.releaseTensor(t);
  }
}

// The call's tensor inputs aligned to its levels (pad: to `rank` logical dims; full: expanded).
function alignedInputs(call: Call, args: number[], temps: number[], full: boolean, rank?: number, skip: string[] = []): void {
  const names = OPS[call.op].inputs;
  for (let i = 0; i < names.length; i++) {
    const id = args[i];
    if (id === 0 || skip.includes(names[i])) continue;
    const pad = rank === undefined ? 0 : rank - logicalRank(id);
    if (!full && core.batchOf(id) === 0 && rank !== undefined) continue; // broadcasting lines it up from the right
    const a = aligned(id, call.levels, pad, full);
    temps.push(a);
    args[i] = a;
  }
}

// The output shape an op reads from scratch (its rank given by parameter `rank`), with the batch dims first.
function batchedScratchShape(call: Call, args: number[], rank: string): () => void {
  const r = param(call, rank);
  const shape = readScratch(0, r);
  setParam(args, call.op, rank, r + call.k);
  return () => writeScratch([...call.sizes, ...shape]);
}

const elementwise: Rule = (call) => {
  const rule = OPS[call.op].batch as { rank?: string };
  const args = call.args.slice(), temps: number[] = [];
  const n = inputCount(call);
  const writeShape = rule.rank !== undefined ? batchedScratchShape(call, args, rule.rank) : null;
  let rank = 0;
  for (let i = 0; i < n; i++) if (args[i] !== 0) rank = Math.max(rank, logicalRank(args[i]));
  alignedInputs(call, args, temps, false, rank);
  writeShape?.();
  return run(call, args, temps);
};

const dims: Rule = (call) => {
  const rule = OPS[call.op].batch as { dims?: string[]; masks?: string[]; rank?: string; outs?: string[]; expand?: boolean };
  const args = call.args.slice(), temps: number[] = [];
  const writeShape = rule.rank !== undefined ? batchedScratchShape(call, args, rule.rank) : null; // read before views write scratch
  // a 0-d example's dim 0 is no dim at all: it gets one of size 1 (dropped again from an
  // output shaped as the input)
  const scalar = (rule.dims?.length ?? 0) > 0 && logicalRank(args[0]) === 0;
  if (scalar) {
    args[0] = aligned(args[0], call.levels, 1);
    temps.push(args[0]);
  }
  for (const d of rule.dims ?? []) setParam(args, call.op, d, param(call, d) + call.k);
  for (const m of rule.masks ?? []) setParam(args, call.op, m, param(call, m) << call.k);
  if (rule.expand) alignedInputs(call, args, temps, true, undefined, rule.outs);
  // outputs the bindings allocated (indices): the op writes batched ones, which they then
  // take a copy of (the op's node keeps its own)
  const outs = (rule.outs ?? []).map((name) => {
    const at = (OPS[call.op].inputs as readonly string[]).indexOf(name), given = args[at];
    const shape = [...call.sizes, ...physicalShape(given)];
    writeScratch(shape);
    args[at] = core.create(shape.length, core.dtypeCode(given));
    temps.push(args[at]);
    return { given, batched: args[at], shape };
  });
  writeShape?.();
  try {
    const out = unbatched(() => call.entry(...args));
    for (const o of outs) adopt(o.given, o.batched, o.shape, call.levels);
    if (!scalar || rule.rank !== undefined) return out;
    const dropped = reshaped(out, call.sizes);
    core.releaseTensor(out);
    return dropped;
  } finally {
    for (const t of temps) core.releaseTensor(t);
  }
};

// An output the bindings allocated takes the values (and shape) of the batched one the op wrote.
function adopt(given: number, batched: number, shape: number[], levels: number): void {
  writeScratch(shape);
  core.adoptCopy(given, batched, shape.length);
  core.setBatch(given, levels);
}

const viewRule: Rule = (call) => {
  const rule = OPS[call.op].batch as { dims?: string[]; permute?: string };
  const args = call.args.slice();
  const x = args[0], k = call.k;
  const rank = param(call, "rank");
  const shape = readScratch(0, rank), strides = readScratch(MAX_DIMS, rank);
  const own = physicalShape(x).slice(0, k), ownStrides = Array.from({ length: k }, (_, d) => core.strideOfDim(x, d));
  setParam(args, call.op, "rank", rank + k);
  for (const d of rule.dims ?? []) setParam(args, call.op, d, param(call, d) + k);
  if (rule.permute !== undefined) {
    const packed = param(call, rule.permute);
    let moved = 0;
    for (let d = 0; d < k; d++) moved |= d << (4 * d);
    for (let d = 0; d < rank; d++) moved |= (((packed >> (4 * d)) & 15) + k) << (4 * (d + k));
    setParam(args, call.op, rule.permute, moved);
  }
  writeScratch([...own, ...shape]);
  writeScratch([...ownStrides, ...strides], MAX_DIMS);
  return run(call, args, []);
};

// The output keeps the first input's layout (copies, aliases, the views in-place writes make).
const same: Rule = (call) => {
  const own = core.batchOf(call.args[0]);
  if ((call.levels & ~own) !== 0) {
    throw new Error(`vmap: ${call.op}: a batched value cannot be written into a tensor that is not batched the same way ` +
      "(an in-place op of an unbatched tensor with a batched operand); write into a batched copy instead");
  }
  return run(call, call.args.slice(), []);
};

// a @ b of logical rank 2 or 3 each (the bindings' promotion of vectors done): the batch
// dims join the matrix product's batch, or the rows of a when b is shared.
const matmul: Rule = (call) => {
  const [a, b] = call.args;
  const ra = logicalRank(a), rb = logicalRank(b), k = call.k;
  const temps: number[] = [];
  const keep = (id: number) => (temps.push(id), id);
  const shapeA = physicalShape(a).slice(batchDims(a)), shapeB = physicalShape(b).slice(batchDims(b));
  const m = shapeA[ra - 2], n = shapeB[rb - 1];
  try {
    if (core.batchOf(b) === 0 && rb === 2) { // a's batch and rows stacked into the rows of one product
      const rows = keep(reshaped(keep(aligned(a, call.levels, 0, true)), [examples(call) * (ra === 3 ? shapeA[0] : 1) * m, shapeA[ra - 1]]));
      const product = keep(unbatched(() => call.entry(rows, b)));
      return reshaped(product, [...call.sizes, ...(ra === 3 ? [shapeA[0]] : []), m, n]);
    }
    if (core.batchOf(a) === 0 && ra === 2) { // b's batch and columns side by side in the columns of one product
      const kDim = shapeB[rb - 2], count = examples(call) * (rb === 3 ? shapeB[0] : 1);
      const full = keep(aligned(b, call.levels, 0, true)); // [batch..., (s,) k, n]
      const r = core.rankOf(full), fullShape = physicalShape(full);
      const front = keep(permuted(full, [r - 2, ...Array.from({ length: r - 2 }, (_, d) => d), r - 1])); // [k, batch..., (s,) n]
      const columns = keep(reshaped(front, [kDim, count * n]));
      const product = keep(unbatched(() => call.entry(a, columns))); // [m, batch... n]
      const split = keep(reshaped(product, [m, ...fullShape.slice(0, r - 2), n]));
      return permuted(split, [...Array.from({ length: r - 2 }, (_, d) => d + 1), 0, r - 1]); // [batch..., (s,) m, n]
    }
    // otherwise one batched product: both expanded to the batch (and to a common matrix batch)
    const sa = ra === 3 ? shapeA[0] : 1, sb = rb === 3 ? shapeB[0] : 1;
    const batch = sa === 1 ? sb : sa; // the matrices' own batch, broadcast
    const lift = (id: number, r: number, rows: number, cols: number) => {
      const full = keep(aligned(id, call.levels, 3 - r, true)); // [..., 1 or s, rows, cols]
      const expanded = physicalShape(full)[k] === batch ? full
        : keep(view(full, [...call.sizes, batch, rows, cols], physicalStrides(full).map((s, d) => (d === k ? 0 : s)), ops.opExpand));
      return keep(reshaped(expanded, [examples(call) * batch, rows, cols]));
    };
    const product = keep(unbatched(() => call.entry(lift(a, ra, m, shapeA[ra - 1]), lift(b, rb, shapeB[rb - 2], n))));
    return reshaped(product, [...call.sizes, ...(ra === 3 || rb === 3 ? [batch] : []), m, n]);
  } finally {
    for (const t of temps) core.releaseTensor(t);
  }
};

// a . b of vectors: their product summed along the last dim.
const dot: Rule = (call) => {
  const temps: number[] = [];
  const [a, b] = call.args.map((id) => {
    const x = aligned(id, call.levels, 1 - logicalRank(id), true);
    temps.push(x);
    return x;
  });
  const product = unbatched(() => ops.opMul(a, b));
  temps.push(product);
  writeScratch(call.sizes);
  return run({ ...call, entry: ops.opSum as (...x: number[]) => number }, [product, 1 << call.k, call.k], temps);
};

// im2col and col2im of (N, ...) images: the batch dims folded into N.
const conv: Rule = (call) => {
  const x = aligned(call.args[0], call.levels, 0, true);
  const shape = physicalShape(x).slice(call.k);
  const folded = reshaped(x, [examples(call) * shape[0], ...shape.slice(1)]);
  core.releaseTensor(x);
  const out = run(call, [folded, ...call.args.slice(1)], [folded]);
  const outShape = physicalShape(out);
  try {
    if (call.op === "Im2Col" && param(call, "batch_inner") !== 0) { // (C·kh·kw, batch·N, L): the batch dims to the front
      const split = reshaped(out, [outShape[0], ...call.sizes, shape[0], outShape[2]]);
      const moved = permuted(split, [...call.sizes.map((_, d) => d + 1), 0, call.k + 1, call.k + 2]);
      core.releaseTensor(split);
      return moved;
    }
    return reshaped(out, [...call.sizes, shape[0], ...outShape.slice(1)]);
  } finally {
    core.releaseTensor(out);
  }
};

// max pooling of (N, C, H, W): the batch dims folded into N, the indices adopted batched.
const pool: Rule = (call) => {
  const [x0, given] = call.args;
  const x = aligned(x0, call.levels, 0, true);
  const shape = physicalShape(x).slice(call.k);
  const count = examples(call);
  const folded = reshaped(x, [count * shape[0], ...shape.slice(1)]);
  core.releaseTensor(x);
  const indexShape = physicalShape(given);
  writeScratch([count * indexShape[0], ...indexShape.slice(1)]);
  const indices = core.create(4, core.dtypeCode(given));
  const out = run(call, [folded, indices, ...call.args.slice(2)], [folded]);
  adopt(given, indices, [...call.sizes, ...indexShape], call.levels);
  core.releaseTensor(indices);
  const result = reshaped(out, [...call.sizes, shape[0], ...physicalShape(out).slice(1)]);
  core.releaseTensor(out);
  return result;
};

// index_select with a batched index: a gather with the index spread along the other dims.
const indexSelect: Rule = (call) => {
  const [self, index] = call.args;
  const d = param(call, "dim");
  if (core.batchOf(index) === 0) { // self alone is batched: the dim moves past its batch dims
    const args = call.args.slice();
    setParam(args, call.op, "dim", d + call.k);
    return run(call, args, []);
  }
  return gatherAlong(call, self, index, d, (s, i) => unbatched(() => ops.opGather(s, i, d + call.k)));
};

// the index (1-D per example) laid out as the output: [batch..., 1, ..., n, ..., 1] expanded
function gatherAlong(call: Call, self: number, index: number, d: number, take: (s: number, i: number) => number,
  like?: number): number {
  const k = call.k, temps: number[] = [];
  try {
    const s = aligned(self, call.levels, 0, true);
    temps.push(s);
    const i = aligned(index, call.levels, 0, true);
    temps.push(i);
    const target = like ?? s;
    const targetShape = physicalShape(target);
    const n = physicalShape(i)[k];
    const spread = targetShape.map((size, e) => (e < k ? size : e === d + k ? n : 1));
    const spreadView = reshaped(i, spread);
    temps.push(spreadView);
    const outShape = targetShape.map((size, e) => (e === d + k ? n : size));
    const strides = physicalStrides(spreadView).map((st, e) => (spread[e] === outShape[e] ? st : 0));
    const expanded = view(spreadView, outShape, strides, ops.opExpand);
    temps.push(expanded);
    const contiguous = unbatched(() => ops.opContiguous(expanded));
    temps.push(contiguous);
    return take(s, contiguous);
  } finally {
    for (const t of temps) core.releaseTensor(t);
  }
}

// index_copy and index_add: a scatter (or scatter_add) when the index is batched.
const indexPut: Rule = (call) => {
  const [self, index, source] = call.args;
  const d = param(call, "dim"), k = call.k;
  if (core.batchOf(index) === 0) {
    const args = call.args.slice(), temps: number[] = [];
    setParam(args, call.op, "dim", d + k);
    alignedInputs(call, args, temps, true, undefined, ["index"]);
    return run(call, args, temps);
  }
  const src = aligned(source, call.levels, 0, true);
  try {
    return gatherAlong(call, self, index, d, (s, i) => {
      if (call.op === "IndexCopy") return unbatched(() => ops.opScatter(s, i, src, d + k));
      const alpha = param(call, "alpha");
      writeScratch([]);
      const scale = core.create(0, core.dtypeCode(src));
      core.fill(scale, alpha);
      const scaled = unbatched(() => ops.opMul(src, scale));
      core.releaseTensor(scale);
      const out = unbatched(() => ops.opScatterAdd(s, i, scaled, d + k));
      core.releaseTensor(scaled);
      return out;
    }, src);
  } finally {
    core.releaseTensor(src);
  }
};

setRules({
  elementwise, dims, view: viewRule, same, matmul, dot, conv, pool, indexSelect, indexPut,
  internal: (call) => {
    throw new Error(`vmap: the internal op ${call.op} ran on a batched tensor; only backward rules use it (a wasmgrad bug)`);
  },
  unsupported: (call) => {
    throw new Error(`vmap: ${(OPS[call.op].batch as { reason: string }).reason}`);
  },
});
