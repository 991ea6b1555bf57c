// Which elements of the whiteboard have settled (board_painter.js folds those into its cached
// layer): an element unchanged for FOLD_AFTER_MS has; a stroke being drawn, here or by
// someone else, has not. Elements are immutable copies: "unchanged" is identity.
// An element the layer already holds (an edit below the top, repaired in the layer) does not
// hold back the settled elements above it (`from`).

export const FOLD_AFTER_MS = 250;
// More new elements than this in one frame are a board arriving, not strokes being drawn.
export const BULK_ELEMENTS = 64;

export class Settling {
  /** @param {() => void} redraw asks for a frame (when an element will have settled) */
  constructor(redraw) {
    this.redraw = redraw;
    this.seen = new Map(); // id -> {element, since}: when each element was last seen to change
    this.flags = new Uint8Array(0); // per index of the last `shown`: 1 when that element had settled
    this._length = 0; // how many of `flags` are the last `shown`'s
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
    if (this.flags.length < shown.length) this.flags = new Uint8Array(shown.length * 2);
    for (let i = 0; i < shown.length; i += 1) {
      const element = shown[i];
      let seen = this.seen.get(element.id);
      if (seen?.element !== element) {
        seen = { element, since };
        this.seen.set(element.id, seen);
      }
      const ok = now - seen.since >= FOLD_AFTER_MS;
      this.flags[i] = ok ? 1 : 0;
      if (settled === i && ok) settled = i + 1;
      else if (!ok) waiting = true;
    }
    this._length = shown.length;
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

  /**
   * The settled prefix of the last `prefix(shown)` call when the first `held` elements count
   * as settled (the layer holds them already: an element changed below the top was repaired
   * in the layer, and it must not keep everything above it out of the layer, nor make a
   * board arriving on top wait FOLD_AFTER_MS drawn over the layer in every frame).
   */
  from(held, settled) {
    let end = Math.max(held, settled);
    while (end < this._length && this.flags[end]) end += 1;
    return end;
  }

  destroy() {
    clearTimeout(this._timer);
    this._timer = 0;
  }
}
