// The chat of one support session: transcript, typing indicator and composer, shared by the
// customer and agent pages.
//
// Delivery state of one's own messages: "sending" until the relay's copy with the same
// client_id comes back, "sent" after that, "read" once the other role's marked_read covers its
// id. Messages are kept by id, so a replay after a reconnect never shows one twice; messages
// that were never acknowledged are sent again, with the same client_id, after each welcome.
// Text is only ever set with textContent.

import { ChatComposer } from "./chat_composer.js";
import { element } from "./dom.js";
import { iconElement } from "./icons.js";
import { MessageType } from "./protocol.js";

const TYPING_SHOWN_MAX_MS = 8000; // `typing` is droppable: never show a stale indicator forever
const GROUP_GAP_S = 300;
const NEAR_BOTTOM_PX = 80;
const STATE_ICONS = Object.freeze({ sending: "clock", sent: "check", read: "checkDouble" });

function newClientId() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ChatView {
  /**
   * @param {HTMLElement} container emptied and filled with the chat
   * @param {object} options
   * @param {import("./session_socket.js").SessionSocket} options.socket
   * @param {"agent"|"customer"} options.role this page's role
   * @param {import("./i18n.js").i18n} options.i18n
   * @param {(count: number) => void} [options.onUnread] told how many messages from the other
   *   side arrived while the page was hidden (0 once it is seen), e.g. for the window title
   */
  constructor(container, { socket, role, i18n, onUnread }) {
    this.socket = socket;
    this.role = role;
    this.i18n = i18n;
    this._onUnread = onUnread ?? (() => {});
    this._unread = 0;
    this._byId = new Map(); // id → <li>
    this._pending = new Map(); // client_id → {text, node}, in send order
    this._peerReadUpTo = 0;
    this._maxOtherId = 0;
    this._markedUpTo = 0;
    this._typingShownTimer = null;
    this._build(container);
    this._unsubscribe = [
      socket.on(MessageType.WELCOME, (m) => this._onWelcome(m)),
      socket.on(MessageType.CHAT_MESSAGE, (m) => this._addMessage(m)),
      socket.on(MessageType.MARKED_READ, (m) => this._onMarkedRead(m)),
      socket.on(MessageType.TYPING, (m) => this._onTyping(m)),
      socket.on(MessageType.PARTICIPANT_JOINED, (m) => this._onPresence(m, "chat.joined")),
      socket.on(MessageType.PARTICIPANT_LEFT, (m) => this._onPresence(m, "chat.left")),
      socket.on(MessageType.ERROR, (m) => this._onError(m)),
      socket.on("status", () => this._composer.renderHint()),
      i18n.onChange(() => this._reformatTimes()),
    ];
    this._onVisible = () => {
      this._markRead();
      this._setUnread(document.visibilityState === "visible" ? 0 : this._unread);
    };
    document.addEventListener("visibilitychange", this._onVisible);
  }

  /** Stop listening (the page is leaving this session). */
  destroy() {
    this._unsubscribe.forEach((unsubscribe) => unsubscribe());
    document.removeEventListener("visibilitychange", this._onVisible);
    this._composer.destroy();
    clearTimeout(this._typingShownTimer);
    this._setUnread(0);
  }

  /** Allow or forbid writing (the session ended or this participant left it). */
  setEnabled(enabled) {
    this._composer.setEnabled(enabled);
    if (!enabled) {
      this._setTypingShown(null);
    }
  }

  /** Add a line such as "Bob joined" to the transcript. */
  addNotice(key, params) {
    const notice = element("li", "rs-chat__notice");
    this.i18n.bind(notice, key, params);
    const stick = this._nearBottom();
    this._empty.hidden = true;
    this._list.append(notice);
    this._scrollToEnd(stick);
  }

  /** Put the caret in the composer. */
  focus() {
    this._composer.focus();
  }

  /** What the test hook reports. */
  snapshot() {
    return {
      messages: this._byId.size,
      pending: this._pending.size,
      peerReadUpTo: this._peerReadUpTo,
    };
  }

  _build(container) {
    const root = element("section", "rs-chat");
    this._list = element("ol", "rs-chat__transcript", {
      role: "log",
      "aria-live": "polite",
      "data-testid": "chat-transcript",
      "data-i18n-aria-label": "chat.transcript_label",
      tabindex: "0",
    });
    this._empty = element("li", "rs-chat__empty");
    this.i18n.bind(this._empty, "chat.empty");
    this._list.append(this._empty);

    this._typing = element("div", "rs-chat__typing", { "data-testid": "typing-indicator" });
    this._typing.hidden = true;
    const dots = element("span", "rs-typing-dots", { "aria-hidden": "true" });
    dots.append(element("span"), element("span"), element("span"));
    this._typingText = element("span");
    this._typing.append(dots, this._typingText);

    this._composer = new ChatComposer({
      socket: this.socket,
      i18n: this.i18n,
      onSubmit: (text) => this._send(text),
    });

    root.append(this._list, this._typing, this._composer.element);
    container.replaceChildren(root);
    this.i18n.apply(root);
  }

  _send(text) {
    const clientId = newClientId();
    const node = this._renderMessage({
      client_id: clientId,
      role: this.role,
      text,
      sent_at: Date.now() / 1000,
    });
    this._pending.set(clientId, { text, node });
    this._insert(node, null);
    this._scrollToEnd(true);
    this.socket.send(MessageType.SEND_CHAT, { client_id: clientId, text });
  }

  _onWelcome(welcome) {
    for (const message of welcome.missed ?? []) {
      this._addMessage(message);
    }
    this._composer.resetTyping();
    for (const [clientId, { text }] of this._pending) {
      this.socket.send(MessageType.SEND_CHAT, { client_id: clientId, text });
    }
    this._markRead();
  }

  _addMessage(message) {
    if (!Number.isInteger(message.id)) {
      return;
    }
    const own = message.role === this.role;
    const stick = own || this._nearBottom();
    const pending = own ? this._pending.get(message.client_id) : undefined;
    let node = this._byId.get(message.id);
    if (node === undefined && pending) {
      // The relay's copy of our own message is its acknowledgement.
      node = pending.node;
      this._pending.delete(message.client_id);
      this._fillMeta(node, message);
      node.remove();
    } else if (node === undefined) {
      node = this._renderMessage(message);
    } else {
      return; // replayed: already shown
    }
    node.dataset.id = String(message.id);
    this._byId.set(message.id, node);
    this._insert(node, message.id);
    if (own) {
      this._setState(node, message.id <= this._peerReadUpTo ? "read" : "sent");
    } else {
      this._maxOtherId = Math.max(this._maxOtherId, message.id);
      if (document.visibilityState !== "visible") {
        this._setUnread(this._unread + 1);
      }
      this._setTypingShown(null);
      this._markRead();
    }
    this._scrollToEnd(stick);
  }

  _renderMessage(message) {
    const own = message.role === this.role;
    const node = element("li", `rs-msg ${own ? "rs-msg--own" : "rs-msg--other"}`, {
      "data-testid": "chat-message",
      "data-role": message.role,
      "data-own": String(own),
    });
    if (message.client_id) {
      node.dataset.clientId = message.client_id;
    }
    const name = element("div", "rs-msg__name");
    if (own) {
      this.i18n.bind(name, "chat.you");
    } else {
      name.textContent = message.name || this.i18n.t(`role.${message.role}`);
    }
    const bubble = element("div", "rs-msg__bubble", { "data-testid": "chat-text" });
    bubble.textContent = message.text;
    const meta = element("div", "rs-msg__meta");
    const time = element("time", "rs-msg__time");
    const state = element("span", "rs-msg__state");
    meta.append(time);
    if (own) {
      meta.append(state);
    }
    node.append(name, bubble, meta);
    this._fillMeta(node, message);
    this._setState(node, own ? "sending" : "sent");
    return node;
  }

  _fillMeta(node, message) {
    const time = node.querySelector(".rs-msg__time");
    const sentAt = typeof message.sent_at === "number" ? message.sent_at : Date.now() / 1000;
    node.dataset.sentAt = String(sentAt);
    time.dateTime = new Date(sentAt * 1000).toISOString();
    time.textContent = this.i18n.formatTime(sentAt);
  }

  _setState(node, state) {
    node.dataset.state = state;
    const slot = node.querySelector(".rs-msg__state");
    if (slot) {
      const label = element("span");
      this.i18n.bind(label, `chat.state.${state}`);
      slot.replaceChildren(iconElement(STATE_ICONS[state]), label);
    }
  }

  /** Insert by id; messages still waiting for their id stay at the end. */
  _insert(node, id) {
    let before = null;
    for (let child = this._list.lastElementChild; child; child = child.previousElementSibling) {
      const childId = child.dataset.id === undefined ? null : Number(child.dataset.id);
      const waiting = child.classList.contains("rs-msg") && childId === null;
      if (id !== null && (waiting || childId > id)) {
        before = child;
        continue;
      }
      break;
    }
    this._list.insertBefore(node, before);
    this._empty.hidden = true;
    this._regroup(node);
    if (node.nextElementSibling) {
      this._regroup(node.nextElementSibling);
    }
  }

  /** Show the sender's name only where a run of messages from one side begins. */
  _regroup(node) {
    if (!node.classList.contains("rs-msg")) {
      return;
    }
    const previous = node.previousElementSibling;
    const continues =
      previous?.classList.contains("rs-msg") &&
      previous.dataset.role === node.dataset.role &&
      Number(node.dataset.sentAt) - Number(previous.dataset.sentAt) < GROUP_GAP_S;
    node.classList.toggle("rs-msg--continued", Boolean(continues));
  }

  _onMarkedRead(message) {
    if (message.role === this.role || !Number.isInteger(message.up_to_id)) {
      return;
    }
    this._peerReadUpTo = Math.max(this._peerReadUpTo, message.up_to_id);
    for (const [id, node] of this._byId) {
      if (id <= this._peerReadUpTo && node.dataset.own === "true" && node.dataset.state !== "read") {
        this._setState(node, "read");
      }
    }
  }

  _markRead() {
    if (document.visibilityState !== "visible" || this._maxOtherId <= this._markedUpTo) {
      return;
    }
    if (this.socket.send(MessageType.MARK_READ, { up_to_id: this._maxOtherId })) {
      this._markedUpTo = this._maxOtherId;
      for (const [id, node] of this._byId) {
        if (id <= this._markedUpTo && node.dataset.own === "false") {
          node.dataset.state = "read";
        }
      }
    }
  }

  _onTyping(message) {
    if (message.role === this.role) {
      return;
    }
    this._setTypingShown(message.active ? message.name || this.i18n.t(`role.${message.role}`) : null);
  }

  _setTypingShown(name) {
    clearTimeout(this._typingShownTimer);
    this._typing.hidden = name === null;
    if (name !== null) {
      this.i18n.bind(this._typingText, "chat.typing", { name });
      this._typingShownTimer = setTimeout(() => this._setTypingShown(null), TYPING_SHOWN_MAX_MS);
    }
  }

  _onPresence(message, key) {
    if (message.role !== this.role) {
      this.addNotice(key, { name: message.name || this.i18n.t(`role.${message.role}`) });
      if (key === "chat.left") {
        this._setTypingShown(null);
      }
    }
  }

  _onError(message) {
    if (message.in_reply_to !== MessageType.SEND_CHAT) {
      return; // the page decides about errors outside the chat
    }
    const key = `chat.error.${message.code}`;
    this.addNotice(this.i18n.has(key) ? key : "chat.error.other", { message: message.message });
  }

  _setUnread(count) {
    if (count !== this._unread) {
      this._unread = count;
      this._onUnread(count);
    }
  }

  _reformatTimes() {
    for (const time of this._list.querySelectorAll(".rs-msg__time")) {
      const sentAt = Number(time.closest(".rs-msg").dataset.sentAt);
      time.textContent = this.i18n.formatTime(sentAt);
    }
  }

  _nearBottom() {
    const list = this._list;
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  }

  _scrollToEnd(stick) {
    if (stick) {
      this._list.scrollTop = this._list.scrollHeight;
    }
  }
}
