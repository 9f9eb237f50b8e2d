// The op table holds together, or the build fails: the generator (scripts/generate-ops.ts)
// refuses a differentiable op without a rule, a rule no op names, and names its family
// file does not define. Each case edits a copy of the real table or of a family's source.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OPS as SPEC, type OpSpec } from "../../spec/ops.js";
import { checkTable, generate, readFamily, OpTableError } from "../../scripts/generate-ops.js";

const root = join(import.meta.dirname, "..", "..");

function withOp(name: string, change: (op: OpSpec) => OpSpec): OpSpec[] {
  expect(SPEC.some((op) => op.name === name)).toBe(true);
  return SPEC.map((op) => (op.name === name ? change({ ...op }) : op));
}

const expectRefused = (ops: OpSpec[], message: RegExp, source = readFamily) => {
  expect(() => checkTable(ops, source)).toThrow(OpTableError);
  expect(() => checkTable(ops, source)).toThrow(message);
};

describe("the op table", () => {
  test("the real table is accepted, and the build used what it generates", () => {
    const files = generate(SPEC, readFamily);
    for (const [path, text] of files) {
      expect(readFileSync(join(root, path), "utf8"), `${path} is stale: run npm run build`).toBe(text);
    }
  });

  test("a differentiable op without a backward rule fails the build", () => {
    const ops = withOp("Exp", (op) => {
      delete (op as Partial<OpSpec>).backward;
      return op;
    });
    expectRefused(ops, /op Exp has no backward rule: name its rule in assembly\/ops\/elementwise\.ts/);
  });

  test("a rule that its family file does not define fails the build", () => {
    const ops = withOp("Tanh", (op) => ({ ...op, backward: "tanhBackwardMissing" }));
    expectRefused(ops, /op Tanh: backward rule tanhBackwardMissing is not exported by assembly\/ops\/elementwise\.ts/);
  });

  test("a rule for an op that does not exist fails the build", () => {
    const withOrphan = (family: string) =>
      readFamily(family) + (family === "elementwise" ? "\nexport function erfBackward(t: i32, g: i32, grads: usize): void {}\n" : "");
    expectRefused(SPEC, /assembly\/ops\/elementwise\.ts exports the rule erfBackward, but no op in the table names it/, withOrphan);
  });

  test("an op that is not differentiable is declared so, and then has no rule", () => {
    const ops = withOp("Sin", (op) => ({ ...op, backward: null, jvp: undefined }));
    // sinBackward is now a rule that no op names.
    expectRefused(ops, /exports the rule sinBackward, but no op in the table names it/);
    expectRefused(withOp("Sin", (op) => ({ ...op, backward: null })), /op Sin is not differentiable and cannot have a jvp rule/);
    expectRefused(withOp("Gt", (op) => ({ ...op, backward: "gtBackward" })), /op Gt returns bool and cannot have a backward rule/);
  });

  test("a differentiable op without a forward-mode rule fails the build", () => {
    expectRefused(withOp("Cumsum", (op) => ({ ...op, jvp: undefined })),
      /op Cumsum has no forward-mode rule: name its jvp rule in assembly\/ops\/scan\.ts, or "elementwise"/);
    expectRefused(withOp("Exp", (op) => ({ ...op, jvp: undefined })), /op Exp has no forward-mode rule/);
  });

  test("a forward-mode rule must exist, and every one must be named", () => {
    expectRefused(withOp("Dot", (op) => ({ ...op, jvp: "dotJvpMissing" })),
      /op Dot: jvp rule dotJvpMissing is not exported by assembly\/ops\/linalg\.ts/);
    // dotJvp is then exported but named by no op
    expectRefused(withOp("Dot", (op) => ({ ...op, jvp: "elementwise" })), /exports the rule dotJvp, but no op in the table names it/);
  });

  test("an op without a batching rule, or one naming what the op does not have, fails the build", () => {
    expectRefused(withOp("Softmax", (op) => ({ ...op, batch: undefined })), /op Softmax has no batching rule/);
    expectRefused(withOp("Softmax", (op) => ({ ...op, batch: { kind: "dims", dims: ["axis"] } })),
      /op Softmax: its batching rule's dims names 'axis', which the op does not have/);
  });

  test("forward functions and kernels must exist", () => {
    expectRefused(withOp("Sum", (op) => ({ ...op, forward: "sumForwardMissing" })),
      /forward function sumForwardMissing is not exported by assembly\/ops\/reduce\.ts/);
    expectRefused(withOp("Neg", (op) => ({ ...op, forward: "unary<NegKMissing>" })),
      /kernel NegKMissing is not exported by assembly\/ops\/elementwise\.ts/);
  });

  test("a function name exported by two families fails the build", () => {
    const twice = (family: string) =>
      readFamily(family) + (family === "sort" ? "\nexport function selectBackward(t: i32, g: i32, grads: usize): void {}\n" : "");
    expectRefused(withOp("Kthvalue", (op) => ({ ...op, backward: "selectBackward" })),
      /op Select: selectBackward is named from assembly\/ops\/views\.ts and from assembly\/ops\/sort\.ts: rename one/, twice);
  });

  test("names and saves are checked", () => {
    expectRefused([...SPEC, SPEC[0]], /op Neg is declared twice/);
    expectRefused(withOp("Mul", (op) => ({ ...op, saves: ["self", "input"] })), /op Mul saves 'input', which is not one of its inputs/);
    expectRefused(withOp("Mul", (op) => ({ ...op, saves: ["self"] })), /op Mul: savedFor names 'other', which it does not save/);
    expectRefused(withOp("Mul", (op) => ({ ...op, savedFor: { self: ["input"] } })),
      /op Mul: savedFor 'self' names 'input', which is not one of its inputs/);
    expectRefused(withOp("Exp", (op) => ({ ...op, method: "log" })), /method log is declared by two ops/);
  });
});
