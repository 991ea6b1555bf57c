// The navigator (P7): a minimap of the whole shared screen with a frame around the part the
// viewer shows. Dragging on it, or the arrow keys while it has focus, pan a scrolling viewport.
//
// The viewport is an ordinary scroll container (overflow: auto) holding the picture at its
// natural size, so touch panning, scroll wheels and the viewport's own arrow keys keep working;
// the navigator only reads and sets its scroll position.

const THUMB_MAX_CSS_PX = 176; // the minimap's longer side
const THUMB_MAX_VIEW_FRACTION = 0.35; // ... and at most this share of the viewport's sides
const KEY_STEP_FRACTION = 0.1; // an arrow key pans by this share of the visible width/height
const THUMB_REFRESH_MS = 400; // redraw the thumbnail at most this often while frames arrive

export class ScreenNavigator {
  /**
   * @param {HTMLElement} root an empty element for the minimap (labelled by the page)
   * @param {object} options
   * @param {HTMLCanvasElement} options.source the full-resolution picture
   * @param {HTMLElement} options.viewport the scroll container showing the picture
   */
  constructor(root, { source, viewport }) {
    this.root = root;
    this.source = source;
    this.viewport = viewport;
    this.visible = false;
    this.thumb = document.createElement("canvas");
    this.thumb.className = "rs-navigator__thumb";
    this.thumb.setAttribute("aria-hidden", "true");
    this.frame = document.createElement("div");
    this.frame.className = "rs-navigator__frame";
    this.root.append(this.thumb, this.frame);
    this._thumbTimer = null;
    this._thumbDirty = true;
    this._dragging = false;

    viewport.addEventListener("scroll", () => this._placeFrame(), { passive: true });
    root.addEventListener("pointerdown", (event) => this._pointerDown(event));
    root.addEventListener("pointermove", (event) => this._pointerMove(event));
    root.addEventListener("pointerup", (event) => this._pointerUp(event));
    root.addEventListener("pointercancel", (event) => this._pointerUp(event));
    root.addEventListener("keydown", (event) => this._keyDown(event));
  }

  /** Show or hide the minimap; it redraws when shown. */
  setVisible(visible) {
    this.visible = visible;
    this.root.hidden = !visible;
    if (visible) {
      this.layout();
    }
  }

  /** Recompute the minimap's size (the screen or the window changed). */
  layout() {
    if (!this.visible || !this.source.width || !this.source.height) {
      return;
    }
    // At most THUMB_MAX_CSS_PX, and small enough to leave most of a phone's view free.
    const side = Math.min(
      THUMB_MAX_CSS_PX,
      this.viewport.clientWidth * THUMB_MAX_VIEW_FRACTION,
      this.viewport.clientHeight * THUMB_MAX_VIEW_FRACTION,
    );
    const scale = side / Math.max(this.source.width, this.source.height);
    const cssW = Math.max(1, Math.round(this.source.width * scale));
    const cssH = Math.max(1, Math.round(this.source.height * scale));
    const dpr = window.devicePixelRatio || 1;
    this.thumb.style.width = `${cssW}px`;
    this.thumb.style.height = `${cssH}px`;
    this.thumb.width = Math.round(cssW * dpr);
    this.thumb.height = Math.round(cssH * dpr);
    this._thumbDirty = true;
    this._drawThumb();
    this._placeFrame();
  }

  /** The picture changed: redraw the thumbnail soon (throttled). */
  pictureChanged() {
    this._thumbDirty = true;
    if (!this.visible || this._thumbTimer !== null) {
      return;
    }
    this._thumbTimer = setTimeout(() => {
      this._thumbTimer = null;
      this._drawThumb();
    }, THUMB_REFRESH_MS);
  }

  /** Pan so that the screen point (sx, sy), in the picture's pixels, is in the middle. */
  centerOn(sx, sy) {
    const { scaleX, scaleY } = this._contentScale();
    const v = this.viewport;
    v.scrollLeft = sx * scaleX - v.clientWidth / 2;
    v.scrollTop = sy * scaleY - v.clientHeight / 2;
    this._placeFrame();
  }

  /** Pan by a share of the visible area (keyboard). */
  panBy(fractionX, fractionY) {
    const v = this.viewport;
    v.scrollLeft += fractionX * v.clientWidth;
    v.scrollTop += fractionY * v.clientHeight;
    this._placeFrame();
  }

  /** The visible part of the screen, in the picture's pixels (tests and the page). */
  visibleRect() {
    const { scaleX, scaleY } = this._contentScale();
    const v = this.viewport;
    const x = Math.max(0, v.scrollLeft / scaleX);
    const y = Math.max(0, v.scrollTop / scaleY);
    return {
      x: Math.round(x),
      y: Math.round(y),
      w: Math.round(Math.min(this.source.width - x, v.clientWidth / scaleX)),
      h: Math.round(Math.min(this.source.height - y, v.clientHeight / scaleY)),
    };
  }

  _contentScale() {
    // CSS pixels of the scrolled picture per picture pixel.
    const rect = this.source.getBoundingClientRect();
    return {
      scaleX: rect.width / (this.source.width || 1) || 1,
      scaleY: rect.height / (this.source.height || 1) || 1,
    };
  }

  _drawThumb() {
    if (!this.visible || !this._thumbDirty || !this.source.width) {
      return;
    }
    this._thumbDirty = false;
    const context = this.thumb.getContext("2d", { alpha: false });
    context.imageSmoothingQuality = "medium";
    context.drawImage(this.source, 0, 0, this.thumb.width, this.thumb.height);
  }

  _placeFrame() {
    if (!this.visible || !this.source.width) {
      return;
    }
    const rect = this.visibleRect();
    const k = parseFloat(this.thumb.style.width) / this.source.width;
    Object.assign(this.frame.style, {
      left: `${rect.x * k}px`,
      top: `${rect.y * k}px`,
      width: `${Math.max(4, rect.w * k)}px`,
      height: `${Math.max(4, rect.h * k)}px`,
    });
    this.root.dataset.visibleRect = `${rect.x},${rect.y},${rect.w},${rect.h}`;
  }

  _pointToScreen(event) {
    const box = this.thumb.getBoundingClientRect();
    const k = this.source.width / (box.width || 1);
    return { sx: (event.clientX - box.left) * k, sy: (event.clientY - box.top) * k };
  }

  _pointerDown(event) {
    if (event.button !== 0) {
      return;
    }
    event.preventDefault(); // no text selection or native drag while panning
    this._dragging = true;
    this.root.setPointerCapture(event.pointerId);
    this.root.focus({ preventScroll: true });
    const { sx, sy } = this._pointToScreen(event);
    this.centerOn(sx, sy);
  }

  _pointerMove(event) {
    if (this._dragging) {
      const { sx, sy } = this._pointToScreen(event);
      this.centerOn(sx, sy);
    }
  }

  _pointerUp(event) {
    this._dragging = false;
    if (this.root.hasPointerCapture(event.pointerId)) {
      this.root.releasePointerCapture(event.pointerId);
    }
  }

  _keyDown(event) {
    const step = event.shiftKey ? KEY_STEP_FRACTION * 5 : KEY_STEP_FRACTION;
    const moves = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
      PageUp: [0, -0.9],
      PageDown: [0, 0.9],
    };
    if (event.key === "Home") {
      this.viewport.scrollTo(0, 0);
    } else if (event.key === "End") {
      this.viewport.scrollTo(this.viewport.scrollWidth, this.viewport.scrollHeight);
    } else if (moves[event.key]) {
      this.panBy(...moves[event.key]);
    } else {
      return;
    }
    event.preventDefault();
    this._placeFrame();
  }
}
