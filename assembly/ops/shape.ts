// Shape ops. Every tensor is contiguous, so reshape copies the data into the new shape
// and transpose materialises the permuted layout.

import {
  newTensor, dataPtr, numel, ndim, dim, shapePtr, geti, seti, IN0, PARAM_I, MAX_DIMS,
} from "../tensors";
import { at, put } from "../memory";
import { record } from "../tape";
import { Op } from "./codes";
import { give } from "./elementwise";

export function reshape(x: i32, rank: i32, shape: usize): i32 {
  const out = newTensor(rank, shape);
  memory.copy(dataPtr(out), dataPtr(x), <usize>numel(x) << 2);
  record(out, Op.Reshape, x, 0, 0);
  return out;
}

const swapped = heap.alloc(MAX_DIMS << 2);
const inStride = heap.alloc(MAX_DIMS << 2);   // input stride for each output dim
const counter = heap.alloc(MAX_DIMS << 2);


export function transpose(x: i32, d0: i32, d1: i32): i32 {
  const rank = ndim(x);
  for (let d = 0; d < rank; d++) put(swapped, d, dim(x, d == d0 ? d1 : d == d1 ? d0 : d));
  const out = newTensor(rank, swapped);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    put(inStride, d == d0 ? d1 : d == d1 ? d0 : d, stride);
    stride *= dim(x, d);
  }
  const n = numel(out);
  if (n > 0) {
    const src = dataPtr(x), dst = dataPtr(out);
    const row = at(swapped, rank - 1), step = at(inStride, rank - 1);
    for (let d = 0; d < rank; d++) put(counter, d, 0);
    let off = 0;
    for (let r = 0, rows = n / row; r < rows; r++) {
      const to = dst + (<usize>(r * row) << 2);
      if (step == 1) memory.copy(to, src + (<usize>off << 2), <usize>row << 2);
      else for (let j = 0; j < row; j++) store<f32>(to + (<usize>j << 2), load<f32>(src + (<usize>(off + j * step) << 2)));
      for (let d = rank - 2; d >= 0; d--) {
        const c = at(counter, d) + 1;
        off += at(inStride, d);
        if (c < at(swapped, d)) { put(counter, d, c); break; }
        put(counter, d, 0);
        off -= at(inStride, d) * c;
      }
    }
  }
  seti(out, PARAM_I, d0 | (d1 << 8));
  record(out, Op.Transpose, x, 0, 0);
  return out;
}

export function shapeBackward(t: i32, op: i32, g: i32): void {
  const x = geti(t, IN0);
  if (op == Op.Reshape) {
    give(t, IN0, reshape(g, ndim(x), shapePtr(x)));
  } else {
    const dims = geti(t, PARAM_I);
    give(t, IN0, transpose(g, dims & 0xff, dims >> 8));
  }
}
