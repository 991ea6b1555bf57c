// Drawing over the shared screen (P5): the tools, limits and geometry of a stroke, mirroring
// suite/strokes.py (the relay validates with it and the agent's overlay draws with it), so a
// stroke looks the same over the viewer's canvas and on the agent's desktop.

export const Tool = Object.freeze({
  PEN: "pen",
  LINE: "line",
  RECTANGLE: "rectangle",
  ELLIPSE: "ellipse",
  ARROW: "arrow",
});

export const DEFAULT_COLOURS = Object.freeze({ agent: "#e11d48", customer: "#2563eb" });
export const WIDTHS_PX = Object.freeze([2, 4, 8, 16]);
export const MIN_WIDTH_PX = 1;
export const MAX_WIDTH_PX = 64;
export const MAX_POINTS_PER_STROKE = 5000;
export const MAX_POINTS_PER_MESSAGE = 500;
const ARROW_HEAD_MIN_PX = 10;
const ARROW_HEAD_ANGLE_RAD = (28 * Math.PI) / 180;
const ELLIPSE_SEGMENTS = 72;

/**
 * The lines that draw a stroke, each a list of [x, y] joined in order (see suite/strokes.py).
 * @param {string} tool one of Tool
 * @param {Array<[number, number]>} points a pen's every point, a shape's start and end
 * @param {number} width the stroke width in screen pixels
 * @returns {Array<Array<[number, number]>>}
 */
export function polylines(tool, points, width) {
  if (points.length === 0) {
    return [];
  }
  const first = points[0];
  const last = points[points.length - 1];
  switch (tool) {
    case Tool.PEN:
      return [points];
    case Tool.LINE:
      return [[first, last]];
    case Tool.RECTANGLE: {
      const [x0, y0] = first;
      const [x1, y1] = last;
      return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]];
    }
    case Tool.ELLIPSE: {
      const cx = (first[0] + last[0]) / 2;
      const cy = (first[1] + last[1]) / 2;
      const rx = Math.abs(last[0] - first[0]) / 2;
      const ry = Math.abs(last[1] - first[1]) / 2;
      const ring = [];
      for (let i = 0; i <= ELLIPSE_SEGMENTS; i += 1) {
        const a = (2 * Math.PI * i) / ELLIPSE_SEGMENTS;
        ring.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
      }
      return [ring];
    }
    case Tool.ARROW: {
      const lines = [[first, last]];
      const dx = last[0] - first[0];
      const dy = last[1] - first[1];
      if (dx || dy) {
        const head = Math.max(ARROW_HEAD_MIN_PX, 4 * width);
        const angle = Math.atan2(dy, dx);
        for (const side of [-1, 1]) {
          const a = angle + Math.PI + side * ARROW_HEAD_ANGLE_RAD;
          lines.push([[last[0] + head * Math.cos(a), last[1] + head * Math.sin(a)], last]);
        }
      }
      return lines;
    }
    default:
      return [];
  }
}

/**
 * Draw one stroke on a 2D context whose transform maps screen pixels to its pixels.
 * @param {CanvasRenderingContext2D} context
 * @param {{tool: string, color: string, width: number, points: Array<[number, number]>}} stroke
 */
export function drawStroke(context, stroke) {
  context.strokeStyle = stroke.color;
  context.fillStyle = stroke.color;
  context.lineWidth = stroke.width;
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const line of polylines(stroke.tool, stroke.points, stroke.width)) {
    const [x0, y0] = line[0];
    const isDot = line.every(([x, y]) => x === x0 && y === y0);
    context.beginPath();
    if (isDot) {
      context.arc(x0, y0, stroke.width / 2, 0, 2 * Math.PI);
      context.fill();
      continue;
    }
    context.moveTo(x0, y0);
    for (let i = 1; i < line.length; i += 1) {
      context.lineTo(line[i][0], line[i][1]);
    }
    context.stroke();
  }
}
