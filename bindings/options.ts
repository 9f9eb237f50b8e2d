// Options objects ({ requires_grad: true }, { retain_graph: true }, { alpha: 2 }, ...): one
// check for every op that takes one. An unknown key (usually a typo) or a value of the wrong
// type is a TypeError naming the op and the key, with the closest valid key when there is one.

import { describe } from "./shape.js";

/** A test of one value and its wording in a message ("an array of non-negative integers"). */
export interface OptionCheck {
  readonly expected: string;
  readonly test: (value: unknown) => boolean;
}

/**
 * What one option accepts: a boolean, a number, one of a list of strings (for a string union
 * such as a dtype) or anything an OptionCheck accepts. undefined always means "not given".
 */
export type OptionType = "boolean" | "number" | readonly string[] | OptionCheck;

/** The valid keys of an options object and what each accepts; the order is the message's. */
export type OptionSpec<K extends string = string> = { readonly [key in K]: OptionType };

/**
 * Throws a TypeError unless `options` is undefined or a plain object whose keys are all in
 * `spec`, each undefined or of the type the spec gives.
 */
export function checkOptions(op: string, options: unknown, spec: OptionSpec): void {
  if (options === undefined) return;
  const valid = Object.keys(spec);
  if (!isPlainObject(options)) {
    throw new TypeError(`${op}(): options must be a plain object, got ${describe(options)}; ` +
      `valid options: ${valid.join(", ")}`);
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(spec, key)) {
      const suggestion = closest(key, valid);
      throw new TypeError(`${op}(): unexpected option '${key}'` +
        (suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`) +
        `; valid options: ${valid.join(", ")}`);
    }
    const value = (options as Record<string, unknown>)[key];
    const type = spec[key];
    if (value !== undefined && !accepts(type, value)) {
      throw new TypeError(`${op}(): ${key} must be ${expected(type)}, got ${describe(value)}`);
    }
  }
}

// An object literal or Object.create(null), from any realm; not an array, a Tensor or a Map.
function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function accepts(type: OptionType, value: unknown): boolean {
  if (type === "boolean" || type === "number") return typeof value === type;
  if (isStringList(type)) return typeof value === "string" && type.includes(value);
  return type.test(value);
}

function expected(type: OptionType): string {
  if (type === "boolean") return "a boolean";
  if (type === "number") return "a number";
  if (isStringList(type)) return `one of ${type.map((s) => `'${s}'`).join(", ")}`;
  return type.expected;
}

function isStringList(type: OptionType): type is readonly string[] {
  return Array.isArray(type);
}

/** The valid key the user most likely meant: equal up to case and underscores, else within 2 edits. */
function closest(key: string, valid: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replaceAll("_", "");
  const k = fold(key);
  const same = valid.find((v) => fold(v) === k);
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = 3;
  for (const v of valid) {
    const d = editDistance(k, fold(v));
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  return bestDistance < k.length ? best : undefined; // two edits make "d" or "ab" anything
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn a into b. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
