// Printing tensors the way PyTorch does (torch/_tensor_str.py with default print
// options: precision 4, linewidth 80, threshold 1000, edgeitems 3), so output can be
// compared line for line with the book and with PyTorch sessions.

import type { Shape } from "./shape.js";
import type { DType } from "./dtype.js";
import { contiguousStrides } from "./views.js";

const PRECISION = 4;
const LINEWIDTH = 80;
const THRESHOLD = 1000;
const EDGEITEMS = 3;

/** Python's '{:.Nf}'.format(x): round half to even on exact ties, keep the sign of -0. */
function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const scaled = Math.abs(x) * 10 ** digits;
  let s = x.toFixed(digits);
  if (scaled - Math.floor(scaled) === 0.5 && Math.floor(scaled) % 2 === 0) {
    s = (Math.sign(x) * Math.floor(scaled) / 10 ** digits).toFixed(digits);
  }
  if ((x < 0 || Object.is(x, -0)) && !s.startsWith("-")) s = "-" + s;
  return s;
}

/** Python's '{:.Ne}'.format(x): a two-digit (at least) exponent. */
function scientific(x: number, digits: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const [mantissa, exponent] = x.toExponential(digits).split("e");
  const sign = exponent.startsWith("-") ? "-" : "+";
  const magnitude = exponent.replace(/^[+-]/, "").padStart(2, "0");
  return `${Object.is(x, -0) ? "-" : ""}${mantissa}e${sign}${magnitude}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
}

interface CellFormat {
  maxWidth: number;
  format(v: number): string;
}

// Integers and bools as PyTorch prints them: str(value), right-aligned to the widest.
class PlainFormatter implements CellFormat {
  maxWidth = 1;

  constructor(values: ArrayLike<number>, private readonly bools: boolean) {
    for (let i = 0; i < values.length; i++) this.maxWidth = Math.max(this.maxWidth, this.text(values[i]).length);
  }

  private text(v: number): string {
    return this.bools ? (v !== 0 ? "True" : "False") : String(v);
  }

  format(v: number): string {
    return this.text(v).padStart(this.maxWidth);
  }
}

class Formatter implements CellFormat {
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(values: ArrayLike<number>) {
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v) && v !== 0) finite.push(v);
    }
    if (finite.length === 0) return;
    let min = Infinity, max = 0;
    for (const v of finite) {
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    if (this.intMode) {
      this.sciMode = max / min > 1000 || max > 1e8;
    } else {
      this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
    }
    for (const v of finite) {
      const width = this.sciMode ? scientific(v, PRECISION).length
        : this.intMode ? fixed(v, 0).length + 1
        : fixed(v, PRECISION).length;
      if (width > this.maxWidth) this.maxWidth = width;
    }
  }

  format(v: number): string {
    let s: string;
    if (this.sciMode) s = scientific(v, PRECISION);
    else if (this.intMode) s = Number.isFinite(v) ? fixed(v, 0) + "." : nonFinite(v);
    else s = fixed(v, PRECISION);
    return s.padStart(this.maxWidth);
  }
}

/** The indices printed along a dim of the given size (all, or the edges when summarising). */
function shown(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * EDGEITEMS) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: EDGEITEMS }, (_, i) => i);
  const tail = Array.from({ length: EDGEITEMS }, (_, i) => size - EDGEITEMS + i);
  return [...head, null, ...tail];
}

function collect(data: ArrayLike<number>, shape: Shape, strides: number[], summarize: boolean,
                 dim: number, offset: number, out: number[]): void {
  if (dim === shape.length) { out.push(data[offset]); return; }
  for (const i of shown(shape[dim], summarize)) {
    if (i !== null) collect(data, shape, strides, summarize, dim + 1, offset + i * strides[dim], out);
  }
}

function body(data: ArrayLike<number>, shape: Shape, strides: number[], fmt: CellFormat,
              summarize: boolean, indent: number, dim: number, offset: number): string {
  const rank = shape.length - dim;
  if (rank === 0) return fmt.format(data[offset]);
  const items = shown(shape[dim], summarize);
  if (rank === 1) {
    const elementLength = fmt.maxWidth + 2;
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / elementLength));
    const cells = items.map((i) => (i === null ? " ..." : fmt.format(data[offset + i * strides[dim]])));
    const lines: string[] = [];
    for (let i = 0; i < cells.length; i += perLine) lines.push(cells.slice(i, i + perLine).join(", "));
    return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
  }
  const slices = items.map((i) => i === null ? "..."
    : body(data, shape, strides, fmt, summarize, indent + 1, dim + 1, offset + i * strides[dim]));
  return "[" + slices.join("," + "\n".repeat(rank - 1) + " ".repeat(indent + 1)) + "]";
}

/** `tensor(...)` text for the given values, with PyTorch's suffixes appended. */
export function formatTensor(data: ArrayLike<number>, shape: Shape, suffixes: string[], dtype: DType = "float32"): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const all = [...suffixes];
  let text: string;
  if (data.length === 0) {
    if (shape.length !== 1) all.unshift(`size=(${shape.join(", ")}${shape.length === 1 ? "," : ""})`);
    text = "[]";
  } else {
    const summarize = data.length > THRESHOLD;
    const strides = contiguousStrides(shape);
    const sample: number[] = [];
    collect(data, shape, strides, summarize, 0, 0, sample);
    const fmt = dtype === "float32" || dtype === "float64" ? new Formatter(sample)
      : new PlainFormatter(sample, dtype === "bool");
    text = body(data, shape, strides, fmt, summarize, indent, 0, 0);
  }
  let out = prefix + text;
  let lastLine = out.length - out.lastIndexOf("\n") + 1;
  for (const suffix of all) {
    if (lastLine + suffix.length + 2 > LINEWIDTH) {
      out += ",\n" + " ".repeat(indent) + suffix;
      lastLine = indent + suffix.length;
    } else {
      out += ", " + suffix;
      lastLine += suffix.length + 2;
    }
  }
  return out + ")";
}
