// mm, bmm, mv and outer: the matrix product with PyTorch's shape checks for each form (the
// product itself is matmul's, so are the gradients), and outer as a broadcast product (as
// PyTorch's, MulBackward). Added to the Tensor class here.

import { Tensor, tensorArg } from "./tensor.js";
import { scalarTypeName } from "./dtype.js";
import { cat } from "./join-ops.js";
import { permuted, reshaped } from "./contraction.js";
import { broadcastShapes, describe, fail, normalizeDim } from "./shape.js";

declare module "./tensor.js" {
  interface Tensor {
    /** The product of two matrices. */
    mm(mat2: Tensor): Tensor;
    /** The products of two batches of matrices of the same batch size (no broadcasting). */
    bmm(mat2: Tensor): Tensor;
    /** The product of a matrix and a vector. */
    mv(vec: Tensor): Tensor;
    /** The outer product of two vectors. */
    outer(vec2: Tensor): Tensor;
  }
}


Tensor.prototype.mm = function mm(this: Tensor, mat2) {
  tensorArg("mm", "mat2", mat2);
  if (this.ndim !== 2) fail("mm", "self must be a matrix");
  if (mat2.ndim !== 2) fail("mm", "mat2 must be a matrix");
  return this.matmul(mat2);
};

Tensor.prototype.bmm = function bmm(this: Tensor, mat2) {
  tensorArg("bmm", "mat2", mat2);
  if (this.ndim !== 3) fail("bmm", "batch1 must be a 3D tensor");
  if (mat2.ndim !== 3) fail("bmm", "batch2 must be a 3D tensor");
  const [b, , k] = this.shape;
  if (mat2.shape[0] !== b || mat2.shape[1] !== k) {
    fail("bmm", `Expected size for first two dimensions of batch2 tensor to be: [${b}, ${k}] but got: [${mat2.shape[0]}, ${mat2.shape[1]}].`);
  }
  return this.matmul(mat2);
};

Tensor.prototype.mv = function mv(this: Tensor, vec) {
  tensorArg("mv", "vec", vec);
  if (this.ndim !== 2 || vec.ndim !== 1) {
    fail("mv", `vector + matrix @ vector expected, got ${this.ndim}, ${vec.ndim}`);
  }
  if (this.shape[1] !== vec.shape[0]) fail("mv", `size mismatch, got ${this.shape[0]}, ${this.shape[0]}x${this.shape[1]},${vec.shape[0]}`);
  return this.matmul(vec);
};

Tensor.prototype.outer = function outer(this: Tensor, vec2) {
  tensorArg("outer", "vec2", vec2);
  if (this.ndim !== 1) fail("outer", `Expected 1-D argument self, but got ${this.ndim}-D`);
  if (vec2.ndim !== 1) fail("outer", `Expected 1-D argument vec2, but got ${vec2.ndim}-D`);
  return this.unsqueeze(1).mul(vec2);
};

// ---- tensordot, einsum and cross ------------------------------------------------------
//
// Composites of views, sums and the matrix product: each contraction permutes its operands
// so that the contracted dims lie together and merges dims by reshaping (a view where the
// strides allow), so one (batched) GEMM does the work, and the gradients are those of
// the parts.

declare module "./tensor.js" {
  interface Tensor {
    /** The cross product of 3-vectors along `dim` (linalg.cross's default, -1), broadcast. */
    cross(other: Tensor, dim?: number): Tensor;
  }
}

// PyTorch's check that the operands of a contraction share one dtype (no promotion).
// PyTorch's check that the operands of a contraction share one scalar type.
function oneScalarType(op: string, tensors: Tensor[]): void {
  tensors.forEach((t) => {
    if (t.dtype !== tensors[0].dtype) fail(op, `expected scalar type ${scalarTypeName(tensors[0].dtype)} but found ${scalarTypeName(t.dtype)}`);
  });
}

const product = (sizes: readonly number[]) => sizes.reduce((a, b) => a * b, 1);


/**
 * The sum over the dims `dims[0]` of a and `dims[1]` of b (pairwise) of their products, or
 * over the last `dims` of a and the first `dims` of b: the free dims of a, then b's.
 */
export function tensordot(a: Tensor, b: Tensor, dims: number | [number[], number[]] = 2): Tensor {
  tensorArg("tensordot", "a", a);
  tensorArg("tensordot", "b", b);
  let dimsA: number[], dimsB: number[];
  if (typeof dims === "number") {
    if (!Number.isInteger(dims) || dims < 0) fail("tensordot", `tensordot expects dims >= 0, but got dims=${dims}`);
    if (dims > a.ndim || dims > b.ndim) {
      fail("tensordot", `tensordot expects dims < ndim_a or ndim_b, but got dims=${dims}`);
    }
    dimsA = Array.from({ length: dims }, (_, i) => i - dims);
    dimsB = Array.from({ length: dims }, (_, i) => i);
  } else {
    if (!Array.isArray(dims) || dims.length !== 2 || !dims.every(Array.isArray)) {
      throw new TypeError(`tensordot(): argument 'dims' must be an integer or a pair of lists of dims, got ${describe(dims)}`);
    }
    [dimsA, dimsB] = dims;
    if (dimsA.length !== dimsB.length) fail("tensordot", "both dimension lists should have same length");
  }
  const da = distinctDims("tensordot", dimsA, a.ndim), db = distinctDims("tensordot", dimsB, b.ndim);
  oneScalarType("tensordot", [a, b]);
  if (!a.is_floating_point) {
    fail("tensordot", `integer and bool contractions are not supported (got ${a.dtype}); convert with .float() or .double() first`);
  }
  let x = a, y = b;
  // a contracted dim of size 1 against a longer one: the longer one is summed first, as PyTorch does
  da.forEach((d, i) => {
    const sa = x._shape[d], sb = y._shape[db[i]];
    if (sb === 1) x = x.sum(d, true);
    else if (sa === 1) y = y.sum(db[i], true);
    else if (sa !== sb) {
      fail("tensordot", `contracted dimensions need to match, but first has size ${sa} in dim ${dimsA[i]} and second ` +
        `has size ${sb} in dim ${dimsB[i]}`);
    }
  });
  const freeA = x._shape.map((_, d) => d).filter((d) => !da.includes(d));
  const freeB = y._shape.map((_, d) => d).filter((d) => !db.includes(d));
  const k = product(da.map((d) => x._shape[d]));
  const left = reshaped(permuted(x, [...freeA, ...da]), [product(freeA.map((d) => x._shape[d])), k]);
  const right = reshaped(permuted(y, [...db, ...freeB]), [k, product(freeB.map((d) => y._shape[d]))]);
  return reshaped(left.matmul(right), [...freeA.map((d) => x._shape[d]), ...freeB.map((d) => y._shape[d])]);
}

function distinctDims(op: string, dims: number[], rank: number): number[] {
  const ds = dims.map((d) => normalizeDim(op, d, rank));
  ds.forEach((d, i) => {
    if (ds.indexOf(d) !== i) fail(op, `dim ${d} appears multiple times in the list of dims`);
  });
  return ds;
}

// ---- einsum ----------------------------------------------------------------------------

// A parsed subscript list: a label (a letter's code, 0..51 with the capitals first, as
// PyTorch orders them) per dim, and the position of the ellipsis among them (-1: none).
interface Subscripts { labels: number[]; ellipsis: number }

const ELLIPSIS = -1;
const ELLIPSIS_DIM = 100; // frame dims of the ellipsis: ELLIPSIS_DIM + k

function labelOf(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 97 + 26;
  return -1;
}

const letter = (label: number) => String.fromCharCode(label < 26 ? 65 + label : 97 + label - 26);

// The subscripts of `part`, which starts at `start` in the equation (for error positions).
function parseSubscripts(part: string, start: number, what: string): Subscripts {
  const labels: number[] = [];
  let ellipsis = -1;
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === " ") continue;
    if (c === ".") {
      if (ellipsis >= 0) fail("einsum", `found '.' for ${what} for which an ellipsis was already found`);
      if (part.slice(i, i + 3) !== "...") fail("einsum", `found '.' for ${what} that is not part of any ellipsis`);
      ellipsis = labels.length;
      labels.push(ELLIPSIS);
      i += 2;
      continue;
    }
    const label = labelOf(c);
    if (label < 0) {
      fail("einsum", `invalid subscript given at index ${start + i} in the equation string, subscripts must be in [a-zA-Z]`);
    }
    labels.push(label);
  }
  return { labels, ellipsis };
}

// Output-side messages differ a little from the operands' in PyTorch.
function parseOutput(part: string, start: number): Subscripts {
  for (let i = 0, found = false; i < part.length; i++) {
    if (part[i] !== ".") continue;
    if (part.slice(i, i + 3) !== "...") fail("einsum", "found '.' for output that is not part of any ellipsis (...)");
    if (found) fail("einsum", "found '.' for output but an ellipsis (...) was already found");
    found = true;
    i += 2;
  }
  return parseSubscripts(part, start, "output");
}

/**
 * Einstein summation, as torch.einsum: "ij,jk->ik", the output implied when "->" is
 * omitted (the letters that appear once, in alphabetical order, capitals first, after the
 * ellipsis dims), repeated letters within an operand (its diagonal), "..." for broadcast
 * dims, and the operands contracted left to right, each pair by one batched matrix product.
 */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  if (typeof equation !== "string") {
    throw new TypeError(`einsum(): argument 'equation' (position 1) must be str, not ${describe(equation)}`);
  }
  const tensors = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  if (tensors.length === 0) fail("einsum", "must specify the equation string and at least one operand");
  tensors.forEach((t, i) => tensorArg("einsum", `operands[${i}]`, t));
  const arrow = equation.indexOf("->");
  const lhs = arrow < 0 ? equation : equation.slice(0, arrow);
  const inputs: Subscripts[] = [];
  let at = 0;
  for (const part of lhs.split(",")) {
    inputs.push(parseSubscripts(part, at, `operand ${inputs.length}`));
    at += part.length + 1;
  }
  if (tensors.length < inputs.length) fail("einsum", "fewer operands were provided than specified in the equation");
  if (tensors.length > inputs.length) fail("einsum", "more operands were provided than specified in the equation");
  if (tensors.length > 1) oneScalarType("einsum", tensors);

  // how many dims each operand's ellipsis covers
  const ellipsisDims = inputs.map((s, i) => {
    const named = s.labels.length - (s.ellipsis >= 0 ? 1 : 0);
    const rank = tensors[i].ndim;
    if (s.ellipsis < 0 ? rank !== named : rank < named) {
      fail("einsum", `the number of subscripts in the equation (${named}) ` +
        (s.ellipsis < 0 ? `does not match the number of dimensions (${rank}) for operand ${i} and no ellipsis was given`
          : `is more than the number of dimensions (${rank}) for operand ${i}`));
    }
    return s.ellipsis < 0 ? 0 : rank - named;
  });
  const spread = Math.max(0, ...ellipsisDims);
  const counts = new Array<number>(52).fill(0);
  for (const s of inputs) for (const l of s.labels) if (l !== ELLIPSIS) counts[l]++;

  const output = arrow >= 0 ? parseOutput(equation.slice(arrow + 2), arrow + 2) : implicitOutput(counts);
  output.labels.forEach((l, i) => {
    if (l === ELLIPSIS) return;
    if (output.labels.indexOf(l) !== i) fail("einsum", `output subscript ${letter(l)} appears more than once in the output`);
    if (counts[l] === 0) {
      fail("einsum", `output subscript ${letter(l)} does not appear in the equation for any input operand`);
    }
  });
  // the output's dims: labels, and ellipsis dims (ELLIPSIS_DIM + k, k counted from the left)
  const outDims = withEllipsis(output.labels, spread, 0);
  const kept = new Set(outDims);
  const named = labelled(tensors, inputs, ellipsisDims, spread);
  let result = named[0];
  if (named.length === 1) result = sumOut(result, result.dims.filter((d) => !kept.has(d)));
  for (let i = 1; i < named.length; i++) {
    // summed over now: the dims outside the output that no later operand has (but as a broadcast 1)
    const later = named.slice(i + 1);
    const summed = new Set([...result.dims, ...named[i].dims].filter((d) => !kept.has(d) && later.every((o) => sizeIn(o, d) === 1)));
    result = pairProduct(result, named[i], summed);
  }
  // the result's dims in the output's order, then its leftover dims (all of size 1), seen
  // with the output's shape (a size 1 where the result lacks an output dim)
  const order = result.dims.map((_, i) => i).sort((p, q) => rank(outDims, result.dims[p]) - rank(outDims, result.dims[q]));
  return reshaped(permuted(result.t, order), outDims.map((d) => sizeIn(result, d)));
}

// An operand of a contraction: a tensor whose dim i is dims[i], a label (0..51) or an
// ellipsis dim (ELLIPSIS_DIM + k); each dim at most once.
interface Labelled { t: Tensor; dims: number[] }

// labels with the ellipsis replaced by `count` ellipsis dims, from ELLIPSIS_DIM + first
function withEllipsis(labels: number[], count: number, first: number): number[] {
  const dims: number[] = [];
  for (const l of labels) {
    if (l !== ELLIPSIS) dims.push(l);
    else for (let k = 0; k < count; k++) dims.push(ELLIPSIS_DIM + first + k);
  }
  return dims;
}

const sizeIn = (o: Labelled, d: number) => {
  const i = o.dims.indexOf(d);
  return i < 0 ? 1 : o.t._shape[i];
};

// Where d comes in the output (dims not in it after all of them).
const rank = (outDims: number[], d: number) => {
  const i = outDims.indexOf(d);
  return i < 0 ? outDims.length : i;
};

function sumOut(o: Labelled, dims: number[]): Labelled {
  if (dims.length === 0) return o;
  const at = dims.map((d) => o.dims.indexOf(d));
  return { t: o.t.sum(at), dims: o.dims.filter((d) => !dims.includes(d)) };
}

// The operands with their dims named, a repeated label first reduced to its diagonal; the
// sizes of each dim checked to broadcast across the operands, in PyTorch's words.
function labelled(tensors: Tensor[], inputs: Subscripts[], ellipsisDims: number[], spread: number): Labelled[] {
  const seen = new Map<number, number>();
  return tensors.map((t, i) => {
    const ell = ellipsisDims[i];
    const dims = withEllipsis(inputs[i].labels, ell, spread - ell);
    let x = t;
    for (let d2 = 0; d2 < dims.length; d2++) { // a repeated label: the diagonal, as a last dim
      const d1 = dims.indexOf(dims[d2]);
      if (d1 === d2) continue;
      if (x._shape[d1] !== x._shape[d2]) {
        fail("einsum", `subscript ${letter(dims[d1])} is repeated for operand ${i} but the sizes don't match, ` +
          `${x._shape[d2]} != ${x._shape[d1]}`);
      }
      x = x.diagonal(0, d1, d2);
      dims.push(dims[d1]);
      dims.splice(d2, 1);
      dims.splice(d1, 1);
      d2 = -1;
    }
    dims.forEach((f, d) => {
      const size = x._shape[d], before = seen.get(f);
      if (before !== undefined && before !== 1 && size !== 1 && size !== before) {
        fail("einsum", f >= ELLIPSIS_DIM
          ? `dimension ${f - ELLIPSIS_DIM - (spread - ell)} covered by ellipsis in operand ${i} has size ${size} ` +
            `which does not broadcast with previously seen ellipsis with size ${before} for the respective dimension`
          : `subscript ${letter(f)} has size ${size} for operand ${i} which does not broadcast with ` +
            `previously seen size ${before}`);
      }
      if (before === undefined || before === 1) seen.set(f, size);
    });
    return { t: x, dims };
  });
}

// The product of two operands summed over the dims in `summed`. Dims both have (of a size
// other than 1) are a batch, a's own are rows, b's own columns, and the summed ones both
// have the inner dim of one (batched) matrix product; a summed dim only one has is summed
// first. Each operand is permuted and reshaped once into its matrix (a view where the
// strides allow); the result keeps the batch, row and column dims, in that order.
function pairProduct(a: Labelled, b: Labelled, summed: Set<number>): Labelled {
  const batch: number[] = [], rows: number[] = [], cols: number[] = [], inner: number[] = [];
  const onlyA: number[] = [], onlyB: number[] = [];
  for (const d of new Set([...a.dims, ...b.dims])) {
    const inA = sizeIn(a, d) !== 1, inB = sizeIn(b, d) !== 1;
    if (summed.has(d)) {
      if (inA && inB) inner.push(d);
      else if (inA) onlyA.push(d);
      else if (inB) onlyB.push(d);
    } else if (inA && inB) batch.push(d);
    else if (inA) rows.push(d);
    else if (inB) cols.push(d);
    else batch.push(d); // of size 1 in both: kept, a batch of 1
  }
  const x = sumOut(a, onlyA), y = sumOut(b, onlyB);
  const sizeOf = (d: number) => (sizeIn(x, d) === 1 ? sizeIn(y, d) : sizeIn(x, d)); // 1 broadcasts, also to 0
  const size = (ds: number[]) => product(ds.map(sizeOf));
  const lead = batch.length > 0 ? [size(batch)] : []; // without a batch, a plain matrix product
  const asMatrix = (o: Labelled, first: number[], second: number[]) => {
    const placed = [...batch, ...first, ...second];
    // a dim of size 1 that only the other side spans may go anywhere: last
    const place = (d: number) => (placed.includes(d) ? placed.indexOf(d) : placed.length);
    const order = o.dims.map((_, i) => i).sort((p, q) => place(o.dims[p]) - place(o.dims[q]));
    return reshaped(permuted(o.t, order), [...lead, size(first), size(second)]);
  };
  const left = asMatrix(x, rows, inner), right = asMatrix(y, inner, cols);
  if (!x.t.is_floating_point && inner.length > 0) {
    fail("einsum", `integer and bool contractions are not supported (got ${x.t.dtype}); convert with .float() or .double() first`);
  }
  // nothing to contract (an inner dim of 1): a broadcast product of columns by rows
  const out = inner.length === 0 ? left.mul(right) : left.matmul(right);
  const dims = [...batch, ...rows, ...cols];
  return { t: reshaped(out, dims.map(sizeOf)), dims };
}

function implicitOutput(counts: number[]): Subscripts {
  const labels = [ELLIPSIS];
  for (let l = 0; l < 52; l++) if (counts[l] === 1) labels.push(l);
  return { labels, ellipsis: 0 };
}

Tensor.prototype.cross = function cross(this: Tensor, other, dim = -1) {
  tensorArg("cross", "other", other);
  if (this.ndim !== other.ndim) fail("cross", "linalg.cross: inputs must have the same number of dimensions.");
  const d = normalizeDim("cross", dim, this.ndim);
  if (this._shape[d] !== 3 || other._shape[d] !== 3) {
    fail("cross", `linalg.cross: inputs dimension ${dim} must have length 3. Got ${this._shape[d]} and ${other._shape[d]}`);
  }
  broadcastShapes("cross", this._shape, other._shape);
  oneScalarType("cross", [this, other]);
  const a = [0, 1, 2].map((i) => this.narrow(d, i, 1)), b = [0, 1, 2].map((i) => other.narrow(d, i, 1));
  const component = (i: number, j: number) => a[i].mul(b[j]).sub(a[j].mul(b[i]));
  return cat([component(1, 2), component(2, 0), component(0, 1)], d);
};

export const cross = (input: Tensor, other: Tensor, dim = -1): Tensor => tensorArg("cross", "input", input).cross(other, dim);
