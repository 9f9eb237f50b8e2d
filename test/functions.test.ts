// Every function form (wg.f(x, ...args)) gives what its method gives: the same values,
// shapes and dtype, and a number as input becomes a 0-d tensor as in PyTorch.
import { expect, test } from "vitest";
import * as wg from "../bindings/index.js";
import type { Tensor } from "../bindings/index.js";

const x = wg.tensor([[1, -2, 3], [0, 5, -6]]);
const cases: [string, (t: Tensor) => Tensor | Tensor[] | number, () => Tensor | Tensor[] | number][] = [
  ["min", (t) => t.min(), () => wg.min(x)],
  ["min(dim)", (t) => t.min(1).values, () => wg.min(x, 1).values],
  ["amax", (t) => t.amax(0), () => wg.amax(x, 0)],
  ["amin", (t) => t.amin(1, true), () => wg.amin(x, 1, true)],
  ["argmax", (t) => t.argmax(1), () => wg.argmax(x, 1)],
  ["argmin", (t) => t.argmin(), () => wg.argmin(x)],
  ["all", (t) => t.all(1), () => wg.all(x, 1)],
  ["any", (t) => t.any(), () => wg.any(x)],
  ["count_nonzero", (t) => t.count_nonzero(0), () => wg.count_nonzero(x, 0)],
  ["logsumexp", (t) => t.logsumexp(1), () => wg.logsumexp(x, 1)],
  ["std", (t) => t.std(1, { correction: 0 }), () => wg.std(x, 1, { correction: 0 })],
  ["var", (t) => t.var(), () => wg.var(x)],
  ["clone", (t) => t.clone(), () => wg.clone(x)],
  ["detach", (t) => t.detach(), () => wg.detach(x)],
  ["numel", (t) => t.numel(), () => wg.numel(x)],
  ["flatten", (t) => t.flatten(), () => wg.flatten(x)],
  ["unflatten", (t) => t.unflatten(1, [3, 1]), () => wg.unflatten(x, 1, [3, 1])],
  ["permute", (t) => t.permute([1, 0]), () => wg.permute(x, [1, 0])],
  ["movedim", (t) => t.movedim(0, 1), () => wg.movedim(x, 0, 1)],
  ["narrow", (t) => t.narrow(1, 1, 2), () => wg.narrow(x, 1, 1, 2)],
  ["select", (t) => t.select(0, 1), () => wg.select(x, 0, 1)],
  ["diagonal", (t) => t.diagonal(1), () => wg.diagonal(x, 1)],
  ["t", (t) => t.t(), () => wg.t(x)],
  ["broadcast_to", (t) => t.broadcast_to([2, 2, 3]), () => wg.broadcast_to(x, [2, 2, 3])],
  ["tile", (t) => t.tile([2]), () => wg.tile(x, [2])],
  ["tril", (t) => t.tril(), () => wg.tril(x)],
  ["triu", (t) => t.triu(1), () => wg.triu(x, 1)],
  ["trace", (t) => t.trace(), () => wg.trace(x)],
  ["nan_to_num", (t) => t.nan_to_num(), () => wg.nan_to_num(x)],
  ["split", (t) => t.split(2, 1), () => wg.split(x, 2, 1)],
  ["chunk", (t) => t.chunk(2), () => wg.chunk(x, 2)],
  ["unbind", (t) => t.unbind(1), () => wg.unbind(x, 1)],
  ["gather", (t) => t.gather(1, [[0], [2]]), () => wg.gather(x, 1, [[0], [2]])],
  ["index_select", (t) => t.index_select(1, [2, 0]), () => wg.index_select(x, 1, [2, 0])],
  ["masked_select", (t) => t.masked_select(t.gt(0)), () => wg.masked_select(x, x.gt(0))],
];

const plain = (v: Tensor | Tensor[] | number): unknown =>
  typeof v === "number" ? v : Array.isArray(v) ? v.map(plain) : { shape: v.shape, dtype: v.dtype, values: v.tolist() };

test.each(cases)("wg.%s(x, ...) is the method", (_name, method, fn) => {
  expect(plain(fn())).toEqual(plain(method(x)));
});

test("a number is a 0-d input", () => {
  expect(wg.clone(2.5).shape).toEqual([]);
  expect(wg.amax(3, 0).item()).toBe(3);
});

test("PyTorch's other names are the ops themselves, as methods and functions", () => {
  const a = wg.tensor([1.5, -2, 3], { requires_grad: true }), b = wg.tensor([2, 2, -1]);
  const pairs: [Tensor, Tensor][] = [
    [a.multiply(b), a.mul(b)], [wg.multiply(a, b), a.mul(b)], [a.divide(b), a.div(b)], [wg.true_divide(a, b), a.div(b)],
    [a.subtract(b), a.sub(b)], [a.negative(), a.neg()], [wg.absolute(a), a.abs()], [a.fix(), a.trunc()],
    [a.greater(b), a.gt(b)], [wg.less_equal(a, b), a.le(b)], [a.not_equal(b), a.ne(b)],
    [a.reshape([3, 1]).swapaxes(0, 1), a.reshape([3, 1]).t()], [wg.moveaxis(a.reshape([1, 3]), 0, 1), a.reshape([1, 3]).movedim(0, 1)],
    [wg.concat([a, b]), wg.cat([a, b])], [a.argwhere(), a.nonzero()],
  ];
  for (const [alias, op] of pairs) {
    expect(plain(alias)).toEqual(plain(op));
    expect(alias.grad_fn?.name()).toBe(op.grad_fn?.name());
  }
});
