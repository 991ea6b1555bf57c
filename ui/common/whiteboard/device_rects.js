// Rectangles of device pixels [x, y, w, h] for the whiteboard's painter (board_painter.js):
// what a pan uncovers, and what an edit below the top repaints.

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
