// The viewer's drawing (P5): the customer's tools in the top bar, the layer over the picture,
// and the drawing messages on the viewer's screen socket. main.js calls attach() for each new
// socket and layout() whenever the picture is sized.

import { DrawingBoard } from "../common/drawing/board.js";
import { DrawingLayer } from "../common/drawing/layer.js";
import { DrawingToolbar } from "../common/drawing/toolbar.js";
import { i18n } from "../common/i18n.js";
import { MessageType } from "../common/protocol.js";

const NOTE_MS = 5000; // how long a refused drawing's explanation stays
// What the customer is told when the relay refuses a drawing message (others: the console).
const ERROR_KEYS = Object.freeze({ drawing_full: "draw.full", not_allowed: "draw.not_presenting" });

const DRAWING_TYPES = [
  MessageType.DRAWING,
  MessageType.STROKE_BEGIN,
  MessageType.STROKE_POINTS,
  MessageType.STROKE_END,
  MessageType.STROKE_REMOVED,
  MessageType.DRAWING_CLEARED,
];

export class ViewerDrawing {
  /**
   * @param {object} options
   * @param {HTMLElement} options.stage the element holding the picture
   * @param {HTMLElement} options.toolbar an empty element in the top bar for the tools
   */
  constructor({ stage, toolbar }) {
    this.socket = null;
    this.errors = [];
    this.board = new DrawingBoard({
      role: "customer",
      send: (type, fields) => this.socket?.send(type, fields) ?? false,
      onChange: () => this.layer.scheduleRender(),
    });
    this.layer = new DrawingLayer(stage, this.board);
    this.note = document.createElement("span");
    this.note.className = "rs-draw-tools__note";
    this.note.dataset.testid = "drawing-note";
    this.note.setAttribute("role", "status");
    this.note.hidden = true;
    this._noteTimer = null;
    this.toolbar = new DrawingToolbar(toolbar, {
      style: this.board.style,
      onStyle: (style) => {
        this.board.setStyle(style);
        this.layer.setActive(Boolean(style.tool));
      },
      onUndo: () => this.board.undo(),
      onClear: () => this.board.clear(),
    });
    toolbar.after(this.note);
  }

  /** A new screen socket: the relay follows its welcome with the whole drawing. */
  attach(socket) {
    this.socket = socket;
    for (const type of DRAWING_TYPES) {
      socket.on(type, (message) => this.board.apply(message));
    }
  }

  /** A drawing message the relay refused (drawing_full, not presenting...), for the page. */
  noteError(error) {
    if (!String(error.in_reply_to ?? "").match(/^(stroke_|undo_stroke|clear_drawing)/)) {
      return;
    }
    this.errors.push(error.code);
    const key = ERROR_KEYS[error.code];
    if (key) {
      i18n.bind(this.note, key);
      this.note.hidden = false;
      clearTimeout(this._noteTimer);
      this._noteTimer = setTimeout(() => {
        this.note.hidden = true;
      }, NOTE_MS);
    }
  }

  layout(screenW, screenH, deviceW, deviceH) {
    this.layer.layout(screenW, screenH, deviceW, deviceH);
  }

  stats() {
    return {
      strokes: Array.from(this.board.strokes.values(), (s) => ({
        author: s.author,
        id: s.id,
        tool: s.tool,
        color: s.color,
        width: s.width,
        points: s.points.length,
        done: s.done,
      })),
      tool: this.board.style.tool,
      color: this.board.style.color,
      sent: this.board.messagesSent,
      snapshots: this.board.snapshots,
      renders: this.layer.renders,
      errors: [...this.errors],
    };
  }
}
