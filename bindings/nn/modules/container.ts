// The containers: Sequential (a chain), ModuleList (an array) and ModuleDict (a map) of
// modules. Their items are members under the names "0", "1", ... or the dict's keys, in
// insertion order, so parameters() and state_dict() name them as PyTorch does.

import { Module, keepNames } from "./module.js";
import { describe } from "../../shape.js";

function checkModule(op: string, m: unknown, at: string): Module {
  if (!(m instanceof Module)) throw new TypeError(`${op}: ${at} is ${describe(m)}, not a Module subclass`);
  return m;
}

// Python's index rules: negative from the end, and an IndexError beyond.
function position(op: string, index: number, length: number): number {
  if (!Number.isInteger(index)) throw new TypeError(`${op}: index must be an integer, got ${describe(index)}`);
  if (index < -length || index >= length) throw new RangeError(`${op}: index ${index} is out of range`);
  return index < 0 ? index + length : index;
}

/** Modules in an array, with array methods; its parameters are everyone's. */
class ListOfModules extends Module {
  protected _items: Module[] = [];

  protected constructor(private readonly _kindName: string, modules: Iterable<Module>) {
    super();
    let i = 0;
    for (const m of modules) this._items.push(checkModule(`${_kindName}()`, m, `item ${i++}`));
  }

  override _members(): [string, unknown][] {
    return this._items.map((m, i) => [String(i), m]);
  }

  get length(): number {
    return this._items.length;
  }

  /** The module at `index` (negative counts from the end), as PyTorch's list[index]. */
  at(index: number): Module {
    return this._items[position(`${this._kindName}.at()`, index, this._items.length)];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._items[Symbol.iterator]();
  }

  append(module: Module): this {
    this._items.push(checkModule(`${this._kindName}.append()`, module, "the module"));
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  insert(index: number, module: Module): void {
    const i = index === this._items.length ? index : position(`${this._kindName}.insert()`, index, this._items.length);
    this._items.splice(i, 0, checkModule(`${this._kindName}.insert()`, module, "the module"));
  }
}

/** A chain: forward(x) passes x through each module in turn. */
export class Sequential extends ListOfModules {
  private _names: string[] | null = null;

  /** Sequential(m1, m2, ...) or, with names, Sequential({ conv: m1, act: m2 }) (PyTorch's OrderedDict). */
  constructor(...modules: Module[] | [Record<string, Module>]) {
    const named = modules.length === 1 && !(modules[0] instanceof Module) && typeof modules[0] === "object" && modules[0] !== null;
    const entries = named ? Object.entries(modules[0] as Record<string, Module>) : null;
    super("Sequential", entries === null ? (modules as Module[]) : entries.map(([, m]) => m));
    if (entries !== null) this._names = entries.map(([name]) => name);
  }

  override _members(): [string, unknown][] {
    const names = this._names;
    return this._items.map((m, i) => [names?.[i] ?? String(i), m]);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override forward(input: any): any {
    let x = input;
    for (const m of this._items) x = m.call(x);
    return x;
  }

  override append(module: Module): this {
    super.append(module);
    this._names?.push(String(this._items.length - 1));
    return this;
  }

  override insert(index: number, module: Module): void {
    if (this._names !== null) throw new Error("Sequential.insert(): not supported on a Sequential with named modules");
    super.insert(index, module);
  }
}

/** Modules in an array (PyTorch's ModuleList); it has no forward of its own. */
export class ModuleList extends ListOfModules {
  constructor(modules: Iterable<Module> = []) {
    super("ModuleList", modules);
  }
}

/** Modules by name, in insertion order (PyTorch's ModuleDict). */
export class ModuleDict extends Module {
  private _items = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  override _members(): [string, unknown][] {
    return [...this._items];
  }

  get size(): number {
    return this._items.size;
  }

  get(key: string): Module {
    const m = this._items.get(key);
    if (m === undefined) throw new RangeError(`ModuleDict.get(): no module named '${key}'`);
    return m;
  }

  set(key: string, module: Module): this {
    if (typeof key !== "string" || key === "" || key.includes(".")) {
      throw new TypeError(`ModuleDict.set(): key must be a non-empty string without ".", got ${describe(key)}`);
    }
    this._items.set(key, checkModule("ModuleDict.set()", module, `'${key}'`));
    return this;
  }

  has(key: string): boolean { return this._items.has(key); }
  delete(key: string): boolean { return this._items.delete(key); }
  keys(): string[] { return [...this._items.keys()]; }
  values(): Module[] { return [...this._items.values()]; }
  items(): [string, Module][] { return [...this._items]; }
  [Symbol.iterator](): Iterator<string> { return this._items.keys(); }

  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }
}

keepNames({ Sequential, ModuleList, ModuleDict });
