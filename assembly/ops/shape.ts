// Shape ops. Every tensor is contiguous, so reshape copies the data into the new shape
// and transpose materialises the permuted layout.

import { newTensor, dataPtr, dataBytes, numel, ndim, dim, shapePtr, dtypeOf, elementShift, MAX_DIMS } from "../tensors";
import { at, put } from "../memory";
import { record1, input, paramI, setParamI, setGrad } from "../graph";
import { Op } from "../generated/table";
import { scratch } from "../scratch";

export function reshape(x: i32, rank: i32, shape: usize): i32 {
  const out = newTensor(rank, shape, dtypeOf(x));
  memory.copy(dataPtr(out), dataPtr(x), dataBytes(x));
  record1(out, Op.Reshape, x);
  return out;
}

/** Reshape to the shape (of rank `rank`) in the core's scratch. */
export function reshapeForward(op: i32, x: i32, rank: i32): i32 {
  return reshape(x, rank, scratch);
}

const swapped = heap.alloc(MAX_DIMS << 2);
const inStride = heap.alloc(MAX_DIMS << 2);   // input stride for each output dim
const counter = heap.alloc(MAX_DIMS << 2);


// Copies the rows of x in the permuted order: elements of E (u8, u32 or u64: the bytes of
// any dtype) read with the input stride of each output dim.
function permuteRows<E>(src: usize, dst: usize, n: i32, rank: i32): void {
  const size = sizeof<E>();
  const row = at(swapped, rank - 1), step = at(inStride, rank - 1);
  for (let d = 0; d < rank; d++) put(counter, d, 0);
  let off = 0;
  for (let r = 0, rows = n / row; r < rows; r++) {
    const to = dst + <usize>(r * row) * size;
    if (step == 1) memory.copy(to, src + <usize>off * size, <usize>row * size);
    else for (let j = 0; j < row; j++) store<E>(to + <usize>j * size, load<E>(src + <usize>(off + j * step) * size));
    for (let d = rank - 2; d >= 0; d--) {
      const c = at(counter, d) + 1;
      off += at(inStride, d);
      if (c < at(swapped, d)) { put(counter, d, c); break; }
      put(counter, d, 0);
      off -= at(inStride, d) * c;
    }
  }
}

export function transpose(x: i32, d0: i32, d1: i32): i32 {
  const rank = ndim(x);
  for (let d = 0; d < rank; d++) put(swapped, d, dim(x, d == d0 ? d1 : d == d1 ? d0 : d));
  const out = newTensor(rank, swapped, dtypeOf(x));
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    put(inStride, d == d0 ? d1 : d == d1 ? d0 : d, stride);
    stride *= dim(x, d);
  }
  const n = numel(out);
  if (n > 0) {
    const shift = elementShift(dtypeOf(x));
    if (shift == 3) permuteRows<u64>(dataPtr(x), dataPtr(out), n, rank);
    else if (shift == 2) permuteRows<u32>(dataPtr(x), dataPtr(out), n, rank);
    else permuteRows<u8>(dataPtr(x), dataPtr(out), n, rank);
  }
  setParamI(out, 0, d0);
  setParamI(out, 1, d1);
  record1(out, Op.Transpose, x);
  return out;
}

export function transposeForward(op: i32, x: i32, d0: i32, d1: i32): i32 {
  return transpose(x, d0, d1);
}

export function reshapeBackward(t: i32, g: i32, grads: usize): void {
  const x = input(t, 0);
  setGrad(grads, 0, reshape(g, ndim(x), shapePtr(x)));
}

export function transposeBackward(t: i32, g: i32, grads: usize): void {
  setGrad(grads, 0, transpose(g, paramI(t, 0), paramI(t, 1)));
}
