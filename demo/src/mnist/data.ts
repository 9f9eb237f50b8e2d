// The digit subset made by demo/plugins/mnist-subset.ts, as [N, 1, 28, 28] float images
// normalised with MNIST's mean and standard deviation, and their labels.

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
// MNIST's pixel mean and standard deviation: the drawing pad's images get the same
export const MEAN = 0.1307, STD = 0.3081;

export interface Digits { images: Float32Array; labels: Int32Array; count: number }

export function normalise(pixel01: number): number {
  return (pixel01 - MEAN) / STD;
}

export async function loadDigits(url: string): Promise<{ train: Digits; test: Digits }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`mnist subset: ${url} answered ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const view = new DataView(bytes.buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "MNS1") throw new Error("mnist subset: not an MNS1 file");
  const trainCount = view.getUint32(4, true), testCount = view.getUint32(8, true);
  const total = trainCount + testCount;
  const lut = Float32Array.from({ length: 256 }, (_, v) => normalise(v / 255));
  const slice = (from: number, count: number): Digits => {
    const images = new Float32Array(count * PIXELS);
    const src = bytes.subarray(12 + total + from * PIXELS, 12 + total + (from + count) * PIXELS);
    for (let i = 0; i < src.length; i++) images[i] = lut[src[i]];
    return { images, labels: Int32Array.from(bytes.subarray(12 + from, 12 + from + count)), count };
  };
  return { train: slice(0, trainCount), test: slice(trainCount, testCount) };
}
