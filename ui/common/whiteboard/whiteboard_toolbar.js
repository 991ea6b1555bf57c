// The whiteboard's toolbar (CH3): tools, colours, line width, undo / redo / delete, zoom,
// and the board's file actions. Only buttons: what a click does is the view's callback.

import { element } from "../dom.js";
import { toolIcon } from "./tool_icons.js";

export const TOOLS = ["select", "pen", "eraser", "text", "line", "rectangle", "ellipse"];
export const COLOURS = ["#111827", "#e11d48", "#2563eb", "#16a34a", "#f59e0b", "#7c3aed"];
const COLOUR_NAMES = ["black", "red", "blue", "green", "orange", "purple"];
export const WIDTHS = [2, 4, 8, 16];
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];

/** An aria-label (and title) that follows the page's language. */
export function label(i18n, node, key, title = false) {
  node.dataset.i18nAriaLabel = key;
  node.setAttribute("aria-label", i18n.t(key));
  if (title) {
    node.dataset.i18nTitle = key;
    node.setAttribute("title", i18n.t(key));
  }
}

export class WhiteboardToolbar {
  /**
   * @param {object} options
   * @param {object} options.i18n
   * @param {number} options.width the line width to show first
   * @param {boolean} options.images whether "Load image" is offered
   * @param {object} options.on callbacks: tool(name), colour(hex), width(px), image(file),
   *   undo, redo, remove, zoomOut, zoomIn, fit, newBoard, saveBmp, copy, print, [close]
   */
  constructor({ i18n, width, images, on }) {
    this.i18n = i18n;
    this.element = element("div", "wb__toolbar", { role: "toolbar", "data-testid": "wb-toolbar" });
    label(i18n, this.element, "wb.tools");
    const tools = element("div", "wb__group");
    this.toolButtons = new Map();
    for (const tool of TOOLS) {
      const button = this._button(`wb.tool.${tool}`, tool, `wb-tool-${tool}`, () => on.tool(tool));
      button.setAttribute("aria-pressed", "false");
      this.toolButtons.set(tool, button);
      tools.append(button);
    }
    if (images) {
      this.fileInput = element("input", "rs-visually-hidden", {
        type: "file",
        accept: IMAGE_TYPES.join(","),
        "data-testid": "wb-image-file",
        tabindex: "-1",
      });
      this.fileInput.addEventListener("change", () => {
        const file = this.fileInput.files?.[0];
        this.fileInput.value = "";
        if (file) on.image(file);
      });
      tools.append(
        this._button("wb.tool.image", "image", "wb-tool-image", () => this.fileInput.click()),
        this.fileInput,
      );
    }
    const style = element("div", "wb__group");
    this.colourButtons = COLOURS.map((colour, index) => {
      const swatch = element("button", "wb__swatch", { type: "button", "data-testid": `wb-colour-${colour.slice(1)}` });
      swatch.style.setProperty("--swatch", colour);
      label(i18n, swatch, `wb.colour.${COLOUR_NAMES[index]}`, true);
      swatch.addEventListener("click", () => on.colour(colour));
      style.append(swatch);
      return swatch;
    });
    this.widthSelect = element("select", "rs-input wb__width", { "data-testid": "wb-width" });
    label(i18n, this.widthSelect, "wb.width");
    for (const px of WIDTHS) this.widthSelect.append(element("option", "", { value: String(px) }, `${px} px`));
    this.widthSelect.value = String(width);
    this.widthSelect.addEventListener("change", () => on.width(Number(this.widthSelect.value)));
    style.append(this.widthSelect);
    const history = element("div", "wb__group");
    history.append(
      this._button("wb.undo", "undo", "wb-undo", on.undo),
      this._button("wb.redo", "redo", "wb-redo", on.redo),
      this._button("wb.delete", "trash", "wb-delete", on.remove),
    );
    const view = element("div", "wb__group");
    view.append(
      this._button("wb.zoom_out", "zoomOut", "wb-zoom-out", on.zoomOut),
      this._button("wb.zoom_in", "zoomIn", "wb-zoom-in", on.zoomIn),
      this._button("wb.fit", "fit", "wb-fit", on.fit),
    );
    const file = element("div", "wb__group wb__group--end");
    file.append(
      this._button("wb.new_board", "newBoard", "wb-new", on.newBoard),
      this._button("wb.save_bmp", "save", "wb-save-bmp", on.saveBmp),
      this._button("wb.copy", "copy", "wb-copy", on.copy),
      this._button("wb.print", "print", "wb-print", on.print),
    );
    if (on.close) file.append(this._button("wb.hide", "close", "wb-hide", on.close));
    this.element.append(tools, style, history, view, file);
  }

  _button(key, icon, testid, onClick) {
    const button = element("button", "rs-button rs-button--ghost rs-button--small wb__button", {
      type: "button",
      "data-testid": testid,
    });
    button.append(toolIcon(icon));
    label(this.i18n, button, key, true);
    button.addEventListener("click", () => onClick());
    return button;
  }

  showTool(tool) {
    for (const [name, button] of this.toolButtons) button.setAttribute("aria-pressed", String(name === tool));
  }

  showColour(colour) {
    this.colourButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(COLOURS[i] === colour)));
  }

  showWidth(width) {
    this.widthSelect.value = String(width);
  }
}
