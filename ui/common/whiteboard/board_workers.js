// Two drawing workers for the whiteboard's painter (board_painter.js; docs/architecture.md,
// "The shared whiteboard"): a new layer (a board opened, a zoom that rested, a new canvas size
// or pixel ratio) is drawn off the page's thread, each worker drawing one horizontal band of
// it (board_worker.js), the rows split where the drawing cost of the elements in view is
// halved; the page copies the two bands into the layer. The workers are kept up to date: each
// request carries only the elements and pictures that changed since the last one, and the
// drawing order as ids.
// Where the engine has no module workers or no OffscreenCanvas with a 2D context in them
// (checked by asking the workers), `ready` stays false and the painter draws layers itself.

import { inkBounds } from "./renderer.js";

export const WORKER_COUNT = 2;
// A layer not back after this long: a worker died without an error event (it happens when one
// runs out of memory). The painter then draws layers itself from then on.
export const WORKER_TIMEOUT_MS = 5000;

/** True when this engine may run the drawing workers (the workers still check themselves). */
export function workersPossible() {
  return (
    typeof Worker === "function" &&
    typeof OffscreenCanvas === "function" &&
    typeof OffscreenCanvas.prototype.transferToImageBitmap === "function"
  );
}

/**
 * Where to split `height` device rows into `count` bands of about equal drawing cost for
 * `elements` under `transform` ([scale, 0, 0, scale, tx, ty]): the band edges, from 0 to
 * `height`. An element costs about its outline's length times its line width (device px),
 * spread over the rows it covers; elements across an edge are drawn by both bands.
 */
export function bandRows(elements, transform, width, height, count = WORKER_COUNT) {
  const [scale, , , , tx, ty] = transform;
  const perRow = new Float64Array(height + 1); // a difference array of cost per row
  let total = 0;
  for (const element of elements) {
    const [l, t, r, b] = inkBounds(element);
    const x0 = Math.max(0, l * scale + tx);
    const x1 = Math.min(width, r * scale + tx);
    const y0 = Math.max(0, Math.floor(t * scale + ty));
    const y1 = Math.min(height, Math.ceil(b * scale + ty));
    if (x1 <= x0 || y1 <= y0) continue;
    const cost = (x1 - x0 + (y1 - y0)) * (1 + element.width * scale);
    perRow[y0] += cost / (y1 - y0);
    perRow[y1] -= cost / (y1 - y0);
    total += cost;
  }
  const edges = [0];
  let rate = 0;
  let sum = 0;
  for (let y = 0; y < height && edges.length < count; y += 1) {
    rate += perRow[y];
    sum += rate;
    if (sum >= (total * edges.length) / count) edges.push(y + 1);
  }
  // An empty or one-sided view: equal bands (at least one row each).
  if (total === 0 || edges.length < count) {
    edges.length = 1;
    for (let i = 1; i < count; i += 1) edges.push(Math.round((height * i) / count));
  }
  for (let i = 1; i < count; i += 1) edges[i] = Math.min(height - (count - i), Math.max(edges[i - 1] + 1, edges[i]));
  edges.push(height);
  return edges;
}

/** Copy the workers' bands ([{bitmap, rows: [y0, y1]}]) into `canvas`, each its own rows
 * (they cover it whole), and close their bitmaps. */
export function landBands(canvas, parts) {
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  for (const { bitmap, rows } of parts) {
    const [y0, y1] = rows;
    ctx.drawImage(bitmap, 0, y0, canvas.width, y1 - y0, 0, y0, canvas.width, y1 - y0);
    bitmap.close();
  }
}

export class BoardWorkers {
  /**
   * Start `count` workers; `onChange` is called when they are ready or have failed.
   * @param {URL|string} url the worker module (board_worker.js beside this file)
   */
  constructor(onChange = () => {}, count = WORKER_COUNT, url = new URL("./board_worker.js", import.meta.url)) {
    this.ready = false;
    this.failed = false;
    this.onChange = onChange;
    this.workers = [];
    this.sent = new Map(); // id -> the element object the workers hold
    this.sentPictures = new Map(); // image id -> the ImageBitmap the workers hold
    this.pending = null; // {seq, bands, count, done}
    this.lastTimes = []; // each worker's drawing time of the last layer, ms (its own clock)
    this._seq = 0;
    this._timer = 0;
    this._probed = 0;
    try {
      for (let i = 0; i < count; i += 1) {
        const worker = new Worker(url, { type: "module" });
        worker.onmessage = ({ data }) => this._message(data);
        worker.onerror = () => this._fail();
        worker.postMessage({ probe: true });
        this.workers.push(worker);
      }
    } catch {
      this._fail();
    }
  }

  /**
   * Draw `elements` (in drawing order) with `pictures` (image id -> ImageBitmap or null) on
   * a width x height layer for `transform`, one band per worker: `bands` is [{rows: [y0, y1],
   * visible}] (`visible`: the board rectangle each band culls to). `done(parts)` gets
   * [{bitmap, rows}] (the caller closes the bitmaps), or null if the workers failed. A newer
   * request drops an older one that has not finished (its `done` is not called).
   */
  render({ elements, pictures, width, height, transform, bands }, done) {
    if (this.pending) this.pending.done = null;
    const upserts = [];
    const ids = new Array(elements.length);
    for (let i = 0; i < elements.length; i += 1) {
      const element = elements[i];
      ids[i] = element.id;
      if (this.sent.get(element.id) !== element) {
        upserts.push(element);
        this.sent.set(element.id, element);
      }
    }
    if (this.sent.size > elements.length + 256) {
      const live = new Set(ids);
      for (const id of this.sent.keys()) if (!live.has(id)) this.sent.delete(id);
    }
    const newPictures = [];
    for (const [id, bitmap] of pictures ?? []) {
      if (bitmap && this.sentPictures.get(id) !== bitmap) {
        newPictures.push([id, bitmap]); // copied to each worker (not transferred: the page keeps it)
        this.sentPictures.set(id, bitmap);
      }
    }
    this._seq += 1;
    const seq = this._seq;
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._fail(), WORKER_TIMEOUT_MS);
    this.pending = { seq, parts: [], count: bands.length, done };
    bands.forEach(({ rows, visible }, i) => {
      this.workers[i].postMessage({ seq, upserts, ids, pictures: newPictures, width, height, transform, rows, visible });
    });
  }

  /** The bytes the workers' canvases hold while they draw (each as large as the layer). */
  static bytes(width, height, count = WORKER_COUNT) {
    return count * width * height * 4;
  }

  _message(data) {
    if (data.probe) {
      if (!data.ok) this._fail();
      else if (++this._probed === this.workers.length && !this.failed) {
        this.ready = true;
        this.onChange();
      }
      return;
    }
    const p = this.pending;
    if (!p || p.seq !== data.seq) {
      data.bitmap.close(); // a request dropped by a newer one
      return;
    }
    p.parts.push(data);
    if (p.parts.length < p.count) return;
    clearTimeout(this._timer);
    this.pending = null;
    this.lastTimes = p.parts.map((part) => part.ms);
    if (p.done) p.done(p.parts);
    else for (const part of p.parts) part.bitmap.close();
  }

  _fail() {
    if (this.failed) return;
    this.failed = true;
    this.ready = false;
    clearTimeout(this._timer);
    for (const worker of this.workers) worker.terminate();
    const p = this.pending;
    this.pending = null;
    p?.done?.(null);
    this.onChange();
  }

  terminate() {
    clearTimeout(this._timer);
    for (const worker of this.workers) worker.terminate();
    this.workers = [];
    this.ready = false;
    this.pending = null;
  }
}
