// wg.func.functional_call, as torch.func.functional_call: a module called with some of its
// parameters and buffers replaced by the given tensors, so that the transforms can take the
// module's state as an argument: grad(loss of functional_call) in the parameters, and
// vmap over it for per-example gradients.

import { Tensor } from "./tensor.js";
import { Module } from "./nn/modules/module.js";
import { describe } from "./shape.js";

/**
 * Calls module.call(...args) with the tensors of `parameters_and_buffers` (by dotted name, as
 * named_parameters() gives them; an object, a Map, or several of them merged) in place of
 * the module's own, which are restored afterwards. With strict, every parameter and buffer
 * must be given.
 */
export function functional_call(module: Module, parameters_and_buffers: Record<string, Tensor> | Map<string, Tensor> |
  (Record<string, Tensor> | Map<string, Tensor>)[], args: unknown[] | unknown = [], options: { strict?: boolean } = {}): unknown {
  const api = "functional_call";
  if (!(module instanceof Module)) throw new TypeError(`${api}(): expected an nn.Module, got ${describe(module)}`);
  const given = new Map<string, Tensor>();
  for (const part of Array.isArray(parameters_and_buffers) ? parameters_and_buffers : [parameters_and_buffers]) {
    const entries = part instanceof Map ? [...part] : Object.entries(part ?? {});
    for (const [name, t] of entries) {
      if (!(t instanceof Tensor)) throw new TypeError(`${api}(): the value for '${name}' is ${describe(t)}, expected a Tensor`);
      if (given.has(name)) throw new Error(`${api}(): ${name} appeared in multiple dictionaries; behavior of functional call is ambiguous`);
      given.set(name, t);
    }
  }
  const owners = new Map(module.named_modules());
  const known = new Set([...module.named_parameters(), ...module.named_buffers()].map(([name]) => name));
  const unexpected = [...given.keys()].filter((name) => !known.has(name));
  if (unexpected.length > 0) throw new Error(`${api}(): Unexpected key(s): ${unexpected.map((n) => `'${n}'`).join(", ")}.`);
  if (options.strict) {
    const missing = [...known].filter((name) => !given.has(name));
    if (missing.length > 0) throw new Error(`${api}(): Missing key(s): ${missing.map((n) => `'${n}'`).join(", ")}.`);
  }
  // each given tensor in its module's field for the call
  const swapped: [Record<string, unknown>, string, unknown][] = [];
  try {
    for (const [name, t] of given) {
      const dot = name.lastIndexOf(".");
      const owner = owners.get(dot < 0 ? "" : name.slice(0, dot)) as unknown as Record<string, unknown>;
      const field = name.slice(dot + 1);
      swapped.push([owner, field, owner[field]]);
      owner[field] = t;
    }
    return module.call(...(Array.isArray(args) ? args : [args]));
  } finally {
    for (const [owner, field, value] of swapped.reverse()) owner[field] = value;
  }
}
