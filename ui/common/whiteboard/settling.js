// Which elements of the whiteboard have settled (board_painter.js folds those into its cached
// layer): an element unchanged for FOLD_AFTER_MS has; a stroke being drawn, here or by
// someone else, has not. Elements are immutable copies: "unchanged" is identity.

export const FOLD_AFTER_MS = 250;
// More new elements than this in one frame are a board arriving, not strokes being drawn.
export const BULK_ELEMENTS = 64;

export class Settling {
  /** @param {() => void} redraw asks for a frame (when an element will have settled) */
  constructor(redraw) {
    this.redraw = redraw;
    this.seen = new Map(); // id -> {element, since}: when each element was last seen to change
    this._timer = 0;
  }

  /**
   * How many leading elements of `shown` are settled, and whether they arrived in bulk (a
   * board loaded, a reconnect: settled at once); notes when each element was last seen to
   * change, and asks for a frame when one will settle.
   */
  prefix(shown) {
    const now = performance.now();
    let fresh = 0;
    for (const element of shown) if (this.seen.get(element.id)?.element !== element) fresh += 1;
    // The first frame shows a board that was already there, and a board arriving whole is
    // not being drawn: neither waits to settle.
    const bulk = this.seen.size === 0 || fresh > BULK_ELEMENTS;
    const since = bulk ? -Infinity : now;
    let settled = 0;
    let waiting = false;
    for (let i = 0; i < shown.length; i += 1) {
      const element = shown[i];
      let seen = this.seen.get(element.id);
      if (seen?.element !== element) {
        seen = { element, since };
        this.seen.set(element.id, seen);
      }
      if (settled === i && now - seen.since >= FOLD_AFTER_MS) settled = i + 1;
      else waiting = true;
    }
    if (this.seen.size > shown.length + 256) {
      const live = new Set(shown.map((e) => e.id));
      for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    }
    if (waiting && !this._timer) {
      this._timer = setTimeout(() => {
        this._timer = 0;
        this.redraw();
      }, FOLD_AFTER_MS);
    }
    return { settled, bulk };
  }

  destroy() {
    clearTimeout(this._timer);
    this._timer = 0;
  }
}
