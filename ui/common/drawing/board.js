// The strokes over the shared screen as this page knows them (P5), and this side's own drag.
//
// apply() takes the relay's drawing messages (stroke_begin / stroke_points / stroke_end with
// their author, stroke_removed, drawing_cleared, and the whole `drawing` after each welcome);
// press() / move() / release() turn a pointer drag, in screen pixels, into this side's stroke:
// stroke_begin at once, the points in batches every BATCH_INTERVAL_MS (the others' live
// preview), stroke_end on release. The relay sends a stroke back to everyone but its author,
// so the author's copy is drawn from here at once.

import { MessageType } from "../protocol.js";
import { DEFAULT_COLOURS, MAX_POINTS_PER_MESSAGE, MAX_POINTS_PER_STROKE, Tool } from "./shapes.js";

export const BATCH_INTERVAL_MS = 40;

const keyOf = (author, id) => `${author}\u0000${id}`;

function newStrokeId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class DrawingBoard {
  /**
   * @param {object} options
   * @param {string} options.role this side's author name on the wire ("agent" or "customer")
   * @param {(type: string, fields: object) => boolean} options.send sends one message
   * @param {() => void} [options.onChange] the picture changed: redraw
   */
  constructor({ role, send, onChange = () => {} }) {
    this.role = role;
    this.send = send;
    this.onChange = onChange;
    this.strokes = new Map(); // oldest first (Map keeps insertion order)
    this.style = { tool: null, color: DEFAULT_COLOURS[role] ?? "#e11d48", width: 4 };
    this._drawing = null;
    this._unsent = [];
    this._timer = null;
    this.screenW = 0;
    this.screenH = 0;
    this.messagesSent = 0;
    this.snapshots = 0; // whole drawings received (one per welcome)
  }

  /** The shared screen's size: this side's points are kept on it. */
  setScreenSize(w, h) {
    this.screenW = w;
    this.screenH = h;
  }

  get dragging() {
    return this._drawing !== null;
  }

  // ---------- The relay's messages ----------

  /** Apply one drawing message from the relay; unknown or broken ones are ignored. */
  apply(message) {
    switch (message.type) {
      case MessageType.DRAWING:
        this.snapshots += 1;
        this.strokes = new Map();
        for (const stroke of Array.isArray(message.strokes) ? message.strokes : []) {
          this._add(stroke);
        }
        this._drawing = null; // a new socket: a drag from the old one is gone
        this._unsent = [];
        break;
      case MessageType.STROKE_BEGIN:
        this._add({ ...message, done: false });
        break;
      case MessageType.STROKE_POINTS:
      case MessageType.STROKE_END: {
        const stroke = this.strokes.get(keyOf(message.author, message.id));
        if (!stroke) {
          return;
        }
        extend(stroke, validPoints(message.points));
        stroke.done = message.type === MessageType.STROKE_END;
        break;
      }
      case MessageType.STROKE_REMOVED: {
        const key = keyOf(message.author, message.id);
        if (this._drawing && keyOf(this.role, this._drawing.id) === key) {
          this._stopDrag();
        }
        if (!this.strokes.delete(key)) {
          return;
        }
        break;
      }
      case MessageType.DRAWING_CLEARED:
        this.strokes.clear();
        this._stopDrag();
        break;
      default:
        return;
    }
    this.onChange();
  }

  _add(body) {
    const points = validPoints(body.points);
    if (typeof body.id !== "string" || typeof body.author !== "string" || points === null) {
      return;
    }
    const stroke = {
      author: body.author,
      id: body.id,
      tool: Object.values(Tool).includes(body.tool) ? body.tool : Tool.PEN,
      color: /^#[0-9a-fA-F]{6}$/.test(body.color) ? body.color : "#000000",
      width: Number(body.width) || 1,
      points: [],
      done: body.done === true,
    };
    extend(stroke, points);
    this.strokes.set(keyOf(stroke.author, stroke.id), stroke);
  }

  // ---------- This side's tools ----------

  /** Pick a tool (null: none, the pointer is the page's again), a colour, a width. */
  setStyle({ tool = this.style.tool, color = this.style.color, width = this.style.width } = {}) {
    if (tool === null && this._drawing) {
      this._finish();
    }
    this.style = { tool, color, width };
  }

  undo() {
    this._send(MessageType.UNDO_STROKE, {});
  }

  clear() {
    this._send(MessageType.CLEAR_DRAWING, {});
  }

  press(x, y) {
    if (!this.style.tool || this._drawing) {
      return;
    }
    const point = this._clamp(x, y);
    const stroke = {
      author: this.role,
      id: newStrokeId(),
      tool: this.style.tool,
      color: this.style.color,
      width: this.style.width,
      points: [point],
      done: false,
    };
    this._drawing = stroke;
    this._unsent = [];
    this.strokes.set(keyOf(stroke.author, stroke.id), stroke);
    this._send(MessageType.STROKE_BEGIN, {
      id: stroke.id,
      tool: stroke.tool,
      color: stroke.color,
      width: stroke.width,
      points: [point],
    });
    this.onChange();
  }

  move(x, y) {
    const stroke = this._drawing;
    if (!stroke) {
      return;
    }
    const point = this._clamp(x, y);
    const last = stroke.points[stroke.points.length - 1];
    if (last && last[0] === point[0] && last[1] === point[1]) {
      return;
    }
    if (stroke.tool === Tool.PEN && stroke.points.length >= MAX_POINTS_PER_STROKE - 1) {
      this._finish(); // the relay's cap: this stroke ends here
      this.onChange();
      return;
    }
    extend(stroke, [point]);
    this._unsent = stroke.tool === Tool.PEN ? [...this._unsent, point] : [point];
    if (this._unsent.length >= MAX_POINTS_PER_MESSAGE) {
      this._flush();
    } else if (this._timer === null) {
      this._timer = setTimeout(() => this._flush(), BATCH_INTERVAL_MS);
    }
    this.onChange();
  }

  release(x, y) {
    if (!this._drawing) {
      return;
    }
    if (x !== undefined) {
      this.move(x, y);
    }
    this._finish();
    this.onChange();
  }

  _finish() {
    const stroke = this._drawing;
    this._flush();
    stroke.done = true;
    this._drawing = null;
    this._send(MessageType.STROKE_END, { id: stroke.id, points: [] });
  }

  _flush() {
    clearTimeout(this._timer);
    this._timer = null;
    if (!this._drawing || this._unsent.length === 0) {
      return;
    }
    const points = this._unsent;
    this._unsent = [];
    this._send(MessageType.STROKE_POINTS, { id: this._drawing.id, points });
  }

  _stopDrag() {
    clearTimeout(this._timer);
    this._timer = null;
    this._drawing = null;
    this._unsent = [];
  }

  _send(type, fields) {
    if (this.send(type, fields)) {
      this.messagesSent += 1;
    }
  }

  _clamp(x, y) {
    const right = Math.max(0, this.screenW - 1);
    const bottom = Math.max(0, this.screenH - 1);
    return [Math.min(Math.max(Math.round(x), 0), right), Math.min(Math.max(Math.round(y), 0), bottom)];
  }
}

function validPoints(points) {
  if (!Array.isArray(points)) {
    return null;
  }
  return points.filter((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite));
}

/** A pen keeps every point; a shape its first and its latest (as the relay does). */
function extend(stroke, points) {
  if (!points || points.length === 0) {
    return;
  }
  if (stroke.tool === Tool.PEN) {
    stroke.points.push(...points);
  } else if (stroke.points.length > 0) {
    stroke.points = [stroke.points[0], points[points.length - 1]];
  } else {
    stroke.points = points.length === 1 ? [points[0]] : [points[0], points[points.length - 1]];
  }
}
