// A walkthrough of d2l section 2.5 "Automatic Differentiation" with wasmgrad.
// Run with: npm start
import { arange, ones, randn, manual_seed, linspace, grad, tensor, autograd, type Tensor } from "../bindings/index.js";

const step = (title: string) => console.log(`\n# ${title}`);
const show = (label: string, value: unknown) => console.log(`${label} =`, String(value));

step("2.5.1 A simple function: y = 2 x.x");
const x = arange(4.0);
show("x", x);
x.requires_grad_(true);
show("x.grad", x.grad);
let y = x.dot(x).mul(2);
show("y", y);
y.backward();
show("x.grad", x.grad);
show("x.grad == 4 * x", x.grad!.eq(x.mul(4)));

step("Gradients accumulate; zero_() clears them");
x.grad!.zero_();
y = x.sum();
y.backward();
show("x.grad after x.sum().backward()", x.grad);

step("2.5.2 Backward for non-scalar variables");
x.grad!.zero_();
y = x.mul(x);
y.backward(ones([4]));
show("x.grad (y.backward(ones))", x.grad);
x.grad!.zero_();
x.mul(x).sum().backward();
show("x.grad (y.sum().backward())", x.grad);

step("2.5.3 Detaching computation");
x.grad!.zero_();
y = x.mul(x);
const u = y.detach();
const z = u.mul(x);
z.sum().backward();
show("u", u);
show("x.grad == u", x.grad!.eq(u));
x.grad!.zero_();
y.sum().backward();
show("x.grad == 2 * x", x.grad!.eq(x.mul(2)));

step("2.5.4 Gradients and control flow");
function f(a: Tensor): Tensor {
  let b = a.mul(2);
  while (b.norm().item() < 1000) b = b.mul(2);
  return b.sum().item() > 0 ? b : b.mul(100);
}
manual_seed(42);
const a = randn([], { requires_grad: true });
const d = f(a);
d.backward();
show("a", a);
show("d", d);
show("a.grad", a.grad);
show("d / a", d.div(a));

step("Exercise: the derivative of sin is cos");
const t = linspace(-2 * Math.PI, 2 * Math.PI, 9, { requires_grad: true });
t.sin().sum().backward();
show("d sin(t)/dt", t.grad);
show("cos(t)", t.detach().cos());

step("Exercise: second derivatives with create_graph");
const s = arange(1.0, 4.0, { requires_grad: true });
const cube = s.pow(3).sum();
const [first] = grad(cube, s, { create_graph: true });
show("d/ds s^3 = 3 s^2", first);
const [second] = grad(first!.sum(), s);
show("d2/ds2 s^3 = 6 s", second);

step("Forward accumulation: one pass pushes a tangent from the input to the output");
// The chain rule applied from the input side: with x carrying the tangent v, every op
// computes its output's tangent alongside its value, and f's tangent is the product J v.
const { dual_level, make_dual, unpack_dual } = autograd.forward_ad;
const w = tensor([0.5, 1.0, 2.0]);
dual_level(() => {
  const wv = make_dual(w, tensor([1.0, 0.0, 0.0])); // the tangent e_1: the first column of J
  const out = wv.sin().mul(wv);                      // f(w) = w sin(w), elementwise
  const { primal, tangent } = unpack_dual(out);
  show("f(w)", primal);
  show("J e_1 (forward mode)", tangent);
  show("f'(w_1) = sin w_1 + w_1 cos w_1", Math.sin(0.5) + 0.5 * Math.cos(0.5));
});
// Reverse mode gets a row of J per pass (here the sum of f's outputs), forward mode a column.
const wr = w.clone().requires_grad_(true);
wr.sin().mul(wr).sum().backward();
show("1^T J (reverse mode)", wr.grad);
