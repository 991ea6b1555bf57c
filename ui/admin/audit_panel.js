// The admin site's Audit log (AD4): every option change and every change to an account, newest
// first, a page at a time (GET /api/admin/audit?page=&per_page=): when, who (and from which
// address), which option, old → new, or which account and what was done to it. A secret shows
// only as set or empty; a reset says so. Contract: docs/protocol.md, *Options*.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { labelCells } from "./option_values.js";

const PER_PAGE = 25;

export class AuditPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   */
  constructor({ i18n, api }) {
    this.i18n = i18n;
    this.api = api;
    this.page = 1;
    this.view = null;
    this.error = new ErrorMessage(byId("audit-error"), i18n);
    byId("audit-newer").addEventListener("click", () => this.load(this.page - 1));
    byId("audit-older").addEventListener("click", () => this.load(this.page + 1));
    i18n.onChange(() => this._render());
  }

  async load(page = 1) {
    this.error.clear();
    try {
      this.view = await this.api("GET", `/api/admin/audit?page=${page}&per_page=${PER_PAGE}`);
      this.page = this.view.page;
      this._render();
    } catch (error) {
      this.error.show(error);
    }
  }

  _shown(value) {
    if (value === "(set)") {
      return this.i18n.t("audit.set_value");
    }
    if (value === "(empty)" || value === "" || value === null || value === undefined) {
      return this.i18n.t("audit.empty_value");
    }
    if (typeof value === "boolean") {
      return this.i18n.t(value ? "options.on" : "options.off");
    }
    return Array.isArray(value) ? value.join(", ") || this.i18n.t("audit.empty_value") : String(value);
  }

  _label(key) {
    if (this.i18n.has(`options.label.${key}`)) {
      return this.i18n.t(`options.label.${key}`);
    }
    const field = key.replace(/^mail\./, "");
    return key.startsWith("mail.") && this.i18n.has(`mail.${field}`) ? this.i18n.t(`mail.${field}`) : key;
  }

  /** An account's line: which account, and what the admin did to it. */
  _accountCells(row, entry) {
    const what = entry.key.slice("account.".length);
    const key = `audit.account_${what}`;
    const role = entry.new === "admin" || entry.new === "agent" ? this.i18n.t(`admin.role_${entry.new}`) : "";
    const done = this.i18n.has(key) ? this.i18n.t(key, { role }) : what;
    row.append(
      element("td", "", { title: entry.key }, this.i18n.t("audit.account", { account: entry.account })),
      element("td", "admin-audit__change", {}, done),
    );
    return row;
  }

  _render() {
    const view = this.view;
    if (!view) {
      return;
    }
    const body = byId("audit-body");
    const pages = Math.max(1, Math.ceil(view.total / view.per_page));
    this.i18n.bind(byId("audit-pages"), "audit.page", { page: view.page, pages, total: view.total });
    byId("audit-newer").disabled = view.page <= 1;
    byId("audit-older").disabled = view.page >= pages;
    // One page or none: no pager to stumble on (two disabled buttons around "0 changes").
    byId("audit-pages").parentElement.hidden = pages <= 1;
    if (view.entries.length === 0) {
      const cell = element("td", "admin-table__empty", { colspan: "4" }, this.i18n.t("audit.empty"));
      const row = element("tr");
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(
      ...view.entries.map((entry) => {
        const row = element("tr", "", { "data-testid": "audit-row" });
        const who = element("td", "", {}, entry.actor);
        if (entry.address) {
          who.append(element("span", "admin-audit__address", {}, entry.address));
        }
        if (entry.via === "command_line") {
          who.append(element("span", "admin-audit__address", {}, this.i18n.t("audit.via_command_line")));
        }
        row.append(element("td", "admin-audit__when", {}, this.i18n.formatDateTime(entry.at)), who);
        if (entry.key.startsWith("account.")) {
          return labelCells(this._accountCells(row, entry), body.closest("table"));
        }
        const change = element("td", "admin-audit__change", {},
          this.i18n.t("audit.change", { old: this._shown(entry.old), new: this._shown(entry.new) }));
        if (entry.reset_to) {
          change.append(" ", element("span", "admin-options__source", {}, this.i18n.t("audit.reset_note")));
        }
        row.append(element("td", "", { title: entry.key }, this._label(entry.key)), change);
        return labelCells(row, body.closest("table"));
      }),
    );
  }
}
