// Buffers for tensor data and the core's own growable arrays.
// The runtime's TLSF allocator owns linear memory from __heap_base; every buffer comes
// from it, 16-byte aligned, so SIMD loads never straddle an allocation boundary.

// Buffers of up to SMALL bytes (0-d and tiny tensors, by far the most frequent in scalar
// code) are recycled through a free list of their own: a push or a pop instead of a trip
// through the general allocator. They are never handed back to it.
const SMALL: usize = 16;
let smallFree: usize = 0; // each free small block stores the next one's address

export function allocBuffer(bytes: usize): usize {
  if (bytes <= SMALL) {
    const p = smallFree;
    if (p != 0) {
      smallFree = load<usize>(p);
      return p;
    }
    return heap.alloc(SMALL); // a zero-size tensor still gets a distinct, valid pointer
  }
  return heap.alloc(bytes);
}

// `bytes` is what was asked of allocBuffer.
export function freeBuffer(ptr: usize, bytes: usize): void {
  if (ptr == 0) return;
  if (bytes <= SMALL) {
    store<usize>(ptr, smallFree);
    smallFree = ptr;
  } else {
    heap.free(ptr);
  }
}

// Copies and fills of a few hundred bytes or less, as vector loops: memory.copy and
// memory.fill are a call out of the compiled code each in V8, which costs more than moving
// a short row (a slot's fields, a shape, a row of im2col or of index_select). The regions
// must not overlap.
const SHORT: usize = 512;

export function copyBytes(dst: usize, src: usize, bytes: usize): void {
  if (bytes > SHORT) { memory.copy(dst, src, bytes); return; }
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i + 4 <= bytes; i += 4) store<u32>(dst + i, load<u32>(src + i));
  for (; i < bytes; i++) store<u8>(dst + i, load<u8>(src + i));
}

export function zeroBytes(dst: usize, bytes: usize): void {
  if (bytes > SHORT) { memory.fill(dst, 0, bytes); return; }
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, i64x2.splat(0));
  for (; i + 4 <= bytes; i += 4) store<u32>(dst + i, 0);
  for (; i < bytes; i++) store<u8>(dst + i, 0);
}

// Small i32 arrays in linear memory: shapes, strides, loop counters.
@inline export function at(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline export function put(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

// A growable stack of i32 in linear memory. Layout: [data ptr, length, capacity].
// The sweep and the release cascade use these instead of recursion, so graphs
// millions of ops deep never touch the wasm call stack.
export function newStack(): usize {
  const s = heap.alloc(12);
  store<u32>(s, <u32>heap.alloc(256 << 2), 0);
  store<i32>(s, 0, 4);
  store<i32>(s, 256, 8);
  return s;
}

@inline export function stackLength(s: usize): i32 {
  return load<i32>(s, 4);
}

@inline export function stackPush(s: usize, value: i32): void {
  const n = load<i32>(s, 4);
  if (n == load<i32>(s, 8)) growStack(s);
  store<i32>(<usize>load<u32>(s, 0) + (<usize>n << 2), value);
  store<i32>(s, n + 1, 4);
}

function growStack(s: usize): void {
  const cap = load<i32>(s, 8) << 1;
  store<u32>(s, <u32>heap.realloc(<usize>load<u32>(s, 0), <usize>cap << 2), 0);
  store<i32>(s, cap, 8);
}

@inline export function stackPop(s: usize): i32 {
  const n = load<i32>(s, 4) - 1;
  store<i32>(s, n, 4);
  return load<i32>(<usize>load<u32>(s, 0) + (<usize>n << 2));
}

@inline export function stackClear(s: usize): void {
  store<i32>(s, 0, 4);
}
