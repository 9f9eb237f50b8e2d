// The demo page: two panels, each training in its own module worker, and the figures that
// tests read from window.demoState.
import "./style.css";
import { demoState } from "./state.js";
import { spiralPanel } from "./spiral/panel.js";
import { mnistPanel } from "./mnist/panel.js";

const spiral = spiralPanel();
const mnist = mnistPanel();
document.getElementById("app")!.append(spiral.element, mnist.element);
spiral.mount();
mnist.mount();

// How long the main thread was busy: a 50 ms tick that fires late was held up by that much.
const TICK_MS = 50;
let expected = performance.now() + TICK_MS;
setInterval(() => {
  const now = performance.now();
  demoState.maxLagMs = Math.max(demoState.maxLagMs, now - expected);
  expected = now + TICK_MS;
}, TICK_MS);

// How long a click waited before its handler ran (event.timeStamp is when it happened).
document.addEventListener("click", (e) => {
  if (!(e.target instanceof HTMLButtonElement)) return;
  demoState.lastClickDelayMs = performance.now() - e.timeStamp;
  demoState.clicks++;
}, { capture: true });

