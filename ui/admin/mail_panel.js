// The admin site's mail section (AD4): the SMTP settings (each with where its value comes
// from), the write-only password, "Send test mail" with the server's answer, the outbox's
// counts and the latest changes (the relay's audit trail). Contract: docs/protocol.md, *Mail*.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";

const FIELDS = [
  "host",
  "port",
  "security",
  "username",
  "sender_address",
  "sender_name",
  "ca_file",
  "keep_days",
];
const NUMBERS = new Set(["port", "keep_days"]);
// The reservations' reminder lead is set in one place, Options → Reminders: shown here, read-only.
const REMINDER = "reminder_minutes";

export class MailPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   */
  constructor({ i18n, api }) {
    this.i18n = i18n;
    this.api = api;
    this.view = null;
    this.error = new ErrorMessage(byId("mail-error"), i18n);
    this.testError = new ErrorMessage(byId("mail-test-error"), i18n);
    byId("mail-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._save();
    });
    byId("mail-test-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._test();
    });
    byId("mail-security").addEventListener("change", () => this._suggestPort());
    i18n.onChange(() => this._render());
  }

  async load() {
    this.error.clear();
    try {
      this._show(await this.api("GET", "/api/admin/mail"), true);
    } catch (error) {
      this.error.show(error);
    }
  }

  clear() {
    this.view = null;
    byId("mail-password").value = "";
    this.i18n.bindOrClear(byId("mail-message"), "");
    this.i18n.bindOrClear(byId("mail-test-result"), "");
  }

  _show(view, fillForm) {
    this.view = view;
    if (fillForm) {
      for (const field of FIELDS) {
        byId(`mail-${field}`).value = String(view.settings[field]?.value ?? "");
      }
      byId("mail-password").value = "";
      byId("mail-clear-password").checked = false;
    }
    this._render();
  }

  _render() {
    const view = this.view;
    if (!view) {
      return;
    }
    for (const field of [...FIELDS, "password"]) {
      const source = view.settings[field]?.source ?? "default";
      this.i18n.bind(byId(`mail-${field}-source`), `mail.source_${source}`);
      byId(`mail-${field}-source`).dataset.source = source;
    }
    const minutes = Number(view.settings[REMINDER]?.value ?? 0);
    this.i18n.bind(byId("mail-reminder"), minutes > 0 ? "mail.reminder_value" : "mail.reminder_none", { minutes });
    const passwordSet = Boolean(view.settings.password?.set);
    this.i18n.bind(byId("mail-password-state"), passwordSet ? "mail.password_set" : "mail.password_unset");
    byId("mail-clear-password-row").hidden = !passwordSet;
    const counts = view.outbox ?? {};
    this.i18n.bind(byId("mail-outbox"), "mail.outbox_counts", {
      sent: counts.sent ?? 0,
      waiting: (counts.queued ?? 0) + (counts.sending ?? 0) + (counts.retrying ?? 0),
      failed: counts.failed ?? 0,
    });
    const list = byId("mail-audit");
    const entries = view.audit ?? [];
    if (entries.length === 0) {
      list.replaceChildren(element("li", "admin-audit__empty", {}, this.i18n.t("mail.audit_empty")));
      return;
    }
    list.replaceChildren(
      ...entries.map((entry) => {
        const field = entry.key.replace(/^mail\./, "");
        const label = this.i18n.has(`mail.${field}`) ? this.i18n.t(`mail.${field}`) : field;
        // A secret's old and new are only the relay's "(set)" / "(empty)" markers.
        const shown = (value) => {
          if (value === "" || value === null || value === "(empty)") {
            return this.i18n.t("mail.empty_value");
          }
          return value === "(set)" ? this.i18n.t("mail.set_value") : String(value);
        };
        return element(
          "li",
          "admin-audit__item",
          {},
          this.i18n.t("mail.audit_line", {
            time: this.i18n.formatDateTime(entry.at),
            actor: entry.actor,
            field: label,
            old: shown(entry.old),
            new: shown(entry.new),
          }),
        );
      }),
    );
  }

  _suggestPort() {
    // A port typed by the admin stays; the default port follows the security mode.
    const port = byId("mail-port");
    const defaults = { none: "25", starttls: "587", tls: "465" };
    if (Object.values(defaults).includes(port.value.trim()) || !port.value.trim()) {
      port.value = defaults[byId("mail-security").value] ?? port.value;
    }
  }

  async _save() {
    this.error.clear();
    this.i18n.bindOrClear(byId("mail-message"), "");
    // Only what the admin changed: an untouched field keeps its origin (default, command line).
    const body = {};
    for (const field of FIELDS) {
      const value = byId(`mail-${field}`).value.trim();
      if (value !== String(this.view?.settings[field]?.value ?? "")) {
        body[field] = NUMBERS.has(field) && /^\d+$/.test(value) ? Number.parseInt(value, 10) : value;
      }
    }
    const password = byId("mail-password").value;
    if (password) {
      body.password = password;
    } else if (byId("mail-clear-password").checked) {
      body.clear_password = true;
    }
    const button = byId("mail-save");
    button.disabled = true;
    try {
      const before = JSON.stringify(this.view?.audit ?? []);
      const view = await this.api("PUT", "/api/admin/mail", { body });
      this._show(view, true);
      const changed = JSON.stringify(view.audit ?? []) !== before;
      this.i18n.bind(byId("mail-message"), changed ? "mail.saved" : "mail.unchanged");
    } catch (error) {
      this.error.show(error);
      if (error.code === "bad_setting") {
        const field = FIELDS.find((name) => error.message.startsWith(`${name}:`));
        byId(field ? `mail-${field}` : "mail-host").focus();
      }
    } finally {
      button.disabled = false;
    }
  }

  async _test() {
    this.testError.clear();
    const result = byId("mail-test-result");
    result.className = "admin-mail__result";
    const to = byId("mail-test-to").value.trim();
    const button = byId("mail-test-button");
    button.disabled = true;
    this.i18n.bind(result, "mail.test_sending");
    try {
      const answer = await this.api("POST", "/api/admin/mail/test", { body: { to } });
      this.i18n.bind(result, answer.delivered ? "mail.test_delivered" : "mail.test_failed", {
        answer: answer.answer,
      });
      result.classList.add(answer.delivered ? "admin-mail__result--ok" : "admin-mail__result--failed");
      this.load();
    } catch (error) {
      this.i18n.bindOrClear(result, "");
      if (error.code === "mail_not_configured") {
        // The generic text sends an agent to the admin; the admin is on the very page.
        this.testError.showKey("mail.test_not_configured");
        byId("mail-host").focus();
      } else {
        this.testError.show(error);
      }
    } finally {
      button.disabled = false;
    }
  }
}
