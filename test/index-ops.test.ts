// The indexing ops beyond the PyTorch fixture suite (indexing-suite.test.ts): their in-place
// forms inside and outside the graph, writes through basic-index views, the refusals with
// PyTorch's messages, and that indexing leaks no tensors.
import { describe, expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import { memory, no_grad, scope, slice, tensor, zeros, type Tensor } from "../bindings/index.js";

const ints = (data: number[] | number[][]) => tensor(data, { dtype: "int32" });
const list = (t: Tensor) => t.tolist();

describe("in-place index ops", () => {
  test("index_add_, index_copy_, index_fill_, scatter_, scatter_add_, masked_fill_ and index_put_ write into the tensor", () => {
    const base = () => tensor([[1, 2], [3, 4], [5, 6]]);
    expect(list(base().index_add_(0, [2, 0, 2], tensor([[1, 1], [10, 10], [100, 100]]), { alpha: 2 })))
      .toEqual([[21, 22], [3, 4], [207, 208]]);
    expect(list(base().index_copy_(1, [1], tensor([[7], [8], [9]])))).toEqual([[1, 7], [3, 8], [5, 9]]);
    expect(list(base().index_fill_(0, [-1], -1))).toEqual([[1, 2], [3, 4], [-1, -1]]);
    expect(list(base().scatter_(1, ints([[1], [0], [1]]), 0))).toEqual([[1, 0], [0, 4], [5, 0]]);
    expect(list(base().scatter_add_(0, ints([[2, 2]]), tensor([[1, 1]])))).toEqual([[1, 2], [3, 4], [6, 7]]);
    expect(list(base().masked_fill_(tensor([true, false], { dtype: "bool" }), 0))).toEqual([[0, 2], [0, 4], [0, 6]]);
    expect(list(base().index_put_([[0, 0], [1, 1]], tensor(5), true))).toEqual([[1, 12], [3, 4], [5, 6]]);
  });

  test("inside the graph they are recorded: gradients reach the old value and the source", () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: "float64", requires_grad: true });
    const s = tensor([[5, 6]], { dtype: "float64", requires_grad: true });
    const c = a.mul(1);
    c.index_add_(0, [1], s, { alpha: 3 });
    c.mul(c).sum().backward();
    // c = [[1, 2], [3 + 15, 4 + 18]]; d sum(c²) / da = 2c, / ds = 3 * 2 c[1]
    expect(list(a.grad!)).toEqual([[2, 4], [36, 44]]);
    expect(list(s.grad!)).toEqual([[108, 132]]);
    expect(c.grad_fn!.name()).toBe("IndexAddBackward");
  });

  test("a leaf that requires grad is refused, as PyTorch refuses it", () => {
    const a = zeros([3], { requires_grad: true });
    expect(() => a.index_fill_(0, [1], 2)).toThrow("a leaf Variable that requires grad is being used in an in-place operation");
    no_grad(() => a.index_fill_(0, [1], 2));
    expect(list(a)).toEqual([0, 2, 0]);
  });

  test("in-place writes bump the version, so a value saved before them is caught", () => {
    const a = tensor([1, 2, 3], { requires_grad: true });
    const b = a.mul(2);
    const saved = b.sin(); // saves b
    const version = b._version;
    b.scatter_(0, ints([0]), tensor([9]));
    expect(b._version).toBe(version + 1);
    expect(() => saved.sum().backward()).toThrow("modified by an inplace operation");
  });
});

describe("basic indexing gives views", () => {
  test("fill_ and copy_ through x.index(...) write into x", () => {
    const x = zeros([3, 4]);
    x.index(0, "1:3").fill_(1);
    x.index("1:", slice(null, null, 3)).copy_(tensor([[2, 3], [4, 5]]));
    expect(list(x)).toEqual([[0, 1, 1, 0], [2, 0, 0, 3], [4, 0, 0, 5]]);
    expect(x.index("...", null, 1).shape).toEqual([3, 1]);
  });

  test("a copy_ into an indexed view inside the graph differentiates both sides", () => {
    const a = tensor([1, 2, 3, 4], { dtype: "float64", requires_grad: true });
    const v = tensor([10, 20], { dtype: "float64", requires_grad: true });
    const c = a.mul(2);
    c.index("::2").copy_(v.mul(v));
    c.sum().backward();
    expect(list(a.grad!)).toEqual([0, 2, 0, 2]);
    expect(list(v.grad!)).toEqual([20, 40]);
  });

  test("slice() takes computed bounds as Python's slice", () => {
    const x = wg.arange(10);
    expect(list(x.index(slice(3)))).toEqual([0, 1, 2]);
    expect(list(x.index(slice(2, -2, 3)))).toEqual([2, 5]);
    expect(list(x.index(slice(-3, null)))).toEqual([7, 8, 9]);
    expect(x.index(slice(8, 2)).shape).toEqual([0]);
  });
});

describe("edge cases", () => {
  test("adding into bools is a logical or, as in PyTorch", () => {
    const bools = () => zeros([3], { dtype: "bool" });
    const yes = tensor([true, true], { dtype: "bool" });
    expect(list(bools().scatter_add(0, ints([0, 0]), yes))).toEqual([true, false, false]);
    expect(list(bools().index_put([ints([2, 2])], tensor(true, { dtype: "bool" }), true))).toEqual([false, false, true]);
    expect(list(bools().put(ints([1, 1]), yes, true))).toEqual([false, true, false]);
  });

  test("a 0-d tensor takes a one-element slice", () => {
    expect(tensor(3).index_add(0, [0], tensor([2])).item()).toBe(5);
    expect(tensor(3).index_copy(0, [0], tensor(2)).item()).toBe(2);
  });
});

describe("nonzero", () => {
  test("as coordinates and as a tuple", () => {
    const x = tensor([[0, 1.5], [NaN, 0]]);
    expect(list(x.nonzero())).toEqual([[0, 1], [1, 0]]);
    expect(x.nonzero({ as_tuple: true }).map(list)).toEqual([[0, 1], [1, 0]]);
    expect(list(wg.nonzero(tensor(3)))).toEqual([[]]);
    expect(wg.nonzero(tensor(3), { as_tuple: true }).map(list)).toEqual([[0]]);
    expect(zeros([2, 0]).nonzero().shape).toEqual([0, 2]);
  });
});

describe("refusals, with PyTorch's messages", () => {
  const x = zeros([3, 4]);
  test.each([
    ["gather with a float index", () => x.gather(0, tensor([[0]]) as Tensor), "Expected dtype int32 for index"],
    ["gather out of range", () => x.gather(1, ints([[4]])), "index 4 is out of bounds for dimension 1 with size 4"],
    ["gather with a negative index", () => x.gather(1, ints([[-1]])), "index -1 is out of bounds for dimension 1 with size 4"],
    ["gather of another rank", () => x.gather(0, ints([0])), "Index tensor must have the same number of dimensions as input tensor"],
    ["gather with a larger index", () => x.gather(0, ints([[0, 0, 0, 0, 0]])), "Size does not match at dimension 1"],
    ["index_select with a matrix", () => x.index_select(0, ints([[0]])), "Index is supposed to be a vector"],
    ["index_select with non-integers", () => x.index_select(0, [0.5] as number[]), "must be an int32 Tensor or an array of integers"],
    ["scatter of another dtype", () => x.scatter(0, ints([[0]]), tensor([[1]], { dtype: "float64" })), "Expected self.dtype to be equal to src.dtype"],
    ["scatter with a larger index", () => x.scatter(0, ints([[0, 0]]), zeros([1, 1])), "to be smaller size than src"],
    ["index_add with the wrong count", () => x.index_add(0, [0, 1], zeros([3, 4])), "Number of indices (2) should be equal to source.size(dim) (3)"],
    ["index_copy with the wrong slices", () => x.index_copy(0, [0], zeros([1, 3])), "source tensor shape must match self tensor shape"],
    ["index_add of bools", () => zeros([2], { dtype: "bool" }).index_add(0, [0], zeros([1], { dtype: "bool" })), "not implemented for 'Bool'"],
    ["masked_fill with an int mask", () => x.masked_fill(zeros([4], { dtype: "int32" }), 1), "only supports boolean masks"],
    ["masked_fill with a 1-D value", () => x.masked_fill(zeros([4], { dtype: "bool" }), zeros([1])), "only supports a 0-dimensional value tensor"],
    ["masked_fill_ with a larger mask", () => zeros([4]).masked_fill_(zeros([2, 4], { dtype: "bool" }), 1), "must be broadcastable to self"],
    ["index_put with too many values", () => x.index_put([[0, 1]], zeros([3, 4])), "shape mismatch: value tensor of shape [3, 4] cannot be broadcast"],
    ["index with a bad slice", () => x.index("1:2:x"), "cannot read \"1:2:x\" as a slice"],
    ["index with a negative step", () => x.index("::-1"), "step must be greater than zero"],
    ["index with two ellipses", () => x.index("...", "..."), "an index can only have a single ellipsis"],
    ["index with a mask of the wrong shape", () => x.index(zeros([4], { dtype: "bool" })), "The shape of the mask [4] at index 0 does not match"],
    ["put with a short source", () => x.put([0, 1], zeros([1])), "Expected source and index to have the same number of elements"],
    ["take out of range", () => x.take([12]), "index 12 is out of bounds for dimension 0 with size 12"],
    ["masked_scatter with a short source", () => x.masked_scatter(tensor([true, true, false, false], { dtype: "bool" }), zeros([5])),
      "Number of elements of source < number of ones in mask (5 < 6)"],
    ["scatter of a number with a larger index", () => zeros([3, 3]).scatter(0, ints([[0, 0, 0, 0, 0]]), 7),
      "Expected index [1, 5] to be smaller than self [3, 3] apart from dimension 0"],
    ["index_put without indices", () => x.index_put([], zeros([])), "indices must hold at least one index tensor"],
    ["index with an object", () => x.index({} as never), "an index must be an integer, a slice string"],
  ] as const)("%s", (_name, run, message) => {
    expect(run).toThrow(message);
  });

  test("a refused index leaves the core usable", () => {
    expect(() => x.index([0, 9])).toThrow("index 9 is out of bounds for dimension 0 with size 3");
    expect(list(x.index([0, -1]).sum(1))).toEqual([0, 0]);
  });
});

describe("memory", () => {
  test("indexing in a loop leaks no tensors", () => {
    const w = wg.randn([10, 4], { requires_grad: true });
    const step = () => scope(() => {
      const e = w.index(ints([1, 3, 3]), "1:").mul(2).sum();
      e.backward();
      w.index_select(0, [2]).gather(1, ints([[0, 1]])).masked_select(tensor([true, false], { dtype: "bool" }));
    });
    step();
    const before = memory().tensors;
    for (let i = 0; i < 20; i++) step();
    expect(memory().tensors).toBe(before);
  });
});
