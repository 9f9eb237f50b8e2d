// The op table as the bindings see it: generated from spec/ops.ts (bindings/generated/
// ops.ts), and checked at load against the op codes the core exports, so a core built
// from another table is refused at once.

import { coreOpNames, opCode } from "./core.js";
import { OPS, type OpName } from "./generated/ops.js";

export { OPS, type OpName };

function checkCodes(): void {
  for (const name of Object.keys(OPS) as OpName[]) {
    if (opCode(name) !== OPS[name].code) {
      throw new Error(`wasmgrad: the core's op ${name} does not match the op table; rebuild it (npm run build)`);
    }
  }
  for (const name of coreOpNames()) {
    if (!(name in OPS)) throw new Error(`wasmgrad: core op ${name} is not in the op table; rebuild it (npm run build)`);
  }
}
checkCodes();
