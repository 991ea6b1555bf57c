// The consultation log of one support (CH5): the agent's notes beside the chat, loaded from and
// saved to the relay (`/api/sessions/<id>/notes`), still editable after the end. Saved by the
// Save button or 2 s after the last keystroke; a failed save keeps the text, says why, and is
// retried. The text is never replaced by the relay's copy once the agent has typed.

import { element } from "../common/dom.js";
import { iconElement } from "../common/icons.js";

const AUTOSAVE_IDLE_MS = 2000;
const RETRY_MS = 5000;
const MAX_NOTES_CHARS = 20000;

export class NotesPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   *   the relay's HTTP API with the agent's token
   * @param {string} options.sessionId
   * @param {(error: Error) => boolean} [options.onAuthError] told of a 401; true = handled
   */
  constructor({ i18n, api, sessionId, onAuthError }) {
    this.i18n = i18n;
    this._api = api;
    this.sessionId = sessionId;
    this._onAuthError = onAuthError ?? (() => false);
    this._saved = null; // the text the relay has; null until loaded
    this._saving = false;
    this._idleTimer = null;
    this._retryTimer = null;
    this._destroyed = false;
    this._releaseWhenSaved = false;
    this.element = this._build();
    this._unsubscribe = i18n.onChange(() => this._renderStatus());
    this._status = { key: "notes.loading" };
    this._renderStatus();
  }

  /** True while the box holds text the relay does not have yet. */
  get dirty() {
    return this._saved !== null && this._textarea.value !== this._saved;
  }

  async load() {
    clearTimeout(this._retryTimer);
    this._setStatus("loading", "notes.loading");
    try {
      const notes = await this._api("GET", this._path());
      if (this._destroyed) {
        return;
      }
      this._saved = notes.notes ?? "";
      this._textarea.value = this._saved;
      this._textarea.readOnly = false;
      this._saveButton.disabled = false;
      this._setStatus("idle", notes.updated_at ? "notes.saved_at" : "notes.empty", notes.updated_at);
    } catch (error) {
      if (this._destroyed || this._onAuthError(error)) {
        return;
      }
      this._setStatus("failed", "notes.load_failed", null, error);
      this._retryTimer = setTimeout(() => this.load(), RETRY_MS);
    }
  }

  /** Save now (the Save button, Ctrl+S, or the idle timer). */
  async save() {
    clearTimeout(this._idleTimer);
    clearTimeout(this._retryTimer);
    if (this._saved === null || this._saving || !this.dirty) {
      return;
    }
    this._saving = true;
    const text = this._textarea.value;
    this._setStatus("saving", "notes.saving");
    try {
      const notes = await this._api("PUT", this._path(), { body: { notes: text } });
      this._saved = text;
      if (this.dirty) {
        this._setStatus("unsaved", "notes.unsaved");
      } else {
        this._setStatus("saved", "notes.saved_at", notes.updated_at ?? Date.now() / 1000);
      }
    } catch (error) {
      if (!this._onAuthError(error)) {
        // Keep the text; tell why and try again (the next keystroke also tries sooner).
        this._setStatus("failed", "notes.save_failed", null, error);
        this._retryTimer = setTimeout(() => this.save(), RETRY_MS);
      }
    } finally {
      this._saving = false;
    }
    if (this.dirty && this._status.state !== "failed") {
      this._scheduleSave(); // typed while the save was on its way
    } else if (!this.dirty && this._releaseWhenSaved) {
      this.destroy();
    }
  }

  /** The page moves on from this support: save what is left, then stop. */
  release() {
    if (this.dirty) {
      this._releaseWhenSaved = true;
      this.save();
    } else {
      this.destroy();
    }
  }

  destroy() {
    this._destroyed = true;
    clearTimeout(this._idleTimer);
    clearTimeout(this._retryTimer);
    this._unsubscribe();
  }

  focus() {
    this._textarea.focus();
  }

  _path() {
    return `/api/sessions/${encodeURIComponent(this.sessionId)}/notes`;
  }

  _scheduleSave() {
    clearTimeout(this._idleTimer);
    this._idleTimer = setTimeout(() => this.save(), AUTOSAVE_IDLE_MS);
  }

  _build() {
    const id = `notes-${Math.random().toString(36).slice(2, 8)}`;
    const root = element("section", "agent-notes", {
      "aria-labelledby": `${id}-title`,
      "data-testid": "notes-panel",
    });
    const title = element("h2", "agent-notes__title", { id: `${id}-title` });
    title.append(iconElement("notes"), this.i18n.bind(element("span"), "notes.title"));
    const hint = this.i18n.bind(element("p", "rs-help", { id: `${id}-hint` }), "notes.hint");
    this._textarea = element("textarea", "rs-input agent-notes__text", {
      "data-testid": "notes-input",
      "aria-labelledby": `${id}-title`,
      "aria-describedby": `${id}-hint ${id}-status`,
      maxlength: String(MAX_NOTES_CHARS),
      "data-i18n-placeholder": "notes.placeholder",
    });
    this._textarea.readOnly = true;
    this._textarea.addEventListener("input", () => {
      if (this.dirty) {
        this._setStatus("unsaved", "notes.unsaved");
        this._scheduleSave();
      }
    });
    this._textarea.addEventListener("keydown", (event) => {
      if (event.key === "s" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.save();
      }
    });
    const footer = element("div", "agent-notes__footer");
    this._statusLine = element("p", "agent-notes__status", {
      id: `${id}-status`,
      "data-testid": "notes-status",
      "aria-live": "polite",
    });
    this._saveButton = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": "notes-save",
    });
    this._saveButton.append(iconElement("save"), this.i18n.bind(element("span"), "notes.save"));
    this._saveButton.disabled = true;
    this._saveButton.addEventListener("click", () => this.save());
    footer.append(this._statusLine, this._saveButton);
    root.append(title, hint, this._textarea, footer);
    this.i18n.apply(root);
    return root;
  }

  _setStatus(state, key, time = null, error = null) {
    this._status = { state, key, time, error };
    this._renderStatus();
  }

  _renderStatus() {
    const { state, key, time, error } = this._status;
    const line = this._statusLine;
    line.dataset.state = state ?? "loading";
    line.classList.toggle("agent-notes__status--failed", state === "failed");
    const params = {};
    if (typeof time === "number") {
      params.time = this.i18n.formatTime(time);
    }
    if (error) {
      const reason = `error.${error.code}`;
      params.reason = this.i18n.has(reason)
        ? this.i18n.t(reason, { message: error.message, status: error.status || "?" })
        : error.message;
    }
    line.textContent = this.i18n.t(key, params);
  }
}
