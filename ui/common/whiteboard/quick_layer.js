// A quick low-resolution picture of the whole board for the whiteboard's painter
// (board_painter.js): while the drawing workers draw the first layer of a board just opened
// (there is no old layer to show meanwhile), the frames show this one scaled up instead of a
// white page. A QUICK_DIVISOR-th of the CSS pixels in each direction (the same small canvas at
// every pixel ratio): the raster shrinks with it, the elements' own costs (a stroke's outline)
// do not, so it still costs about half a full redraw at pixel ratio 1 (docs/performance.md).

import { blank, layerCanvas, visibleRect } from "./device_rects.js";
import { drawElements } from "./renderer.js";

export const QUICK_DIVISOR = 4;

/** `elements` drawn for `transform` on a canvas QUICK_DIVISOR x `ratio` times smaller than
 * width x height (the same view): {canvas, d}. */
export function quickLayer(elements, images, transform, width, height, ratio) {
  const d = Math.max(1, Math.round(QUICK_DIVISOR * ratio));
  const canvas = layerCanvas(Math.ceil(width / d), Math.ceil(height / d));
  const ctx = canvas.getContext("2d");
  blank(ctx);
  const [scale, , , , tx, ty] = transform;
  ctx.setTransform(scale / d, 0, 0, scale / d, tx / d, ty / d);
  drawElements(ctx, elements, images, visibleRect(transform, 0, 0, width, height));
  return { canvas, d };
}

/** Show a quick layer ({canvas, d}) over the whole of `ctx`'s canvas (smoothed). */
export function paintQuick(ctx, { canvas, d }) {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(canvas, 0, 0, canvas.width * d, canvas.height * d);
}
