// The message box under a chat: Enter sends, Shift+Enter adds a line, a character counter,
// and the `typing` signal (on while typing, off after 3 s idle or on send).

import { element } from "./dom.js";
import { iconElement } from "./icons.js";
import { MAX_CHAT_TEXT_CHARS, MessageType } from "./protocol.js";

const TYPING_IDLE_MS = 3000;
const COUNTER_WARN_CHARS = MAX_CHAT_TEXT_CHARS - 200;
const MAX_INPUT_HEIGHT_PX = 160;

export class ChatComposer {
  /**
   * @param {object} options
   * @param {import("./session_socket.js").SessionSocket} options.socket
   * @param {import("./i18n.js").i18n} options.i18n
   * @param {(text: string) => void} options.onSubmit called with the trimmed text
   */
  constructor({ socket, i18n, onSubmit }) {
    this.socket = socket;
    this.i18n = i18n;
    this._onSubmit = onSubmit;
    this._enabled = true;
    this._typingActive = false;
    this._idleTimer = null;
    this.element = this._build();
    this._renderCounter();
    this.renderHint();
  }

  setEnabled(enabled) {
    this._enabled = enabled;
    this._input.disabled = !enabled;
    this._sendButton.disabled = !enabled;
    if (!enabled) {
      clearTimeout(this._idleTimer);
    }
  }

  focus() {
    this._input.focus();
  }

  /** Forget the typing signal sent on an earlier socket (called after each welcome). */
  resetTyping() {
    clearTimeout(this._idleTimer);
    this._typingActive = false;
  }

  /** Show the keyboard hint, or an offline note while the socket is away. */
  renderHint() {
    const offline = this.socket.status === "reconnecting" || this.socket.status === "connecting";
    this.i18n.bind(this._hint, offline ? "chat.offline" : "chat.hint");
    this._hint.classList.toggle("rs-chat__hint--offline", offline);
  }

  destroy() {
    clearTimeout(this._idleTimer);
  }

  _build() {
    const form = element("form", "rs-chat__composer");
    const inputId = `rs-chat-input-${Math.random().toString(36).slice(2, 8)}`;
    const label = element("label", "rs-visually-hidden", { for: inputId });
    this.i18n.bind(label, "chat.input_label");
    this._input = element("textarea", "rs-chat__input", {
      id: inputId,
      rows: "1",
      maxlength: String(MAX_CHAT_TEXT_CHARS),
      "data-testid": "chat-input",
      "data-i18n-placeholder": "chat.input_placeholder",
      "aria-describedby": `${inputId}-hint ${inputId}-counter`,
      enterkeyhint: "send",
    });
    this._sendButton = element("button", "rs-button rs-button--primary rs-chat__send", {
      type: "submit",
      "data-testid": "chat-send",
      "data-i18n-aria-label": "chat.send",
      "data-i18n-title": "chat.send",
    });
    this._sendButton.append(iconElement("send"));
    this._hint = element("span", "rs-chat__hint", { id: `${inputId}-hint` });
    this._counter = element("span", "rs-chat__counter", {
      id: `${inputId}-counter`,
      "data-testid": "chat-counter",
    });
    const row = element("div", "rs-chat__row");
    row.append(this._input, this._sendButton);
    const footer = element("div", "rs-chat__footer");
    footer.append(this._hint, this._counter);
    form.append(label, row, footer);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
    this._input.addEventListener("keydown", (event) => {
      // isComposing: the Enter that confirms a Korean (IME) syllable must not send.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this._submit();
      }
    });
    this._input.addEventListener("input", () => this._onInput());
    this.i18n.apply(form);
    return form;
  }

  _submit() {
    const text = this._input.value.trim();
    if (!this._enabled || text === "") {
      return;
    }
    this._input.value = "";
    this._autosize();
    this._renderCounter();
    this._setTyping(false);
    this._onSubmit(text);
  }

  _onInput() {
    this._autosize();
    this._renderCounter();
    clearTimeout(this._idleTimer);
    if (this._input.value.trim() === "") {
      this._setTyping(false);
      return;
    }
    this._setTyping(true);
    this._idleTimer = setTimeout(() => this._setTyping(false), TYPING_IDLE_MS);
  }

  _setTyping(active) {
    if (!active) {
      clearTimeout(this._idleTimer);
    }
    if (active !== this._typingActive && this.socket.send(MessageType.TYPING, { active })) {
      this._typingActive = active;
    }
  }

  _renderCounter() {
    const count = this._input.value.length;
    this._counter.textContent = this.i18n.t("chat.counter", { count, max: MAX_CHAT_TEXT_CHARS });
    this._counter.classList.toggle("rs-chat__counter--warn", count >= COUNTER_WARN_CHARS);
  }

  _autosize() {
    this._input.style.height = "auto";
    this._input.style.height = `${Math.min(this._input.scrollHeight, MAX_INPUT_HEIGHT_PX)}px`;
  }
}
