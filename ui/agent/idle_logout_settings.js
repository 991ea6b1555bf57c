// Settings › Network: "Automatic sign-out" (A4), the idle time in minutes (0 = off). The
// desktop app keeps it in its settings file (idle_logout_minutes), the browser page in this
// browser's localStorage; both go through the backend. What it does: idle_logout.js.

import { element } from "../common/dom.js";
import { MAX_IDLE_MINUTES, validIdleMinutes } from "./idle_logout.js";

const SAVED_SHOWN_MS = 2500;

export class IdleLogoutSettings {
  /**
   * @param {HTMLElement} panel the tab panel; the form goes first in it
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {object} options.backend has idleLogoutMinutes() and saveIdleLogoutMinutes()
   * @param {(minutes: number) => void} options.onSaved the timer takes the new time at once
   */
  constructor(panel, { i18n, backend, onSaved }) {
    Object.assign(this, { i18n, backend, onSaved });
    this._savedTimer = null;
    this.form = element("form", "agent-remote agent-idle", {
      "data-testid": "idle-settings", novalidate: "", "aria-labelledby": "idle-title",
    }); // prettier-ignore
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    const heading = this.i18n.bind(element("h2", "agent-idle__title", { id: "idle-title" }), "idle.title");
    this.input = element("input", "rs-input", {
      type: "number", id: "idle-minutes", "data-testid": "idle-minutes",
      min: "0", max: String(MAX_IDLE_MINUTES), step: "1", inputmode: "numeric",
      "aria-describedby": "idle-minutes-hint",
    }); // prettier-ignore
    const label = this.i18n.bind(element("label", "rs-label"), "idle.minutes");
    label.htmlFor = "idle-minutes";
    const hint = this.i18n.bind(element("span", "rs-help"), "idle.hint");
    hint.id = "idle-minutes-hint";
    // AD4: the admin's limit for every agent, when there is one (the shorter time applies).
    this.adminLimit = element("p", "rs-help", { "data-testid": "idle-admin-limit" });
    this.adminLimit.hidden = true;
    const field = element("div", "rs-field agent-remote__field");
    field.append(label, this.input, hint, this.adminLimit);
    this.status = element("span", "agent-remote__status", {
      role: "status", "aria-live": "polite", "data-testid": "idle-status",
    }); // prettier-ignore
    const save = element("button", "rs-button rs-button--primary", { type: "submit", "data-testid": "idle-save" });
    this.i18n.bind(save, "idle.save");
    const actions = element("div", "agent-remote__actions");
    actions.append(save, this.status);
    this.form.append(heading, field, actions);
    panel.prepend(this.form);
  }

  async load() {
    this._status("");
    try {
      this.input.value = String(await this.backend.idleLogoutMinutes());
    } catch (error) {
      this._status("idle.save_failed", { message: error?.message ?? String(error) }, "error");
    }
    const admin = await this.backend.adminIdleMinutes?.().catch(() => 0);
    this.adminLimit.hidden = !(admin > 0);
    this.i18n.bindOrClear(this.adminLimit, admin > 0 ? "idle.admin_limit" : "", { minutes: admin });
  }

  async save() {
    const text = this.input.value.trim();
    const minutes = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!validIdleMinutes(minutes)) {
      this._status("idle.invalid", { max: MAX_IDLE_MINUTES }, "error");
      this.input.focus();
      return;
    }
    try {
      const saved = await this.backend.saveIdleLogoutMinutes(minutes);
      this.onSaved(saved);
      this._status(saved === 0 ? "idle.saved_off" : "idle.saved", { minutes: saved }, "saved");
      clearTimeout(this._savedTimer);
      this._savedTimer = setTimeout(() => this._status(""), SAVED_SHOWN_MS);
    } catch (error) {
      this._status("idle.save_failed", { message: error?.message ?? String(error) }, "error");
    }
  }

  _status(key, params = {}, state = "") {
    this.status.dataset.state = state;
    this.i18n.bindOrClear(this.status, key, params);
  }
}
