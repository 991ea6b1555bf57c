// Paints the whiteboard's canvas from a cached layer (CH3, docs/architecture.md "The shared
// whiteboard"): drawing 2,000 elements takes longer than a frame at device pixel ratio 2, but
// from one frame to the next almost nothing changes.
//
// The layer is a bitmap as large as the canvas holding the first `k` elements of the drawing
// order, drawn exactly as a full redraw draws them (white page, same transform). A frame is
// the layer copied 1:1 plus the elements after `k` drawn over it, plus the selection. Elements
// are immutable copies (every edit makes a new object), so "unchanged" is identity:
// - the first `k` elements of the new order are the layer's: nothing to redo;
// - else (an erased, moved, restyled or inserted element: an undo, an eraser, a remote edit)
//   the layer is repaired where it shows: the device pixels under each copy that went or came
//   are painted white and the elements touching them drawn again, clipped (a full redraw's
//   pixels there, nothing changed elsewhere); only a change of the kept elements' order, or
//   too large a change, draws the layer anew;
// - elements above `k` unchanged for FOLD_AFTER_MS are folded into the layer (a stroke
//   being drawn, here or by someone else, stays on top until it is finished); an element
//   below `k` changed a moment ago (repaired in the layer) does not hold them back;
// - a pan shifts the layer by whole device pixels (the view's offset is rounded to them, in a
//   full redraw too) and draws only the strips that came into view, clipped to them;
// - a zoom shows the layer scaled (the margins that came into view drawn sharp) until the
//   zoom has rested for ZOOM_SETTLE_MS, then the layer is drawn anew at the new scale;
// - a new canvas size or pixel ratio, or a picture that arrived, redraws it all.
// Drawing a layer anew (a board opened, a zoom that rested, a new size or ratio, an edit too
// large to repair, more than PATCH_MAX_ELEMENTS elements arriving at once: a reconnect, a
// board loaded) is done by two workers where the engine has them (board_workers.js: a band
// each, the page copies them in) while the frames show the old layer (scaled to the new view,
// as during the zoom, also after a resize; without what arrived at once) or, when there is
// none (a board opened), the board drawn small and scaled up (quick_layer.js). Else it is
// spread over frames here, BUILD_BUDGET_MS of drawing in each, into a second bitmap while the
// frames show the old one or, when there is none, the part drawn so far; then the two swap.
// Elements that arrived in bulk count as settled at once, so they go into the layer (folded
// over frames where there are no workers) instead of being drawn on top in every frame.
// The result is the same pixels as a full redraw (tests/e2e/test_whiteboard_layers.py,
// test_whiteboard_layer_edits.py, test_whiteboard_workers.py).

import { blank, deviceRect, drawStrips, exposedRects, layerCanvas, mergedRects, visibleRect } from "./device_rects.js";
import { bandRows, landBands } from "./board_workers.js";
import { drawElements, inkBounds } from "./renderer.js";
import { paintQuick, quickLayer } from "./quick_layer.js";
import { Settling } from "./settling.js";

export { BULK_ELEMENTS, FOLD_AFTER_MS } from "./settling.js";

export const ZOOM_SETTLE_MS = 150;
// Drawing work per frame for a layer being drawn anew: the rest of the frame (the copy of the
// layer, the stroke on top, the compositor) must fit in 16 ms beside it.
export const BUILD_BUDGET_MS = 7;
// The first guess of the drawing cost of an element (measured and corrected as it goes).
const FIRST_MS_PER_ELEMENT = 0.02;
const MIN_CHUNK = 8;
// An edit below the top repaints the layer where it shows unless more elements than this
// changed, or the rectangles to repaint cover more than this share of the layer: then
// the layer is drawn anew (over frames), which costs about the same.
export const PATCH_MAX_ELEMENTS = 64;
export const PATCH_MAX_SHARE = 0.5;
const PATCH_MAX_RECTS = 16;

/** How many leading elements `live` shares with `cached` (by identity, in order). */
export function sharedPrefix(cached, live) {
  const end = Math.min(cached.length, live.length);
  let i = 0;
  while (i < end && cached[i] === live[i]) i += 1;
  return i;
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
    this.progressive = true; // false: a new layer is drawn whole in one frame (the benchmark)
    this.budgetMs = BUILD_BUDGET_MS; // drawing per frame for a new layer or a fold
    this.layer = null;
    this.key = "";
    this.cached = []; // the elements the layer holds, in order
    this.settling = new Settling(() => this.redraw()); // which elements have settled (folded in)
    this.spare = null; // the layer's double: a pan draws the shifted layer into it
    this.at = null; // the layer's transform {scale, tx, ty}
    this.build = null; // a layer being drawn anew over several frames
    this.lastBuild = null; // {frames, ms}: how long the last new layer took to be whole
    this.patching = true; // false: an edit below the top draws the layer anew (the benchmark)
    this.lastPatch = null; // {elements, rects, area}: the last edit repaired in the layer (device px)
    // A BoardWorkers (board_workers.js): new layers drawn off this thread; null: drawn here.
    this.workers = null;
    this.offThread = true; // false: new layers drawn here even with workers (tests, benchmark)
    this.bulkOffThread = true; // false: elements arriving at once are folded here (benchmark)
    this.quick = true; // false: white while the workers draw a board's first layer (benchmark)
    this.stats = { full: 0, layered: 0, rebuilt: 0, shifted: 0, scaled: 0, building: 0, patched: 0, offThread: 0 };
    this._stale = false;
    this._folding = false;
    this._bulk = false; // elements arrived whole: shown as they are folded, not on top
    this._msPerElement = FIRST_MS_PER_ELEMENT;
    this._probe = null;
    this._mappedFrame = null; // the last frame that showed the layer moved to its view
    this._zoomTimer = 0;
    this.settleMs = ZOOM_SETTLE_MS; // how long a zoom rests before its sharp frame
    this._zoomedAt = 0;
    this._scaledAt = "";
    this._settle = false;
  }

  /** Redraw the layer (a picture arrived: elements drawn as grey boxes must be redrawn); the
   * frames show the old one meanwhile. */
  invalidate() {
    this._stale = true;
    this._mappedFrame = null; // the next frame paints, with the picture
  }

  /** True while frames show the layer scaled (a zoom that has not rested yet). */
  get zooming() {
    return this._zoomTimer !== 0;
  }

  /** True while a new layer, or a fold of many elements, is still being drawn over frames. */
  get building() {
    return this.build !== null || this._folding;
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
   * pictures loaded so far; `overlay` is what the caller draws over the frame (the same value:
   * the same drawing). Returns the context, its transform at CSS pixels (for the overlay), or
   * null when the canvas already shows this very frame (a layer is being drawn behind it).
   */
  paint(shown, view, ratio, images, overlay = null) {
    const scale = ratio * view.zoom;
    const { width, height } = this.canvas;
    // Whole device pixels: a pan then moves the layer by whole pixels, which is exact.
    const tx = Math.round(-view.x * scale);
    const ty = Math.round(-view.y * scale);
    const transform = [scale, 0, 0, scale, tx, ty];
    const visible = visibleRect(transform, 0, 0, width, height);
    const ctx = this.canvas.getContext("2d");
    const frame = { shown, overlay, view: `${view.x},${view.y},${view.zoom}@${ratio}:${width}x${height}` };
    const mapped = this._mappedFrame;
    this._mappedFrame = null;
    if (!this.enabled) {
      blank(ctx);
      ctx.setTransform(...transform);
      drawElements(ctx, shown, images, visible);
      this.stats.full += 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      return ctx;
    }
    const key = `${width}x${height}@${ratio}`;
    let { settled, bulk } = this.settling.prefix(shown);
    if (bulk) this._bulk = true;
    const b = this.build;
    if (b) {
      if (b.key === key && b.at.scale === scale && b.at.tx === tx && b.at.ty === ty) {
        if (!this._advance(b, shown, settled, images)) {
          return this._paintPreview(ctx, shown, settled, transform, images, ratio, frame, mapped);
        }
      } else this._dropBuild();
    }
    const sized = this.layer && this.layer.width === width && this.layer.height === height;
    let k = sharedPrefix(this.cached, shown);
    if (k < this.cached.length && sized && key === this.key && !this._stale && !this.build) {
      if (this._patch(shown, images)) k = this.cached.length;
    }
    // What the layer holds is settled for folding (an edit below the top was repaired in it).
    settled = this.settling.from(k, settled);
    const at = this.at;
    const intact = sized && key === this.key && k === this.cached.length && !this._stale;
    if (intact && at.scale !== scale && !this._settle) {
      this._paintScaled(ctx, shown, k, transform, images);
      this._mappedFrame = { ...frame, layer: this.layer, at: this.at, top: k };
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
    // Many elements that arrived at once (a reconnect, a board loaded) are drawn by the
    // workers with the rest, not folded here over frames.
    const arrived = this._bulk && this.bulkOffThread && settled - k > PATCH_MAX_ELEMENTS;
    const workers = this.offThread && this.workers?.ready;
    if (!intact || at.scale !== scale || Math.abs(dx) >= width || Math.abs(dy) >= height || (arrived && workers)) {
      if (workers) {
        this._stale = false;
        this.build = this._startOffThread(key, transform, shown.slice(0, settled), images);
        return this._paintPreview(ctx, shown, settled, transform, images, ratio, frame, mapped);
      }
      if (this.progressive) {
        this._stale = false;
        this.build = this._startBuild(key, transform, visible);
        if (!this._advance(this.build, shown, settled, images)) {
          return this._paintPreview(ctx, shown, settled, transform, images, ratio, frame, mapped);
        }
        k = this.cached.length;
      } else {
        // Keep what is still the same only when the view is too: else draw it all again.
        const same =
          sized && key === this.key && !this._stale && at.scale === scale && at.tx === tx && at.ty === ty;
        if (!same) k = 0;
        this._stale = false;
        if (!sized) {
          this.layer = layerCanvas(width, height);
          this.spare = null;
        }
        this.key = key;
        const layer = this.layer.getContext("2d");
        blank(layer);
        layer.setTransform(...transform);
        drawElements(layer, shown.slice(0, k), images, visible);
        this.cached = shown.slice(0, k);
        this.at = { scale, tx, ty };
        this.stats.rebuilt += 1;
      }
    } else if (dx !== 0 || dy !== 0) {
      this._shift(dx, dy, transform, images);
    }
    k = this._fold(shown, k, settled, transform, visible, images);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.layer, 0, 0);
    ctx.setTransform(...transform);
    // Elements of a board that arrived whole show as they are folded, over a few frames.
    drawElements(ctx, shown.slice(this._bulk ? Math.max(k, settled) : k), images, visible);
    this.stats.layered += 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  // ---------- an edit below the top, repaired where it shows ----------

  /**
   * An element of the layer changed, went or came back (an undo, an erase, a move, a remote
   * edit): repaint only the device pixels it covers, before and after, in the layer as it is
   * (its own transform: also while a zoom shows it scaled). The layer then holds
   * shown[0, m), m just above the last element it held that is still shown. False (the layer
   * is drawn anew) when the elements it keeps changed their order or too much changed.
   */
  _patch(shown, images) {
    if (!this.patching) return false;
    const old = new Map();
    this.cached.forEach((element, i) => old.set(element, i));
    let m = 0;
    for (let i = shown.length - 1; i >= 0; i -= 1) {
      if (old.has(shown[i])) {
        m = i + 1;
        break;
      }
    }
    if (m === 0) return false;
    const held = shown.slice(0, m);
    const differ = [];
    const kept = new Set();
    let last = -1;
    for (const element of held) {
      const i = old.get(element);
      if (i === undefined) differ.push(element);
      else if (i < last) return false; // a change of drawing order: not a local repair
      else {
        last = i;
        kept.add(element);
      }
    }
    for (const element of this.cached) if (!kept.has(element)) differ.push(element);
    if (differ.length > PATCH_MAX_ELEMENTS) return false;
    const { width, height } = this.layer;
    const transform = [this.at.scale, 0, 0, this.at.scale, this.at.tx, this.at.ty];
    const rects = [];
    let area = 0;
    for (const element of differ) {
      const rect = deviceRect(inkBounds(element), transform, width, height);
      if (!rect) continue; // wholly outside the layer
      rects.push(rect);
      area += rect[2] * rect[3];
    }
    if (area > width * height * PATCH_MAX_SHARE) return false;
    const merged = mergedRects(rects, PATCH_MAX_RECTS);
    drawStrips(this.layer.getContext("2d"), merged, held, transform, images);
    this.cached = held;
    this.lastPatch = { elements: differ.length, rects: merged, area };
    this.stats.patched += 1;
    return true;
  }

  /** A pan: the layer moves by (dx, dy) whole device pixels; what came into view is drawn. */
  _shift(dx, dy, transform, images) {
    const { width, height } = this.layer;
    if (!this.spare) this.spare = layerCanvas(width, height);
    const spare = this.spare.getContext("2d");
    spare.setTransform(1, 0, 0, 1, 0, 0);
    spare.drawImage(this.layer, dx, dy);
    const rects = exposedRects(dx, dy, dx + width, dy + height, width, height);
    drawStrips(spare, rects, this.cached, transform, images);
    [this.layer, this.spare] = [this.spare, this.layer];
    this.at = { scale: transform[0], tx: transform[4], ty: transform[5] };
    this.stats.shifted += 1;
  }

  /** Where the layer's pixels land for `transform`: {x0, y0, f} (pixel q shows at
   * f * q + x0), and the device-pixel rectangle it covers whole. */
  _mapped(transform) {
    const { width, height } = this.layer; // the canvas's size, or its old one (a resize)
    const [scale, , , , tx, ty] = transform;
    const f = scale / this.at.scale;
    // Layer pixel q shows at f * (q - layer offset) + offset.
    const x0 = tx - f * this.at.tx;
    const y0 = ty - f * this.at.ty;
    const cover = [Math.ceil(x0), Math.ceil(y0), Math.floor(x0 + width * f), Math.floor(y0 + height * f)];
    return { x0, y0, f, cover };
  }

  /** The layer scaled and moved to `transform`, the margins that came into view drawn sharp. */
  _paintMapped(ctx, transform, images) {
    const { width, height } = this.canvas;
    const { x0, y0, f, cover } = this._mapped(transform);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.layer, x0, y0, this.layer.width * f, this.layer.height * f);
    const rects = exposedRects(...cover, width, height);
    drawStrips(ctx, rects, this.cached, transform, images);
  }

  /** A frame during a zoom: the layer scaled, the margins that came into view drawn sharp,
   * the elements above the layer on top; the sharp frame follows once the zoom rests. */
  _paintScaled(ctx, shown, k, transform, images) {
    const { width, height } = this.canvas;
    this._paintMapped(ctx, transform, images);
    ctx.setTransform(...transform);
    drawElements(ctx, shown.slice(k), images, visibleRect(transform, 0, 0, width, height));
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

  // ---------- a new layer, drawn over frames ----------

  _startBuild(key, transform, visible) {
    const { width, height } = this.canvas;
    let canvas = this.spare;
    this.spare = null;
    if (!canvas || canvas.width !== width || canvas.height !== height) canvas = layerCanvas(width, height);
    blank(canvas.getContext("2d"));
    const [scale, , , , tx, ty] = transform;
    return { canvas, key, transform, visible, at: { scale, tx, ty }, drawn: [], frames: 0, started: performance.now() };
  }

  /** Draw the next part of the build; when it holds every settled element, make it the layer
   * and return true (else ask for another frame and return false). */
  _advance(b, shown, settled, images) {
    if (b.offThread) return this._land(b);
    if (sharedPrefix(b.drawn, shown) < b.drawn.length) {
      // An element it holds changed or went: start again.
      blank(b.canvas.getContext("2d"));
      b.drawn = [];
    }
    const end = this._drawBudgeted(b.canvas, shown, b.drawn.length, settled, b.transform, b.visible, images);
    b.drawn = shown.slice(0, end);
    b.frames += 1;
    if (end < settled) {
      this.redraw();
      return false;
    }
    const old = this.layer;
    this.layer = b.canvas;
    this.spare = old && old.width === b.canvas.width && old.height === b.canvas.height ? old : null;
    this.cached = b.drawn;
    this.at = b.at;
    this.key = b.key;
    this.build = null;
    this.lastBuild = { frames: b.frames, ms: performance.now() - b.started };
    this.stats.rebuilt += 1;
    return true;
  }

  _dropBuild() {
    const b = this.build;
    this.build = null;
    if (!this.spare && b.canvas) this.spare = b.canvas;
  }

  /** A frame while the build is not whole: the old layer moved to the view (when it covers
   * most of it) with what is above it, else what the build holds so far with the elements not
   * settled; nothing when the canvas shows that already (`mapped`: the last such frame). */
  _paintPreview(ctx, shown, settled, transform, images, ratio, frame, mapped) {
    const { width, height } = this.canvas;
    const b = this.build;
    this.stats.building += 1;
    // An old layer (also one waiting for a picture, or of the size or pixel ratio before) is
    // a better picture meanwhile than the part drawn so far or a white page.
    let old = Boolean(this.layer);
    if (old) {
      const [l, t, r, bottom] = this._mapped(transform).cover;
      const covered = Math.max(0, Math.min(width, r) - Math.max(0, l)) * Math.max(0, Math.min(height, bottom) - Math.max(0, t));
      old = covered >= (width * height) / 2; // else its margins would cost a full redraw
    }
    let top = settled;
    if (old) {
      // An intact old layer: everything above it on top, as in the frames of a zoom (a stale
      // one, after an edit deep in the order, shows the old state for these few frames).
      const k = sharedPrefix(this.cached, shown);
      if (k === this.cached.length) top = this._bulk ? Math.max(k, settled) : k;
      const now = { ...frame, layer: this.layer, at: this.at, top };
      this._mappedFrame = now;
      const same = mapped && Object.keys(now).every((name) => now[name] === mapped[name]);
      if (same) return null;
      this._paintMapped(ctx, transform, images);
    } else if (b.canvas) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(b.canvas, 0, 0);
    } else if (this.quick) {
      // The workers' layer is on its way and there is no old one (a board opened): the board
      // drawn small, once, scaled up.
      b.quick ??= quickLayer(shown.slice(0, settled), images, transform, width, height, ratio);
      paintQuick(ctx, b.quick);
    } else blank(ctx);

    ctx.setTransform(...transform);
    drawElements(ctx, shown.slice(top), images, visibleRect(transform, 0, 0, width, height));
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  /**
   * Draw shown[from, to) on `canvas` for `transform`, about `budgetMs` of it (at least
   * MIN_CHUNK elements); returns where it stopped. The pixels are made at once (a 1-pixel
   * copy out of the canvas) so that the time is measured, and not paid in a later frame.
   */
  _drawBudgeted(canvas, shown, from, to, transform, visible, images) {
    const ctx = canvas.getContext("2d");
    const start = performance.now();
    let i = from;
    while (i < to) {
      let n = to - i;
      if (this.progressive) {
        n = Math.floor((this.budgetMs - (performance.now() - start)) / this._msPerElement);
        if (n < MIN_CHUNK) {
          if (i > from) break;
          n = MIN_CHUNK;
        }
      }
      const end = Math.min(to, i + n);
      const began = performance.now();
      ctx.setTransform(...transform);
      drawElements(ctx, shown.slice(i, end), images, visible);
      if (this.progressive) {
        this._probe ??= layerCanvas(1, 1);
        this._probe.getContext("2d").drawImage(canvas, 0, 0, 1, 1, 0, 0, 1, 1);
        this._msPerElement = Math.max(0.001, (performance.now() - began) / (end - i));
      }
      i = end;
    }
    return i;
  }

  // ---------- a new layer drawn by the workers ----------

  /** Ask the workers for a new layer of `drawn` for `transform`, a band each (rows split by
   * the drawing cost in view); the frames meanwhile show the old layer (_paintPreview). */
  _startOffThread(key, transform, drawn, images) {
    const { width, height } = this.canvas;
    const [scale, , , , tx, ty] = transform;
    const b = { offThread: true, key, at: { scale, tx, ty }, drawn, canvas: null, parts: null, failed: false };
    Object.assign(b, { frames: 0, started: performance.now() });
    const edges = bandRows(drawn, transform, width, height, this.workers.workers.length);
    const bands = edges.slice(1).map((y1, i) => ({
      rows: [edges[i], y1],
      visible: visibleRect(transform, 0, edges[i], width, y1 - edges[i]),
    }));
    this.workers.render({ elements: drawn, pictures: images, width, height, transform, bands }, (parts) => {
      if (this.build !== b) {
        for (const part of parts ?? []) part.bitmap.close();
        return;
      }
      b.parts = parts;
      b.failed = parts === null;
      this.redraw();
    });
    return b;
  }

  /** The workers' bands, when they are all there, copied into a layer that becomes the one
   * shown (then repaired like any layer for what changed meanwhile): true; false while they
   * are on their way. The workers failing: true, the layer stale (drawn here from now on). */
  _land(b) {
    b.frames += 1;
    if (b.failed) {
      this.build = null;
      this.workers = null;
      this._stale = true;
      return true;
    }
    if (!b.parts) return false;
    const { width, height } = this.canvas;
    let canvas = this.spare;
    if (!canvas || canvas.width !== width || canvas.height !== height) canvas = layerCanvas(width, height);
    landBands(canvas, b.parts);
    const old = this.layer;
    this.layer = canvas;
    this.spare = old && old !== canvas && old.width === width && old.height === height ? old : null;
    this.cached = b.drawn;
    this.at = b.at;
    this.key = b.key;
    this.build = null;
    this.lastBuild = { frames: b.frames, ms: performance.now() - b.started, offThread: true };
    this.stats.rebuilt += 1;
    this.stats.offThread += 1;
    return true;
  }

  // ---------- folding settled elements into the layer ----------

  /** Move the settled elements above the layer (from `k` to `settled`) into it, within the
   * frame's budget; returns the new layer length. */
  _fold(shown, k, settled, transform, visible, images) {
    this._folding = false;
    if (settled > k) {
      k = this._drawBudgeted(this.layer, shown, k, settled, transform, visible, images);
      this.cached = shown.slice(0, k);
    }
    if (k < settled) {
      this._folding = true;
      this.redraw();
    } else this._bulk = false;
    return k;
  }

  destroy() {
    this.settling.destroy();
    clearTimeout(this._zoomTimer);
    this.layer = null;
    this.spare = null;
    this.build = null;
    this.workers?.terminate();
    this.workers = null;
  }
}
