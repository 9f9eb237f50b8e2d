// nn.Module: the base of every layer and model. A module's parameters, buffers and
// submodules are its fields, found when asked for (parameters(), state_dict(), ...), so a
// subclass assigns them in its constructor as in PyTorch:
//
//   class Net extends nn.Module {
//     fc = new nn.Linear(2, 8);
//     forward(x: Tensor) { return this.fc.call(x).relu(); }
//   }
//   net.call(x)
//
// A subclass writes forward(); callers run call(), which is PyTorch's module(x): it runs the
// forward hooks around forward() (JavaScript objects cannot be made callable without a
// Proxy around every module, which would slow every field access of every forward).

import { Tensor } from "../../tensor.js";
import { Parameter } from "../parameter.js";
import { no_grad } from "../../autograd.js";
import { keep } from "../../lifetime.js";
import { checkOptions } from "../../options.js";
import { describe, formatShape } from "../../shape.js";
import { checkDtype, isFloating, type DType } from "../../dtype.js";

/** What forward hooks get and may return: return a value to replace the output. */
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown;
/** What forward pre-hooks get and may return: return an array to replace the arguments. */
export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown[] | undefined | void;

/** What register_forward_hook returns: remove() unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

export interface LoadResult {
  missing_keys: string[];
  unexpected_keys: string[];
}

// Fields of the base class, kept out of the member walk and the repr.
const BOOKKEEPING = new Set(["training", "_buffers", "_forwardHooks", "_forwardPreHooks"]);

export class Module {
  /** Whether the module is in training mode (train()) or evaluation mode (eval()). */
  training = true;
  /** @internal buffer name -> whether state_dict() includes it (PyTorch's persistent flag) */
  _buffers = new Map<string, boolean>();
  /** @internal */
  _forwardHooks: ForwardHook[] = [];
  /** @internal */
  _forwardPreHooks: ForwardPreHook[] = [];

  /** The computation; write it in a subclass and run it with call(). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(...args: any[]): any {
    void args;
    throw new Error(`Module [${this._name()}] is missing the required "forward" function`);
  }

  /** Runs forward(...args) with the forward hooks, as PyTorch's module(...args). */
  call<M extends Module>(this: M, ...args: Parameters<M["forward"]>): ReturnType<M["forward"]> {
    let input: unknown[] = args;
    for (const hook of this._forwardPreHooks.slice()) {
      const replaced = hook(this, input);
      if (replaced !== undefined) input = Array.isArray(replaced) ? replaced : [replaced];
    }
    let output = this.forward(...input);
    for (const hook of this._forwardHooks.slice()) {
      const replaced = hook(this, input, output);
      if (replaced !== undefined) output = replaced;
    }
    return output;
  }

  /** Runs hook(module, args, output) after every call(); a value it returns replaces the output. */
  register_forward_hook(hook: ForwardHook<this>): RemovableHandle {
    return this._addHook(this._forwardHooks as ForwardHook<this>[], hook, "register_forward_hook");
  }

  /** Runs hook(module, args) before every call(); an array it returns replaces the arguments. */
  register_forward_pre_hook(hook: ForwardPreHook<this>): RemovableHandle {
    return this._addHook(this._forwardPreHooks as ForwardPreHook<this>[], hook, "register_forward_pre_hook");
  }

  /** @internal */
  _addHook<H>(hooks: H[], hook: H, op: string): RemovableHandle {
    if (typeof hook !== "function") throw new TypeError(`${op}(): hook must be a function, got ${describe(hook)}`);
    hooks.push(hook);
    return { remove: () => { const i = hooks.indexOf(hook); if (i >= 0) hooks.splice(i, 1); } };
  }

  // ---- members ------------------------------------------------------------------------

  /**
   * The module's own members in order: every field holding a Parameter, a Module or a
   * registered buffer (null ones too). Containers override it to list their items.
   * @internal
   */
  _members(): [string, unknown][] {
    return Object.entries(this).filter(([name]) => !BOOKKEEPING.has(name));
  }

  /** Makes `tensor` a buffer: state that is not a parameter (BatchNorm's running stats). */
  register_buffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    checkOptions("register_buffer", options, { persistent: "boolean" });
    this._checkName("register_buffer", name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`register_buffer(): cannot assign '${describe(tensor)}' object to buffer '${name}' (torch Tensor or None required)`);
    }
    if (tensor instanceof Parameter) throw new TypeError(`register_buffer(): '${name}' is a Parameter; assign it as a field instead`);
    this._buffers.set(name, options.persistent ?? true);
    if (tensor !== null) keep(tensor); // module state, as the parameters
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  /** Adds a parameter under a name known only at run time (PyTorch's register_parameter). */
  register_parameter(name: string, param: Parameter | null): void {
    this._checkName("register_parameter", name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`register_parameter(): cannot assign '${describe(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`);
    }
    (this as unknown as Record<string, unknown>)[name] = param;
  }

  /** Adds a submodule under a name known only at run time (PyTorch's add_module). */
  add_module(name: string, module: Module | null): void {
    this._checkName("add_module", name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`add_module(): ${describe(module)} is not a Module subclass`);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  /** @internal */
  _checkName(op: string, name: unknown): void {
    if (typeof name !== "string") throw new TypeError(`${op}(): name should be a string. Got ${describe(name)}`);
    if (name === "" || name.includes(".")) throw new Error(`${op}(): name can't be empty or contain ".", got "${name}"`);
    if (BOOKKEEPING.has(name) || (name in this && !(name in Object.getOwnPropertyDescriptors(this)))) {
      throw new Error(`${op}(): attribute '${name}' already exists`);
    }
  }

  /** @internal */
  _kind(name: string, value: unknown): "parameter" | "buffer" | "module" | null {
    if (value instanceof Module) return "module";
    if (this._buffers.has(name)) return "buffer";
    if (value instanceof Parameter) return "parameter";
    return null;
  }

  /** The direct submodules, with their field names. */
  named_children(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, value] of this._members()) {
      if (value instanceof Module && !seen.has(value)) { seen.add(value); out.push([name, value]); }
    }
    return out;
  }

  children(): Module[] {
    return this.named_children().map(([, m]) => m);
  }

  /** This module and every module under it, each once, with dotted names ("" for this one). */
  named_modules(prefix = ""): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    const walk = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, sub] of m.named_children()) walk(sub, name === "" ? child : `${name}.${child}`);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.named_modules().map(([, m]) => m);
  }

  /**
   * @internal Every parameter or buffer of this module (and, with recurse, of its
   * submodules), each tensor once, with its dotted name.
   */
  _namedTensors(kind: "parameter" | "buffer", recurse: boolean, persistentOnly = false): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const modules: [string, Module][] = recurse ? this.named_modules() : [["", this]];
    for (const [prefix, m] of modules) {
      for (const [name, value] of m._members()) {
        if (!(value instanceof Tensor) || m._kind(name, value) !== kind || seen.has(value)) continue;
        if (persistentOnly && kind === "buffer" && m._buffers.get(name) === false) continue;
        seen.add(value);
        out.push([prefix === "" ? name : `${prefix}.${name}`, value]);
      }
    }
    return out;
  }

  named_parameters(options: { recurse?: boolean } = {}): [string, Parameter][] {
    checkOptions("named_parameters", options, { recurse: "boolean" });
    return this._namedTensors("parameter", options.recurse ?? true) as [string, Parameter][];
  }

  /** The parameters, each once, in the order of the fields (what an optimizer takes). */
  parameters(options: { recurse?: boolean } = {}): Parameter[] {
    return this.named_parameters(options).map(([, p]) => p);
  }

  named_buffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    checkOptions("named_buffers", options, { recurse: "boolean" });
    return this._namedTensors("buffer", options.recurse ?? true);
  }

  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.named_buffers(options).map(([, b]) => b);
  }

  // ---- modes and bulk changes -----------------------------------------------------------

  /** Sets training mode on this module and every submodule (Dropout and BatchNorm read it). */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new TypeError(`train(): training mode is expected to be boolean, got ${describe(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Runs fn on every submodule and then on this module (as PyTorch, children first). */
  apply(fn: (module: Module) => void): this {
    if (typeof fn !== "function") throw new TypeError(`apply(): fn must be a function, got ${describe(fn)}`);
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Clears the parameters' gradients: zeroes them, or with set_to_none drops them (1.13's default is false). */
  zero_grad(options: { set_to_none?: boolean } = {}): void {
    checkOptions("zero_grad", options, { set_to_none: "boolean" });
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (options.set_to_none) p.grad = null;
      else p.grad.zero_();
    }
  }

  /** Sets requires_grad on every parameter (false freezes them). */
  requires_grad_(requires_grad = true): this {
    for (const p of this.parameters()) p.requires_grad_(requires_grad);
    return this;
  }

  /**
   * Converts the floating parameters and buffers to `dtype`. The module gets new Parameter
   * objects (a dtype is fixed for a tensor's life here), so make the optimizer afterwards.
   */
  to(dtype: DType): this {
    const d = checkDtype("Module.to", dtype);
    if (!isFloating(d)) throw new TypeError(`Module.to(): nn.Module.to only accepts floating point dtypes, but got desired dtype=${d}`);
    no_grad(() => {
      for (const m of this.modules()) {
        const fields = m as unknown as Record<string, unknown>;
        for (const [name, value] of m._members()) {
          if (!(value instanceof Tensor) || !isFloating(value.dtype) || value.dtype === d) continue;
          const kind = m._kind(name, value);
          if (kind === "parameter") fields[name] = new Parameter(value.to(d), value.requires_grad);
          else if (kind === "buffer") fields[name] = keep(value.to(d));
        }
      }
    });
    return this;
  }

  double(): this { return this.to("float64"); }
  float(): this { return this.to("float32"); }

  // ---- state dicts ----------------------------------------------------------------------

  /**
   * The parameters and persistent buffers by dotted name. As in PyTorch, the tensors are
   * detached views of the module's own (writes show in the module); keep_vars gives the
   * parameters themselves.
   */
  state_dict(options: { keep_vars?: boolean } = {}): Record<string, Tensor> {
    checkOptions("state_dict", options, { keep_vars: "boolean" });
    const out: Record<string, Tensor> = {};
    const all = [...this._namedTensors("parameter", true), ...this._namedTensors("buffer", true, true)];
    for (const [name, t] of this._stateOrder(all)) out[name] = options.keep_vars ? t : t.detach();
    return out;
  }

  /** @internal PyTorch's order: per module (in walk order), its parameters then its buffers. */
  _stateOrder(entries: [string, Tensor][]): [string, Tensor][] {
    const rank = new Map(this.named_modules().map(([name], i) => [name, i]));
    const owner = (name: string) => rank.get(name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : "") ?? 0;
    return entries.map((e, i) => [e, i] as const).sort((a, b) => owner(a[0][0]) - owner(b[0][0]) || a[1] - b[1]).map(([e]) => e);
  }

  /**
   * Copies the values of `state_dict` into the parameters and buffers (converting dtypes).
   * With strict (the default), missing or unexpected keys are an error; every size mismatch
   * is. Returns the keys that were missing and unexpected.
   */
  load_state_dict(state_dict: Record<string, Tensor> | Map<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    checkOptions("load_state_dict", options, { strict: "boolean" });
    const strict = options.strict ?? true;
    if (state_dict === null || typeof state_dict !== "object") {
      throw new TypeError(`load_state_dict(): expected a state dict (an object or Map of Tensors), got ${describe(state_dict)}`);
    }
    const given = new Map(state_dict instanceof Map ? state_dict : Object.entries(state_dict));
    const own = new Map(Object.entries(this.state_dict({ keep_vars: true })));
    const errors: string[] = [];
    const missing = [...own.keys()].filter((k) => !given.has(k));
    const unexpected = [...given.keys()].filter((k) => !own.has(k));
    for (const [name, target] of own) {
      const value = given.get(name);
      if (value === undefined) continue;
      if (!(value instanceof Tensor)) {
        errors.push(`While copying the parameter named "${name}", expected torch.Tensor or Tensor-like object from checkpoint but received ${describe(value)}`);
      } else if (value.shape.join() !== target.shape.join()) {
        errors.push(`size mismatch for ${name}: copying a param with shape ${formatShape(value.shape)} from checkpoint, ` +
          `the shape in current model is ${formatShape(target.shape)}.`);
      }
    }
    if (strict) {
      if (unexpected.length > 0) errors.unshift(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(", ")}. `);
      if (missing.length > 0) errors.unshift(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(", ")}. `);
    }
    if (errors.length > 0) {
      throw new Error(`Error(s) in loading state_dict for ${this._name()}:\n\t${errors.join("\n\t")}`);
    }
    no_grad(() => {
      for (const [name, target] of own) {
        const value = given.get(name);
        if (value !== undefined) target.copy_(value as Tensor);
      }
    });
    return { missing_keys: missing, unexpected_keys: unexpected };
  }

  // ---- printing -----------------------------------------------------------------------

  /** The settings shown between the parentheses of the repr (a layer's sizes and options). */
  extra_repr(): string {
    return "";
  }

  /** PyTorch's module repr: the class name, extra_repr(), and each submodule indented. */
  toString(): string {
    const lines: string[] = [];
    const extra = this.extra_repr();
    if (extra !== "") lines.push(...extra.split("\n"));
    for (const [name, child] of this.named_children()) {
      const text = child.toString().split("\n").join("\n  ");
      lines.push(`(${name}): ${text}`);
    }
    const name = this._name();
    if (lines.length === 0) return `${name}()`;
    if (lines.length === 1 && this.named_children().length === 0) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** @internal The class name, as the repr and the errors show it. */
  _name(): string {
    return this.constructor.name;
  }
}

/**
 * Pins each class's name to its key, so that reprs and errors keep PyTorch's names in
 * minified bundles (a minifier renames classes but keeps property keys).
 */
export function keepNames(classes: Record<string, abstract new (...args: never[]) => Module>): void {
  for (const [name, c] of Object.entries(classes)) Object.defineProperty(c, "name", { value: name });
}

keepNames({ Module });
