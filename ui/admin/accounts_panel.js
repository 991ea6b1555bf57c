// The admin site's accounts section (AD1): the table of agents and admins, the "new account"
// form, disable / enable, and password reset (PasswordDialog). Every call goes through the
// page's api() (which handles a lost sign-in); every refusal is told in the user's language.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { iconElement } from "../common/icons.js";
import { PasswordDialog } from "./password_dialog.js";

export class AccountsPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   * @param {() => string} options.me the signed-in admin's ID (their row has no "Disable")
   * @param {() => void} options.onOwnPasswordChanged the admin reset their own password,
   *   which signed them out
   */
  constructor({ i18n, api, me, onOwnPasswordChanged }) {
    this.i18n = i18n;
    this.api = api;
    this.me = me;
    this.onOwnPasswordChanged = onOwnPasswordChanged;
    this.accounts = [];
    this.error = new ErrorMessage(byId("accounts-error"), i18n);
    this.createError = new ErrorMessage(byId("create-error"), i18n);
    this.dialog = new PasswordDialog({
      i18n,
      setPassword: (username, password) =>
        this.api("PUT", `/api/admin/accounts/${encodeURIComponent(username)}/password`, {
          body: { password },
        }),
      onDone: (username) => {
        if (username === this.me()) {
          this.onOwnPasswordChanged();
          return;
        }
        this._tell("admin.reset_done", { id: username });
      },
    });
    byId("create-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._create();
    });
    i18n.onChange(() => this._render());
  }

  /** Fetch the accounts and show them. */
  async load() {
    this.error.clear();
    this.i18n.bind(byId("accounts-count"), "admin.loading");
    try {
      const { accounts } = await this.api("GET", "/api/admin/accounts");
      this.accounts = accounts;
      this._render();
    } catch (error) {
      this.error.show(error);
    }
  }

  /** Forget what is shown (on sign-out). */
  clear() {
    this.accounts = [];
    this.error.clear();
    this.createError.clear();
    this._tell(null);
    byId("accounts-body").replaceChildren();
    this.dialog.close();
  }

  async _create() {
    const username = byId("create-username").value.trim();
    const password = byId("create-password").value;
    const name = byId("create-name").value.trim();
    if (!username || !password) {
      this.createError.showKey("admin.missing_fields");
      return;
    }
    const button = byId("create-button");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    try {
      const body = { username, password, role: byId("create-role").value };
      if (name) {
        body.name = name;
      }
      const { account } = await this.api("POST", "/api/admin/accounts", { body });
      this.createError.clear();
      byId("create-form").reset();
      this._upsert(account);
      this._tell("admin.created", { id: account.username });
    } catch (error) {
      this.createError.show(error);
    } finally {
      button.disabled = false;
    }
  }

  /** Disable after the admin confirmed it (it cuts off the agent's live calls); enable at once. */
  async _toggleDisabled(account, button) {
    if (account.disabled) {
      await this._setDisabled(account, false, button);
      return;
    }
    const dialog = byId("disable-dialog");
    this.i18n.bind(byId("disable-title"), "admin.disable_confirm_title", { id: account.username });
    dialog.returnValue = "";
    dialog.showModal();
    await new Promise((resolve) => dialog.addEventListener("close", resolve, { once: true }));
    if (dialog.returnValue === "confirm") {
      await this._setDisabled(account, true, button);
    } else if (button.isConnected) {
      button.focus();
    }
  }

  async _setDisabled(account, disabled, button) {
    button.disabled = true;
    this.error.clear();
    try {
      const path = `/api/admin/accounts/${encodeURIComponent(account.username)}/`;
      const { account: changed } = await this.api("POST", path + (disabled ? "disable" : "enable"));
      this._upsert(changed);
      this._tell(disabled ? "admin.disabled_done" : "admin.enabled_done", { id: changed.username });
    } catch (error) {
      button.disabled = false;
      this.error.show(error);
    }
  }

  _upsert(account) {
    const index = this.accounts.findIndex((a) => a.username === account.username);
    if (index >= 0) {
      this.accounts[index] = account;
    } else {
      this.accounts.push(account);
    }
    this._render();
  }

  _tell(key, params) {
    const box = byId("accounts-message");
    if (key) {
      this.i18n.bind(box, key, params);
    } else {
      delete box.dataset.i18n;
      box.textContent = "";
    }
  }

  _render() {
    const t = (key, params) => this.i18n.t(key, params);
    this.i18n.bind(byId("accounts-count"), "admin.accounts_count", { n: this.accounts.length });
    byId("accounts-body").replaceChildren(...this.accounts.map((account) => this._row(account, t)));
  }

  _row(account, t) {
    const mine = account.username === this.me();
    const row = element("tr", account.disabled ? "admin-row admin-row--disabled" : "admin-row", {
      "data-testid": "account-row",
      "data-username": account.username,
    });
    const cell = (labelKey, className) =>
      element("td", className, { "data-label": t(labelKey) });

    const id = cell("admin.col_id");
    const idText = element("span", "", {}, "");
    idText.append(element("span", "admin-id", {}, account.username));
    if (mine) {
      idText.append(" ", element("span", "rs-help", {}, t("admin.you")));
    }
    id.append(idText);
    const name = cell("admin.col_name");
    name.textContent = account.name || "";
    const role = cell("admin.col_role");
    role.textContent = t(account.role === "admin" ? "admin.role_admin" : "admin.role_agent");
    const status = cell("admin.col_status");
    status.append(
      element(
        "span",
        account.disabled ? "admin-pill admin-pill--off" : "admin-pill",
        { "data-testid": "account-status" },
        t(account.disabled ? "admin.status_disabled" : "admin.status_active"),
      ),
    );

    const actionsCell = cell("admin.col_actions", "admin-cell-actions");
    const actions = element("div", "admin-actions");
    actionsCell.append(actions);
    if (!mine) {
      const toggle = element(
        "button",
        account.disabled
          ? "rs-button rs-button--secondary rs-button--small"
          : "rs-button rs-button--danger-outline rs-button--small",
        {
          type: "button",
          "data-testid": account.disabled ? "enable-button" : "disable-button",
          "aria-label": `${t(account.disabled ? "admin.enable" : "admin.disable")}: ${account.username}`,
        },
        t(account.disabled ? "admin.enable" : "admin.disable"),
      );
      toggle.addEventListener("click", () => this._toggleDisabled(account, toggle));
      actions.append(toggle);
    }
    const reset = element("button", "rs-button rs-button--ghost rs-button--small", {
      type: "button",
      "data-testid": "reset-button",
      "aria-label": `${t("admin.reset_password")}: ${account.username}`,
    });
    reset.append(iconElement("edit"), element("span", "", {}, t("admin.reset_password")));
    reset.addEventListener("click", () => {
      this._tell(null);
      this.dialog.open(account.username);
    });
    actions.append(reset);

    row.append(id, name, role, status, actionsCell);
    return row;
  }
}
