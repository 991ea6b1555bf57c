// The conversation beside the screen: the customer chats without leaving the
// viewer. A panel to the right of the picture on a desktop, a sheet over the picture on a
// phone; either collapses to a "Chat" button that counts unread messages.
//
// The chat rides on the viewer's own screen socket (docs/protocol.md, *Chat on a viewer
// socket*), so neither the viewer page nor the one-time viewer program ever takes the
// customer's chat socket from the chat tab: both windows show the same conversation, and a
// message read in one is read in the other. The transcript is the shared ChatView.

import { ChatView } from "../common/chat/chat_view.js";
import { byId, showUnreadInTitle } from "../common/dom.js";
import { MessageType } from "../common/protocol.js";

const OPEN_KEY = "rs.viewer.chat_open"; // the desktop panel's state, remembered per browser
// Below this width the chat is a sheet over the picture, and starts closed (matches the CSS).
const SHEET_MEDIA = "(max-width: 760px)";
const PREVIEW_SHOWN_MS = 8000; // the latest message over the picture while the chat is collapsed
const PREVIEW_MAX_CHARS = 140;

export class ViewerChat {
  /** @param {{i18n: import("../common/i18n.js").i18n}} options */
  constructor({ i18n }) {
    this.i18n = i18n;
    this.panel = byId("chat-panel");
    this.toggle = byId("chat-toggle");
    this.badge = byId("chat-unread");
    this.container = byId("chat-container");
    this.view = null;
    this.unread = 0;
    this._agentName = "";
    this.preview = byId("chat-preview");
    this._previewTimer = null;
    this.preview.addEventListener("click", () => this.setOpen(true, { focus: true }));
    this._sheet = window.matchMedia(SHEET_MEDIA);
    this.open = !this._sheet.matches && loadOpen();
    this.toggle.addEventListener("click", () => this.setOpen(!this.open, { focus: true }));
    byId("chat-close").addEventListener("click", () => this.setOpen(false, { focus: true }));
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this._sheet.matches) {
        this.setOpen(false, { focus: true });
      }
    });
    // Turning a phone to landscape or narrowing a window: the sheet must not cover the
    // picture uninvited, so crossing into sheet size closes it.
    this._sheet.addEventListener("change", () => {
      if (this._sheet.matches && this.open) {
        this.setOpen(false);
      }
    });
    i18n.onChange(() => this._render());
    this._render();
  }

  /** Show the conversation of this socket (the viewer makes a new one to reconnect). */
  attach(socket) {
    this.view?.destroy();
    this.view = new ChatView(this.container, {
      socket,
      role: "customer",
      i18n: this.i18n,
      onUnread: (count) => this._setUnread(count),
    });
    this.view.setShown(this.open);
    socket.on(MessageType.WELCOME, (welcome) => {
      this._agentName = welcome.session?.agent?.name ?? "";
      this._render();
    });
    socket.on(MessageType.SESSION_ENDED, () => this.view?.setEnabled(false));
    // Only live messages: a replay in welcome.missed is counted, not popped up.
    socket.on(MessageType.CHAT_MESSAGE, (message) => this._showPreview(message));
    socket.on("status", ({ status }) => {
      if (status === "closed") {
        this.view?.setEnabled(false);
      }
    });
  }

  /** Open or collapse the panel (the sheet on a phone). */
  setOpen(open, { focus = false } = {}) {
    this.open = open;
    if (!this._sheet.matches) {
      saveOpen(open);
    }
    this._render();
    if (open) {
      this._hidePreview();
    }
    this.view?.setShown(open);
    if (focus) {
      (open ? this.view : this.toggle)?.focus();
    }
  }

  stats() {
    return {
      open: this.open,
      sheet: this._sheet.matches,
      unread: this.unread,
      ...(this.view?.snapshot() ?? {}),
    };
  }

  _showPreview(message) {
    if (this.open || message.role === "customer" || typeof message.text !== "string") {
      return;
    }
    const text = message.text.trim();
    byId("chat-preview-name").textContent = message.name || this.i18n.t(`role.${message.role}`);
    byId("chat-preview-text").textContent =
      text.length > PREVIEW_MAX_CHARS ? `${text.slice(0, PREVIEW_MAX_CHARS - 1)}…` : text;
    this.preview.hidden = false;
    clearTimeout(this._previewTimer);
    this._previewTimer = setTimeout(() => this._hidePreview(), PREVIEW_SHOWN_MS);
  }

  _hidePreview() {
    clearTimeout(this._previewTimer);
    this.preview.hidden = true;
  }

  _setUnread(count) {
    this.unread = count;
    showUnreadInTitle(count);
    this._render();
  }

  _render() {
    this.panel.hidden = !this.open;
    document.documentElement.dataset.chat = this.open ? "open" : "closed";
    this.toggle.setAttribute("aria-expanded", String(this.open));
    const action = this.open ? "viewer.chat_hide" : "viewer.chat_show";
    this.toggle.dataset.i18nTitle = action;
    this.toggle.title = this.i18n.t(action);
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = this.unread > 99 ? "99+" : String(this.unread);
    // The count is read out with the button's name: "Chat, 2 new".
    this.toggle.setAttribute(
      "aria-label",
      this.unread > 0
        ? `${this.i18n.t("viewer.chat")}, ${this.i18n.t("viewer.chat_unread", { count: this.unread })}`
        : this.i18n.t("viewer.chat"),
    );
    const title = byId("chat-title");
    if (this._agentName) {
      this.i18n.bind(title, "viewer.chat_title", { name: this._agentName });
    } else {
      this.i18n.bind(title, "viewer.chat_title_plain");
    }
  }
}

function loadOpen() {
  try {
    return window.localStorage.getItem(OPEN_KEY) !== "closed"; // open unless closed before
  } catch {
    return true;
  }
}

function saveOpen(open) {
  try {
    window.localStorage.setItem(OPEN_KEY, open ? "open" : "closed");
  } catch {
    // not remembered; the choice still applies here
  }
}
