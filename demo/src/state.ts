// window.demoState: what the page shows, for tests and for the console.

export interface PanelState {
  ready: boolean;
  running: boolean;
  step: number;
  loss: number;
  accuracy: number;
  /** the first loss reported after the last reset */
  firstLoss: number;
  samplesPerSec: number;
  error: string | null;
}

const panel = (): PanelState => ({ ready: false, running: false, step: 0, loss: NaN, accuracy: NaN, firstLoss: NaN, samplesPerSec: 0, error: null });

export const demoState = {
  spiral: { ...panel(), boundaryFrames: 0 },
  mnist: { ...panel(), testAccuracy: NaN, prediction: null as null | { digit: number; probs: number[]; at: number } },
  /** The longest the main thread was busy between two 50 ms ticks, in ms, since it was last set to 0. */
  maxLagMs: 0,
  /** How long the last click on a button waited for its handler, in ms. */
  lastClickDelayMs: NaN,
  clicks: 0,
};

declare global {
  interface Window { demoState: typeof demoState }
}
window.demoState = demoState;

export function panelFromProgress(s: PanelState, m: { running: boolean; step: number; loss: number; accuracy: number; samplesPerSec: number }) {
  s.running = m.running; s.step = m.step; s.loss = m.loss; s.accuracy = m.accuracy; s.samplesPerSec = m.samplesPerSec;
  if (Number.isNaN(s.firstLoss) && Number.isFinite(m.loss)) s.firstLoss = m.loss;
}
