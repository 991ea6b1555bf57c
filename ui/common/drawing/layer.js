// The drawing layer (P5): a transparent canvas over the screen picture that shows every stroke,
// and, while a drawing tool is on, turns pointer drags into this side's strokes.
//
// Strokes are in the shared screen's pixels; the layer's canvas has one pixel per *device*
// pixel of the picture as shown (crisp on HiDPI, at any zoom) and draws through a transform,
// so the strokes follow fit, 1:1 and the navigator's panning with the picture underneath.
// Pointer events reach the layer only while a tool is on (CSS pointer-events), so panning and
// everything else keep working when nobody draws.

import { drawStroke } from "./shapes.js";

export class DrawingLayer {
  /**
   * @param {HTMLElement} stage the element holding the picture (the layer goes inside it)
   * @param {import("./board.js").DrawingBoard} board what to draw and where drags go
   */
  constructor(stage, board) {
    this.board = board;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "rs-drawing-layer";
    this.canvas.dataset.testid = "drawing-layer";
    this.canvas.setAttribute("aria-hidden", "true");
    stage.append(this.canvas);
    this.context = this.canvas.getContext("2d");
    this.screenW = 0;
    this.screenH = 0;
    this._scheduled = false;
    this._pointerId = null;
    this.renders = 0;
    this.canvas.addEventListener("pointerdown", (event) => this._down(event));
    this.canvas.addEventListener("pointermove", (event) => this._move(event));
    this.canvas.addEventListener("pointerup", (event) => this._up(event));
    this.canvas.addEventListener("pointercancel", (event) => this._up(event));
    this.setActive(false);
  }

  /**
   * The picture's size: the screen's pixels and how many device pixels it takes on the page.
   * @param {number} screenW @param {number} screenH the shared screen
   * @param {number} deviceW @param {number} deviceH the picture's size in device pixels
   */
  layout(screenW, screenH, deviceW, deviceH) {
    this.screenW = screenW;
    this.screenH = screenH;
    this.board.setScreenSize(screenW, screenH);
    if (this.canvas.width !== deviceW || this.canvas.height !== deviceH) {
      this.canvas.width = deviceW;
      this.canvas.height = deviceH;
    }
    this.render();
  }

  /** While a tool is on the layer takes the pointer (crosshair); otherwise clicks pass. */
  setActive(active) {
    this.canvas.classList.toggle("rs-drawing-layer--active", active);
  }

  /** Redraw on the next animation frame (many messages, one paint). */
  scheduleRender() {
    if (this._scheduled) {
      return;
    }
    this._scheduled = true;
    requestAnimationFrame(() => {
      this._scheduled = false;
      this.render();
    });
  }

  render() {
    const { canvas, context } = this;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (!this.screenW || !this.screenH) {
      return;
    }
    context.setTransform(canvas.width / this.screenW, 0, 0, canvas.height / this.screenH, 0, 0);
    for (const stroke of this.board.strokes.values()) {
      drawStroke(context, stroke);
    }
    this.renders += 1;
  }

  /** RGBA of the layer at screen pixel (x, y) (tests): what this layer shows there. */
  pixelAt(x, y) {
    const kx = this.canvas.width / (this.screenW || 1);
    const ky = this.canvas.height / (this.screenH || 1);
    const px = Math.min(this.canvas.width - 1, Math.floor((x + 0.5) * kx));
    const py = Math.min(this.canvas.height - 1, Math.floor((y + 0.5) * ky));
    return Array.from(this.context.getImageData(px, py, 1, 1).data);
  }

  /** The screen pixel under the pointer (as the agent's overlay gets them from X). */
  _toScreen(event) {
    const box = this.canvas.getBoundingClientRect();
    return [
      Math.floor(((event.clientX - box.left) * this.screenW) / (box.width || 1)),
      Math.floor(((event.clientY - box.top) * this.screenH) / (box.height || 1)),
    ];
  }

  _down(event) {
    if (event.button !== 0 || this._pointerId !== null || !this.board.style.tool) {
      return;
    }
    event.preventDefault();
    this._pointerId = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    this.board.press(...this._toScreen(event));
  }

  _move(event) {
    if (event.pointerId !== this._pointerId) {
      return;
    }
    // Coalesced events keep a fast pen stroke smooth (several moves per animation frame).
    const events = event.getCoalescedEvents?.() ?? [event];
    for (const one of events.length ? events : [event]) {
      this.board.move(...this._toScreen(one));
    }
  }

  _up(event) {
    if (event.pointerId !== this._pointerId) {
      return;
    }
    this._pointerId = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) {
      this.canvas.releasePointerCapture(event.pointerId);
    }
    this.board.release(...this._toScreen(event));
  }
}
