// Forward mode: tangents pushed from the inputs towards the outputs as the ops run, as
// torch.autograd.forward_ad does. Inside a dual level every op's output gets a tangent when
// one of its inputs has one, from the op's forward-mode rule in the table:
//   - "elementwise": the Jacobian of each input is diagonal, so the backward rule run on an
//     input's tangent (in place of the output's gradient) gives that input's share of the
//     output's tangent (PyTorch's auto_element_wise);
//   - "view": the output shares its input's data, and its tangent is the same view of the
//     input's tangent (below);
//   - a rule of its family file, which returns the output's tangent.
// Tangents live with the data: a root tensor's tangent is a root laid out as its data, and a
// view's tangent is that tangent seen through the view's geometry. Views therefore need no
// rule, and an in-place write through a view writes its tangent through the same view
// (writeTangent). Rules are written with ops, so a tangent that depends on tensors that
// require grad is recorded for backward (reverse over forward), and ops run by a backward
// sweep inside a level push tangents too (forward over reverse).

import {
  geti, seti, dtypeOf, isFloat, ndim, dim, rootOf, retain, release, newZeros, newInputs, shapePtr, requiresGrad,
  TANGENT, FLAGS, FLAG_NO_TANGENT, OP, NIN, EDGES, BASE, REFS, DATA_REFS, INLINE_INPUTS, INPUTS,
} from "./tensors";
import { newStack, stackPush, stackPop, stackLength, freeBuffer } from "./memory";
import { setTangentHook } from "./graph";
import { jvpKindOf, JVP_ELEMENTWISE, JVP_VIEW, Op } from "./generated/table";
import { applyRule, applyJvp } from "./generated/dispatch";
import { add, toForward } from "./ops/elementwise";
import { copyInto, regionForward, contiguousForward, withRegionReplaced } from "./ops/views";

const MAX_INPUTS = 32;
const args = heap.alloc(MAX_INPUTS << 2); // the inputs, copied: recordN's may be a buffer the rule's ops reuse
const tangents = heap.alloc(MAX_INPUTS << 2);
const grads = heap.alloc(MAX_INPUTS << 2);
const holders = newStack(); // roots given a tangent in this level
let level = false;

export function inDualLevel(): bool {
  return level;
}

/** Enters the dual level; false when one is already open (levels do not nest). */
export function enterDualLevel(): bool {
  if (level) return false;
  level = true;
  setTangentHook(true, push);
  return true;
}

/** Stops (false) or resumes (true) pushing tangents inside the level: custom Functions' forward. */
export function pushingTangents(on: bool): void {
  setTangentHook(on && level, push);
}

/** Leaves the dual level: every tangent is dropped, as PyTorch drops them. */
export function exitDualLevel(): void {
  setTangentHook(false, push);
  level = false;
  while (stackLength(holders) > 0) dropTangent(stackPop(holders));
}

function dropTangent(root: i32): void {
  const t = geti(root, TANGENT);
  if (t == 0) return; // freed since (its slot released it) or dropped already
  seti(root, TANGENT, 0);
  release(t);
}

/** Whether t shows a tangent. */
export function hasTangent(x: i32): bool {
  return level && (geti(x, FLAGS) & FLAG_NO_TANGENT) == 0 && geti(rootOf(x), TANGENT) != 0;
}

/** t's tangent (a new reference), or 0 when it has none. */
export function tangentOf(x: i32): i32 {
  if ((geti(x, FLAGS) & FLAG_NO_TANGENT) != 0) return 0;
  const root = rootOf(x);
  const shadow = geti(root, TANGENT);
  if (shadow == 0) return 0;
  if (root == x) {
    retain(shadow);
    return shadow;
  }
  return regionForward(Op.Region, shadow, x); // x's geometry over the root's tangent
}

// Whether t is a root that nothing else holds or sees, so that it can become a tangent as it is.
function ownedRoot(t: i32): bool {
  return geti(t, BASE) == 0 && geti(t, REFS) == 1 && geti(t, DATA_REFS) == 1 && geti(t, TANGENT) == 0;
}

function sameShape(a: i32, b: i32): bool {
  if (ndim(a) != ndim(b)) return false;
  for (let d = 0; d < ndim(a); d++) if (dim(a, d) != dim(b, d)) return false;
  return true;
}

// t (owned) broadcast to out's shape and converted to its dtype.
function fitted(t: i32, out: i32): i32 {
  if (dtypeOf(t) != dtypeOf(out)) {
    const c = toForward(Op.To, t, dtypeOf(out));
    release(t);
    t = c;
  }
  if (!sameShape(t, out)) {
    const zeros = newZeros(ndim(out), shapePtr(out), dtypeOf(out));
    const b = add(zeros, t);
    release(zeros);
    release(t);
    t = b;
  }
  return t;
}

// The root's tangent, zeros made for it when it has none.
function shadowOf(root: i32): i32 {
  let shadow = geti(root, TANGENT);
  if (shadow == 0) {
    shadow = newZeros(ndim(root), shapePtr(root), dtypeOf(root));
    seti(root, TANGENT, shadow);
    stackPush(holders, root);
  }
  return shadow;
}

/** Gives out the tangent t (owned; 0 for zeros where out already shows a tangent). */
export function setTangent(out: i32, t: i32): void {
  const root = rootOf(out);
  if (root == out && geti(out, TANGENT) == 0) {
    if (t == 0) return;
    t = fitted(t, out);
    if (!ownedRoot(t)) {
      const copy = contiguousForward(Op.Contiguous, t); // a root of its own, still in the graph
      release(t);
      t = copy;
    }
    seti(out, TANGENT, t);
    stackPush(holders, out);
    return;
  }
  writeTangent(out, t);
}

/**
 * Writes tangent t (owned; 0: zeros) into the part of its root's tangent that view (or
 * root) `out` shows: the tangent side of an in-place write. In place, as the write of the
 * data is, unless a tangent involved has a graph for reverse mode: then the root gets a new
 * tangent made of recorded ops.
 */
export function writeTangent(out: i32, t: i32): void {
  if ((geti(out, FLAGS) & FLAG_NO_TANGENT) != 0) {
    if (t != 0) release(t);
    return;
  }
  const root = rootOf(out);
  if (t == 0 && geti(root, TANGENT) == 0) return;
  const shadow = shadowOf(root);
  if ((t != 0 && requiresGrad(t)) || requiresGrad(shadow)) {
    let value = t != 0 ? fitted(t, out) : newZeros(ndim(out), shapePtr(out), dtypeOf(out));
    if (root != out) {
      const replaced = withRegionReplaced(shadow, value, out);
      release(value);
      value = replaced;
    } else if (!ownedRoot(value)) {
      const copy = contiguousForward(Op.Contiguous, value);
      release(value);
      value = copy;
    }
    seti(root, TANGENT, value);
    release(shadow);
    return;
  }
  const place = root == out ? shadow : regionForward(Op.Region, shadow, out);
  if (place == shadow) retain(shadow);
  if (t == 0) {
    const zeros = newZeros(0, shapePtr(out), dtypeOf(out));
    copyInto(place, zeros);
    release(zeros);
  } else {
    t = fitted(t, out);
    copyInto(place, t);
    release(t);
  }
  release(place);
}

// The hook of graph.ts: out's tangent from the tangents of its n inputs.
function push(out: i32, op: i32, inputs: usize, n: i32): void {
  const kind = jvpKindOf(op);
  if (kind == JVP_VIEW || kind == 0 || !isFloat(dtypeOf(out))) return;
  let any = false;
  memory.copy(args, inputs, <usize>n << 2);
  for (let i = 0; i < n; i++) {
    const x = load<i32>(args + (<usize>i << 2));
    const t = x != 0 && isFloat(dtypeOf(x)) ? tangentOf(x) : 0;
    store<i32>(tangents + (<usize>i << 2), t);
    if (t != 0) any = true;
  }
  if (!any) return;
  // The rule's own ops push no tangents: one level has tangents, not tangents of tangents.
  setTangentHook(false, push);
  // Rules may run the op's backward rule on out: an output that was not recorded is linked
  // to its inputs for that time, without holding them (they outlive this call), and asks
  // for the gradients of the inputs with a tangent.
  const linked = geti(out, OP) == op;
  if (!linked) {
    seti(out, NIN, n);
    const block = newInputs(out, n);
    for (let i = 0; i < n; i++) store<i32>(block + (<usize>i << 3), load<i32>(args + (<usize>i << 2)));
    seti(out, OP, op);
  }
  const edges = geti(out, EDGES);
  let withTangent = 0;
  for (let i = 0; i < n; i++) if (load<i32>(tangents + (<usize>i << 2)) != 0) withTangent |= 1 << i;
  seti(out, EDGES, withTangent);
  const t = kind == JVP_ELEMENTWISE ? elementwiseTangent(out, op, n) : applyJvp(op, out, args, tangents);
  seti(out, EDGES, edges);
  if (!linked) {
    if (n > INLINE_INPUTS) freeBuffer(<usize>geti(out, INPUTS), <usize>n << 3);
    seti(out, NIN, 0);
    seti(out, OP, 0);
  }
  for (let i = 0; i < n; i++) {
    const ti = load<i32>(tangents + (<usize>i << 2));
    if (ti != 0) release(ti);
  }
  if (t != 0) setTangent(out, t);
  setTangentHook(true, push);
}

// The sum over the inputs with a tangent of the backward rule run on that tangent, each
// with only that input's gradient asked for.
function elementwiseTangent(out: i32, op: i32, n: i32): i32 {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let ti = load<i32>(tangents + (<usize>i << 2));
    if (ti == 0) continue;
    memory.fill(grads, 0, <usize>n << 2);
    seti(out, EDGES, 1 << i);
    retain(ti);
    ti = fitted(ti, out);
    applyRule(op, out, ti, grads);
    release(ti);
    const share = load<i32>(grads + (<usize>i << 2));
    if (share == 0) continue;
    if (sum == 0) sum = share;
    else {
      const s = add(sum, share);
      release(sum);
      release(share);
      sum = s;
    }
  }
  return sum;
}
