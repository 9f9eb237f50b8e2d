// Filling wasm memory (4 GiB) gives an Error naming the request, never a trap, and the
// library keeps working. In test:long: it fills about 4 GiB, which takes a while.
import { expect, test } from "vitest";
import { ones, tensor, memory, no_grad, type Tensor } from "../../bindings/index.js";

test("running out of wasm memory throws a RangeError naming the bytes, and nothing breaks", () => {
  const held: Tensor[] = [];
  const big = [16383, 16384]; // just under 1 GiB, about the most one tensor can hold
  let error: unknown = null;
  try {
    // requires_grad: such leaves stay in wasm memory (idle plain tensors would be evicted)
    for (let i = 0; i < 5; i++) held.push(ones(big, { requires_grad: true }));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RangeError);
  expect(String(error)).toMatch(/out of memory: could not allocate 1073676288 bytes for a tensor \(wasm memory is \d+ bytes/);
  expect(held.length).toBeGreaterThanOrEqual(2);
  for (const t of held.slice(1)) t.dispose();
  expect(no_grad(() => held[0].sum()).item()).toBe(16383 * 16384); // what was made before is intact
  held[0].dispose();

  const x = tensor([1, 2, 3], { requires_grad: true });
  x.mul(x).sum().backward();
  expect(x.grad!.tolist()).toEqual([2, 4, 6]);
  const again = ones(big); // the freed memory is reused
  expect(again.numel()).toBe(16383 * 16384);
  again.dispose();
  expect(memory().bytes).toBeLessThan(1024 * 1024);
});
