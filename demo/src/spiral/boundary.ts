// Panel 1's canvas: the class probabilities on the grid as a pastel map (each cell the
// probability-weighted mix of the class colours, paler where the model is unsure), scaled up
// smoothly, with the data points on top.
import { EXTENT, GRID } from "./settings.js";

export const CLASS_COLORS = ["#e15759", "#4e79a7", "#59a14f"];
const RGB = CLASS_COLORS.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));

export class BoundaryView {
  readonly canvas: HTMLCanvasElement;
  private cells = new OffscreenCanvas(GRID, GRID);
  private hasGrid = false;
  private points: { x: Float32Array; y: Int32Array } | null = null;

  constructor(size: number) {
    this.canvas = document.createElement("canvas");
    this.canvas.id = "spiral-canvas";
    const ratio = Math.min(2, window.devicePixelRatio || 1);
    this.canvas.width = this.canvas.height = Math.round(size * ratio);
    this.canvas.setAttribute("aria-label", "decision boundary and data points");
  }

  setPoints(points: { x: Float32Array; y: Int32Array }) {
    this.points = points;
    this.hasGrid = false;
    this.draw();
  }

  setGrid(probs: Float32Array, classes: number) {
    const image = new ImageData(GRID, GRID);
    for (let i = 0; i < GRID * GRID; i++) {
      let r = 0, g = 0, b = 0, top = 0;
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c];
        r += p * RGB[c][0]; g += p * RGB[c][1]; b += p * RGB[c][2];
        top = Math.max(top, p);
      }
      // 0 where all classes are equally likely, 1 where one is certain
      const certainty = (top - 1 / classes) / (1 - 1 / classes);
      const a = 0.2 + 0.45 * certainty;
      image.data.set([255 + a * (r - 255), 255 + a * (g - 255), 255 + a * (b - 255), 255], 4 * i);
    }
    this.cells.getContext("2d")!.putImageData(image, 0, 0);
    this.hasGrid = true;
    this.draw();
  }

  private draw() {
    const ctx = this.canvas.getContext("2d")!;
    const size = this.canvas.width;
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, size, size);
    if (this.hasGrid) {
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.cells, 0, 0, size, size);
    }
    if (this.points === null) return;
    const { x, y } = this.points;
    const scale = size / (2 * EXTENT), radius = size / 110;
    ctx.lineWidth = Math.max(1, size / 400);
    ctx.strokeStyle = "#fff";
    for (let i = 0; i < y.length; i++) {
      ctx.beginPath();
      ctx.arc((x[2 * i] + EXTENT) * scale, (EXTENT - x[2 * i + 1]) * scale, radius, 0, 2 * Math.PI);
      ctx.fillStyle = CLASS_COLORS[y[i]];
      ctx.fill();
      ctx.stroke();
    }
  }
}
