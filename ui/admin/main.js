// The admin site at /admin (AD1): an administrator signs in through the relay's /api/login
// (the agents' endpoint and throttle), the page checks the role with /api/admin/me (an agent
// is told "not an admin" and its fresh token is revoked), then manages the accounts.
// Sections sit in the side navigation; later ones (history, statistics, options) join it.
// The token survives a reload (sessionStorage); a 401 anywhere returns to the login form.

import { byId, showOnly } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { requestJson } from "../common/http.js";
import { i18n } from "../common/i18n.js";
import { fillIcons } from "../common/icons.js";
import { loadJson, saveJson } from "../common/storage.js";
import { HistoryView } from "../common/history/history_view.js";
import { AccountsPanel } from "./accounts_panel.js";
import { MailPanel } from "./mail_panel.js";
import { AuditPanel } from "./audit_panel.js";
import { OnlinePanel } from "./online_panel.js";
import { OptionsPanel } from "./options_panel.js";
import { OPTIONS_STRINGS } from "../common/strings/options_strings.js";
import { StatisticsPanel } from "./statistics_panel.js";
import { ADMIN_STRINGS } from "../common/strings/admin_strings.js";
import { HISTORY_STRINGS } from "../common/strings/history_strings.js";
import { MAIL_STRINGS } from "../common/strings/mail_strings.js";
import { SIGN_IN_STRINGS } from "../common/strings/sign_in_strings.js";
import { STATISTICS_STRINGS } from "../common/strings/statistics_strings.js";

i18n.addStrings(ADMIN_STRINGS, HISTORY_STRINGS, MAIL_STRINGS, SIGN_IN_STRINGS);
i18n.addStrings(OPTIONS_STRINGS, STATISTICS_STRINGS);

const SECTIONS = ["accounts", "history", "statistics", "mail", "online", "options", "audit"];

const AUTH_KEY = "rs.admin.auth";

class AdminApp {
  constructor() {
    this.auth = loadJson(window.sessionStorage, AUTH_KEY); // {token, admin}
    this._busy = false;
    this.panels = [byId("login-panel"), byId("admin-panel")];
    this.loginError = new ErrorMessage(byId("login-error"), i18n, {
      onWaitChange: (waiting) => {
        byId("login-button").disabled = waiting;
      },
    });
    this.accounts = new AccountsPanel({
      i18n,
      api: (method, path, options) => this._api(method, path, options),
      me: () => this.auth?.admin?.username ?? "",
      onOwnPasswordChanged: () => this._signedOut("admin.password_changed_self"),
    });
    this.mail = new MailPanel({
      i18n,
      api: (method, path, options) => this._api(method, path, options),
    });
    // AD4, AD5: options, their audit log, who is online (polled only while shown).
    const api = (method, path, options) => this._api(method, path, options);
    this.options = new OptionsPanel({ i18n, api });
    this.audit = new AuditPanel({ i18n, api });
    this.online = new OnlinePanel({ i18n, api });
    byId("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._login();
    });
    byId("logout-button").addEventListener("click", () => this._logout());
    i18n.onChange(() => this._renderMe());
    window.addEventListener("hashchange", () => this._showSection());
  }

  /** The section the address's #fragment names (the side navigation's links). */
  _showSection() {
    if (!this.auth) {
      return;
    }
    const name = SECTIONS.includes(window.location.hash.slice(1)) ? window.location.hash.slice(1) : "accounts";
    for (const section of SECTIONS) {
      byId(section).hidden = section !== name;
      const link = document.querySelector(`.admin-nav__item[href="#${section}"]`);
      if (section === name) {
        link.setAttribute("aria-current", "page");
        link.scrollIntoView({ block: "nearest", inline: "nearest" }); // the phone's nav strip scrolls
      } else {
        link.removeAttribute("aria-current");
      }
    }
    if (name !== "online") {
      this.online.stop();
    }
    if (name === "online") {
      this.online.start();
    } else if (name === "options") {
      this.options.load();
    } else if (name === "audit") {
      this.audit.load(1);
    } else if (name === "history") {
      // AD2: every agent's sessions; the export downloads through the browser.
      this.history ??= new HistoryView({
        root: byId("history"),
        i18n,
        admin: true,
        api: (method, path, options) => this._api(method, path, options),
        download: (path) => this._download(path),
      });
      this.history.search(this.history.page);
    } else if (name === "mail") {
      this.mail.load(); // AD4: the SMTP settings and the test mail
    } else if (name === "statistics") {
      // AD3: charts over a period, with their numbers and an Excel export.
      this.statistics ??= new StatisticsPanel({
        root: byId("statistics"),
        i18n,
        api: (method, path, options) => this._api(method, path, options),
      });
      this.statistics.load();
    } else {
      this.accounts.load();
    }
  }

  async _download(path) {
    const blob = await this._api("GET", path, { asBlob: true });
    const name = `usage-history-${new Date().toISOString().slice(0, 10)}.xlsx`;
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return name;
  }

  async start() {
    if (this.auth?.token) {
      try {
        const { admin } = await requestJson("GET", "/api/admin/me", { token: this.auth.token });
        this._setAuth({ token: this.auth.token, admin });
        this._showAdmin();
        return;
      } catch (error) {
        this._setAuth(null);
        if (error.code !== "unauthorized" && error.code !== "not_admin") {
          this.loginError.show(error);
        }
      }
    }
    this._showLogin();
  }

  async _login() {
    const username = byId("login-username").value.trim();
    const password = byId("login-password").value;
    if (!username || !password) {
      this.loginError.showKey("login.missing");
      return;
    }
    if (this._busy || this.loginError.waiting) {
      return;
    }
    this._busy = true;
    byId("login-button").disabled = true;
    i18n.bind(byId("login-button"), "login.signing_in");
    try {
      const { token } = await requestJson("POST", "/api/login", { body: { username, password } });
      let admin;
      try {
        ({ admin } = await requestJson("GET", "/api/admin/me", { token }));
      } catch (error) {
        // An agent's password was right, but this site is not theirs: drop the token now.
        requestJson("POST", "/api/logout", { token }).catch(() => {});
        throw error;
      }
      byId("login-password").value = "";
      this.loginError.clear();
      this._setAuth({ token, admin });
      this._showAdmin();
    } catch (error) {
      this.loginError.show(error);
      byId("login-password").select();
    } finally {
      this._busy = false;
      byId("login-button").disabled = this.loginError.waiting;
      i18n.bind(byId("login-button"), "login.button");
    }
  }

  async _logout() {
    const token = this.auth?.token;
    this._setAuth(null);
    if (token) {
      try {
        await requestJson("POST", "/api/logout", { token });
      } catch {
        // Signed out here either way; the token expires on the relay by itself.
      }
    }
    this._signedOut("admin.signed_out");
  }

  /** Every admin API call: adds the token, and a 401 (expired, revoked) ends the sign-in. */
  async _api(method, path, options = {}) {
    try {
      return await requestJson(method, path, { ...options, token: this.auth?.token });
    } catch (error) {
      if (error.code === "unauthorized" || error.code === "not_admin") {
        this._setAuth(null);
        this._signedOut(`error.${error.code}`);
      }
      throw error;
    }
  }

  _signedOut(messageKey) {
    this._setAuth(null);
    this._showLogin();
    this.loginError.showKey(messageKey);
  }

  _setAuth(auth) {
    this.auth = auth;
    saveJson(window.sessionStorage, AUTH_KEY, auth);
    this._renderMe();
  }

  _renderMe() {
    const admin = this.auth?.admin;
    byId("admin-me").hidden = !admin;
    byId("logout-button").hidden = !admin;
    if (admin) {
      i18n.bind(byId("admin-me"), "admin.signed_in_as", { name: admin.name || admin.username });
    }
  }

  _showLogin() {
    showOnly(this.panels, byId("login-panel"));
    this.accounts.clear();
    this.mail.clear();
    const input = byId("login-username").value ? byId("login-password") : byId("login-username");
    input.focus();
  }

  _showAdmin() {
    showOnly(this.panels, byId("admin-panel"));
    this._showSection();
  }
}

i18n.apply();
i18n.attachSwitcher(byId("language-select"));
fillIcons();
new AdminApp().start();
