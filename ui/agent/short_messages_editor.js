// The short messages settings (A9): add, edit and delete the agent's canned messages
// `{key, text}`. Every change is validated (key format, unique key, text) and saved at once
// through the backend (the app's settings file, or this browser's storage).

import { element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { iconElement } from "../common/icons.js";
import { MAX_SHORT_TEXT_CHARS, shortMessageProblem } from "../common/chat/short_messages.js";

export class ShortMessagesEditor {
  /**
   * @param {HTMLElement} container emptied and filled with the editor
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(messages: Array<{key: string, text: string}>) => Promise<Array>} options.save
   *   stores the whole list and returns what was stored
   */
  constructor(container, { i18n, save }) {
    this.i18n = i18n;
    this._save = save;
    this._messages = [];
    this._editing = null; // index being edited, null when adding
    this._build(container);
  }

  /** Show a freshly loaded list. */
  setMessages(messages) {
    this._messages = messages.map(({ key, text }) => ({ key, text }));
    this._cancelEdit();
    this._renderList();
  }

  /** Show a failure (e.g. the list could not be loaded). */
  showError(error) {
    this._error.show(error);
  }

  _build(container) {
    const t = (node, key) => this.i18n.bind(node, key);
    const intro = t(element("p", "rs-help"), "short.intro");
    const follows = t(element("p", "rs-help"), "account.short_follow"); // saved on the relay
    this._list = element("ul", "agent-short__list", { "data-testid": "short-list" });
    this._empty = t(element("p", "agent-short__empty"), "short.empty");
    this._form = element("form", "agent-short__form", { novalidate: "" });
    this._formTitle = element("h2", "agent-short__form-title");
    const keyField = element("div", "rs-field");
    this._key = element("input", "rs-input agent-short__key", {
      id: "short-key",
      "data-testid": "short-key",
      maxlength: "32",
      spellcheck: "false",
      autocapitalize: "none",
      "aria-describedby": "short-key-hint",
      placeholder: "/price",
    });
    keyField.append(
      t(element("label", "rs-label", { for: "short-key" }), "short.key_label"),
      this._key,
      t(element("span", "rs-help", { id: "short-key-hint" }), "short.key_hint"),
    );
    const textField = element("div", "rs-field");
    this._text = element("textarea", "rs-input agent-short__text", {
      id: "short-text",
      "data-testid": "short-text",
      rows: "3",
      maxlength: String(MAX_SHORT_TEXT_CHARS),
      "aria-describedby": "short-text-hint",
    });
    textField.append(
      t(element("label", "rs-label", { for: "short-text" }), "short.text_label"),
      this._text,
      t(element("span", "rs-help", { id: "short-text-hint" }), "short.text_hint"),
    );
    const alert = element("div", "rs-alert", { "data-testid": "short-error", "aria-live": "assertive" });
    this._error = new ErrorMessage(alert, this.i18n);
    this._submit = element("button", "rs-button rs-button--primary", {
      type: "submit",
      "data-testid": "short-save",
    });
    this._cancel = t(element("button", "rs-button rs-button--secondary", { type: "button" }), "common.cancel");
    this._cancel.addEventListener("click", () => this._cancelEdit(true));
    const actions = element("div", "agent-short__actions");
    actions.append(this._submit, this._cancel);
    this._form.append(this._formTitle, keyField, textField, alert, actions);
    this._form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._submitForm();
    });
    this._status = element("p", "agent-short__status", { "aria-live": "polite", "data-testid": "short-status" });
    container.replaceChildren(intro, follows, this._list, this._empty, this._status, this._form);
  }

  _renderList() {
    this._list.replaceChildren(
      ...this._messages.map((message, index) => {
        const item = element("li", "agent-short__item", { "data-testid": "short-item" });
        const edit = this._iconButton("edit", "short.edit", message.key, () => this._startEdit(index));
        const remove = this._iconButton("trash", "short.delete", message.key, () => this._delete(index));
        item.append(
          element("span", "agent-short__item-key", {}, message.key),
          element("span", "agent-short__item-text", {}, message.text),
          edit,
          remove,
        );
        return item;
      }),
    );
    this._empty.hidden = this._messages.length > 0;
  }

  _iconButton(icon, labelKey, key, onClick) {
    const button = element("button", "rs-button rs-button--ghost rs-button--small", {
      type: "button",
      "data-testid": `short-${icon === "trash" ? "delete" : "edit"}`,
    });
    button.dataset.i18nAriaLabel = labelKey;
    button.dataset.i18nParams = JSON.stringify({ key });
    button.setAttribute("aria-label", this.i18n.t(labelKey, { key }));
    button.append(iconElement(icon));
    button.addEventListener("click", onClick);
    return button;
  }

  _startEdit(index) {
    this._editing = index;
    this._key.value = this._messages[index].key;
    this._text.value = this._messages[index].text;
    this._renderForm();
    this._text.focus();
  }

  _cancelEdit(refocus = false) {
    this._editing = null;
    this._key.value = "";
    this._text.value = "";
    this._key.removeAttribute("aria-invalid");
    this._error.clear();
    this._renderForm();
    if (refocus) {
      this._key.focus();
    }
  }

  _renderForm() {
    const editing = this._editing !== null;
    this.i18n.bind(this._formTitle, editing ? "short.edit_title" : "short.add_title");
    this.i18n.bind(this._submit, editing ? "short.save" : "short.add");
    this._cancel.hidden = !editing;
  }

  async _submitForm() {
    const message = { key: this._key.value.trim(), text: this._text.value.trim() };
    const others = this._messages.filter((_, index) => index !== this._editing);
    const problem = shortMessageProblem(message, others);
    if (problem) {
      this._error.showKey(problem, { key: message.key });
      const field = problem.includes("key") ? this._key : this._text;
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return;
    }
    this._key.removeAttribute("aria-invalid");
    const next = [...this._messages];
    if (this._editing === null) {
      next.push(message);
    } else {
      next[this._editing] = message;
    }
    if (await this._store(next, "short.saved", { key: message.key })) {
      this._cancelEdit(true);
    }
  }

  async _delete(index) {
    const { key } = this._messages[index];
    const next = this._messages.filter((_, i) => i !== index);
    if (await this._store(next, "short.deleted", { key })) {
      if (this._editing === index) {
        this._cancelEdit();
      }
      this._key.focus();
    }
  }

  async _store(next, doneKey, params) {
    this._submit.disabled = true;
    try {
      const stored = await this._save(next);
      this._messages = stored.map(({ key, text }) => ({ key, text }));
      this._renderList();
      this._error.clear();
      this.i18n.bind(this._status, doneKey, params);
      return true;
    } catch (error) {
      if (Array.isArray(error?.messages)) {
        // Changed in another window meanwhile: show that list; the agent makes the change again.
        this._messages = error.messages.map(({ key, text }) => ({ key, text }));
        this._renderList();
      }
      this._error.show(error);
      return false;
    } finally {
      this._submit.disabled = false;
    }
  }
}
