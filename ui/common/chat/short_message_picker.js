// The composer's "short messages" list (CH4): a button opens a listbox of the agent's canned
// messages above the message box; arrows move, Enter or a click picks, Escape closes and
// gives the focus back to the button.

import { element } from "../dom.js";
import { iconElement } from "../icons.js";

export class ShortMessagePicker {
  /**
   * @param {object} options
   * @param {import("./short_messages.js").ShortMessages} options.shortMessages
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {(text: string) => void} options.onPick called with the filled-in text
   */
  constructor({ shortMessages, i18n, onPick }) {
    this.shortMessages = shortMessages;
    this.i18n = i18n;
    this.onPick = onPick;
    this._active = 0;
    const id = `rs-short-${Math.random().toString(36).slice(2, 8)}`;
    this.button = element("button", "rs-button rs-button--secondary rs-chat__short", {
      type: "button",
      "data-testid": "short-picker-button",
      "aria-haspopup": "listbox",
      "aria-expanded": "false",
      "aria-controls": id,
      "data-i18n-aria-label": "short.picker_button",
      "data-i18n-title": "short.picker_button",
    });
    this.button.append(iconElement("bolt"));
    this.popup = element("div", "rs-chat__short-popup", { id, "data-testid": "short-picker" });
    this.popup.hidden = true;
    this.button.addEventListener("click", () => (this.popup.hidden ? this.open() : this.close()));
    this.popup.addEventListener("keydown", (event) => this._onKey(event));
    this.popup.addEventListener("focusout", (event) => {
      if (!this.popup.contains(event.relatedTarget) && event.relatedTarget !== this.button) {
        this.close(false);
      }
    });
  }

  open() {
    const messages = this.shortMessages.list();
    const list = element("ul", "rs-chat__short-list", {
      role: "listbox",
      tabindex: "0",
      "data-i18n-aria-label": "short.picker_label",
    });
    this._options = messages.map((message, index) => {
      const option = element("li", "rs-chat__short-option", {
        role: "option",
        id: `${this.popup.id}-${index}`,
        "data-testid": "short-option",
        "aria-selected": "false",
      });
      option.append(
        element("span", "rs-chat__short-key", {}, message.key),
        element("span", "rs-chat__short-text", {}, this.shortMessages.fill(message.text)),
      );
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => this._pick(index));
      return option;
    });
    list.append(...this._options);
    const children = [list];
    if (messages.length === 0) {
      children.push(this.i18n.bind(element("p", "rs-chat__short-empty"), "short.picker_empty"));
    }
    this.popup.replaceChildren(...children);
    this.i18n.apply(this.popup);
    this.popup.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this._list = list;
    this._setActive(0);
    list.focus();
  }

  /** Close the list; the focus goes back to the button unless it is moving elsewhere. */
  close(refocus = true) {
    if (this.popup.hidden) {
      return;
    }
    this.popup.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) {
      this.button.focus();
    }
  }

  _setActive(index) {
    if (this._options.length === 0) {
      this._list.removeAttribute("aria-activedescendant");
      return;
    }
    this._active = (index + this._options.length) % this._options.length;
    this._options.forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === this._active));
    });
    const active = this._options[this._active];
    this._list.setAttribute("aria-activedescendant", active.id);
    active.scrollIntoView({ block: "nearest" });
  }

  _onKey(event) {
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      this._setActive(this._active + moves[event.key]);
    } else if (event.key === "Home" || event.key === "End") {
      this._setActive(event.key === "Home" ? 0 : this._options.length - 1);
    } else if (event.key === "Enter" || event.key === " ") {
      this._pick(this._active);
    } else if (event.key === "Escape" || event.key === "Tab") {
      this.close(event.key === "Escape");
      if (event.key === "Tab") {
        return; // let the focus move on
      }
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // Escape must not close a surrounding dialog
  }

  _pick(index) {
    const message = this.shortMessages.list()[index];
    if (!message) {
      return;
    }
    this.popup.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    this.onPick(this.shortMessages.fill(message.text));
  }
}
