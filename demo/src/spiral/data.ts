// The 2-D datasets: interleaved spirals (3 classes) and two moons (2 classes), inside
// [-1, 1]² so that one boundary grid fits both. Seeded, so a reset gives the same points.

export type DatasetName = "spirals" | "moons";

export interface Points { x: Float32Array; y: Int32Array; n: number; classes: number }

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makePoints(name: DatasetName, perClass: number, noise: number, seed = 1): Points {
  const random = seeded(seed);
  const classes = name === "spirals" ? 3 : 2;
  const n = perClass * classes;
  const x = new Float32Array(2 * n), y = new Int32Array(n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const k = c * perClass + i, t = i / perClass;
      let px: number, py: number;
      if (name === "spirals") {
        const r = 0.05 + 0.9 * t, angle = c * (2 * Math.PI / 3) + 1.75 * Math.PI * t;
        px = r * Math.cos(angle); py = r * Math.sin(angle);
      } else {
        // the two half circles of scikit-learn's make_moons, moved and scaled into [-1, 1]²
        const angle = Math.PI * t;
        const [mx, my] = c === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
        px = (mx - 0.5) * 0.72; py = (my - 0.25) * 0.72;
      }
      x[2 * k] = px + noise * gaussian(random);
      x[2 * k + 1] = py + noise * gaussian(random);
      y[k] = c;
    }
  }
  return { x, y, n, classes };
}
