// The agent's mouse pointer, drawn as an element over the picture (never painted into it), so
// it moves without repainting the screen and a region frame never carries a stale pointer.

// Inline SVGs with their hot spots; constant markup only (no user text goes through innerHTML).
const SHAPES = Object.freeze({
  default: {
    hotX: 1,
    hotY: 1,
    svg:
      '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="24" viewBox="0 0 20 24">' +
      '<path d="M1 1v18.5l4.8-4.6 3.1 7.2 3.3-1.4-3.1-7.1H16z" fill="#111" stroke="#fff" ' +
      'stroke-width="1.5" stroke-linejoin="round"/></svg>',
  },
  pointer: {
    hotX: 7,
    hotY: 1,
    svg:
      '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="24" viewBox="0 0 20 24">' +
      '<path d="M7 1.5c1 0 1.8.8 1.8 1.8V10l1-.2c.9 0 1.6.5 1.8 1.2l1-.1c.9 0 1.6.6 1.8 1.3h.6' +
      'c1 0 1.8.8 1.8 1.8v4c0 2.5-2 4.5-4.5 4.5H9.7c-1.4 0-2.6-.6-3.4-1.7L2 15.3c-.6-.8-.4-1.9.4' +
      '-2.4.7-.5 1.7-.4 2.3.3l.5.6V3.3c0-1 .8-1.8 1.8-1.8z" fill="#fff" stroke="#111" ' +
      'stroke-width="1.3" stroke-linejoin="round"/></svg>',
  },
  text: {
    hotX: 5,
    hotY: 10,
    svg:
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20" viewBox="0 0 10 20">' +
      '<path d="M1 1.5h3l1 1 1-1h3M5 2.5v15M1 18.5h3l1-1 1 1h3" fill="none" stroke="#fff" ' +
      'stroke-width="3" stroke-linecap="round"/><path d="M1 1.5h3l1 1 1-1h3M5 2.5v15M1 18.5h3l1-1 ' +
      '1 1h3" fill="none" stroke="#111" stroke-width="1.3" stroke-linecap="round"/></svg>',
  },
});

export class ScreenCursor {
  /**
   * @param {HTMLElement} stage the element that holds the picture; the pointer goes inside it,
   *   positioned in the picture's coordinates scaled to the stage's CSS size
   */
  constructor(stage) {
    this.element = document.createElement("div");
    this.element.className = "rs-screen-cursor";
    this.element.setAttribute("aria-hidden", "true");
    this.element.hidden = true;
    stage.append(this.element);
    this.x = 0;
    this.y = 0;
    this.visible = false;
    this.shape = null;
    this.scale = 1;
  }

  /**
   * Apply a `cursor` message.
   * @param {{x: number, y: number, visible: boolean, shape?: string}} cursor
   */
  update({ x, y, visible, shape }) {
    this.x = Number(x) || 0;
    this.y = Number(y) || 0;
    this.visible = visible !== false;
    this._setShape(shape in SHAPES ? shape : "default");
    this._place();
  }

  /** CSS pixels per screen pixel: the picture was resized or the mode changed. */
  setScale(scale) {
    this.scale = scale;
    this._place();
  }

  hide() {
    this.visible = false;
    this._place();
  }

  _setShape(shape) {
    if (shape === this.shape) {
      return;
    }
    this.shape = shape;
    this.element.innerHTML = SHAPES[shape].svg;
    this.element.dataset.shape = shape;
  }

  _place() {
    this.element.hidden = !this.visible || this.shape === null;
    if (this.element.hidden) {
      return;
    }
    const { hotX, hotY } = SHAPES[this.shape];
    // The pointer keeps its own size whatever the zoom, like a real one.
    const left = this.x * this.scale - hotX;
    const top = this.y * this.scale - hotY;
    this.element.style.transform = `translate(${left}px, ${top}px)`;
  }
}
