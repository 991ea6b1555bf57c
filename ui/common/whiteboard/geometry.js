// Whiteboard geometry (pure): hit tests for the eraser and the selection, moving and resizing
// elements, and the view's zoom and pan (board pixels <-> screen pixels).

export const HIT_SLOP_PX = 4; // on screen: how near a pointer must come to touch a line
export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 8;

/** The distance from point p to the segment a-b. */
export function distanceToSegment([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The element's own box {x, y, w, h} (without its line width). */
export function boxOf(element) {
  if (element.points) {
    const xs = element.points.map((p) => p[0]);
    const ys = element.points.map((p) => p[1]);
    const x = Math.min(...xs);
    const y = Math.min(...ys);
    return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
  }
  return { x: element.x, y: element.y, w: element.w, h: element.h };
}

/** Whether `point` (board pixels) touches `element`, within `slop` board pixels. */
export function hits(element, point, slop) {
  const reach = element.width / 2 + slop;
  const [px, py] = point;
  if (element.points) {
    const points = element.points;
    if (points.length === 1) return Math.hypot(px - points[0][0], py - points[0][1]) <= reach;
    for (let i = 1; i < points.length; i += 1) {
      if (distanceToSegment(point, points[i - 1], points[i]) <= reach) return true;
    }
    return false;
  }
  const { x, y, w, h } = element;
  if (element.kind === "text" || element.kind === "image") {
    return px >= x - slop && px <= x + w + slop && py >= y - slop && py <= y + h + slop;
  }
  if (element.kind === "ellipse") {
    const rx = Math.max(w / 2, 0.5);
    const ry = Math.max(h / 2, 0.5);
    const r = Math.hypot((px - x - rx) / rx, (py - y - ry) / ry);
    return Math.abs(r - 1) * Math.min(rx, ry) <= reach;
  }
  const corners = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
  return corners.some((corner, i) => distanceToSegment(point, corner, corners[(i + 1) % 4]) <= reach);
}

/** The topmost of `elements` (drawing order) that `point` touches, or null. */
export function topmostHit(elements, point, slop) {
  for (let i = elements.length - 1; i >= 0; i -= 1) {
    if (hits(elements[i], point, slop)) return elements[i];
  }
  return null;
}

/** The fields that move `element` by (dx, dy) board pixels (whole pixels). */
export function movedBy(element, dx, dy) {
  const mx = Math.round(dx);
  const my = Math.round(dy);
  if (element.points) return { points: element.points.map(([x, y]) => [x + mx, y + my]) };
  return { x: element.x + mx, y: element.y + my };
}

/** The fields that stretch `element` from its box `from` to the box `to`. */
export function resizedTo(element, from, to) {
  if (element.points) {
    const sx = from.w === 0 ? 1 : to.w / from.w;
    const sy = from.h === 0 ? 1 : to.h / from.h;
    return {
      points: element.points.map(([x, y]) => [
        Math.round(to.x + (x - from.x) * sx),
        Math.round(to.y + (y - from.y) * sy),
      ]),
    };
  }
  const changes = { x: Math.round(to.x), y: Math.round(to.y), w: Math.round(to.w), h: Math.round(to.h) };
  if (element.kind === "text" && from.h > 0) {
    changes.size = Math.max(8, Math.min(200, Math.round((element.size * to.h) / from.h)));
  }
  return changes;
}

/** {x, y, w, h} with w, h >= 0 from two corners. */
export function boxBetween([x0, y0], [x1, y1]) {
  return { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) };
}

/** A screen point (CSS pixels from the canvas's corner) in board pixels, for `view` {x, y, zoom}. */
export function toBoard(view, sx, sy) {
  return [view.x + sx / view.zoom, view.y + sy / view.zoom];
}

/** The view zoomed by `factor` around the screen point (sx, sy), which stays put. */
export function zoomedAt(view, factor, sx, sy) {
  const zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, view.zoom * factor));
  const [bx, by] = toBoard(view, sx, sy);
  return { x: bx - sx / zoom, y: by - sy / zoom, zoom };
}

/** A view that shows `box` whole in a width x height screen area (at most 1:1). */
export function fitted(box, width, height) {
  const zoom = Math.max(MIN_ZOOM, Math.min(1, width / Math.max(1, box.w), height / Math.max(1, box.h)));
  return { x: box.x + box.w / 2 - width / (2 * zoom), y: box.y + box.h / 2 - height / (2 * zoom), zoom };
}
