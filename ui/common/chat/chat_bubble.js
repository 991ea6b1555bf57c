// One message of a chat transcript: who wrote it, its text, its time and, for one's own
// messages, the delivery state ("sending", "sent", "read" or "failed"). A failed message shows
// why the relay refused it and a "Not sent — retry" button. A file transfer's entry holds the
// file's card (ui/common/files/file_transfer_view.js) instead of text.
// Text is only ever set with textContent; http(s) links in it are <a> elements built with DOM
// APIs (ui/common/chat/linkify.js decides what is a link).

import { linkify, safeHref } from "./linkify.js";
import { element } from "../dom.js";
import { iconElement } from "../icons.js";

/** Append `text` to `parent`: plain parts as text nodes, http(s) URLs as safe links. */
export function appendLinkedText(parent, text) {
  for (const part of linkify(text)) {
    if (part.href === undefined) {
      parent.append(document.createTextNode(part.text));
      continue;
    }
    const link = element("a", "rs-msg__link", {
      href: part.href,
      target: "_blank", // the desktop app opens it in the system browser (pywebview)
      rel: "noopener noreferrer",
      "data-testid": "chat-link",
    });
    link.textContent = part.text;
    parent.append(link);
  }
}

/**
 * A favourite link's card (CH7): its title and host, one link; null when the URL would not be
 * a link in the chat (then the message shows its text, as any reader without cards does).
 */
export function linkCard(link, i18n) {
  const href = typeof link?.url === "string" ? safeHref(link.url) : null;
  if (href === null) {
    return null;
  }
  const host = new URL(href).host;
  const title = typeof link.title === "string" && link.title.trim() ? link.title : host;
  const card = element("a", "rs-msg__link rs-link-card", {
    href,
    target: "_blank",
    rel: "noopener noreferrer",
    "data-testid": "chat-link-card",
  });
  card.setAttribute("aria-label", i18n.t("chat.link_card_label", { title, host }));
  const icon = element("span", "rs-link-card__icon", { "aria-hidden": "true" });
  icon.append(iconElement("link"));
  const text = element("span", "rs-link-card__text");
  text.append(
    element("span", "rs-link-card__title", {}, title),
    element("span", "rs-link-card__host", { "data-testid": "chat-link-host" }, host),
  );
  card.append(icon, text);
  return card;
}

const STATE_ICONS = Object.freeze({
  sending: "clock",
  sent: "check",
  read: "checkDouble",
  failed: "alert",
});

let failureIds = 0; // ids that tie a retry button to the text saying why the message failed

export class ChatBubble {
  /**
   * @param {object} message a `chat_message` body, or the page's own copy before the relay's
   *   (`client_id`, `role`, `text`, `sent_at`; no `id` yet)
   * @param {object} options
   * @param {boolean} options.own written on this page
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {() => void} [options.onRetry] called when the retry button is pressed
   * @param {string} [options.color] the sender's colour ("#rrggbb"; several customers)
   * @param {HTMLElement|null} [options.attachment] shown instead of the text (a file's card)
   */
  constructor(message, { own, i18n, onRetry, color, attachment = null }) {
    this.own = own;
    this._color = color || "";
    this.i18n = i18n;
    this._attachment = attachment;
    this._onRetry = onRetry ?? (() => {});
    this.element = this._build(message);
    this.setSentAt(message.sent_at);
    this.setState(own ? "sending" : "sent");
  }

  /** The relay's id, or null while the message waits for its acknowledgement. */
  get id() {
    const id = this.element.dataset.id;
    return id === undefined ? null : Number(id);
  }

  set id(id) {
    this.element.dataset.id = String(id);
  }

  get state() {
    return this.element.dataset.state;
  }

  get sentAt() {
    return Number(this.element.dataset.sentAt);
  }

  /** Show the time the message was sent (UNIX seconds; now when unknown). */
  setSentAt(sentAt) {
    const seconds = typeof sentAt === "number" ? sentAt : Date.now() / 1000;
    this.element.dataset.sentAt = String(seconds);
    this._time.dateTime = new Date(seconds * 1000).toISOString();
    this.renderTime();
  }

  /** Write the time again in the current language. */
  renderTime() {
    this._time.textContent = this.i18n.formatTime(this.sentAt);
  }

  /** Show "sending", "sent" or "read"; leaving "failed" removes the reason and the retry. */
  setState(state) {
    this.element.dataset.state = state;
    this._failure?.remove();
    this._failure = null;
    if (this._stateSlot) {
      const label = element("span");
      this.i18n.bind(label, `chat.state.${state}`);
      this._stateSlot.replaceChildren(iconElement(STATE_ICONS[state]), label);
    }
  }

  /**
   * Mark the message as refused by the relay: say why and offer to send it again.
   * @param {string} reasonKey i18n key of the reason
   * @param {object} [params] its parameters
   */
  fail(reasonKey, params) {
    this.setState("failed");
    const reasonId = `rs-msg-failure-${++failureIds}`;
    this._failure = element("p", "rs-msg__failure", { id: reasonId, "data-testid": "chat-failure" });
    this.i18n.bind(this._failure, reasonKey, params);
    const retry = element("button", "rs-msg__retry", {
      type: "button",
      "data-testid": "chat-retry",
      "data-i18n-aria-label": "chat.retry_label",
      "aria-describedby": reasonId,
    });
    const text = element("span");
    this.i18n.bind(text, "chat.retry");
    retry.append(iconElement(STATE_ICONS.failed), text);
    // A language switch re-translates the data-i18n-aria-label; set it now as well.
    retry.setAttribute("aria-label", this.i18n.t("chat.retry_label"));
    retry.addEventListener("click", () => this._onRetry());
    this._stateSlot.replaceChildren(retry);
    this.element.append(this._failure);
  }

  _build(message) {
    const own = this.own;
    const node = element("li", `rs-msg ${own ? "rs-msg--own" : "rs-msg--other"}`, {
      "data-testid": "chat-message",
      "data-role": message.role,
      "data-own": String(own),
    });
    if (message.client_id) {
      node.dataset.clientId = message.client_id;
    }
    node.dataset.participant = message.participant_id || message.role;
    if (this._color) {
      // CSSOM, not a style attribute: allowed under the pages' strict CSP.
      node.style.setProperty("--rs-participant-color", this._color);
      node.classList.add("rs-msg--coloured");
    }
    const name = element("div", "rs-msg__name");
    if (own) {
      this.i18n.bind(name, "chat.you");
    } else {
      name.textContent = message.name || this.i18n.t(`role.${message.role}`);
    }
    let bubble;
    if (this._attachment) {
      node.dataset.kind = "file";
      bubble = element("div", "rs-msg__bubble rs-msg__bubble--file", { "data-testid": "chat-file" });
      bubble.append(this._attachment);
    } else if (message.link && linkCard(message.link, this.i18n)) {
      node.dataset.kind = "link";
      bubble = element("div", "rs-msg__bubble rs-msg__bubble--link", { "data-testid": "chat-text" });
      bubble.append(linkCard(message.link, this.i18n));
    } else {
      bubble = element("div", "rs-msg__bubble", { "data-testid": "chat-text" });
      appendLinkedText(bubble, message.text);
    }
    const meta = element("div", "rs-msg__meta");
    this._time = element("time", "rs-msg__time");
    meta.append(this._time);
    this._stateSlot = null;
    if (own) {
      this._stateSlot = element("span", "rs-msg__state");
      meta.append(this._stateSlot);
    }
    node.append(name, bubble, meta);
    return node;
  }
}
