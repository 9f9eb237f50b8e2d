// Panel 2's settings, shared by the page and its worker.
export interface MnistSettings {
  lr: number;
  batch: number;
  dataUrl: string; // where the page's server has the digit subset
}

export interface MnistExtra {
  testAccuracy: number; // NaN until the first evaluation
  trainCount: number;
  testCount: number;
}
