// The chat of one support session: transcript, typing indicator and composer, shared by the
// customer and agent pages.
//
// Delivery state of one's own messages: "sending" until the relay's copy with the same
// client_id comes back, "sent" after that, "read" once the other role's read position
// (`welcome.read_up_to`, then `marked_read`) covers its id, "failed" when the relay refused it
// (an `error` naming its client_id) until the person presses retry. Messages are kept by id,
// so a replay after a reconnect never shows one twice; messages that were never acknowledged
// (and not refused) are sent again, with the same client_id, after each welcome.
// The transcript shows exactly what the relay sends: nothing is kept across page loads.
// Text is only ever set with textContent.
//
// Following: while the reader is at the bottom, the transcript stays at the bottom, also when
// it gets shorter because a panel opens above it (a ResizeObserver keeps it there). Scrolled
// up, a message from the other side shows a "new messages" pill instead of a jump; its click
// (or scrolling down) brings the newest message into view.

import { ChatBubble } from "./chat_bubble.js";
import { ChatComposer } from "./chat_composer.js";
import { MessageOrder } from "./message_order.js";
import { Participants } from "./participants.js";
import { element } from "../dom.js";
import { MessageType } from "../protocol.js";

const TYPING_SHOWN_MAX_MS = 8000; // `typing` is droppable: never show a stale indicator forever
const GROUP_GAP_S = 300;
const NEAR_BOTTOM_PX = 80;

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
   * @param {import("../session_socket.js").SessionSocket} options.socket
   * @param {"agent"|"customer"} options.role this page's role
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {(count: number) => void} [options.onUnread] told how many messages from the other
   *   side arrived while the page was hidden (0 once it is seen), e.g. for the window title
   * @param {import("./short_messages.js").ShortMessages} [options.shortMessages] canned
   *   messages for the composer (the agent's)
   * @param {(url: string) => Promise<void>} [options.openLink] opens a link of the chat
   *   elsewhere (the desktop app: in the system browser); without it a link opens a new tab
   */
  constructor(container, { socket, role, i18n, onUnread, shortMessages, openLink }) {
    this.socket = socket;
    this._attachments = null; // gives the card of a file entry (setAttachments)
    this._shortMessages = shortMessages;
    this.role = role;
    this.i18n = i18n;
    this._onUnread = onUnread ?? (() => {});
    this._unread = 0;
    this._shown = true; // false while the chat is collapsed (the viewer's panel): see setShown
    this._byId = new Map(); // id → ChatBubble
    this._lines = new Map(); // id → {name, text, sentAt}: the words "Save the chat" writes
    this._order = new MessageOrder(); // the ids of _byId, ascending: where a late message goes
    this._pending = new Map(); // client_id → {text, bubble, failed}, in send order
    this._peerReadUpTo = 0;
    this._maxOtherId = 0;
    this._markedUpTo = 0;
    this._typingShownTimer = null;
    this._following = true; // the reader is at the bottom: keep them there
    // Several customers per session: whose message is one's own, and each sender's colour.
    this.participants = new Participants();
    this._build(container);
    this._unsubscribe = [
      this.participants.follow(socket),
      socket.on(MessageType.WELCOME, (m) => this._onWelcome(m)),
      socket.on(MessageType.CHAT_MESSAGE, (m) => this._addMessage(m)),
      socket.on(MessageType.MARKED_READ, (m) => this._onMarkedRead(m)),
      socket.on(MessageType.TYPING, (m) => this._onTyping(m)),
      socket.on(MessageType.PARTICIPANT_JOINED, (m) =>
        // A reconnect of someone already in the chat is no news: at most a quiet line.
        this._onPresence(m, m.rejoined === true ? "chat.rejoined" : "chat.joined"),
      ),
      // A customer removed (or who left while others stay) is gone for good, not away.
      socket.on(MessageType.PARTICIPANT_LEFT, (m) =>
        this._onPresence(m, m.removed === true ? "chat.gone" : "chat.left"),
      ),
      socket.on(MessageType.ERROR, (m) => this._onError(m)),
      socket.on("status", () => this._composer.renderHint()),
      i18n.onChange(() => this._reformatTimes()),
    ];
    this._onVisible = () => {
      this._markRead();
      this._setUnread(this._seen() ? 0 : this._unread);
    };
    document.addEventListener("visibilitychange", this._onVisible);
    this._list.addEventListener("scroll", () => this._onScroll(), { passive: true });
    if (openLink) {
      this._list.addEventListener("click", (event) => {
        const link = event.target.closest?.("a.rs-msg__link");
        if (link) {
          event.preventDefault(); // never inside the app's own window
          openLink(link.href).catch((error) => console.warn("link not opened:", error.message));
        }
      });
    }
    // A panel opening above the chat shrinks the transcript: stay at the bottom if following.
    this._resizes = new ResizeObserver(() => this._scrollToEnd(this._following));
    this._resizes.observe(this._list);
  }

  /** Stop listening (the page is leaving this session). */
  destroy() {
    this._unsubscribe.forEach((unsubscribe) => unsubscribe());
    document.removeEventListener("visibilitychange", this._onVisible);
    this._resizes.disconnect();
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

  /**
   * Say whether the chat is on screen (a collapsed panel is not): while it is not, messages
   * from the other side count as unread and are not marked read; showing it reads them.
   */
  setShown(shown) {
    this._shown = shown;
    this._onVisible();
    if (shown) {
      this._scrollToEnd(true);
    }
  }

  /**
   * Who makes the card of a file transfer's entry (`chat_message.file`): an object with
   * `attachmentFor(message) → HTMLElement|null` (the FileTransferView), or null. Entries
   * already shown keep their card; entries without a provider show the file's name as text.
   */
  setAttachments(provider) {
    this._attachments = provider;
  }

  /**
   * Show `node` (a file this side is still preparing) as one's own item waiting at the end of
   * the transcript, like a message waiting for its id.
   * @returns {{remove: () => void, fail: () => void}} remove it (the relay's entry took its
   *   card), or mark it not sent (the relay refused the file)
   */
  addPendingItem(node) {
    const bubble = new ChatBubble(
      { role: this.role, text: "", sent_at: Date.now() / 1000 },
      { own: true, i18n: this.i18n, attachment: node },
    );
    bubble.element.dataset.waiting = "";
    this._insert(bubble.element, null);
    this._scrollToEnd(true);
    return {
      remove: () => bubble.element.remove(),
      fail: () => bubble.setState("failed"),
    };
  }

  /** Add a line such as "Bob joined" to the transcript. */
  addNotice(key, params, { subtle = false } = {}) {
    const notice = element("li", `rs-chat__notice${subtle ? " rs-chat__notice--subtle" : ""}`, {
      "data-testid": "chat-notice",
    });
    this.i18n.bind(notice, key, params);
    const stick = this._following;
    this._empty.hidden = true;
    this._list.append(notice);
    this._scrollToEnd(stick);
  }

  /** Add an item such as a print request (remote print) to the end of the transcript. */
  addItem(node) {
    const item = element("li", "rs-chat__item", { "data-testid": "chat-item" });
    item.append(node);
    const stick = this._following;
    this._empty.hidden = true;
    this._list.append(item);
    this._scrollToEnd(stick);
  }

  /** Put the caret in the composer. */
  focus() {
    this._composer.focus();
  }

  /**
   * The conversation as plain text, a line a message in the relay's order: "[time] name: text".
   * @param {(seconds: number) => string} formatTime
   */
  transcriptText(formatTime) {
    return [...this._lines.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, line]) => `[${formatTime(line.sentAt)}] ${line.name}: ${line.text}`)
      .join("\n");
  }

  /** What the test hook reports. */
  snapshot() {
    return {
      messages: this._byId.size,
      pending: this._pending.size,
      failed: [...this._pending.values()].filter((entry) => entry.failed).length,
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

    // Shown when a message from the other side arrives while the reader is scrolled up.
    this._pill = element("button", "rs-chat__new", { type: "button", "data-testid": "chat-new-messages" });
    this._pill.hidden = true;
    this._pillText = element("span");
    this.i18n.bind(this._pillText, "chat.new_messages");
    const arrow = element("span", "rs-chat__new-arrow", { "aria-hidden": "true" }, "↓");
    this._pill.append(this._pillText, arrow);
    this._pill.addEventListener("click", () => {
      this._scrollToEnd(true);
      this._composer.focus();
    });
    const scroller = element("div", "rs-chat__scroller");
    scroller.append(this._list, this._pill);

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
      shortMessages: this._shortMessages,
    });

    root.append(scroller, this._typing, this._composer.element);
    container.replaceChildren(root);
    this.i18n.apply(root);
  }

  _send(text) {
    const clientId = newClientId();
    const bubble = this._newBubble({
      client_id: clientId,
      role: this.role,
      text,
      sent_at: Date.now() / 1000,
    });
    bubble.element.dataset.waiting = "";
    this._pending.set(clientId, { text, bubble, failed: false });
    this._insert(bubble.element, null); // waits at the end for its id
    this._scrollToEnd(true);
    this.socket.send(MessageType.SEND_CHAT, { client_id: clientId, text });
  }

  /** Send a refused message again, with its client_id, so the relay never stores it twice. */
  _retry(clientId) {
    const entry = this._pending.get(clientId);
    if (!entry?.failed) {
      return;
    }
    entry.failed = false;
    entry.bubble.setState("sending");
    this._composer.focus(); // the retry button is gone; keep the keyboard in the chat
    // Offline, it stays "sending" and goes out after the next welcome.
    this.socket.send(MessageType.SEND_CHAT, { client_id: clientId, text: entry.text });
  }

  _onWelcome(welcome) {
    const readUpTo = welcome.read_up_to ?? {};
    const peer = this.role === "agent" ? "customer" : "agent";
    // Set before the replay so replayed own messages come in already "read".
    this._applyPeerRead(readUpTo[peer]);
    if (Number.isInteger(readUpTo[this.role])) {
      this._markedUpTo = Math.max(this._markedUpTo, readUpTo[this.role]);
    }
    for (const message of welcome.missed ?? []) {
      this._addMessage(message);
    }
    this._composer.resetTyping();
    for (const [clientId, { text, failed }] of this._pending) {
      if (!failed) {
        this.socket.send(MessageType.SEND_CHAT, { client_id: clientId, text });
      }
    }
    this._markRead();
  }

  _addMessage(message) {
    if (!Number.isInteger(message.id)) {
      return;
    }
    const own = this.participants.isOwn(message, this.role);
    const stick = own || this._following;
    const pending = own ? this._pending.get(message.client_id) : undefined;
    let bubble = this._byId.get(message.id);
    if (bubble === undefined && pending) {
      // The relay's copy of our own message is its acknowledgement.
      bubble = pending.bubble;
      this._pending.delete(message.client_id);
      delete bubble.element.dataset.waiting;
      bubble.setSentAt(message.sent_at);
      bubble.element.remove();
    } else if (bubble === undefined) {
      bubble = this._newBubble(message);
    } else {
      return; // replayed: already shown
    }
    bubble.id = message.id;
    this._byId.set(message.id, bubble);
    const text = message.file?.name ?? message.text;
    this._lines.set(message.id, { name: message.name, text, sentAt: message.sent_at });
    this._insert(bubble.element, message.id);
    if (own) {
      bubble.setState(message.id <= this._peerReadUpTo ? "read" : "sent");
    } else {
      this._maxOtherId = Math.max(this._maxOtherId, message.id);
      if (message.id <= this._markedUpTo) {
        bubble.setState("read"); // read before (on this page or an earlier one)
      } else if (!this._seen()) {
        this._setUnread(this._unread + 1);
      }
      this._setTypingShown(null);
      this._markRead();
      if (!stick) {
        this._pill.hidden = false; // scrolled up: tell, do not jump
      }
    }
    this._scrollToEnd(stick);
  }

  _newBubble(message) {
    const attachment = message.file ? (this._attachments?.attachmentFor(message) ?? null) : null;
    return new ChatBubble(message, {
      own: message.client_id !== undefined && message.id === undefined
        ? true // this page's own copy, before the relay's
        : this.participants.isOwn(message, this.role),
      color: this.participants.colorOf(message.participant_id),
      i18n: this.i18n,
      onRetry: () => this._retry(message.client_id),
      attachment,
    });
  }

  /**
   * Put a message's element in its place: by id (the order model says which message follows
   * it), or, while it waits for its id (null), at the end. Messages still waiting stay after
   * every message that has an id.
   */
  _insert(node, id) {
    let before = null;
    if (id !== null) {
      const next = this._order.add(id);
      before = next === null ? this._firstWaiting() : this._byId.get(next).element;
    }
    this._list.insertBefore(node, before);
    this._empty.hidden = true;
    this._regroup(node);
    if (node.nextElementSibling) {
      this._regroup(node.nextElementSibling);
    }
  }

  /** The element of the oldest own item still waiting (a message for its id, a file for the
   * relay's entry), or null. */
  _firstWaiting() {
    return this._list.querySelector(":scope > [data-waiting]");
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
      previous.dataset.participant === node.dataset.participant &&
      Number(node.dataset.sentAt) - Number(previous.dataset.sentAt) < GROUP_GAP_S;
    node.classList.toggle("rs-msg--continued", Boolean(continues));
  }

  _onMarkedRead(message) {
    if (message.role !== this.role) {
      this._applyPeerRead(message.up_to_id);
    } else if (Number.isInteger(message.up_to_id) && message.up_to_id > this._markedUpTo) {
      // Read in another window of this participant (the viewer's chat, or the chat tab).
      this._markedUpTo = message.up_to_id;
      for (const [id, bubble] of this._byId) {
        if (id <= this._markedUpTo && !bubble.own) {
          bubble.setState("read");
        }
      }
      if (this._markedUpTo >= this._maxOtherId) {
        this._setUnread(0);
      }
    }
  }

  /** The other side has read up to this id: show "read" on one's own messages up to it. */
  _applyPeerRead(upToId) {
    if (!Number.isInteger(upToId) || upToId <= this._peerReadUpTo) {
      return;
    }
    this._peerReadUpTo = upToId;
    for (const [id, bubble] of this._byId) {
      if (id <= upToId && bubble.own && bubble.state !== "read") {
        bubble.setState("read");
      }
    }
  }

  /** True when the person can see the transcript: the page is visible and the chat shown. */
  _seen() {
    return this._shown && document.visibilityState === "visible";
  }

  _markRead() {
    if (!this._seen() || this._maxOtherId <= this._markedUpTo) {
      return;
    }
    if (this.socket.send(MessageType.MARK_READ, { up_to_id: this._maxOtherId })) {
      this._markedUpTo = this._maxOtherId;
      for (const [id, bubble] of this._byId) {
        if (id <= this._markedUpTo && !bubble.own) {
          bubble.setState("read");
        }
      }
    }
  }

  _onTyping(message) {
    if (this.participants.isOwn(message, this.role)) {
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
    if (!this.participants.isOwn(message, this.role)) {
      const name = message.name || this.i18n.t(`role.${message.role}`);
      this.addNotice(key, { name }, { subtle: key === "chat.rejoined" });
      if (key === "chat.left" || key === "chat.gone") {
        this._setTypingShown(null);
      }
    }
  }

  _onError(message) {
    const key = `chat.error.${message.code}`;
    const reason = this.i18n.has(key) ? key : "chat.error.other";
    const entry = this._pending.get(message.client_id);
    if (entry && !entry.failed) {
      // The relay names the refused message: mark that bubble, not the whole chat.
      entry.failed = true;
      entry.bubble.fail(reason, { message: message.message });
      this._scrollToEnd(true); // one's own latest message: keep its reason in view
      return;
    }
    if (message.in_reply_to === MessageType.SEND_CHAT && !message.client_id) {
      this.addNotice(reason, { message: message.message }); // a relay that names no message
    }
    // Other errors are the page's business (it listens for them itself).
  }

  _setUnread(count) {
    if (count !== this._unread) {
      this._unread = count;
      this._onUnread(count);
    }
  }

  _reformatTimes() {
    for (const bubble of this._byId.values()) {
      bubble.renderTime();
    }
    for (const { bubble } of this._pending.values()) {
      bubble.renderTime();
    }
  }

  _nearBottom() {
    const list = this._list;
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  }

  _scrollToEnd(stick) {
    if (stick) {
      this._list.scrollTop = this._list.scrollHeight;
      this._following = true;
      this._pill.hidden = true;
    }
  }

  /** The reader scrolled (or the list moved): follow again once they are back at the bottom. */
  _onScroll() {
    this._following = this._nearBottom();
    if (this._following) {
      this._pill.hidden = true;
    }
  }
}
