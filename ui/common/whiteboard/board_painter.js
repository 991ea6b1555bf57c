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
// - a pan shifts the layer by whole device pixels (the view's offset is rounded to them, in a
//   full redraw too) and draws only the strips that came into view, clipped to them;
// - a zoom shows the layer scaled (the margins that came into view drawn sharp) until the
//   zoom has rested for ZOOM_SETTLE_MS, then the layer is drawn anew at the new scale;
// - a new canvas size or pixel ratio, or a picture that arrived, redraws it all.
// The result is the same pixels as a full redraw (tests/e2e/test_whiteboard_layers.py).

import { drawElements } from "./renderer.js";

export const FOLD_AFTER_MS = 250;
export const ZOOM_SETTLE_MS = 150;
// Strokes are antialiased a pixel or so past their bounds: a strip (or the view) takes in the
// elements this many device pixels outside it, so that a strip and a full redraw agree.
const CULL_SLACK_PX = 3;

/**
 * The parts of a width x height canvas outside the rectangle [x0, y0, x1, y1) (whole pixels,
 * possibly reaching past the canvas): at most four [x, y, w, h], top and bottom full width.
 */
export function exposedRects(x0, y0, x1, y1, width, height) {
  const top = Math.max(0, Math.min(height, y0));
  const bottom = Math.max(top, Math.min(height, y1));
  const rects = [];
  if (top > 0) rects.push([0, 0, width, top]);
  if (bottom < height) rects.push([0, bottom, width, height - bottom]);
  if (bottom > top) {
    const left = Math.max(0, Math.min(width, x0));
    const right = Math.max(left, Math.min(width, x1));
    if (left > 0) rects.push([0, top, left, bottom - top]);
    if (right < width) rects.push([right, top, width - right, bottom - top]);
  }
  return rects;
}

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
    this.spare = null; // the layer's double: a pan draws the shifted layer into it
    this.at = null; // the layer's transform {scale, tx, ty}
    this.stats = { full: 0, layered: 0, rebuilt: 0, shifted: 0, scaled: 0 };
    this._foldTimer = 0;
    this._zoomTimer = 0;
    this.settleMs = ZOOM_SETTLE_MS; // how long a zoom rests before its sharp frame
    this._zoomedAt = 0;
    this._scaledAt = "";
    this._settle = false;
  }

  /** Forget the layer (a picture arrived: elements drawn as grey boxes must be redrawn). */
  invalidate() {
    this.key = "";
  }

  /** True while frames show the layer scaled (a zoom that has not rested yet). */
  get zooming() {
    return this._zoomTimer !== 0;
  }

  /** End the zoom now: the next frame draws the layer anew, sharp (the benchmark, tests). */
  settleNow() {
    if (!this._zoomTimer) return;
    clearTimeout(this._zoomTimer);
    this._zoomTimer = 0;
    this._settle = true;
  }

  /**
   * Draw `shown` (live elements in drawing order) for `view` at `ratio`; `images` are the
   * pictures loaded so far. Returns the context, its transform at CSS pixels (for the selection).
   */
  paint(shown, view, ratio, images) {
    const scale = ratio * view.zoom;
    const { width, height } = this.canvas;
    // Whole device pixels: a pan then moves the layer by whole pixels, which is exact.
    const tx = Math.round(-view.x * scale);
    const ty = Math.round(-view.y * scale);
    const transform = [scale, 0, 0, scale, tx, ty];
    const visible = this._visible(transform, 0, 0, width, height);
    const ctx = this.canvas.getContext("2d");
    if (!this.enabled) {
      this._blank(ctx);
      ctx.setTransform(...transform);
      drawElements(ctx, shown, images, visible);
      this.stats.full += 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      return ctx;
    }
    const at = this.at;
    const sized = this.layer && this.layer.width === width && this.layer.height === height;
    const key = `${width}x${height}@${ratio}`;
    let k = sharedPrefix(this.cached, shown);
    const intact = sized && key === this.key && k === this.cached.length;
    if (intact && at.scale !== scale && !this._settle) {
      this._paintScaled(ctx, shown, k, transform, images);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      return ctx;
    }
    this._settle = false;
    this._scaledAt = "";
    if (this._zoomTimer) {
      clearTimeout(this._zoomTimer);
      this._zoomTimer = 0;
    }
    const dx = intact ? tx - at.tx : 0;
    const dy = intact ? ty - at.ty : 0;
    if (!intact || at.scale !== scale || Math.abs(dx) >= width || Math.abs(dy) >= height) {
      // Keep what is still the same only when the view is too: else draw it all again.
      const same = sized && key === this.key && at.scale === scale && at.tx === tx && at.ty === ty;
      if (!same) k = 0;
      if (!sized) {
        this.layer = layerCanvas(width, height);
        this.spare = null;
      }
      this.key = key;
      const layer = this.layer.getContext("2d");
      this._blank(layer);
      layer.setTransform(...transform);
      drawElements(layer, shown.slice(0, k), images, visible);
      this.cached = shown.slice(0, k);
      this.at = { scale, tx, ty };
      this.stats.rebuilt += 1;
    } else if (dx !== 0 || dy !== 0) {
      this._shift(dx, dy, transform, images);
    }
    k = this._fold(shown, k, transform, visible, images);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.layer, 0, 0);
    ctx.setTransform(...transform);
    drawElements(ctx, shown.slice(k), images, visible);
    this.stats.layered += 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  /** The board rectangle [left, top, right, bottom] under the device-pixel rectangle
   * (x, y, w, h) for `transform`, with CULL_SLACK_PX around it. */
  _visible(transform, x, y, w, h) {
    const [scale, , , , tx, ty] = transform;
    const slack = CULL_SLACK_PX;
    return [
      (x - slack - tx) / scale,
      (y - slack - ty) / scale,
      (x + w + slack - tx) / scale,
      (y + h + slack - ty) / scale,
    ];
  }

  /** Draw the layer's elements in the device-pixel rectangles `rects` of `ctx`, clipped. */
  _drawStrips(ctx, rects, elements, transform, images) {
    for (const [x, y, w, h] of rects) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(x, y, w, h);
      ctx.beginPath();
      ctx.rect(x, y, w, h);
      ctx.clip();
      ctx.setTransform(...transform);
      drawElements(ctx, elements, images, this._visible(transform, x, y, w, h));
      ctx.restore();
    }
  }

  /** A pan: the layer moves by (dx, dy) whole device pixels; what came into view is drawn. */
  _shift(dx, dy, transform, images) {
    const { width, height } = this.layer;
    if (!this.spare) this.spare = layerCanvas(width, height);
    const spare = this.spare.getContext("2d");
    spare.setTransform(1, 0, 0, 1, 0, 0);
    spare.drawImage(this.layer, dx, dy);
    const rects = exposedRects(dx, dy, dx + width, dy + height, width, height);
    this._drawStrips(spare, rects, this.cached, transform, images);
    [this.layer, this.spare] = [this.spare, this.layer];
    this.at = { scale: transform[0], tx: transform[4], ty: transform[5] };
    this.stats.shifted += 1;
  }

  /** A frame during a zoom: the layer scaled, the margins that came into view drawn sharp,
   * the elements above the layer on top; the sharp frame follows once the zoom rests. */
  _paintScaled(ctx, shown, k, transform, images) {
    const { width, height } = this.canvas;
    const [scale, , , , tx, ty] = transform;
    const f = scale / this.at.scale;
    // Layer pixel q shows at f * (q - layer offset) + offset.
    const x0 = tx - f * this.at.tx;
    const y0 = ty - f * this.at.ty;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.layer, x0, y0, width * f, height * f);
    const rects = exposedRects(
      Math.ceil(x0),
      Math.ceil(y0),
      Math.floor(x0 + width * f),
      Math.floor(y0 + height * f),
      width,
      height,
    );
    this._drawStrips(ctx, rects, this.cached, transform, images);
    ctx.setTransform(...transform);
    drawElements(ctx, shown.slice(k), images, this._visible(transform, 0, 0, width, height));
    this.stats.scaled += 1;
    // The zoom rests when the view stops changing (a frame for an edit does not count).
    const viewKey = transform.join(",");
    if (viewKey !== this._scaledAt) {
      this._scaledAt = viewKey;
      this._zoomedAt = performance.now();
    }
    if (!this._zoomTimer) this._armSettle(this.settleMs);
  }

  _armSettle(delay) {
    this._zoomTimer = setTimeout(() => {
      const rested = performance.now() - this._zoomedAt;
      if (rested < this.settleMs) {
        this._armSettle(this.settleMs - rested);
        return;
      }
      this._zoomTimer = 0;
      this._settle = true;
      this.redraw();
    }, delay);
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
    clearTimeout(this._zoomTimer);
    this.layer = null;
    this.spare = null;
  }
}
