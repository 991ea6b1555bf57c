// One side's copy of the shared whiteboard (pure, no DOM): the elements, what this side has
// changed and not yet sent, and its own undo/redo history.
//
// Undo never touches anyone else's work: an undo entry remembers the copy this side made
// (version and nonce); if the element has changed since (someone else moved or erased it),
// that part of the entry is skipped. Undoing makes a *new* copy (version + 1) holding the
// earlier state, so it travels and reconciles like any other edit.

import { edited, live, MAX_ELEMENTS, MAX_ELEMENTS_PER_UPDATE, reconcile } from "./model.js";

export const SEND_EVERY_MS = 60; // batches: at most ~17 update_whiteboard a second
const MAX_UNDO = 200;
// Fields an undo restores (everything but identity and versioning).
const CONTENT = ["deleted", "color", "width", "points", "x", "y", "w", "h", "text", "size", "image"];

export class SharedBoard {
  /**
   * @param {object} options
   * @param {(board: number, elements: object[]) => void} options.send sends one batch
   * @param {(fn: () => void, ms: number) => unknown} [options.schedule] setTimeout by default
   */
  constructor({ send, schedule = (fn, ms) => setTimeout(fn, ms) }) {
    this.send = send;
    this.schedule = schedule;
    this.elements = new Map();
    this.number = 1;
    this.pending = new Map();
    this.undoStack = [];
    this.redoStack = [];
    this._flushing = false;
    this._sentAt = 0;
    this._listeners = new Set();
  }

  onChange(listener) {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  _changed() {
    this._live = null;
    for (const listener of this._listeners) listener();
  }

  /** Elements to draw, in order (kept until the next change: a redraw does not re-sort). */
  live() {
    if (!this._live) this._live = live(this.elements);
    return this._live;
  }

  /** `whiteboard_state`: the relay's board, whole; what this side has not sent yet stays. */
  load(number, elements) {
    if (number !== this.number) {
      this.pending.clear();
      this.undoStack = [];
      this.redoStack = [];
      this.number = number;
      this.elements = new Map(elements.map((e) => [e.id, e]));
    } else {
      const fromRelay = new Map(elements.map((e) => [e.id, e]));
      this.elements = reconcile(fromRelay, [...this.pending.values()]).board;
      this._scheduleFlush();
    }
    this._changed();
  }

  /** `whiteboard_updated`: copies that won on the relay. */
  applyRemote(number, elements) {
    if (number !== this.number) return;
    const { board, changed } = reconcile(this.elements, elements);
    this.elements = board;
    if (changed.length) this._changed();
  }

  /**
   * `whiteboard_refused`: the relay took none of a batch this side sent (the board was full).
   * Each refused copy this side still shows goes back to the relay's copy (`elements`), or
   * away when the relay has none; a later copy of the same element (sent after it, or not yet
   * sent) stays: the relay judges it on its own. Returns how many were rolled back.
   */
  rollBack(number, refused, elements) {
    if (number !== this.number) return 0;
    const relayCopies = new Map(elements.map((e) => [e.id, e]));
    let rolled = 0;
    for (const [id, version, nonce] of refused) {
      const current = this.elements.get(id);
      if (!current || current.version !== version || current.nonce !== nonce) continue;
      const kept = relayCopies.get(id);
      if (kept) this.elements.set(id, kept);
      else this.elements.delete(id);
      if (this.pending.get(id) === current) this.pending.delete(id);
      rolled += 1;
    }
    if (rolled) this._changed();
    return rolled;
  }

  /** Whether one more element fits (the relay's bound, on this side's copy). */
  hasRoom() {
    return this.live().length < MAX_ELEMENTS;
  }

  /** Show (and send) a copy while a gesture goes on, with no undo entry yet. */
  draft(element) {
    this.elements.set(element.id, element);
    this.pending.set(element.id, element);
    this._scheduleFlush();
    this._changed();
  }

  /**
   * A finished change of this side: `items` is [{before, after}] (before null for a new
   * element); the afters are already on the board (draft) or are put there now.
   */
  commit(items) {
    for (const { after } of items) {
      this.elements.set(after.id, after);
      this.pending.set(after.id, after);
    }
    this.undoStack.push(items.map(({ before, after }) => ({ before, made: after })));
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
    this.redoStack = [];
    this._scheduleFlush();
    this._changed();
  }

  /** Undo this side's last change (what others changed since is left alone); false: none. */
  undo() {
    return this._step(this.undoStack, this.redoStack);
  }

  redo() {
    return this._step(this.redoStack, this.undoStack);
  }

  _step(from, to) {
    while (from.length) {
      const entry = from.pop();
      const done = [];
      for (const { before, made } of entry) {
        const current = this.elements.get(made.id);
        if (!current || current.version !== made.version || current.nonce !== made.nonce) {
          continue; // someone else changed it since: theirs stays
        }
        const restored = {};
        for (const key of CONTENT) {
          if (before && key in before) restored[key] = before[key];
        }
        if (!before) restored.deleted = true;
        const copy = edited(current, restored);
        this.elements.set(copy.id, copy);
        this.pending.set(copy.id, copy);
        done.push({ before: current, made: copy });
      }
      if (done.length) {
        to.push(done);
        this._scheduleFlush();
        this._changed();
        return true;
      }
    }
    return false;
  }

  _scheduleFlush() {
    if (this._flushing) return;
    this._flushing = true;
    // Leading edge: a change after a quiet spell goes at once (a stroke's first point reaches
    // the others in a network's time); within a gesture at most one batch per SEND_EVERY_MS.
    const wait = Math.max(0, this._sentAt + SEND_EVERY_MS - Date.now());
    this.schedule(() => this.flush(), wait);
  }

  /** Send what is pending now, in batches; what the socket could not take waits for the
   * next `whiteboard_state` (a reconnect), which sends it again. */
  flush() {
    this._flushing = false;
    this._sentAt = Date.now();
    const elements = [...this.pending.values()];
    const size = MAX_ELEMENTS_PER_UPDATE / 5; // 100 elements: well within a frame's 256 KiB
    for (let start = 0; start < elements.length; start += size) {
      const batch = elements.slice(start, start + size);
      if (this.send(this.number, batch) === false) return;
      for (const element of batch) {
        if (this.pending.get(element.id) === element) this.pending.delete(element.id);
      }
    }
  }
}
