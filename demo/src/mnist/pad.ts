// The drawing pad: white ink on black at 10× MNIST's size, mouse, pen or touch (pointer
// events). onDraw gets the MNIST-like 28×28 image while drawing and when a stroke ends.
import { h } from "../dom.js";
import { SIDE } from "./data.js";
import { toMnist } from "./preprocess.js";

const SIZE = 280;
const DRAW_EVERY_MS = 80;

export class DrawingPad {
  readonly canvas = h("canvas", { id: "mnist-pad", width: String(SIZE), height: String(SIZE), "aria-label": "draw a digit here" });
  /** A hint over the empty pad (not drawn on it: the pad's pixels are the model's input). */
  readonly hint = h("span", { class: "pad-hint" }, "draw a digit here");
  readonly preview = h("canvas", { id: "mnist-preview", width: String(SIDE), height: String(SIDE), title: "what the model sees (28×28)" });
  private ctx = this.canvas.getContext("2d", { willReadFrequently: true })!;
  private last: [number, number] | null = null;
  private lastSent = 0;

  constructor(private onDraw: (image: Float32Array | null) => void) {
    this.clear();
    this.canvas.addEventListener("pointerdown", (e) => {
      this.hint.hidden = true;
      this.canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.line(this.last, this.last);
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (this.last === null) return;
      const p = this.at(e);
      this.line(this.last, p);
      this.last = p;
      if (performance.now() - this.lastSent > DRAW_EVERY_MS) this.emit();
    });
    const end = () => { if (this.last !== null) { this.last = null; this.emit(); } };
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
  }

  clear() {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, SIZE, SIZE);
    this.preview.getContext("2d")!.clearRect(0, 0, SIDE, SIDE);
    this.hint.hidden = false;
    this.onDraw(null);
  }

  /** The pointer's position in canvas pixels, whatever size the canvas is shown at. */
  private at(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  }

  private line(a: [number, number], b: [number, number]) {
    const ctx = this.ctx;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 20;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...a);
    ctx.lineTo(...b);
    ctx.stroke();
  }

  private emit() {
    this.lastSent = performance.now();
    const rgba = this.ctx.getImageData(0, 0, SIZE, SIZE).data;
    const ink = new Float32Array(SIZE * SIZE);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i] / 255;
    const image = toMnist(ink, SIZE);
    if (image !== null) {
      const small = new ImageData(SIDE, SIDE);
      image.forEach((v, i) => small.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i));
      this.preview.getContext("2d")!.putImageData(small, 0, 0);
    }
    this.onDraw(image);
  }
}
