// A8's lock cover: an opaque layer over the whole window (customer names, chat, notes all
// hidden) with one password field. The rest of the page is made inert, so neither the mouse
// nor Tab reaches it; the page keeps running underneath (the chat socket, the presentation),
// so messages that arrive meanwhile are there after unlocking. The app checks the password with
// the relay (POST /local/unlock) and uncovers every window at once (ui/agent/desk.js).

import { element } from "../common/dom.js";

export class LockCover {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(password: string) => Promise<object>} options.unlock asks the app
   * @param {(locked: boolean) => void} [options.onChange] after the cover shows or goes
   */
  constructor({ i18n, unlock, onChange = () => {} }) {
    Object.assign(this, { i18n, unlock, onChange });
    this.locked = false;
    this._inerted = [];
    this.root = element("div", "rs-lock", {
      role: "dialog", "aria-modal": "true", "aria-labelledby": "rs-lock-title", "data-testid": "lock-cover",
    });
    this.root.hidden = true;
    const card = element("form", "rs-lock__card", { novalidate: "" });
    const title = i18n.bind(element("h1", "rs-lock__title", { id: "rs-lock-title" }), "lock.title");
    const text = i18n.bind(element("p", "rs-lock__text"), "lock.text");
    const label = i18n.bind(element("label", "rs-label", { for: "rs-lock-password" }), "lock.password");
    this.password = element("input", "rs-input", {
      type: "password", id: "rs-lock-password", autocomplete: "current-password", "data-testid": "lock-password",
    });
    this.button = element("button", "rs-button rs-button--primary", { type: "submit", "data-testid": "lock-unlock" });
    i18n.bind(this.button, "lock.unlock");
    this.status = element("p", "rs-lock__status", { role: "alert", "data-testid": "lock-status" });
    card.append(title, text, label, this.password, this.button, this.status);
    card.addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
    this.root.append(card);
  }

  /** Cover the window (again: harmless). */
  show() {
    if (!this.root.isConnected) {
      document.body.append(this.root);
    }
    if (!this.locked) {
      this.locked = true;
      // Everything else out of reach: no clicks, no focus, not read out.
      this._inerted = [...document.body.children].filter((node) => node !== this.root && !node.inert);
      for (const node of this._inerted) {
        node.inert = true;
      }
      this.root.hidden = false;
      this.password.value = "";
      this._say("");
      this.onChange(true);
    }
    this.password.focus();
  }

  /** Uncover the window. */
  hide() {
    if (!this.locked) {
      return;
    }
    this.locked = false;
    this.root.hidden = true;
    this.password.value = "";
    for (const node of this._inerted) {
      node.inert = false;
    }
    this._inerted = [];
    this.onChange(false);
  }

  async _submit() {
    const password = this.password.value;
    if (!password) {
      this.password.focus();
      return;
    }
    this.button.disabled = true;
    this._say("lock.checking");
    try {
      await this.unlock(password);
      this.hide(); // the app tells every window too; this one need not wait for it
    } catch (error) {
      this.password.value = "";
      this.password.focus();
      if (error?.code === "wrong_password") {
        this._say("lock.wrong", { tries: error.triesLeft ?? 0 });
      } else if (error?.code === "throttled") {
        this._say("lock.throttled", { seconds: Math.ceil(error.retryAfterS ?? 60) });
      } else {
        this._say("lock.failed", { message: error?.message ?? String(error) });
      }
    } finally {
      this.button.disabled = false;
    }
  }

  _say(key, params = {}) {
    this.i18n.bindOrClear(this.status, key, params);
  }
}
