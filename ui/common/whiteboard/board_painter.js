// Paints the whiteboard's canvas from a cached layer (CH3, docs/architecture.md "The shared
// whiteboard"): drawing 2,000 elements takes longer than a frame at device pixel ratio 2, but
// from one frame to the next almost nothing changes.
//
// The layer is a bitmap as large as the canvas holding the first `k` elements of the drawing
// order, drawn exactly as a full redraw draws them (white page, same transform). A frame is
// the layer copied 1:1 plus the elements after `k` drawn over it, plus the selection. Elements
// are immutable copies (every edit makes a new object), so "unchanged" is identity:
// - the first `k` elements of the new order are the layer's: nothing to redo;
// - else the layer is redrawn up to the first one that differs (an erased, moved, restyled or
//   inserted element): it and everything above it are drawn per frame until they settle;
// - elements above `k` unchanged for FOLD_AFTER_MS are folded into the layer (a stroke
//   being drawn, here or by someone else, stays on top until it is finished);
// - a new view (pan, zoom), canvas size, pixel ratio or a picture that arrived redraws it all.
// The result is the same pixels as a full redraw (tests/e2e/test_whiteboard_layers.py).

import { drawElements } from "./renderer.js";

export const FOLD_AFTER_MS = 250;

/** How many leading elements `live` shares with `cached` (by identity, in order). */
export function sharedPrefix(cached, live) {
  const end = Math.min(cached.length, live.length);
  let i = 0;
  while (i < end && cached[i] === live[i]) i += 1;
  return i;
}

/** A canvas for the layer: an OffscreenCanvas where the engine has one. */
function layerCanvas(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

export class BoardPainter {
  /**
   * @param {HTMLCanvasElement} canvas the visible canvas (sized in device pixels)
   * @param {() => void} redraw asks for a frame (a settled element is folded then)
   */
  constructor(canvas, redraw) {
    this.canvas = canvas;
    this.redraw = redraw;
    this.enabled = true; // false: every frame is a full redraw (the tests compare both)
    this.layer = null;
    this.key = "";
    this.cached = []; // the elements the layer holds, in order
    this.seen = new Map(); // id -> {element, since}: when each element was last seen to change
    this.stats = { full: 0, layered: 0, rebuilt: 0 };
    this._foldTimer = 0;
  }

  /** Forget the layer (a picture arrived: elements drawn as grey boxes must be redrawn). */
  invalidate() {
    this.key = "";
  }

  /**
   * Draw `shown` (live elements in drawing order) for `view` at `ratio`; `images` are the
   * pictures loaded so far. Returns the context, its transform at CSS pixels (for the selection).
   */
  paint(shown, view, ratio, images) {
    const scale = ratio * view.zoom;
    const { width, height } = this.canvas;
    const transform = [scale, 0, 0, scale, -view.x * scale, -view.y * scale];
    const visible = [view.x, view.y, view.x + width / scale, view.y + height / scale];
    const ctx = this.canvas.getContext("2d");
    if (!this.enabled) {
      this._blank(ctx);
      ctx.setTransform(...transform);
      drawElements(ctx, shown, images, visible);
      this.stats.full += 1;
    } else {
      const key = `${width}x${height}@${transform.join(",")}`;
      if (key !== this.key || !this.layer || this.layer.width !== width || this.layer.height !== height) {
        this.layer = layerCanvas(width, height);
        this.key = key;
        this.cached = [];
        this._blank(this.layer.getContext("2d"));
      }
      let k = sharedPrefix(this.cached, shown);
      if (k < this.cached.length) {
        // Something under the top changed: the layer holds only what is still the same.
        const layer = this.layer.getContext("2d");
        this._blank(layer);
        layer.setTransform(...transform);
        drawElements(layer, shown.slice(0, k), images, visible);
        this.cached = shown.slice(0, k);
        this.stats.rebuilt += 1;
      }
      k = this._fold(shown, k, transform, visible, images);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this.layer, 0, 0);
      ctx.setTransform(...transform);
      drawElements(ctx, shown.slice(k), images, visible);
      this.stats.layered += 1;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  /** Move the settled elements above the layer into it; returns the new layer length. */
  _fold(shown, k, transform, visible, images) {
    const now = performance.now();
    // The first frame shows a board that was already there: nothing of it is being drawn.
    const since = this.seen.size === 0 ? -Infinity : now;
    let settled = k;
    let waiting = false;
    for (let i = k; i < shown.length; i += 1) {
      const element = shown[i];
      let seen = this.seen.get(element.id);
      if (seen?.element !== element) {
        seen = { element, since };
        this.seen.set(element.id, seen);
      }
      if (settled === i && now - seen.since >= FOLD_AFTER_MS) settled = i + 1;
      else waiting = true;
    }
    if (this.seen.size > shown.length + 256) {
      const live = new Set(shown.map((e) => e.id));
      for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    }
    if (settled > k) {
      const layer = this.layer.getContext("2d");
      layer.setTransform(...transform);
      drawElements(layer, shown.slice(k, settled), images, visible);
      this.cached = shown.slice(0, settled);
    }
    if (waiting && !this._foldTimer) {
      this._foldTimer = setTimeout(() => {
        this._foldTimer = 0;
        this.redraw();
      }, FOLD_AFTER_MS);
    }
    return settled;
  }

  _blank(ctx) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  }

  destroy() {
    clearTimeout(this._foldTimer);
    this.layer = null;
  }
}
