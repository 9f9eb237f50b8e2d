// Dtypes and type promotion, as PyTorch's torch.result_type, with a JS number standing for
// a Python scalar: an int scalar when Number.isInteger, else a float scalar.

import { describe } from "./shape.js";

export type DType = "float32" | "float64" | "int32" | "bool";

/** In the order of the core's codes (assembly/tensors.ts: F32, F64, I32, BOOL). */
export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export const DTYPE_CODE: Readonly<Record<DType, number>> = { float32: 0, float64: 1, int32: 2, bool: 3 };

/** Bytes per element. */
export const ITEM_SIZE: Readonly<Record<DType, number>> = { float32: 4, float64: 8, int32: 4, bool: 1 };

export type TypedArrayOf<D extends DType> =
  D extends "float32" ? Float32Array : D extends "float64" ? Float64Array : D extends "int32" ? Int32Array : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const TYPED_ARRAY: Readonly<Record<DType, { new (n: number): AnyTypedArray }>> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};

/** PyTorch's name, for messages and printing: torch.float32, torch.int32, ... */
export function torchName(dtype: DType): string {
  return `torch.${dtype}`;
}

/** The C type name PyTorch's kernels give in some messages ("float", "double", "int", "bool"). */
export function cTypeName(dtype: DType): string {
  return { float32: "float", float64: "double", int32: "int", bool: "bool" }[dtype];
}

/** PyTorch's name of the scalar type in its messages ("Float", "Int", ...). */
export function scalarTypeName(dtype: DType): string {
  return { float32: "Float", float64: "Double", int32: "Int", bool: "Bool" }[dtype];
}

export function isFloating(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

let defaultDtype: DType = "float32";

/** The dtype of tensors made from JS numbers (and of true division of integers). */
export function get_default_dtype(): DType {
  return defaultDtype;
}

export function set_default_dtype(dtype: DType): void {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(`set_default_dtype(): only floating-point types are supported as the default type, got ${describe(dtype)}`);
  }
  defaultDtype = dtype;
}

/** Checks a user-given dtype; `op` names the call in the message. */
export function checkDtype(op: string, dtype: unknown): DType {
  if (typeof dtype === "string" && (DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  const hint = typeof dtype === "string" && dtype.startsWith("torch.") ? ` (write '${dtype.slice(6)}')` : "";
  throw new TypeError(`${op}(): unknown dtype ${describe(dtype)}${hint}; expected one of ${DTYPES.map((d) => `'${d}'`).join(", ")}`);
}

// ---- promotion ------------------------------------------------------------------------

/** bool < integer < floating: the category decides before the width does. */
function category(dtype: DType): number {
  return dtype === "bool" ? 0 : dtype === "int32" ? 1 : 2;
}

function wider(a: DType, b: DType): DType {
  if (category(a) !== category(b)) return category(a) > category(b) ? a : b;
  return ITEM_SIZE[a] >= ITEM_SIZE[b] ? a : b;
}

/** An operand as promotion sees it: a tensor (with dims or 0-d), or a JS number or boolean. */
export type Operand = { dtype: DType; ndim: number } | number | boolean;

/** The dtype of a scalar operand on its own: what a 0-d tensor made from it would have. */
export function scalarDtype(value: number | boolean): DType {
  if (typeof value === "boolean") return "bool";
  return Number.isInteger(value) ? "int32" : defaultDtype;
}

/**
 * torch.result_type: tensors with dims take precedence over 0-d tensors, and those over
 * scalars, but only within a category: a higher category anywhere wins, with the dtype of
 * the highest-precedence operand of that category (a scalar's being the default dtype, or
 * int32 for an integer).
 */
export function resultType(...operands: Operand[]): DType {
  const groups: (DType | null)[] = [null, null, null]; // dims, 0-d, scalars
  for (const x of operands) {
    const [group, dtype] = typeof x === "object" ? [x.ndim > 0 ? 0 : 1, x.dtype] : [2, scalarDtype(x)];
    groups[group] = groups[group] === null ? dtype : wider(groups[group]!, dtype);
  }
  let top = -1;
  for (const d of groups) if (d !== null) top = Math.max(top, category(d));
  for (const d of groups) if (d !== null && category(d) === top) return d;
  return defaultDtype;
}

/** Whether a value of dtype `from` may be written into a tensor of dtype `to` in place. */
export function canCast(from: DType, to: DType): boolean {
  return category(from) <= category(to);
}

/** The floating dtype an op that needs one computes in: `dtype` itself, or the default. */
export function floating(dtype: DType): DType {
  return isFloating(dtype) ? dtype : defaultDtype;
}
