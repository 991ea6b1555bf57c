// The drawing tools (P5): off (the pointer), pen, line, rectangle, ellipse, arrow; colour;
// width; undo (this side's last stroke); clear (everything). Used by the viewer page and the
// agent's chat window; it only reports choices, the page decides where they go.

import { i18n } from "../i18n.js";
import { Tool, WIDTHS_PX } from "./shapes.js";

const SVG_OPEN =
  '<svg viewBox="0 0 24 24" width="1.15em" height="1.15em" aria-hidden="true" focusable="false" ' +
  'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">';

// Constant markup only (no user text goes through innerHTML).
const ICONS = Object.freeze({
  none: '<path d="M5 3.5v15l4-4 2.8 6 2.6-1.2-2.8-6H17z"/>',
  pen: '<path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16z"/>',
  line: '<path d="M5 19 19 5"/>',
  rectangle: '<rect x="4" y="6" width="16" height="12" rx="1"/>',
  ellipse: '<ellipse cx="12" cy="12" rx="8.5" ry="6.5"/>',
  arrow: '<path d="M5 19 19 5M10 5h9v9"/>',
  undo: '<path d="M9 14 4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/>',
  clear: '<path d="M4.5 6.5h15M9.5 6.5v-2h5v2M6.5 6.5l1 13h9l1-13"/>',
});

const TOOLS = ["none", Tool.PEN, Tool.LINE, Tool.RECTANGLE, Tool.ELLIPSE, Tool.ARROW];

export class DrawingToolbar {
  /**
   * @param {HTMLElement} root an empty element; the toolbar is built inside it
   * @param {object} options
   * @param {{tool: string|null, color: string, width: number}} options.style the start values
   * @param {(style: {tool: string|null, color: string, width: number}) => void} options.onStyle
   * @param {() => void} options.onUndo
   * @param {() => void} options.onClear
   */
  constructor(root, { style, onStyle, onUndo, onClear }) {
    this.root = root;
    this.style = { ...style };
    this.onStyle = onStyle;
    root.classList.add("rs-draw-tools");
    root.setAttribute("role", "group");
    root.dataset.i18nAriaLabel = "draw.label";
    root.setAttribute("aria-label", i18n.t("draw.label")); // apply(root) skips root itself
    this.toolButtons = new Map();
    for (const tool of TOOLS) {
      const button = this._button(`draw.tool.${tool}`, ICONS[tool], `draw-tool-${tool}`);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => this.setTool(tool === "none" ? null : tool));
      this.toolButtons.set(tool, button);
    }
    this.colour = document.createElement("input");
    this.colour.type = "color";
    this.colour.className = "rs-draw-tools__colour";
    this.colour.value = this.style.color;
    this.colour.dataset.testid = "draw-colour";
    this.colour.dataset.i18nAriaLabel = "draw.colour";
    this.colour.dataset.i18nTitle = "draw.colour";
    // "change": once the colour is picked, not at every step of the picker's drag.
    this.colour.addEventListener("change", () => this._change({ color: this.colour.value }));
    this.width = document.createElement("select");
    this.width.className = "rs-select rs-draw-tools__width";
    this.width.dataset.testid = "draw-width";
    this.width.dataset.i18nAriaLabel = "draw.width";
    this.width.dataset.i18nTitle = "draw.width";
    for (const px of WIDTHS_PX) {
      const option = document.createElement("option");
      option.value = String(px);
      option.textContent = `${px} px`;
      this.width.append(option);
    }
    this.width.value = String(this.style.width);
    this.width.addEventListener("change", () => this._change({ width: Number(this.width.value) }));
    root.append(this.colour, this.width);
    this._button("draw.undo", ICONS.undo, "draw-undo").addEventListener("click", onUndo);
    this._button("draw.clear", ICONS.clear, "draw-clear").addEventListener("click", onClear);
    this._pressTool(this.style.tool);
    i18n.apply(root);
    // Escape puts the tool down, wherever the focus is.
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.style.tool) {
        this.setTool(null);
      }
    });
  }

  /** Choose a tool (null: none); tells the page. */
  setTool(tool) {
    this._pressTool(tool);
    this._change({ tool });
  }

  /** Show the tool as put down without telling the page (it was put down elsewhere). */
  showToolDown() {
    this._pressTool(null);
    this.style = { ...this.style, tool: null };
  }

  _change(changes) {
    this.style = { ...this.style, ...changes };
    this.onStyle({ ...this.style });
  }

  _pressTool(tool) {
    for (const [name, button] of this.toolButtons) {
      button.setAttribute("aria-pressed", String((tool ?? "none") === name));
    }
  }

  _button(key, icon, testid) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "rs-draw-tools__button";
    button.dataset.testid = testid;
    button.dataset.i18nAriaLabel = key;
    button.dataset.i18nTitle = key;
    button.innerHTML = `${SVG_OPEN}${icon}</svg>`;
    this.root.append(button);
    return button;
  }
}
