// Rectangles of device pixels [x, y, w, h] for the whiteboard's painter (board_painter.js):
// what a pan uncovers, and what an edit below the top repaints; the board rectangle a strip
// (or a worker's band) culls to, and the strips drawn anew, clipped.

import { drawElements } from "./renderer.js";

// Strokes are antialiased a pixel or so past their bounds: a strip (or the view) takes in the
// elements this many device pixels outside it, so that a strip and a full redraw agree.
export const CULL_SLACK_PX = 3;

/** A canvas for a layer: an OffscreenCanvas where the engine has one. */
export function layerCanvas(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** Paint the whole of `ctx`'s canvas white. */
export function blank(ctx) {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** The whole device pixels under the board rectangle `box` for `transform`, with
 * CULL_SLACK_PX around it (antialiasing), clipped to width x height: [x, y, w, h] or null. */
export function deviceRect(box, transform, width, height) {
  const [scale, , , , tx, ty] = transform;
  const slack = CULL_SLACK_PX;
  const x0 = Math.max(0, Math.floor(box[0] * scale + tx) - slack);
  const y0 = Math.max(0, Math.floor(box[1] * scale + ty) - slack);
  const x1 = Math.min(width, Math.ceil(box[2] * scale + tx) + slack);
  const y1 = Math.min(height, Math.ceil(box[3] * scale + ty) + slack);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

/** The board rectangle [left, top, right, bottom] under the device-pixel rectangle
 * (x, y, w, h) for `transform`, with CULL_SLACK_PX around it. */
export function visibleRect(transform, x, y, w, h) {
  const [scale, , , , tx, ty] = transform;
  const slack = CULL_SLACK_PX;
  return [
    (x - slack - tx) / scale,
    (y - slack - ty) / scale,
    (x + w + slack - tx) / scale,
    (y + h + slack - ty) / scale,
  ];
}

/** Draw `elements` in the device-pixel rectangles `rects` of `ctx` anew (white, then the
 * elements touching each, clipped to it). */
export function drawStrips(ctx, rects, elements, transform, images) {
  for (const [x, y, w, h] of rects) {
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(x, y, w, h);
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.clip();
    ctx.setTransform(...transform);
    drawElements(ctx, elements, images, visibleRect(transform, x, y, w, h));
    ctx.restore();
  }
}

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

/**
 * Rectangles [x, y, w, h] to repaint, overlapping ones merged into their bounding box (an
 * element repainted twice would be drawn twice over its antialiased edges: no harm, as each
 * repaint starts from white, but the work is saved); more than `most` become one.
 */
export function mergedRects(rects, most) {
  const out = [];
  for (let rect of rects) {
    for (let i = 0; i < out.length; ) {
      const o = out[i];
      if (rect[0] < o[0] + o[2] && o[0] < rect[0] + rect[2] && rect[1] < o[1] + o[3] && o[1] < rect[1] + rect[3]) {
        rect = unionRect(rect, o);
        out.splice(i, 1);
        i = 0;
      } else i += 1;
    }
    out.push(rect);
  }
  if (out.length <= most) return out;
  return [out.reduce(unionRect)];
}

function unionRect(a, b) {
  const x = Math.min(a[0], b[0]);
  const y = Math.min(a[1], b[1]);
  return [x, y, Math.max(a[0] + a[2], b[0] + b[2]) - x, Math.max(a[1] + a[3], b[1] + b[3]) - y];
}
