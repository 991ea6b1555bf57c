// The message box under a chat: Enter sends, Shift+Enter adds a line, a character counter,
// and the `typing` signal (on while typing, off after 3 s idle or on send).

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { MAX_CHAT_CHARS, MessageType } from "../protocol.js";
import { ShortMessagePicker } from "./short_message_picker.js";

const EXPANDING_KEYS = new Set([" ", "Enter", "Tab"]);

const TYPING_IDLE_MS = 3000;
const COUNTER_WARN_CHARS = MAX_CHAT_CHARS - 200;
const MAX_INPUT_HEIGHT_PX = 160;

export class ChatComposer {
  /**
   * @param {object} options
   * @param {import("../session_socket.js").SessionSocket} options.socket
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {(text: string) => void} options.onSubmit called with the trimmed text
   * @param {import("./short_messages.js").ShortMessages} [options.shortMessages] the agent's
   *   canned messages: keys expand on space/Enter/Tab and a button lists them
   */
  constructor({ socket, i18n, onSubmit, shortMessages }) {
    this.socket = socket;
    this.i18n = i18n;
    this._onSubmit = onSubmit;
    this._shortMessages = shortMessages ?? null;
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
    if (this._picker) {
      this._picker.button.disabled = !enabled;
      this._picker.close(false);
    }
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

  /** Show the keyboard hint, or an offline note while the socket is away. A touch screen's
   * keyboard has no Shift+Enter: there the hint stays empty (the offline note still shows). */
  renderHint() {
    const offline = this.socket.status === "reconnecting" || this.socket.status === "connecting";
    const touchOnly = window.matchMedia?.("(hover: none) and (pointer: coarse)").matches ?? false;
    this.i18n.bindOrClear(this._hint, offline ? "chat.offline" : touchOnly ? null : "chat.hint");
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
      maxlength: String(MAX_CHAT_CHARS),
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
    if (this._shortMessages) {
      this._picker = new ShortMessagePicker({
        shortMessages: this._shortMessages,
        i18n: this.i18n,
        onPick: (text) => this._insert(text),
      });
      row.prepend(this._picker.button);
      form.append(this._picker.popup);
    }
    const footer = element("div", "rs-chat__footer");
    footer.append(this._hint, this._counter);
    form.append(label, row, footer);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
    this._input.addEventListener("keydown", (event) => {
      // isComposing: the Enter that confirms a Korean (IME) syllable must not send.
      if (EXPANDING_KEYS.has(event.key) && !event.isComposing && this._expandKey(event.key)) {
        event.preventDefault();
        if (event.key === "Enter" && !event.shiftKey) {
          this._submit(); // Enter always sends: "/price" + Enter sends the price text
        }
        return;
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this._submit();
      }
    });
    this._input.addEventListener("input", () => this._onInput());
    this.i18n.apply(form);
    return form;
  }

  /** Replace a short-message key before the caret with its text; true when one was. */
  _expandKey(key) {
    const input = this._input;
    if (!this._shortMessages || input.selectionStart !== input.selectionEnd) {
      return false;
    }
    const expanded = this._shortMessages.expandAt(input.value, input.selectionStart);
    if (!expanded) {
      return false;
    }
    // A space stays a space after the text; Tab only expands (to read or edit before sending).
    const tail = key === " " ? " " : "";
    input.value = expanded.value.slice(0, expanded.caret) + tail + expanded.value.slice(expanded.caret);
    const caret = expanded.caret + tail.length;
    input.setSelectionRange(caret, caret);
    this._onInput();
    return true;
  }

  /** Put text at the caret (a picked short message) and give the box the focus. */
  _insert(text) {
    const input = this._input;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    input.focus();
    input.setSelectionRange(start + text.length, start + text.length);
    this._onInput();
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
    this._counter.textContent = this.i18n.t("chat.counter", { count, max: MAX_CHAT_CHARS });
    this._counter.classList.toggle("rs-chat__counter--warn", count >= COUNTER_WARN_CHARS);
  }

  _autosize() {
    this._input.style.height = "auto";
    this._input.style.height = `${Math.min(this._input.scrollHeight, MAX_INPUT_HEIGHT_PX)}px`;
  }
}
