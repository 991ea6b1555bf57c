// The chat window's drawing tools (P5, P8): pick a tool to draw on the real desktop over the
// shared screen (the presenter's overlay then takes the pointer on that monitor), put it down
// to give the desktop its clicks back, undo the agent's last stroke, clear every stroke.
// Desktop app only (POST /local/drawing); shown while presenting. A right click or Escape on
// the overlay also puts the tool down: the panel reads GET /local/drawing every few seconds
// while a tool is on, so its buttons follow. The tools are a popover of the presenting bar
// ("Draw ▾", tool_popover.js); the button is marked while a tool is on.

import { DEFAULT_COLOURS } from "../common/drawing/shapes.js";
import { DrawingToolbar } from "../common/drawing/toolbar.js";
import { element } from "../common/dom.js";
import { ToolPopover } from "./tool_popover.js";

const PEN_ICON =
  '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" ' +
  'focusable="false"><path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16z"/></svg>';

const SYNC_MS = 1500;

export class DrawingPanel {
  /**
   * @param {object} options
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {string} options.sessionId
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.anchor the panel's button goes just before this element (in
   *   the presenting bar, which holds its popover)
   */
  constructor({ backend, sessionId, i18n, anchor }) {
    Object.assign(this, { backend, sessionId, i18n });
    this.shown = false;
    this._timer = null;
    this.element = element("fieldset", "rs-drawing-panel", { "data-testid": "drawing-panel" });
    const legend = element("legend", "rs-drawing-panel__legend");
    i18n.bind(legend, "draw.label");
    const tools = element("div");
    this.toolbar = new DrawingToolbar(tools, {
      style: { tool: null, color: DEFAULT_COLOURS.agent, width: 4 },
      onStyle: (style) => {
        this._marked(Boolean(style.tool));
        this._send({ action: "tool", ...style });
      },
      onUndo: () => this._send({ action: "undo" }),
      onClear: () => this._send({ action: "clear" }),
    });
    this.error = element("div", "rs-alert", { "data-testid": "drawing-error", "aria-live": "assertive" });
    this.error.hidden = true;
    this.element.append(legend, tools, this.error);
    this.popover = new ToolPopover({
      i18n,
      key: "draw.toggle",
      testId: "draw-toggle",
      icon: PEN_ICON,
      panel: this.element,
      anchor,
    });
  }

  /** Mark the bar's button while a tool is on (the desktop then takes no clicks). */
  _marked(on) {
    this.popover.button.classList.toggle("agent-tools__toggle--on", on);
  }

  /** Show the tools while presenting; hide them (tool down) otherwise. */
  setPresenting(presenting) {
    if (presenting === this.shown) {
      return;
    }
    this.shown = presenting;
    this.popover.setShown(presenting);
    if (!presenting) {
      this.toolbar.showToolDown();
      this._marked(false);
      this._watch(false);
    }
  }

  destroy() {
    this._watch(false);
    this.popover.destroy();
  }

  async _send(body) {
    this.error.hidden = true;
    const request = { ...body };
    if (request.action === "tool" && !request.tool) {
      request.tool = null;
    }
    try {
      const answer = await this.backend.drawing(this.sessionId, request);
      this._watch(Boolean(answer?.tool));
      this._overlayError(answer?.overlay_error);
    } catch (error) {
      this.error.textContent = error.message || String(error);
      this.error.hidden = false;
    }
  }

  _overlayError(reason) {
    if (reason) {
      this.i18n.bind(this.error, "draw.no_overlay", { reason });
      this.error.hidden = false;
    }
  }

  _watch(on) {
    clearInterval(this._timer);
    this._timer = null;
    if (on) {
      this._timer = setInterval(() => this._sync(), SYNC_MS);
    }
  }

  async _sync() {
    try {
      const { tool } = await this.backend.drawingStatus(this.sessionId);
      if (!tool) {
        this.toolbar.showToolDown();
        this._marked(false);
        this._watch(false);
      }
    } catch {
      // the next tick tries again; a stopped presentation hides the panel anyway
    }
  }
}
