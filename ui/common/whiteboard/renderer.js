// Draws whiteboard elements on a 2D canvas context by the same geometry rules as the relay's
// Pillow renderer (relay_server/whiteboard/render.py; docs/architecture.md, "Whiteboard"):
// pen and line are round-capped polylines, rectangle and ellipse outline their box centred on
// its edge, text is lines of `size` px Noto Sans CJK KR from the box's top, 1.25 apart.
// Pure drawing: no DOM beyond the context it is given (and an off-screen canvas to export).

import { bounds } from "./model.js";

export const MARGIN_PX = 16;
export const EMPTY_W = 640;
export const EMPTY_H = 480;
export const LINE_HEIGHT = 1.25;
export const FONT_FAMILY = '"Noto Sans CJK KR", "Noto Sans CJK", sans-serif';

/** The font of a text element of `size` px. */
export function fontOf(size) {
  return `${size}px ${FONT_FAMILY}`;
}

/**
 * Draw one element in board coordinates (the context's transform maps them to pixels).
 * `style` remembers what the context is set to, so that a long list sets each style once:
 * setting `font` or a colour costs more than drawing a short stroke.
 */
export function drawElement(ctx, element, images = null, style = {}) {
  if (style.color !== element.color) {
    ctx.strokeStyle = element.color;
    ctx.fillStyle = element.color;
    style.color = element.color;
  }
  if (style.width !== element.width) {
    ctx.lineWidth = element.width;
    style.width = element.width;
  }
  const kind = element.kind;
  if (kind === "pen" || kind === "line") {
    const points = element.points;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], element.width / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    if (style.join !== "round") {
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      style.join = "round";
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (let i = 1; i < points.length; i += 1) ctx.lineTo(points[i][0], points[i][1]);
    ctx.stroke();
    return;
  }
  if (kind === "rectangle" || kind === "ellipse") {
    // An outline's own caps and joins: whatever the element before set must not show.
    if (style.join !== "miter") {
      ctx.lineCap = "butt";
      ctx.lineJoin = "miter";
      style.join = "miter";
    }
  }
  if (kind === "rectangle") {
    ctx.strokeRect(element.x, element.y, element.w, element.h);
  } else if (kind === "ellipse") {
    ctx.beginPath();
    ctx.ellipse(
      element.x + element.w / 2,
      element.y + element.h / 2,
      element.w / 2,
      element.h / 2,
      0,
      0,
      Math.PI * 2,
    );
    ctx.closePath(); // a closed outline: no cap where it starts and ends
    ctx.stroke();
  } else if (kind === "text") {
    if (style.size !== element.size) {
      ctx.font = fontOf(element.size);
      ctx.textBaseline = "top";
      style.size = element.size;
    }
    const lines = element.text.split("\n");
    for (let row = 0; row < lines.length; row += 1) {
      ctx.fillText(lines[row], element.x, element.y + row * element.size * LINE_HEIGHT);
    }
  } else if (kind === "image") {
    const picture = images?.get(element.image);
    if (picture) ctx.drawImage(picture, element.x, element.y, element.w, element.h);
    else {
      ctx.fillStyle = "#c8c8c8";
      style.color = null;
      ctx.fillRect(element.x, element.y, element.w, element.h);
    }
  }
}

/**
 * Where an element may put ink, [left, top, right, bottom] in board pixels: its bounds, and for
 * a text as wide as its longest line at one em a character (its `w` was measured with the
 * sender's fonts; a wider font here must not be cut off by culling, or a panned layer and a
 * full redraw would disagree at the view's edge).
 */
export function inkBounds(element) {
  const box = bounds(element);
  if (element.kind === "text") {
    let longest = 0;
    for (const line of element.text.split("\n")) longest = Math.max(longest, line.length);
    box[2] = Math.max(box[2], element.x + longest * element.size + 1);
  }
  return box;
}

/** Draw `elements` (live, in drawing order) on `ctx`; with `visible` ([left, top, right,
 * bottom] in board pixels) those wholly outside it are skipped. */
export function drawElements(ctx, elements, images = null, visible = null) {
  const style = {};
  ctx.save();
  for (const element of elements) {
    if (visible) {
      const [l, t, r, b] = inkBounds(element);
      if (r < visible[0] || b < visible[1] || l > visible[2] || t > visible[3]) continue;
    }
    drawElement(ctx, element, images, style);
  }
  ctx.restore();
}

/** The picture's box, as the relay's: the elements' bounds plus MARGIN_PX, or an empty page. */
export function imageBox(elements) {
  if (elements.length === 0) return { x: 0, y: 0, w: EMPTY_W, h: EMPTY_H };
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const element of elements) {
    const [l, t, r, b] = bounds(element);
    left = Math.min(left, l);
    top = Math.min(top, t);
    right = Math.max(right, r);
    bottom = Math.max(bottom, b);
  }
  return {
    x: left - MARGIN_PX,
    y: top - MARGIN_PX,
    w: right - left + 2 * MARGIN_PX,
    h: bottom - top + 2 * MARGIN_PX,
  };
}

/** The board as an image on a new canvas (white, one pixel per board pixel): for the
 * clipboard, printing, and comparing with the relay's BMP. */
export function boardCanvas(elements, images = null) {
  const box = imageBox(elements);
  const canvas = document.createElement("canvas");
  canvas.width = box.w;
  canvas.height = box.h;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, box.w, box.h);
  ctx.translate(-box.x, -box.y);
  drawElements(ctx, elements, images);
  return canvas;
}
