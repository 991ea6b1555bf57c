// The whiteboard on screen (CH3): the toolbar, the canvas and the text box. Tools: select /
// move / resize / delete, pen, eraser, text, line, rectangle, ellipse; colour and width; undo,
// redo; zoom and pan (wheel, pinch, the buttons); new board, save as BMP, copy, print.
// Drawing goes through SharedBoard (shared_board.js); pixels through renderer.js; hit tests
// and view maths through geometry.js. Pointer events, so a finger on a phone draws too.

import { element } from "../dom.js";
import { copyBoard, printBoard } from "./board_export.js";
import { BoardPainter } from "./board_painter.js";
import { BoardWorkers, workersPossible } from "./board_workers.js";
import { boxBetween, boxOf, fitted, HIT_SLOP_PX, movedBy, resizedTo, toBoard, topmostHit, zoomedAt } from "./geometry.js";
import { edited, MAX_IMAGE_BYTES, MAX_TEXT_CHARS, newId, newNonce } from "./model.js";
import { fontOf, imageBox, LINE_HEIGHT } from "./renderer.js";
import { COLOURS, IMAGE_TYPES, label, WhiteboardToolbar } from "./whiteboard_toolbar.js";

const HANDLE_PX = 10; // the resize handle, on screen
const TEXT_SIZE = 24;
const CREATING = new Set(["pen", "line", "rectangle", "ellipse", "text"]);

export class WhiteboardView {
  /**
   * @param {object} options
   * @param {import("./shared_board.js").SharedBoard} options.board
   * @param {object} options.i18n
   * @param {string} options.color the participant's colour to start with
   * @param {() => void} options.onNewBoard
   * @param {() => Promise<string|null>} options.onSaveBmp gives the saved file's path if known
   * @param {() => Promise<void>} [options.onOpenFolder] shows the saved file's folder
   * @param {() => void} [options.onClose] hides the board (it stays open for the others)
   * @param {(file: File) => Promise<{image: string, width: number, height: number}>} [options.uploadImage]
   * @param {(image: string) => Promise<Blob>} [options.loadImage]
   */
  constructor({ board, i18n, color, onNewBoard, onSaveBmp, onOpenFolder, onClose, uploadImage, loadImage }) {
    this.onOpenFolder = onOpenFolder;
    this.uploadImage = uploadImage;
    this.loadImage = loadImage;
    this.images = new Map(); // image id -> ImageBitmap (null while loading or when it failed)
    this.board = board;
    this.i18n = i18n;
    this.tool = "pen";
    this.color = COLOURS.includes(color) ? color : COLOURS[1];
    this.width = 4;
    this.view = { x: 0, y: 0, zoom: 1 };
    this.selected = null;
    this.gesture = null;
    this.pointers = new Map();
    this.element = element("section", "wb", { "data-testid": "whiteboard", "aria-labelledby": "wb-title" });
    const title = element("h2", "wb__title rs-visually-hidden", { id: "wb-title" });
    i18n.bind(title, "wb.title");
    this.stage = element("div", "wb__stage");
    this.canvas = element("canvas", "wb__canvas", { "data-testid": "wb-canvas", tabindex: "0" });
    label(i18n, this.canvas, "wb.canvas");
    this.textBox = element("textarea", "wb__text", { "data-testid": "wb-text", rows: "1" });
    this.textBox.hidden = true;
    this.textBox.maxLength = MAX_TEXT_CHARS;
    this.status = element("p", "wb__status", { "data-testid": "wb-status", role: "status", "aria-live": "polite" });
    // Beside a saved file's path (the viewer program): show its folder.
    this.openFolder = element("button", "rs-button rs-button--secondary rs-button--small wb__open-folder", {
      type: "button",
      "data-testid": "wb-open-folder",
    });
    i18n.bind(this.openFolder, "files.open_folder_short");
    this.openFolder.hidden = true;
    this.openFolder.addEventListener("click", () => {
      onOpenFolder?.().catch((error) => this.say("wb.failed", { reason: error?.message || String(error) }));
    });
    const footer = element("div", "wb__footer");
    footer.append(this.status, this.openFolder);
    this.canvas.wbBoard = board; // the e2e tests and the benchmark read the board here
    this.canvas.wbView = this;
    this.painter = new BoardPainter(this.canvas, () => this.redraw());
    // New layers drawn by two workers where the engine can (else here, over frames).
    if (workersPossible()) this.painter.workers = new BoardWorkers(() => this.redraw());
    this.stage.append(this.canvas, this.textBox);
    this.toolbar = new WhiteboardToolbar({
      i18n,
      width: this.width,
      images: Boolean(uploadImage),
      on: {
        tool: (tool) => this.setTool(tool),
        colour: (colour) => this.setColour(colour),
        width: (width) => this.setWidth(width),
        image: (file) => this._imagePicked(file),
        undo: () => this.board.undo(),
        redo: () => this.board.redo(),
        remove: () => this.deleteSelected(),
        zoomOut: () => this._zoomCentre(1 / 1.25),
        zoomIn: () => this._zoomCentre(1.25),
        fit: () => this.fit(),
        newBoard: () => onNewBoard(),
        saveBmp: () => this._run(onSaveBmp, "wb.saved_bmp", "wb.saved_bmp_to"),
        copy: () => this._run(() => this.copyImage(), "wb.copied"),
        print: () => this.print(),
        close: onClose ? () => onClose() : null,
      },
    });
    this.element.append(title, this.toolbar.element, this.stage, footer);
    this._wire();
    this._offBoard = board.onChange(() => this.redraw());
    this._resize = new ResizeObserver(() => this._fitCanvas());
    this._resize.observe(this.stage);
    this.setTool("pen");
    this.setColour(this.color);
  }

  destroy() {
    this._offBoard();
    this._resize.disconnect();
    this._ratioQuery?.removeEventListener("change", this._ratioChanged);
    cancelAnimationFrame(this._frame);
    this.painter.destroy();
    this.element.remove();
  }

  /** Run `action`; say `doneKey`, or `pathKey` with {path} when it gives where it saved. */
  async _run(action, doneKey, pathKey = null) {
    try {
      const path = await action();
      if (pathKey && typeof path === "string" && path) {
        this.say(pathKey, { path });
        this.openFolder.hidden = !this.onOpenFolder;
      } else this.say(doneKey);
    } catch (error) {
      this.say("wb.failed", { reason: error?.message || String(error) });
    }
  }

  say(key, params = {}) {
    this.openFolder.hidden = true;
    this.i18n.bind(this.status, key, params);
  }

  setTool(tool) {
    this._commitText();
    this.tool = tool;
    this.toolbar.showTool(tool);
    this.canvas.dataset.tool = tool;
    if (tool !== "select") this.selected = null;
    this.redraw();
  }

  setColour(colour) {
    this.color = colour;
    this.toolbar.showColour(colour);
    this._restyleSelected({ color: colour });
  }

  setWidth(width) {
    this.width = width;
    this.toolbar.showWidth(width);
    this._restyleSelected({ width });
  }

  _restyleSelected(changes) {
    const current = this.selected && this.board.elements.get(this.selected);
    if (current && !current.deleted) {
      this.board.commit([{ before: current, after: edited(current, changes) }]);
    }
  }

  deleteSelected() {
    const current = this.selected && this.board.elements.get(this.selected);
    if (current && !current.deleted) {
      this.board.commit([{ before: current, after: edited(current, { deleted: true }) }]);
    }
    this.selected = null;
  }

  // ---------- view ----------

  _fitCanvas() {
    const rect = this.stage.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width * ratio));
    const height = Math.max(1, Math.round(rect.height * ratio));
    // Setting a canvas's size clears it, even to the same size: the painter may leave a
    // frame it painted as it is.
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.canvas.style.width = `${rect.width}px`;
    this.canvas.style.height = `${rect.height}px`;
    this._watchRatio();
    if (!this._fitted && rect.width > 0) {
      this._fitted = true;
      this.fit();
    }
    this.redraw();
  }

  /** Fit the canvas again when the device pixel ratio changes (another monitor, zoom). */
  _watchRatio() {
    const ratio = window.devicePixelRatio || 1;
    if (this._ratioQuery && this._ratio === ratio) return;
    this._ratioQuery?.removeEventListener("change", this._ratioChanged);
    this._ratio = ratio;
    this._ratioChanged ??= () => this._fitCanvas();
    this._ratioQuery = window.matchMedia(`(resolution: ${ratio}dppx)`);
    this._ratioQuery.addEventListener("change", this._ratioChanged);
  }

  /** Show the whole board (at most 1:1). */
  fit() {
    const rect = this.stage.getBoundingClientRect();
    const shown = this.board.live();
    this.view = shown.length
      ? fitted(imageBox(shown), rect.width, rect.height)
      : { x: 0, y: 0, zoom: 1 };
    this.redraw();
  }

  _zoomCentre(factor) {
    const rect = this.stage.getBoundingClientRect();
    this.view = zoomedAt(this.view, factor, rect.width / 2, rect.height / 2);
    this.redraw();
  }

  redraw() {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this.paint();
    });
  }

  /** Draw now (the benchmark calls this directly): the cached layer, what changed, the selection. */
  paint() {
    const shown = this.board.live();
    this._loadImages(shown);
    const current = this.selected && this.board.elements.get(this.selected);
    const selected = current && !current.deleted ? current : null;
    const ctx = this.painter.paint(shown, this.view, window.devicePixelRatio || 1, this.images, selected);
    if (!ctx) return; // the canvas shows this frame already
    if (selected) {
      const box = boxOf(current);
      const x = (box.x - this.view.x) * this.view.zoom;
      const y = (box.y - this.view.y) * this.view.zoom;
      const w = box.w * this.view.zoom;
      const h = box.h * this.view.zoom;
      ctx.strokeStyle = "#2563eb";
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(x - 4, y - 4, w + 8, h + 8);
      ctx.setLineDash([]);
      ctx.fillStyle = "#2563eb";
      ctx.fillRect(x + w + 4 - HANDLE_PX / 2, y + h + 4 - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX);
    }
  }

  // ---------- pictures ----------

  _loadImages(elements) {
    if (!this.loadImage) return;
    for (const element of elements) {
      if (element.kind !== "image" || this.images.has(element.image)) continue;
      this.images.set(element.image, null);
      this.loadImage(element.image)
        .then((blob) => createImageBitmap(blob))
        .then((bitmap) => {
          this.images.set(element.image, bitmap);
          this.painter.invalidate(); // the layer drew it as a grey box
          this.redraw();
        })
        .catch(() => {}); // drawn as a grey box, as the relay draws a missing picture
    }
  }

  async _imagePicked(file) {
    if (!this.board.hasRoom()) {
      this.say("wb.full");
      return;
    }
    if (!IMAGE_TYPES.includes(file.type)) {
      this.say("wb.image_type");
      return;
    }
    if (file.size > MAX_IMAGE_BYTES) {
      this.say("wb.image_too_large", { mb: MAX_IMAGE_BYTES / 2 ** 20 });
      return;
    }
    this.say("wb.image_uploading");
    try {
      const { image, width, height } = await this.uploadImage(file);
      const rect = this.stage.getBoundingClientRect();
      const room = Math.min(rect.width, rect.height) * 0.6 / this.view.zoom;
      const scale = Math.min(1, room / Math.max(width, height));
      const w = Math.max(1, Math.round(width * scale));
      const h = Math.max(1, Math.round(height * scale));
      const [cx, cy] = toBoard(this.view, rect.width / 2, rect.height / 2);
      const after = {
        id: newId(), kind: "image", version: 1, nonce: newNonce(), deleted: false, z: Date.now(),
        color: this.color, width: 1, x: Math.round(cx - w / 2), y: Math.round(cy - h / 2), w, h, image,
      };
      this.images.set(image, await createImageBitmap(file));
      this.board.commit([{ before: null, after }]);
      this.say("wb.image_added");
    } catch (error) {
      this.say("wb.failed", { reason: error?.message || String(error) });
    }
  }

  // ---------- pointer input ----------

  _point(event) {
    const rect = this.canvas.getBoundingClientRect();
    const sx = event.clientX - rect.left;
    const sy = event.clientY - rect.top;
    const [bx, by] = toBoard(this.view, sx, sy);
    return { sx, sy, board: [Math.round(bx), Math.round(by)] };
  }

  _wire() {
    const canvas = this.canvas;
    canvas.addEventListener("pointerdown", (event) => this._down(event));
    canvas.addEventListener("pointermove", (event) => this._move(event));
    canvas.addEventListener("pointerup", (event) => this._up(event));
    canvas.addEventListener("pointercancel", (event) => this._up(event, true));
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const { sx, sy } = this._point(event);
        if (event.ctrlKey || event.metaKey) {
          this.view = zoomedAt(this.view, Math.exp(-event.deltaY / 300), sx, sy);
        } else {
          this.view = { ...this.view, x: this.view.x + event.deltaX / this.view.zoom, y: this.view.y + event.deltaY / this.view.zoom };
        }
        this.redraw();
      },
      { passive: false },
    );
    canvas.addEventListener("keydown", (event) => {
      if ((event.key === "Delete" || event.key === "Backspace") && this.selected) {
        event.preventDefault();
        this.deleteSelected();
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        if (event.shiftKey) this.board.redo();
        else this.board.undo();
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y") {
        event.preventDefault();
        this.board.redo();
      }
    });
    // Korean (and every IME) composes in the text box: the text is taken when the box loses
    // focus or on Ctrl+Enter, never in the middle of a composition.
    this.textBox.addEventListener("compositionstart", () => (this._composing = true));
    this.textBox.addEventListener("compositionend", () => {
      this._composing = false;
      this._growText();
    });
    this.textBox.addEventListener("input", () => this._growText());
    this.textBox.addEventListener("blur", () => this._commitText());
    this.textBox.addEventListener("keydown", (event) => {
      if (event.isComposing || this._composing) return;
      if (event.key === "Escape" || (event.key === "Enter" && (event.ctrlKey || event.metaKey))) {
        event.preventDefault();
        this._commitText();
        this.canvas.focus();
      }
    });
  }

  _down(event) {
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // a synthetic pointer (tests, some pens) cannot be captured: it still draws
    }
    const at = this._point(event);
    this.pointers.set(event.pointerId, at);
    if (this.pointers.size === 2) {
      // A second finger: pinch to zoom and pan; what the first one started is dropped.
      this._cancelGesture();
      const [a, b] = [...this.pointers.values()];
      this.gesture = { kind: "pinch", distance: Math.hypot(a.sx - b.sx, a.sy - b.sy), mid: [(a.sx + b.sx) / 2, (a.sy + b.sy) / 2] };
      return;
    }
    if (this.pointers.size > 2 || event.button === 1 || (event.button === 0 && event.altKey)) {
      this.gesture = { kind: "pan", last: at };
      return;
    }
    if (event.button !== 0) return;
    event.preventDefault();
    this.canvas.focus({ preventScroll: true });
    const point = at.board;
    if (CREATING.has(this.tool) && !this.board.hasRoom()) {
      this.say("wb.full"); // the relay would refuse it: say so before anything is drawn
      return;
    }
    const common = { deleted: false, z: Date.now(), color: this.color, width: this.width };
    const fresh = (kind, fields) => ({ id: newId(), kind, version: 1, nonce: newNonce(), ...common, ...fields });
    switch (this.tool) {
      case "pen":
        this._startDraft(fresh("pen", { points: [point] }));
        break;
      case "line":
        this._startDraft(fresh("line", { points: [point, point] }), point);
        break;
      case "rectangle":
      case "ellipse":
        this._startDraft(fresh(this.tool, { x: point[0], y: point[1], w: 0, h: 0 }), point);
        break;
      case "eraser":
        this.gesture = { kind: "erase", items: [] };
        this._erase(point);
        break;
      case "text":
        this._openText(at, fresh);
        break;
      case "select":
        this._startSelect(at);
        break;
      default:
        break;
    }
  }

  _startDraft(element, anchor = null) {
    this.gesture = { kind: "draw", element, anchor };
    this.board.draft(element);
  }

  _move(event) {
    const at = this._point(event);
    if (this.pointers.has(event.pointerId)) this.pointers.set(event.pointerId, at);
    const gesture = this.gesture;
    if (!gesture) return;
    if (gesture.kind === "pinch") {
      const [a, b] = [...this.pointers.values()];
      const distance = Math.hypot(a.sx - b.sx, a.sy - b.sy);
      const mid = [(a.sx + b.sx) / 2, (a.sy + b.sy) / 2];
      let view = zoomedAt(this.view, distance / Math.max(1, gesture.distance), mid[0], mid[1]);
      view = { ...view, x: view.x - (mid[0] - gesture.mid[0]) / view.zoom, y: view.y - (mid[1] - gesture.mid[1]) / view.zoom };
      this.view = view;
      gesture.distance = distance;
      gesture.mid = mid;
      this.redraw();
      return;
    }
    if (gesture.kind === "pan") {
      this.view = { ...this.view, x: this.view.x - (at.sx - gesture.last.sx) / this.view.zoom, y: this.view.y - (at.sy - gesture.last.sy) / this.view.zoom };
      gesture.last = at;
      this.redraw();
      return;
    }
    const point = at.board;
    if (gesture.kind === "draw") {
      const current = gesture.element;
      let changes;
      if (current.kind === "pen") {
        const last = current.points[current.points.length - 1];
        if (last[0] === point[0] && last[1] === point[1]) return;
        if (current.points.length >= 5000) return; // MAX_POINTS: the stroke ends here
        changes = { points: [...current.points, point] };
      } else if (current.kind === "line") {
        changes = { points: [gesture.anchor, point] };
      } else {
        changes = boxBetween(gesture.anchor, point);
      }
      gesture.element = edited(current, changes);
      this.board.draft(gesture.element);
    } else if (gesture.kind === "erase") {
      this._erase(point);
    } else if (gesture.kind === "move" || gesture.kind === "resize") {
      const dx = point[0] - gesture.start[0];
      const dy = point[1] - gesture.start[1];
      const changes =
        gesture.kind === "move"
          ? movedBy(gesture.before, dx, dy)
          : resizedTo(gesture.before, gesture.box, {
              x: gesture.box.x,
              y: gesture.box.y,
              w: Math.max(1, gesture.box.w + dx),
              h: Math.max(1, gesture.box.h + dy),
            });
      gesture.element = edited(gesture.element, changes);
      this.board.draft(gesture.element);
    } else if (gesture.kind === "pan-select") {
      this.view = { ...this.view, x: this.view.x - (at.sx - gesture.last.sx) / this.view.zoom, y: this.view.y - (at.sy - gesture.last.sy) / this.view.zoom };
      gesture.last = at;
      this.redraw();
    }
  }

  _up(event, cancelled = false) {
    this.pointers.delete(event.pointerId);
    const gesture = this.gesture;
    if (!gesture || (gesture.kind === "pinch" && this.pointers.size > 0)) return;
    this.gesture = null;
    if (cancelled) {
      this._dropGesture(gesture);
      return;
    }
    if (gesture.kind === "draw") {
      this.board.commit([{ before: null, after: gesture.element }]);
    } else if (gesture.kind === "erase" && gesture.items.length) {
      this.board.commit(gesture.items);
    } else if ((gesture.kind === "move" || gesture.kind === "resize") && gesture.element !== gesture.before) {
      this.board.commit([{ before: gesture.before, after: gesture.element }]);
    }
  }

  _cancelGesture() {
    if (this.gesture) this._dropGesture(this.gesture);
    this.gesture = null;
  }

  _dropGesture(gesture) {
    if (gesture.kind === "draw") {
      this.board.draft(edited(gesture.element, { deleted: true }));
    } else if (gesture.kind === "erase" && gesture.items.length) {
      this.board.commit(gesture.items); // erased is erased: keep it undoable
    } else if ((gesture.kind === "move" || gesture.kind === "resize") && gesture.element !== gesture.before) {
      this.board.commit([{ before: gesture.before, after: gesture.element }]);
    }
  }

  _erase(point) {
    const slop = HIT_SLOP_PX / this.view.zoom + this.width / 2;
    for (;;) {
      const hit = topmostHit(this.board.live(), point, slop);
      if (!hit) return;
      const gone = edited(hit, { deleted: true });
      this.board.draft(gone);
      this.gesture.items.push({ before: hit, after: gone });
    }
  }

  _startSelect(at) {
    const current = this.selected && this.board.elements.get(this.selected);
    if (current && !current.deleted) {
      const box = boxOf(current);
      const hx = (box.x + box.w - this.view.x) * this.view.zoom + 4;
      const hy = (box.y + box.h - this.view.y) * this.view.zoom + 4;
      if (Math.abs(at.sx - hx) <= HANDLE_PX && Math.abs(at.sy - hy) <= HANDLE_PX) {
        this.gesture = { kind: "resize", before: current, element: current, start: at.board, box };
        return;
      }
    }
    const hit = topmostHit(this.board.live(), at.board, HIT_SLOP_PX / this.view.zoom);
    this.selected = hit ? hit.id : null;
    this.gesture = hit
      ? { kind: "move", before: hit, element: hit, start: at.board }
      : { kind: "pan-select", last: at };
    this.redraw();
  }

  // ---------- text ----------

  _openText(at, fresh) {
    this._commitText();
    const element = fresh("text", { x: at.board[0], y: at.board[1], w: 1, h: TEXT_SIZE, text: "", size: TEXT_SIZE });
    this._text = element;
    const box = this.textBox;
    box.value = "";
    box.style.left = `${at.sx}px`;
    box.style.top = `${at.sy}px`;
    box.style.font = fontOf(Math.round(TEXT_SIZE * this.view.zoom));
    box.style.color = this.color;
    box.hidden = false;
    this._growText();
    // Focus after this pointer event is over, or the canvas takes it back.
    setTimeout(() => box.focus(), 0);
  }

  _growText() {
    const box = this.textBox;
    box.style.width = "0";
    box.style.height = "0";
    box.style.width = `${Math.max(40, box.scrollWidth + 8)}px`;
    box.style.height = `${box.scrollHeight}px`;
  }

  _commitText() {
    const pending = this._text;
    if (!pending || this._composing) return;
    this._text = null;
    const text = this.textBox.value.replace(/\s+$/, "");
    this.textBox.hidden = true;
    if (!text) return;
    const ctx = this.canvas.getContext("2d");
    ctx.save();
    ctx.font = fontOf(pending.size);
    const lines = text.split("\n");
    const w = Math.ceil(Math.max(...lines.map((line) => ctx.measureText(line).width)));
    ctx.restore();
    const h = Math.ceil(lines.length * pending.size * LINE_HEIGHT);
    this.board.commit([{ before: null, after: { ...pending, text, w: Math.max(1, w), h } }]);
  }

  // ---------- export (board_export.js) ----------

  async copyImage() {
    await copyBoard(this.board.live(), this.images, this.i18n.t("wb.no_clipboard"));
  }

  print() {
    return printBoard(this.board.live(), this.images);
  }
}
