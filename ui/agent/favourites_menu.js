// The chat's Favourites menu (CH7): send a favourite link as a card, a favourite document as a
// chat file (the relay copies it; "Send to print" then asks the customer to print it), and, in
// the desktop app, open a favourite folder or program on this PC for presenting it. The list is
// loaded each time the menu opens, so a change in Settings shows at once. Opening goes through
// the app's local API by the favourite's id: nothing a customer sends can open anything.

import { element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { iconElement, iconSvg } from "../common/icons.js";
import { MessageType } from "../common/protocol.js";
import { printKind } from "../common/print/print_document.js";
import { ToolPopover } from "./tool_popover.js";

const PRINTABLE = { pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };

/** Whether a document of this name can be sent to print (PDF or a browser image; pure). */
export function printable(name) {
  const extension = name.includes(".") ? name.split(".").at(-1).toLowerCase() : "";
  return printKind(PRINTABLE[extension] ?? "") !== null;
}

let linkCount = 0;

export class FavouritesMenu {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./favourites.js").Favourites} options.favourites
   * @param {object} options.socket the session's chat socket
   * @param {string} options.sessionId
   * @param {HTMLElement} options.anchor the button goes just before it (the chat tools bar)
   */
  constructor({ i18n, favourites, socket, sessionId, anchor }) {
    this.i18n = i18n;
    this.favourites = favourites;
    this.socket = socket;
    this.sessionId = sessionId;
    this.panel = element("div", "agent-fav-menu", { "data-testid": "fav-menu", role: "group" });
    this.panel.setAttribute("aria-label", i18n.t("fav.menu_label"));
    this._body = element("div", "agent-fav-menu__body");
    this._alert = element("div", "rs-alert", { "data-testid": "fav-menu-error", "aria-live": "assertive" });
    this._error = new ErrorMessage(this._alert, i18n);
    this._status = element("p", "agent-fav-menu__status", { "data-testid": "fav-menu-status", "aria-live": "polite" });
    this.panel.append(this._alert, this._body, this._status);
    this.popover = new ToolPopover({
      i18n,
      key: "fav.menu",
      testId: "fav-menu-button",
      icon: iconSvg("star"),
      panel: this.panel,
      anchor,
    });
    this.popover.setShown(true);
    // A narrow window shows only the star (the bar must stay one line while presenting).
    const button = this.popover.button;
    button.classList.add("agent-fav-toggle");
    button.dataset.i18nAriaLabel = "fav.menu";
    button.setAttribute("aria-label", i18n.t("fav.menu"));
    button.dataset.i18nTitle = "fav.menu";
    button.title = i18n.t("fav.menu");
    this.popover.button.addEventListener("click", () => this.popover.isOpen && this.refresh());
  }

  async refresh() {
    this._error.clear();
    this._status.textContent = "";
    let data;
    try {
      data = await this.favourites.load();
    } catch (error) {
      this._error.show(error);
      return;
    }
    const sections = [];
    if (data.links.length) {
      sections.push(
        this._section("fav.links", data.links.map((link) =>
          this._row("link", link.title, link.url, [["fav.send_link", "fav-send-link", () => this._sendLink(link)]]),
        )),
      );
    }
    if (data.documents.length) {
      sections.push(
        this._section("fav.documents", data.documents.map((document) => {
          const actions = [["fav.send_document", "fav-send-document", () => this._sendDocument(document, false)]];
          if (printable(document.name)) {
            actions.push(["fav.print_document", "fav-print-document", () => this._sendDocument(document, true)]);
          }
          return this._row("file", document.name, "", actions);
        })),
      );
    }
    if (this.favourites.local && data.local.length) {
      sections.push(
        this._section("fav.local", data.local.map((favourite) =>
          this._row(favourite.kind, favourite.title, favourite.path, [
            ["fav.open", "fav-open", () => this._open(favourite)],
          ]),
        )),
      );
    }
    if (!sections.length) {
      const empty = element("p", "agent-fav-menu__empty", { "data-testid": "fav-menu-empty" });
      this.i18n.bind(empty, "fav.menu_empty");
      sections.push(empty);
    }
    this._body.replaceChildren(...sections);
  }

  _section(titleKey, rows) {
    const section = element("section", "agent-fav-menu__section");
    const title = element("h3", "agent-fav-menu__title");
    this.i18n.bind(title, titleKey);
    const list = element("ul", "agent-fav-menu__list");
    list.append(...rows);
    section.append(title, list);
    return section;
  }

  _row(icon, title, detail, actions) {
    const item = element("li", "agent-fav-menu__item", { "data-testid": "fav-menu-item" });
    const glyph = element("span", "agent-fav-menu__icon", { "aria-hidden": "true" });
    glyph.append(iconElement(icon));
    const text = element("span", "agent-fav-menu__text");
    text.append(element("span", "agent-fav-menu__name", {}, title));
    if (detail) {
      text.append(element("span", "agent-fav-menu__detail", {}, detail));
    }
    const buttons = element("span", "agent-fav-menu__actions");
    for (const [key, testId, onClick] of actions) {
      const button = element("button", "rs-button rs-button--secondary rs-button--small", {
        type: "button",
        "data-testid": testId,
      });
      this.i18n.bind(button, key);
      button.setAttribute("aria-label", `${this.i18n.t(key)}: ${title}`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await onClick();
        } catch (error) {
          this._error.show(error);
        } finally {
          button.disabled = false;
        }
      });
      buttons.append(button);
    }
    item.append(glyph, text, buttons);
    return item;
  }

  _done(key, params) {
    this._error.clear();
    this.i18n.bind(this._status, key, params);
  }

  _sendLink(link) {
    linkCount += 1;
    const clientId = `fav-${Date.now().toString(36)}-${linkCount}`;
    this.socket.send(MessageType.SEND_LINK, { client_id: clientId, title: link.title, url: link.url });
    this._done("fav.sent", { title: link.title });
    this.popover.setOpen(false);
  }

  async _sendDocument(document, print) {
    const transfer = await this.favourites.sendDocument(this.sessionId, document.id);
    if (print) {
      this.socket.send(MessageType.REQUEST_PRINT, { transfer_id: transfer.id });
    }
    this._done("fav.sent", { title: document.name });
    this.popover.setOpen(false);
  }

  async _open(favourite) {
    await this.favourites.openLocal(favourite.id);
    this._done("fav.opened", { title: favourite.title });
  }

  destroy() {
    this.popover.destroy();
  }
}
