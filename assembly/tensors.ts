// The tensor table. Every tensor is a 256-byte slot in linear memory, addressed by an
// integer id (0 means "none"). A slot holds the tensor's storage and, for a tensor made by
// a recorded op, its node in the graph: the op, its inputs and what backward needs saved.
//
// Two reference counts keep memory bounded without a garbage collector:
// - REFS keeps the slot (shape and graph links) alive: JavaScript handles, and nodes that
//   take the tensor as an input.
// - DATA_REFS keeps the data buffer alive: JavaScript handles, and nodes that saved the
//   value for backward. A sweep that does not retain the graph frees what was saved, then
//   the links of the nodes that saved something (which can never be swept again), so
//   intermediates end up held by their handles alone.

import { allocBuffer, freeBuffer, newStack, stackPush, stackPop, stackLength, stackClear, copyBytes, zeroBytes } from "./memory";
import { Op } from "./generated/table";

// Tells the bindings that custom node id's graph is gone (and, when `freed` is 1, its slot),
// so that they release what its context saved, tensors the core does not know of as the node's.
@external("env", "customReleased") declare function customReleased(id: i32, freed: i32): void;

export const MAX_DIMS = 8;

// Element types, in the order of the bindings' dtype codes (bindings/dtype.ts).
export const F32: i32 = 0;
export const F64: i32 = 1;
export const I32: i32 = 2;
export const BOOL: i32 = 3;

/** log2 of the element size of each dtype. */
@inline export function elementShift(dtype: i32): i32 {
  return dtype == F64 ? 3 : dtype == BOOL ? 0 : 2;
}
@inline export function isFloat(dtype: i32): bool {
  return dtype <= F64;
}

// Field offsets within a slot.
export const DATA: i32 = 0;       // pointer to the data (0 once released)
export const NUMEL: i32 = 4;
export const NDIM: i32 = 8;
export const SHAPE: i32 = 12;     // MAX_DIMS i32
export const REFS: i32 = 44;
export const DATA_REFS: i32 = 48;
export const FLAGS: i32 = 52;
export const VERSION: i32 = 56;   // bumped by every in-place write
export const GRAD: i32 = 60;      // a leaf's accumulated .grad (tensor id)
// The node of the graph that made this tensor (see graph.ts); all 0 for a leaf.
export const OP: i32 = 64;        // op code
export const NIN: i32 = 68;       // number of inputs
export const BASE: i32 = 72;      // a view's root: the tensor that owns its data; 0 for an owner
export const SAVED: i32 = 76;     // bit i: input i saved for backward; SAVE_OUT: the output
export const AUX: i32 = 80;       // an extra tensor the backward rule owns (e.g. max's routing)
export const VER_OUT: i32 = 84;   // the output's version when saved
export const EDGES: i32 = 88;     // bit i: input i needs a gradient
export const CAPTURE: i32 = 92;   // 1 + index into the functional grad() results, or 0
// State of a sweep.
export const MARK: i32 = 96;      // sweep epoch that last reached this tensor
export const DEPS: i32 = 100;     // consumers not yet swept
export const PENDING: i32 = 104;  // gradient being accumulated
export const DTYPE: i32 = 108;    // element type: F32, F64, I32 or BOOL
// Up to INLINE_INPUTS input pairs live in the slot; more in a buffer that INPUTS points to.
// Everything a one- or two-input op touches fits the slot's first two cache lines.
const INLINE_AT: i32 = 112;
export const INLINE_INPUTS: i32 = 2;
// The op's parameters (dims, bounds, scales): PARAM_WORDS 8-byte words.
export const PARAMS: i32 = 128;
export const PARAM_WORDS: i32 = 6;
// Written only for nodes of more than INLINE_INPUTS inputs and for views.
export const INPUTS: i32 = 176;   // pointer to NIN (input id, its version when recorded) pairs
export const STRIDES: i32 = 180;  // a view's strides, MAX_DIMS i32, in elements
export const OFFSET: i32 = 212;   // a view's first element within its root's data
export const VIEWS: i32 = 216;    // a root's live views
export const REWRITES: i32 = 220; // a root's history rewrites by in-place ops through views
export const SEEN: i32 = 224;     // a view's root's REWRITES when the view was made
export const HISTORY: i32 = 228;  // a root's latest CopySlices node, held (see holdHistory)
// The history-cycle check's bookkeeping (see collectHistoryCycles), valid while CYCLE_MARK is its epoch.
const CYCLE_MARK: i32 = 232;
const CYCLE_HELD: i32 = 236;      // references from tensors of the checked subgraph
const CYCLE_LIVE: i32 = 240;
const CYCLE_INDEX: i32 = 244;     // its place in the checked list
// Forward mode (see forward.ts): a root's tangent, a root tensor laid out as the root's data.
// A view's tangent is the same view of it, so views and in-place writes need no rule.
export const TANGENT: i32 = 248;
// vmap (bindings/vmap.ts): the levels whose batch dims lead the shape, one bit per level.
export const BATCH: i32 = 252;
// newTensor zeroes the fields before the inline inputs; the rest is written before it is read.
const ZEROED_BYTES: usize = <usize>INLINE_AT;

export const FLAG_REQUIRES_GRAD: i32 = 1;
export const FLAG_SAVED_FREED: i32 = 2; // what it saved was freed by a backward
export const FLAG_SWEPT: i32 = 4;       // swept by a backward that did not retain the graph
export const FLAG_STRIDED: i32 = 8;     // a view whose strides are not the contiguous ones
export const FLAG_HISTORY: i32 = 16;    // a root that holds its HISTORY node, and that node
export const FLAG_HOOKED: i32 = 128; // its gradient passes through the bindings' hooks (register_hook())
export const FLAG_RETAINS_GRAD: i32 = 64; // a non-leaf whose gradient is kept in GRAD (retain_grad())
const FLAG_CYCLE_PENDING: i32 = 32;       // a root with a history, to be checked for a cycle
export const FLAG_NO_TANGENT: i32 = 256;  // a view that shows its root's data without its tangent (detach, unpack_dual's primal)

export const SAVE_OUT: i32 = 1 << 30;

const SLOT_BYTES: usize = 256;

let table: usize = 0;
let capacity: i32 = 0;
let freeHead: i32 = 0;   // free slots are chained through their NUMEL field
let liveTensors: i32 = 0;
let liveBytes: usize = 0;
const releaseQueue = newStack();
let draining = false;
const shapeCopy = heap.alloc(MAX_DIMS << 2);
const stridesCopy = heap.alloc(MAX_DIMS << 2);

@inline export function slot(id: i32): usize {
  return table + <usize>id * SLOT_BYTES;
}
@inline export function geti(id: i32, field: i32): i32 {
  return load<i32>(slot(id) + <usize>field);
}
@inline export function seti(id: i32, field: i32, v: i32): void {
  store<i32>(slot(id) + <usize>field, v);
}
@inline export function getf(id: i32, field: i32): f32 {
  return load<f32>(slot(id) + <usize>field);
}
@inline export function setf(id: i32, field: i32, v: f32): void {
  store<f32>(slot(id) + <usize>field, v);
}
@inline export function dataPtr(id: i32): usize {
  return <usize>load<u32>(slot(id));
}
@inline export function numel(id: i32): i32 {
  return load<i32>(slot(id), NUMEL);
}
@inline export function ndim(id: i32): i32 {
  return load<i32>(slot(id), NDIM);
}
@inline export function dim(id: i32, d: i32): i32 {
  return load<i32>(slot(id) + <usize>(SHAPE + (d << 2)));
}
@inline export function shapePtr(id: i32): usize {
  return slot(id) + <usize>SHAPE;
}
@inline export function dtypeOf(id: i32): i32 {
  return load<i32>(slot(id), DTYPE);
}
/** Bytes of the tensor's data. */
@inline export function dataBytes(id: i32): usize {
  return <usize>numel(id) << elementShift(dtypeOf(id));
}
@inline export function requiresGrad(id: i32): bool {
  return (geti(id, FLAGS) & FLAG_REQUIRES_GRAD) != 0;
}
@inline export function isLeaf(id: i32): bool {
  return geti(id, OP) == 0;
}

export function tensorCount(): i32 {
  return liveTensors;
}
export function tensorBytes(): usize {
  return liveBytes;
}

let tableBlock: usize = 0; // the allocation the table sits in, aligned to a cache line

function grow(): void {
  const newCapacity = capacity == 0 ? 1024 : capacity << 1;
  const bytes = <usize>newCapacity * SLOT_BYTES;
  const block = heap.alloc(bytes + 64);
  const aligned = (block + 63) & ~(<usize>63);
  if (table != 0) {
    memory.copy(aligned, table, <usize>capacity * SLOT_BYTES);
    heap.free(tableBlock);
  }
  tableBlock = block;
  table = aligned;
  // VIEWS starts at 0 and is back at 0 when a slot is freed (its views hold it), so new
  // tensors need not touch the slot's cold fields; REWRITES only has to agree with SEEN.
  memory.fill(table + <usize>capacity * SLOT_BYTES, 0, <usize>(newCapacity - capacity) * SLOT_BYTES);
  // Slot 0 stays reserved as "none"; chain the new slots onto the free list.
  for (let id = newCapacity - 1; id >= max(capacity, 1); id--) {
    seti(id, NUMEL, freeHead);
    freeHead = id;
  }
  capacity = newCapacity;
}

// The size of the last data allocation asked for: if the allocator cannot grow memory it
// traps, and the bindings name this size in the error.
export let lastRequest: usize = 0;

// A free slot with its fields before the inline inputs zeroed, the shape (and, unless 0,
// the strides) copied in. `shape` and `strides` may point into the table itself, which
// growing moves: they are copied out first.
function takeSlot(rank: i32, shape: usize, strides: usize): i32 {
  if (freeHead == 0) {
    memory.copy(shapeCopy, shape, <usize>rank << 2);
    shape = shapeCopy;
    if (strides != 0) {
      memory.copy(stridesCopy, strides, <usize>rank << 2);
      strides = stridesCopy;
    }
    grow();
  }
  const id = freeHead;
  freeHead = geti(id, NUMEL);
  const s = slot(id);
  zeroBytes(s, ZEROED_BYTES);
  store<i32>(s + <usize>TANGENT, 0);
  store<i32>(s + <usize>BATCH, 0);
  copyBytes(s + <usize>SHAPE, shape, <usize>rank << 2);
  if (strides != 0) copyBytes(s + <usize>STRIDES, strides, <usize>rank << 2);
  return id;
}

// A new tensor with the given shape (read from shape memory), uninitialised data,
// one reference of each kind, owned by the caller.
// Callers must re-derive any pointer into the table afterwards: growing it may move it.
export function newTensor(rank: i32, shape: usize, dtype: i32): i32 {
  let n: i32 = 1;
  for (let d = 0; d < rank; d++) n *= load<i32>(shape + (<usize>d << 2));
  const bytes = <usize>n << elementShift(dtype);
  // Data first: if memory cannot grow, the trap leaves the table untouched.
  lastRequest = bytes;
  const data = allocBuffer(bytes);
  const id = takeSlot(rank, shape, 0);
  const s = slot(id);
  store<i32>(s, n, NUMEL);
  store<i32>(s, rank, NDIM);
  store<u32>(s, <u32>data, DATA);
  store<i32>(s, 1, REFS);
  store<i32>(s, 1, DATA_REFS);
  store<i32>(s, dtype, DTYPE);
  liveTensors++;
  liveBytes += bytes;
  return id;
}

/** The product of t's sizes before dim d: the outer count when t is seen as [outer, len, inner] around d. */
export function sizeBefore(t: i32, d: i32): i32 {
  let n = 1;
  for (let e = 0; e < d; e++) n *= dim(t, e);
  return n;
}

/** The product of t's sizes after dim d: the inner count. */
export function sizeAfter(t: i32, d: i32): i32 {
  let n = 1;
  for (let e = d + 1; e < ndim(t); e++) n *= dim(t, e);
  return n;
}

/** newTensor filled with zeros. */
export function newZeros(rank: i32, shape: usize, dtype: i32): i32 {
  const t = newTensor(rank, shape, dtype);
  memory.fill(dataPtr(t), 0, dataBytes(t));
  return t;
}

/** Zeros of t's shape and dtype. */
export function zerosLike(t: i32): i32 {
  return newZeros(ndim(t), shapePtr(t), dtypeOf(t));
}

export function newTensorLike(src: i32): i32 {
  return newTensor(ndim(src), shapePtr(src), dtypeOf(src));
}

export function retain(id: i32): void {
  seti(id, REFS, geti(id, REFS) + 1);
  seti(id, DATA_REFS, geti(id, DATA_REFS) + 1);
}

export function retainData(id: i32): void {
  seti(id, DATA_REFS, geti(id, DATA_REFS) + 1);
}

export function releaseData(id: i32): void {
  const n = geti(id, DATA_REFS) - 1;
  if (n < 0) abort("a tensor's data was released twice");
  seti(id, DATA_REFS, n);
  if (n != 0) return;
  const base = geti(id, BASE);
  if (base != 0) {
    releaseData(base); // a view's data is its root's
  } else {
    freeBuffer(dataPtr(id), dataBytes(id));
    liveBytes -= dataBytes(id);
  }
  seti(id, DATA, 0);
}

// ---- views ------------------------------------------------------------------------------

/** The tensor that owns t's data: t itself, or a view's root. */
@inline export function rootOf(t: i32): i32 {
  const base = geti(t, BASE);
  return base != 0 ? base : t;
}

/** The version counter, shared by a root and all its views. */
@inline export function versionOf(t: i32): i32 {
  return geti(rootOf(t), VERSION);
}
@inline export function bumpVersion(t: i32): void {
  const root = rootOf(t);
  seti(root, VERSION, geti(root, VERSION) + 1);
}

@inline export function isStrided(t: i32): bool {
  return (geti(t, FLAGS) & FLAG_STRIDED) != 0;
}

/** Stride of dim d in elements: a view's own, or the contiguous one. */
export function strideOf(t: i32, d: i32): i32 {
  if (geti(t, BASE) != 0) return load<i32>(slot(t) + <usize>(STRIDES + (d << 2))); // views keep theirs
  let stride = 1;
  for (let e = ndim(t) - 1; e > d; e--) stride *= max(dim(t, e), 1); // a size 0 counts as 1, as in PyTorch
  return stride;
}

/** A view's first element within its root's data (0 for an owner). */
export function offsetOf(t: i32): i32 {
  return geti(t, BASE) != 0 ? geti(t, OFFSET) : 0;
}

/**
 * A view of x's root: `rank` dims of the given shape and strides (elements), starting at
 * element `offset` of the root's data. It holds the root's slot and data.
 */
export function newView(x: i32, rank: i32, shape: usize, strides: usize, offset: i32): i32 {
  const root = rootOf(x);
  const id = takeSlot(rank, shape, strides);
  const s = slot(id);
  let n: i32 = 1, contiguous = true, expected = 1;
  for (let d = rank - 1; d >= 0; d--) {
    const size = load<i32>(s + <usize>(SHAPE + (d << 2)));
    n *= size;
    if (size != 1 && load<i32>(s + <usize>(STRIDES + (d << 2))) != expected) contiguous = false;
    expected *= size;
  }
  if (n == 0) contiguous = true; // no elements: nothing to lay out, as PyTorch says
  const dtype = dtypeOf(root);
  store<i32>(s, n, NUMEL);
  store<i32>(s, rank, NDIM);
  store<u32>(s, <u32>(dataPtr(root) + (<usize>offset << elementShift(dtype))), DATA);
  store<i32>(s, 1, REFS);
  store<i32>(s, 1, DATA_REFS);
  store<i32>(s, dtype, DTYPE);
  store<i32>(s, root, BASE);
  store<i32>(s, offset, OFFSET);
  store<i32>(s, (contiguous ? 0 : FLAG_STRIDED) | (geti(x, FLAGS) & FLAG_NO_TANGENT), FLAGS);
  seti(root, REFS, geti(root, REFS) + 1);
  seti(root, DATA_REFS, geti(root, DATA_REFS) + 1);
  seti(root, VIEWS, geti(root, VIEWS) + 1);
  seti(id, SEEN, geti(root, REWRITES));
  liveTensors++;
  return id;
}

/** Whether view t predates a rewrite of its root's history (so its own is out of date). */
export function isStale(t: i32): bool {
  const base = geti(t, BASE);
  return base != 0 && geti(t, SEEN) != geti(base, REWRITES);
}

/** Whether t shares its data: it is a view, or views of it are alive. */
export function sharesData(t: i32): bool {
  return geti(t, BASE) != 0 || geti(t, VIEWS) != 0;
}

// Where a node's NIN (input id, version) pairs are. Valid until the table next grows.
@inline export function inputsAt(id: i32): usize {
  return geti(id, NIN) <= INLINE_INPUTS ? slot(id) + <usize>INLINE_AT : <usize>geti(id, INPUTS);
}
// Storage for the n input pairs of a new node `id`.
export function newInputs(id: i32, n: i32): usize {
  if (n <= INLINE_INPUTS) return slot(id) + <usize>INLINE_AT;
  const block = allocBuffer(<usize>n << 3);
  seti(id, INPUTS, <i32>block);
  return block;
}
function freeInputs(n: i32, pairs: usize): void {
  if (n > INLINE_INPUTS) freeBuffer(pairs, <usize>n << 3);
}

// A node's i-th input and the version it had when recorded.
@inline export function inputOf(id: i32, i: i32): i32 {
  return load<i32>(inputsAt(id) + (<usize>i << 3));
}
@inline export function inputVersion(id: i32, i: i32): i32 {
  return load<i32>(inputsAt(id) + (<usize>i << 3), 4);
}

// Drops the node's hold on what it saved for backward; the graph links stay.
export function freeSaved(id: i32, slotFreed: bool = false): void {
  if (geti(id, OP) == Op.Custom) customReleased(id, slotFreed ? 1 : 0);
  const saved = geti(id, SAVED);
  if (saved != 0) {
    const n = geti(id, NIN);
    for (let i = 0; i < n; i++) if (saved & (1 << i)) releaseData(inputOf(id, i));
    if (saved & SAVE_OUT) releaseData(id);
  }
  const aux = geti(id, AUX);
  if (aux != 0) {
    seti(id, AUX, 0);
    release(aux);
  }
  seti(id, SAVED, 0);
}

// Drops the node's links to its inputs (their slots may be freed in turn).
export function unlinkInputs(id: i32): void {
  const n = geti(id, NIN);
  const inputs = inputsAt(id);
  seti(id, NIN, 0);
  seti(id, INPUTS, 0);
  seti(id, EDGES, 0);
  for (let i = 0; i < n; i++) releaseSlot(load<i32>(inputs + (<usize>i << 3)));
  freeInputs(n, inputs);
}

// ---- a root's current history ---------------------------------------------------------
// After an in-place op through a view, a root's history is a CopySlices node (a view of the
// root) that older views regenerate theirs from, even once the base's handle is gone, as
// PyTorch's views keep their base alive. The root holds that node and the node holds the
// root: when nothing else holds either, the pair is released (see drop).

/** Makes node h (a view of t's root) the root's current history, held by the root. */
export function holdHistory(t: i32, h: i32): void {
  const root = rootOf(t);
  const old = historyOf(root);
  seti(h, REFS, geti(h, REFS) + 1);
  seti(h, FLAGS, geti(h, FLAGS) | FLAG_HISTORY);
  seti(root, HISTORY, h);
  if ((geti(root, FLAGS) & FLAG_HISTORY) == 0) historyHolders++;
  seti(root, FLAGS, geti(root, FLAGS) | FLAG_HISTORY);
  if (old != 0) {
    seti(old, FLAGS, geti(old, FLAGS) & ~FLAG_HISTORY);
    releaseSlot(old);
  }
}

/** t's root's current history node, or 0 when no in-place op through a view rewrote it. */
export function historyOf(t: i32): i32 {
  const root = rootOf(t);
  return (geti(root, FLAGS) & FLAG_HISTORY) != 0 ? geti(root, HISTORY) : 0;
}

// A root holding its history h is a reference cycle: h is a view of the root, and reaches it
// again through its inputs (until a backward sweep unlinks them). A storage one of whose
// tensors lost a reference is queued (once), and collectHistoryCycles, which the bindings
// call when a scope ends, after a backward and when asked for memory(), checks each by trial
// deletion of the subgraph reachable from h (up to CYCLE_LIMIT tensors): references from
// outside it keep alive what they reach; if the root is not among those, the root's hold on
// h is dropped and reference counting frees the rest. A larger subgraph is left to the
// sweep, which unlinks it.
const CYCLE_LIMIT = 512;
const cycleNodes = heap.alloc(CYCLE_LIMIT << 2);
let cycleEpoch = 0;
let cycleCount = 0;

// Adds t to the subgraph (once); false when the subgraph is full.
function enter(t: i32): bool {
  if (geti(t, CYCLE_MARK) == cycleEpoch) return true;
  if (cycleCount == CYCLE_LIMIT) return false;
  seti(t, CYCLE_MARK, cycleEpoch);
  seti(t, CYCLE_HELD, 0);
  seti(t, CYCLE_LIVE, 0);
  seti(t, CYCLE_INDEX, cycleCount);
  store<i32>(cycleNodes + (<usize>cycleCount << 2), t);
  cycleCount++;
  return true;
}

// The references t holds (each one of the target's REFS): its inputs, root, aux and grad.
function referencesOf(t: i32, k: i32): i32 {
  const n = geti(t, NIN);
  if (k < n) return inputOf(t, k);
  if (k == n) return geti(t, BASE);
  if (k == n + 1) return geti(t, AUX);
  if (k == n + 2) return geti(t, GRAD);
  return -1;
}

// How many roots hold a history: with none (most programs), drops skip the check.
let historyHolders = 0;
const pendingRoots = newStack();
const PENDING_LIMIT = 256;

function noteHistoryDrop(root: i32): void {
  const flags = geti(root, FLAGS);
  if ((flags & (FLAG_HISTORY | FLAG_CYCLE_PENDING)) != FLAG_HISTORY) return;
  seti(root, FLAGS, flags | FLAG_CYCLE_PENDING);
  stackPush(pendingRoots, root);
  if (stackLength(pendingRoots) >= PENDING_LIMIT && !draining) collectHistoryCycles();
}

/** Frees the roots and histories queued by noteHistoryDrop that only hold each other. */
export function collectHistoryCycles(): void {
  while (stackLength(pendingRoots) > 0) {
    const root = stackPop(pendingRoots);
    const flags = geti(root, FLAGS);
    if ((flags & FLAG_CYCLE_PENDING) == 0) continue; // freed since (a freed slot's flags are cleared)
    seti(root, FLAGS, flags & ~FLAG_CYCLE_PENDING);
    if ((flags & FLAG_HISTORY) == 0) continue;
    releaseHistoryCycle(root);
  }
}

function releaseHistoryCycle(root: i32): void {
  const h = geti(root, HISTORY);
  // Nothing h reaches was made after it, so nothing in its subgraph holds it: a hold on h
  // besides the root's is from outside, and keeps everything alive.
  if (geti(h, REFS) != 1) return;
  cycleEpoch++;
  cycleCount = 0;
  enter(h);
  seti(h, CYCLE_HELD, 1); // the root's hold
  // collect what h reaches, counting the references held inside
  for (let i = 0; i < cycleCount; i++) {
    const node = load<i32>(cycleNodes + (<usize>i << 2));
    for (let k = 0, r = referencesOf(node, 0); r >= 0; r = referencesOf(node, ++k)) {
      if (r == 0) continue;
      if (!enter(r)) return;
      seti(r, CYCLE_HELD, geti(r, CYCLE_HELD) + 1);
    }
  }
  if (geti(root, CYCLE_MARK) != cycleEpoch) return;
  // what is referenced from outside is live, and so is what it reaches (the live tensors
  // are gathered at the front of the list, from `live` on still to be followed)
  let live = 0;
  for (let i = 0; i < cycleCount; i++) {
    const node = load<i32>(cycleNodes + (<usize>i << 2));
    if (geti(node, REFS) > geti(node, CYCLE_HELD)) markLive(node, live++);
  }
  for (let next = 0; next < live; next++) {
    const node = load<i32>(cycleNodes + (<usize>next << 2));
    for (let k = 0, r = referencesOf(node, 0); r >= 0; r = referencesOf(node, ++k)) {
      if (r != 0 && geti(r, CYCLE_LIVE) == 0) markLive(r, live++);
    }
  }
  if (geti(root, CYCLE_LIVE) != 0) return;
  seti(root, FLAGS, geti(root, FLAGS) & ~FLAG_HISTORY);
  historyHolders--;
  seti(h, FLAGS, geti(h, FLAGS) & ~FLAG_HISTORY);
  releaseSlot(h);
}

// Marks t live and moves it to position `at` of the list (swapping with what was there).
function markLive(t: i32, at: i32): void {
  seti(t, CYCLE_LIVE, 1);
  const i = geti(t, CYCLE_INDEX);
  const other = load<i32>(cycleNodes + (<usize>at << 2));
  store<i32>(cycleNodes + (<usize>i << 2), other);
  seti(other, CYCLE_INDEX, i);
  store<i32>(cycleNodes + (<usize>at << 2), t);
  seti(t, CYCLE_INDEX, at);
}

// Drops one slot reference; a slot left with none is queued to be freed, and a storage
// whose root holds its history is queued to be checked for a cycle left without outside
// references. A reference dropped twice is a bug in the core that would corrupt a reused
// slot: it stops loudly.
@inline function drop(id: i32): void {
  const refs = geti(id, REFS) - 1;
  if (refs < 0) abort("a tensor slot was released twice");
  seti(id, REFS, refs);
  if (refs == 0) stackPush(releaseQueue, id);
  else if (historyHolders > 0) noteHistoryDrop(rootOf(id));
}

// Drops a slot reference. Freeing a slot releases its inputs, which may free theirs, and
// so on down a chain: the queue of slots to free keeps that iterative however deep the
// graph is.
export function releaseSlot(id: i32): void {
  drop(id);
  if (draining || stackLength(releaseQueue) == 0) return; // an outer call drains the queue
  draining = true;
  while (stackLength(releaseQueue) > 0) {
    const t = stackPop(releaseQueue);
    freeSaved(t, true);
    const grad = geti(t, GRAD), tangent = geti(t, TANGENT);
    if (geti(t, DATA) != 0) {
      if (geti(t, BASE) != 0) releaseData(geti(t, BASE));
      else {
        freeBuffer(dataPtr(t), dataBytes(t));
        liveBytes -= dataBytes(t);
      }
    }
    const n = geti(t, NIN);
    if (n > 0) {
      const inputs = inputsAt(t);
      for (let i = 0; i < n; i++) {
        drop(load<i32>(inputs + (<usize>i << 3)));
      }
      freeInputs(n, inputs);
    }
    const base = geti(t, BASE);
    if (base != 0) {
      seti(base, VIEWS, geti(base, VIEWS) - 1);
      drop(base);
    }
    seti(t, DATA, 0);
    seti(t, NUMEL, freeHead);
    seti(t, OP, 0);
    seti(t, NIN, 0);
    seti(t, FLAGS, 0);
    freeHead = t;
    liveTensors--;
    if (grad != 0) {
      releaseData(grad);
      drop(grad);
    }
    if (tangent != 0) {
      seti(t, TANGENT, 0);
      releaseData(tangent);
      drop(tangent);
    }
  }
  draining = false;
}

// Drops one owning reference (a handle's, or a temporary's inside a backward rule).
export function release(id: i32): void {
  releaseData(id);
  releaseSlot(id);
}

// Whether only its one JavaScript handle holds this tensor, with no graph to keep: no
// node uses it or saved it, no view shares its data, it is no view itself, it has no .grad,
// and it is a leaf that does not require grad
// or a node whose graph a backward has already swept (evicting it drops the rest of that
// graph, so it comes back as a spent node, see index.ts). The bindings may then move its
// data out of linear memory and free the slot (see bindings/lifetime.ts).
export function evictable(id: i32): bool {
  if (geti(id, REFS) != 1 || geti(id, DATA_REFS) != 1 || geti(id, DATA) == 0) return false;
  if (geti(id, BASE) != 0) return false; // a view: its writes must keep reaching its root
  if (geti(id, GRAD) != 0 || geti(id, CAPTURE) != 0 || geti(id, TANGENT) != 0 || geti(id, BATCH) != 0) return false;
  if (isLeaf(id)) return !requiresGrad(id);
  return (geti(id, FLAGS) & FLAG_SWEPT) != 0;
}

// After a trap (out of memory) inside a release cascade, lets later releases drain again.
export function recoverFromTrap(): void {
  draining = false;
  stackClear(releaseQueue);
}

/**
 * Gives root dst (held by its one owner, seen by nothing else) a copy of src's data, in the
 * shape (of rank `rank`, the same element count) at `shape`: an output the bindings
 * allocated takes the values of the one a batched op made.
 */
export function adoptCopy(dst: i32, src: i32, rank: i32, shape: usize): void {
  const bytes = dataBytes(src);
  const data = allocBuffer(bytes);
  memory.copy(data, dataPtr(src), bytes);
  freeBuffer(dataPtr(dst), dataBytes(dst));
  liveBytes = liveBytes - dataBytes(dst) + bytes;
  const s = slot(dst);
  store<u32>(s, <u32>data, DATA);
  store<i32>(s, numel(src), NUMEL);
  store<i32>(s, rank, NDIM);
  memory.copy(s + <usize>SHAPE, shape, <usize>rank << 2);
}
