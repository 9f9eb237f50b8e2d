// Bad input: a clear Error thrown from TypeScript, naming the op and the shapes, and a
// library that still computes correct gradients right after.
import { describe, expect, test } from "vitest";
import { tensor, zeros, ones, arange, grad, matmul, add } from "../bindings/index.js";
import { expectClose } from "./helpers.js";

function stillWorks(): void {
  const x = tensor([1, 2, 3], { requires_grad: true });
  x.mul(x).sum().backward();
  expectClose(x.grad, [2, 4, 6], 0, 0);
}

const cases: [string, () => unknown, RegExp][] = [
  ["broadcast mismatch", () => zeros([2, 3]).add(zeros([4])),
    /add\(\): The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1; shapes \[2, 3\] and \[4\]/],
  ["matmul inner dimensions", () => zeros([2, 3]).matmul(zeros([4, 5])),
    /matmul\(\): mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/],
  ["matmul batch sizes", () => zeros([2, 3, 4]).matmul(zeros([3, 4, 5])), /matmul\(\): batch sizes 2 and 3 do not broadcast/],
  ["matmul of a 0-d tensor", () => matmul(tensor(1), zeros([2])), /both arguments to matmul need to be at least 1D/],
  ["dot of 2-D", () => zeros([2, 2]).dot(zeros([2])), /dot\(\): 1D tensors expected, but got 2D and 1D tensors/],
  ["dot sizes", () => zeros([2]).dot(zeros([3])), /dot\(\): inconsistent tensor size/],
  ["ragged nested arrays", () => tensor([[1, 2, 3], [4, 5]]), /tensor\(\): expected sequence of length 3 at dim 1 \(got 2\)/],
  ["ragged depth", () => tensor([[1, 2], 3] as never), /tensor\(\): expected sequence of length 2 at dim 1 \(got number 3\)/],
  ["non-numeric data", () => tensor([1, "2", 3] as never), /tensor\(\): invalid data type the string "2" at index \[1\]; expected numbers/],
  ["non-numeric top level", () => tensor("abc" as never), /tensor\(\): data must be a number, nested arrays of numbers or a typed array/],
  ["typed array with a wrong shape", () => tensor(new Float32Array(6), { shape: [4, 2] }), /tensor\(\): shape '\[4, 2\]' is invalid for input of size 6/],
  ["reshape to a wrong size", () => zeros([2, 3]).reshape([4, 2]), /reshape\(\): shape '\[4, 2\]' is invalid for input of size 6/],
  ["reshape with two -1", () => zeros([2, 3]).reshape([-1, -1]), /reshape\(\): only one dimension can be inferred/],
  ["dim out of range", () => zeros([2, 3]).sum(2), /sum\(\): Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
  ["softmax dim out of range", () => zeros([2, 3]).softmax(-3), /softmax\(\): Dimension out of range \(expected to be in range of \[-2, 1\], but got -3\)/],
  ["transpose dim out of range", () => zeros([2, 3]).transpose(0, 5), /transpose\(\): Dimension out of range/],
  ["non-integer dim", () => zeros([2, 3]).sum(0.5), /sum\(\): dim must be an integer/],
  ["repeated dims", () => zeros([2, 3]).sum([1, -1]), /sum\(\): dim 1 appears multiple times/],
  ["item of many elements", () => zeros([3]).item(), /item\(\): a Tensor with 3 elements cannot be converted to Scalar/],
  ["a string where a tensor belongs", () => zeros([2]).mul("2" as never), /mul\(\): argument 'other' must be a Tensor or a number, got the string "2"/],
  ["a string as the first argument", () => add("x" as never, 1), /add\(\): argument 'input' must be a Tensor or a number/],
  ["an object as dot operand", () => zeros([2]).dot({} as never), /dot\(\): argument 'tensor' must be a Tensor, got Object/],
  ["a negative size", () => zeros([2, -1]), /zeros\(\): shape must be an array of non-negative integers/],
  ["too many dims", () => zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), /zeros\(\): at most 8 dimensions are supported, got 9/],
  ["backward without requires_grad", () => ones([2]).sum().backward(), /backward\(\): element 0 of tensors does not require grad/],
  ["backward of a non-scalar", () => ones([2], { requires_grad: true }).mul(2).backward(), /backward\(\): grad can be implicitly created only for scalar outputs; output 0 has shape \[2\]/],
  ["requires_grad on a non-leaf", () => { ones([2], { requires_grad: true }).mul(2).requires_grad = false; },
    /requires_grad_\(\): you can only change requires_grad flags of leaf variables/],
  ["grad of an input that does not require grad", () => grad(ones([2], { requires_grad: true }).sum(), ones([2])), /grad\(\): One of the differentiated Tensors \(input 0\) does not require grad/],
  ["arange with a zero step", () => arange(0, 1, 0), /arange\(\): step must be nonzero/],
  ["max of an empty tensor", () => zeros([0]).max(), /max\(\): Expected reduction dim to be specified for input.numel\(\) == 0/],
  ["a tensor larger than wasm memory", () => zeros([100000, 100000]),
    /zeros\(\): cannot allocate a tensor of shape \[100000, 100000\]: 40000000000 bytes requested/],
  ["a broadcast larger than wasm memory", () => zeros([100000, 1]).add(zeros([1, 100000])),
    /add\(\): cannot allocate a tensor of shape \[100000, 100000\]/],
  ["a matmul larger than wasm memory", () => zeros([100000, 1]).matmul(zeros([1, 100000])),
    /matmul\(\): cannot allocate a tensor of shape/],
  ["t() of a 3-D tensor", () => zeros([2, 2, 2]).t(), /t\(\): t\(\) expects a tensor with <= 2 dimensions, but self is 3D/],
];

describe("bad input", () => {
  test.each(cases)("%s", (_name, fn, message) => {
    expect(fn).toThrow(message);
    try { fn(); } catch (e) { expect(e).toBeInstanceOf(Error); expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError); }
    stillWorks();
  });

  test("a disposed tensor says so", () => {
    const t = ones([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/add\(\): this tensor was disposed and can no longer be used/);
    expect(() => ones([2]).mul(t)).toThrow(/mul\(\): this tensor was disposed/);
    expect(() => t.item()).toThrow(/disposed/);
    expect(String(t)).toBe("tensor(<disposed>)");
    stillWorks();
  });
});

describe("edge values", () => {
  test("zero-size tensors work", () => {
    const x = zeros([0, 3], { requires_grad: true });
    const y = x.mul(2).sum();
    expect(y.item()).toBe(0);
    y.backward();
    expect(x.grad!.shape).toEqual([0, 3]);
    expect(zeros([0]).add(ones([1])).shape).toEqual([0]);
    expect(zeros([2, 0]).sum(1).tolist()).toEqual([0, 0]);
    expect(String(zeros([0]))).toBe("tensor([])");
    expect(String(zeros([0, 3]))).toBe("tensor([], size=(0, 3))");
    stillWorks();
  });

  test("NaN and Infinity propagate", () => {
    const x = tensor([NaN, Infinity, -Infinity, 1], { requires_grad: true });
    const y = x.mul(2).exp();
    expectClose(y, [NaN, Infinity, 0, Math.exp(2)], 1e-6);
    y.sum().backward();
    expectClose(x.grad, [NaN, Infinity, 0, 2 * Math.exp(2)], 1e-6);
    expectClose(tensor([0, -1]).log(), [-Infinity, NaN]);
    expectClose(tensor([1, 0]).div(tensor([0, 0])), [Infinity, NaN]);
    stillWorks();
  });

  test("Int32Array gives int32 and Float64Array float64; only floats require grad", () => {
    const a = tensor(new Int32Array([1, -2, 3]));
    expect(a.dtype).toBe("int32");
    expect(a.tolist()).toEqual([1, -2, 3]);
    const b = tensor(new Float64Array([0.1, 2]), { shape: [2, 1] });
    expect(b.shape).toEqual([2, 1]);
    expect(b.dtype).toBe("float64");
    expect(b.toTypedArray()[0]).toBe(0.1);
    expect(() => tensor(new Int32Array([2, 3]), { requires_grad: true }))
      .toThrow("requires_grad_(): only Tensors of floating point dtype can require gradients (this one is int32; convert it with .float() or .double() first)");
    const c = tensor(new Int32Array([2, 3]), { dtype: "float32", requires_grad: true });
    c.mul(c).sum().backward();
    expect(c.grad!.tolist()).toEqual([4, 6]);
    stillWorks();
  });
});

