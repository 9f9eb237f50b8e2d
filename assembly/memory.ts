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
