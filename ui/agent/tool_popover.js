// A button in the chat window's presenting bar that opens a panel over the notes column
// (the share picker and the drawing options). One popover is open at a time; Escape,
// a click outside, focus moving elsewhere (Tab, the notes opened from the keyboard) or the
// button again closes it. The panel floats over the page, so opening it
// never pushes the conversation or the composer down.

import { element } from "../common/dom.js";

const open = new Set(); // the popovers now open (at most one)
const EDGE_PX = 8; // the least room between an open panel and the window's bottom
const LEAST_PX = 120; // a panel never gets shorter than this (it scrolls within)

export class ToolPopover {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {string} options.key the button's label (an i18n key)
   * @param {string} options.testId the button's data-testid
   * @param {string} options.icon constant SVG markup for the button
   * @param {HTMLElement} options.panel shown over the page while open; gets an id if it has none
   * @param {HTMLElement} options.anchor the button goes just before this element
   * @param {() => void} [options.onFit] after the open panel was fitted to the window again
   */
  constructor({ i18n, key, testId, icon, panel, anchor, onFit = () => {} }) {
    this.panel = panel;
    this.onFit = onFit;
    panel.id ||= `${testId}-panel`;
    panel.classList.add("agent-tools__popover");
    panel.hidden = true;
    this.button = element("button", "rs-button rs-button--secondary rs-button--small agent-tools__toggle", {
      type: "button",
      "data-testid": testId,
      "aria-expanded": "false",
      "aria-controls": panel.id,
    });
    const glyph = element("span", "rs-icon", { "aria-hidden": "true" });
    glyph.innerHTML = icon; // constant markup
    const label = element("span");
    i18n.bind(label, key);
    const caret = element("span", "agent-tools__caret", { "aria-hidden": "true" }, "▾");
    this.button.append(glyph, label, caret);
    this.button.hidden = true;
    this.button.addEventListener("click", () => this.setOpen(!this.isOpen));
    anchor.before(this.button);
    // The panel lives in the bar (positioned against it), after every button.
    anchor.parentElement.append(panel);
    this._onKey = (event) => {
      if (event.key === "Escape" && this.isOpen) {
        this.setOpen(false);
        this.button.focus();
      }
    };
    // A click elsewhere, or focus that leaves for the rest of the page: a popover left open
    // would stay over the notes the agent is now typing in.
    this._onOutside = (event) => {
      if (this.isOpen && !this.panel.contains(event.target) && !this.button.contains(event.target)) {
        this.setOpen(false);
      }
    };
    this._onResize = () => this.isOpen && this._fit();
    // The bar wraps or grows (a button comes with the customer's yes): the panel moves down.
    this._barObserver = new ResizeObserver(this._onResize);
    this._barObserver.observe(anchor.parentElement);
    document.addEventListener("keydown", this._onKey);
    document.addEventListener("pointerdown", this._onOutside);
    document.addEventListener("focusin", this._onOutside);
    window.addEventListener("resize", this._onResize);
  }

  /** End the open panel inside the window: a narrow window wraps the bar onto two rows, so
   * the panel starts lower than its style sheet's height allows for (640x480: its confirm
   * was below the window's bottom). It scrolls within instead. */
  _fit() {
    const room = window.innerHeight - this.panel.getBoundingClientRect().top - EDGE_PX;
    this.panel.style.setProperty("--rs-popover-room", `${Math.max(LEAST_PX, Math.floor(room))}px`);
    this.onFit();
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  /** Offer the button (closing the panel when it goes). */
  setShown(shown) {
    this.button.hidden = !shown;
    if (!shown) {
      this.setOpen(false);
    }
  }

  setOpen(wanted) {
    if (wanted === this.isOpen) {
      return;
    }
    if (wanted) {
      for (const other of open) {
        other.setOpen(false);
      }
      open.add(this);
    } else {
      open.delete(this);
    }
    this.panel.hidden = !wanted;
    this.button.setAttribute("aria-expanded", String(wanted));
    if (wanted) {
      this._fit();
    }
  }

  destroy() {
    this.setOpen(false);
    document.removeEventListener("keydown", this._onKey);
    document.removeEventListener("pointerdown", this._onOutside);
    document.removeEventListener("focusin", this._onOutside);
    window.removeEventListener("resize", this._onResize);
    this._barObserver.disconnect();
    this.button.remove();
    this.panel.remove();
  }
}
