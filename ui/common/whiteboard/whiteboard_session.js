// The shared whiteboard in a chat (CH3), on the chat socket (or a viewer's socket):
//   agent     "Whiteboard" → open_whiteboard; whiteboard_state "asked" → "Waiting for …"
//   customer  whiteboard_state "asked" → a prompt above the chat: Open / No, thanks
//             → answer_whiteboard {accept}
//   everyone  whiteboard_state "open" → the board is shown; edits go as update_whiteboard,
//             others' come as whiteboard_updated; "New board" → new_whiteboard.
// The page gives where the board goes (host, layout) and how to fetch the relay's BMP.

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { ErrorCode, MessageType } from "../protocol.js";
import { SharedBoard } from "./shared_board.js";
import { WhiteboardView } from "./whiteboard_view.js";

const WHITEBOARD_TYPES = new Set([
  MessageType.OPEN_WHITEBOARD,
  MessageType.ANSWER_WHITEBOARD,
  MessageType.UPDATE_WHITEBOARD,
  MessageType.NEW_WHITEBOARD,
]);

const PALETTE = new Set(["#111827", "#e11d48", "#2563eb", "#16a34a", "#f59e0b", "#7c3aed"]);

export class WhiteboardSession {
  /**
   * @param {object} options
   * @param {import("../session_socket.js").SessionSocket} options.socket
   * @param {object} options.i18n
   * @param {"agent"|"customer"} options.role
   * @param {{addNotice: Function}|null} options.chatView lines in the transcript
   * @param {HTMLElement} options.host the board is put first in it
   * @param {HTMLElement} options.layout gets `wb-open` while the board shows
   * @param {HTMLElement} options.buttonBefore the Whiteboard button goes just before it
   * @param {HTMLElement|null} [options.promptAnchor] the customer's prompt goes before it
   * @param {() => Promise<Blob>} options.fetchBmp the relay's BMP of the board
   * @param {((board: number) => Promise<string>)|null} [options.saveBmp] saves the BMP itself
   *   and gives its path, which the board shows (the viewer program); else a page download
   * @param {(() => Promise<void>)|null} [options.openFolder] shows the saved BMP's folder
   * @param {(method: string, path: string, options: object) => Promise<any>} options.request
   *   the relay's HTTP API with this participant's credentials (body: a Blob, asBlob)
   * @param {boolean} [options.autoShow] show the board when it opens (the browser viewer
   *   waits for its Whiteboard button, the shared screen staying in front, unless the
   *   customer accepted in it)
   */
  constructor({
    socket,
    i18n,
    role,
    chatView,
    host,
    layout,
    buttonBefore,
    promptAnchor = null,
    fetchBmp,
    saveBmp = null,
    openFolder = null,
    request,
    autoShow = true,
  }) {
    this.request = request;
    this.autoShow = autoShow;
    this.socket = socket;
    this.i18n = i18n;
    this.role = role;
    this.chatView = chatView;
    this.host = host;
    this.layout = layout;
    this.fetchBmp = fetchBmp;
    this.saveBmp = saveBmp;
    this.openFolder = openFolder;
    this.state = null;
    this.color = role === "agent" ? "#e11d48" : "#2563eb";
    this.view = null;
    this.board = new SharedBoard({
      send: (board, elements) => socket.send(MessageType.UPDATE_WHITEBOARD, { board, elements }),
    });
    this.button = element("button", "rs-button rs-button--secondary rs-button--small wb-toggle", {
      type: "button",
      "data-testid": "whiteboard-button",
      "aria-pressed": "false",
    });
    const label = element("span", "wb-toggle__label");
    i18n.bind(label, "wb.button");
    this.button.dataset.i18nAriaLabel = "wb.button"; // the name when a phone shows the icon only
    this.button.setAttribute("aria-label", i18n.t("wb.button"));
    this.button.dataset.i18nTitle = "wb.button"; // named on hover where only the icon shows
    this.button.setAttribute("title", i18n.t("wb.button"));
    this.button.append(iconElement("whiteboard"), label);
    this.button.hidden = role !== "agent";
    this.button.addEventListener("click", () => this._clicked());
    buttonBefore.before(this.button);
    this.prompt = element("div", "rs-present-prompt wb-prompt", {
      "data-testid": "whiteboard-prompt",
      role: "region",
      "aria-live": "polite",
    });
    this.prompt.hidden = true;
    promptAnchor?.before(this.prompt);
    this._off = [
      socket.on(MessageType.WELCOME, (welcome) => {
        // The participant's chat colour when the board's palette has it, else the role's.
        if (PALETTE.has(welcome.you?.color)) this.color = welcome.you.color;
      }),
      socket.on(MessageType.WHITEBOARD_STATE, (message) => this._state(message)),
      socket.on(MessageType.WHITEBOARD_UPDATED, (message) => this.board.applyRemote(message.board, message.elements)),
      // A refused batch goes back to the relay's copies here (its error follows and is shown).
      socket.on(MessageType.WHITEBOARD_REFUSED, (message) => {
        this._rolledBack = this.board.rollBack(message.board, message.refused, message.elements);
      }),
      socket.on(MessageType.ERROR, (error) => this._error(error)),
    ];
  }

  destroy() {
    for (const off of this._off) off();
    this.view?.destroy();
    this.button.remove();
    this.prompt.remove();
    this.layout.classList.remove("wb-open");
  }

  get shown() {
    return Boolean(this.view) && !this.view.element.hidden;
  }

  _clicked() {
    if (this.state === "open") {
      this.show(!this.shown);
    } else {
      this.socket.send(MessageType.OPEN_WHITEBOARD);
    }
  }

  /** Show or hide the board here (it stays open for the others). */
  show(visible) {
    if (visible && !this.view) {
      this.view = new WhiteboardView({
        board: this.board,
        i18n: this.i18n,
        color: this.color,
        onNewBoard: () => this.socket.send(MessageType.NEW_WHITEBOARD, { board: this.board.number }),
        onSaveBmp: () => this._saveBmp(),
        onOpenFolder: this.openFolder,
        onClose: () => this.show(false),
        uploadImage: (file) => this.request("PUT", `${this._images()}`, { blob: file }),
        loadImage: (image) => this.request("GET", `${this._images()}/${encodeURIComponent(image)}`, { asBlob: true }),
      });
      this.host.prepend(this.view.element);
    }
    if (this.view) this.view.element.hidden = !visible;
    this.layout.classList.toggle("wb-open", visible);
    this.button.setAttribute("aria-pressed", String(visible));
  }

  _images() {
    return `/api/sessions/${encodeURIComponent(this.socket.sessionId)}/whiteboard/images`;
  }

  _state({ state, board, elements }) {
    const before = this.state;
    this.state = state;
    this.button.dataset.state = state;
    if (state === "asked") {
      if (this.role === "agent") {
        if (before !== "asked") this.chatView?.addNotice("wb.asked_agent");
      } else {
        this._ask();
      }
      return;
    }
    this.prompt.hidden = true;
    if (state === "declined") {
      this.show(false);
      if (before === "asked") this.chatView?.addNotice("wb.declined");
      return;
    }
    // open: a new board number is a new board; the same one is a reload or a reconnect
    const renewed = before === "open" && board !== this.board.number;
    this.board.load(board, elements);
    this.button.hidden = false;
    if (before !== "open") {
      this.chatView?.addNotice("wb.opened");
      // The browser viewer waits for its button, unless its customer said yes right there.
      if (this.autoShow || this._acceptedHere) this.show(true);
    } else if (renewed) {
      this.view?.say("wb.renewed");
      this.view?.fit();
    }
  }

  _ask() {
    const text = element("p", "rs-present-prompt__text", { id: "wb-prompt-text" });
    this.i18n.bind(text, "wb.asked_customer");
    const accept = element("button", "rs-button rs-button--primary", { type: "button", "data-testid": "whiteboard-accept" });
    this.i18n.bind(accept, "wb.accept");
    accept.addEventListener("click", () => this._answer(true));
    const decline = element("button", "rs-button rs-button--secondary", { type: "button", "data-testid": "whiteboard-decline" });
    this.i18n.bind(decline, "wb.decline");
    decline.addEventListener("click", () => this._answer(false));
    const actions = element("div", "rs-present-prompt__actions");
    actions.append(accept, decline);
    this.prompt.setAttribute("aria-labelledby", "wb-prompt-text");
    this.prompt.replaceChildren(text, actions);
    this.prompt.hidden = false;
    accept.focus();
  }

  _answer(accept) {
    this._acceptedHere = accept;
    this.socket.send(MessageType.ANSWER_WHITEBOARD, { accept });
    this.prompt.hidden = true;
  }

  _error(error) {
    if (!WHITEBOARD_TYPES.has(error.in_reply_to)) return;
    const rolledBack = this._rolledBack;
    this._rolledBack = 0;
    const key = {
      [ErrorCode.WHITEBOARD_FULL]: rolledBack ? "wb.full_taken_back" : "wb.full",
      [ErrorCode.ELEMENT_TOO_LARGE]: "wb.too_large",
    }[error.code];
    if (this.view) this.view.say(key ?? "wb.refused", { reason: error.message });
    else this.chatView?.addNotice(key ?? "wb.refused", { reason: error.message });
  }

  /** Save the relay's BMP; returns the saved file's path where it is known (else null). */
  async _saveBmp() {
    if (this.saveBmp) return this.saveBmp(this.board.number);
    const blob = await this.fetchBmp();
    const url = URL.createObjectURL(blob);
    const link = element("a", "", { href: url, download: `whiteboard-${this.board.number}.bmp` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return null;
  }
}
