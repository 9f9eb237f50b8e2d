// Turns a drawing into an MNIST-like 28×28 image the way MNIST's digits were made: the
// ink's bounding box scaled (area-averaged, aspect kept) to fit 20×20, then placed so that
// its centre of mass is at the centre of the 28×28 field.
import { SIDE } from "./data.js";

const BOX = 20;

/** `ink` is size×size intensities in 0..1; the result is SIDE×SIDE in 0..1, or null when nothing is drawn. */
export function toMnist(ink: Float32Array, size: number): Float32Array | null {
  let x0 = size, y0 = size, x1 = -1, y1 = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (ink[y * size + x] > 0.05) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale)), th = Math.max(1, Math.round(h * scale));
  // area average: each small pixel is the mean of the source pixels it covers (at least one,
  // so a tiny drawing scaled up keeps its ink)
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + Math.floor(ty / scale), sy1 = Math.min(y1 + 1, Math.max(sy0 + 1, y0 + Math.floor((ty + 1) / scale)));
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + Math.floor(tx / scale), sx1 = Math.min(x1 + 1, Math.max(sx0 + 1, x0 + Math.floor((tx + 1) / scale)));
      let sum = 0;
      for (let y = sy0; y < sy1; y++) for (let x = sx0; x < sx1; x++) sum += ink[y * size + x];
      small[ty * tw + tx] = sum / Math.max(1, (sy1 - sy0) * (sx1 - sx0));
    }
  }
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < small.length; i++) {
    mass += small[i]; mx += small[i] * ((i % tw) + 0.5); my += small[i] * (Math.floor(i / tw) + 0.5);
  }
  const dx = Math.round(SIDE / 2 - mx / mass), dy = Math.round(SIDE / 2 - my / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + dx, Y = y + dy;
      if (X >= 0 && X < SIDE && Y >= 0 && Y < SIDE) out[Y * SIDE + X] = Math.min(1, small[y * tw + x]);
    }
  }
  return out;
}
