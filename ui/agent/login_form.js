// The agent's login form (A1): ID and password against the relay, "remember my ID" in
// localStorage, and every failure (wrong credentials, disabled account, throttling with the
// remaining wait, relay unreachable) told in the user's language.

import { ErrorMessage } from "/ui/common/error_message.js";
import { requestJson } from "/ui/common/http.js";
import { loadJson, saveJson } from "/ui/common/storage.js";

const REMEMBERED_ID_KEY = "rs.agent.username";

const $ = (id) => document.getElementById(id);

export class LoginForm {
  /**
   * @param {object} options
   * @param {import("/ui/common/i18n.js").i18n} options.i18n
   * @param {(auth: {token: string, agent: object}) => void} options.onLogin
   */
  constructor({ i18n, onLogin }) {
    this.i18n = i18n;
    this.onLogin = onLogin;
    this._busy = false;
    this.error = new ErrorMessage($("login-error"), i18n, {
      onWaitChange: () => this._renderButton(),
    });
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
  }

  /** Prepare the form to be shown, with an optional message (e.g. "signed out"). */
  reset(messageKey) {
    if (messageKey) {
      this.error.showKey(messageKey);
    } else if (!this.error.waiting) {
      this.error.clear();
    }
    const remembered = loadJson(window.localStorage, REMEMBERED_ID_KEY);
    $("login-remember").checked = Boolean(remembered);
    if (remembered && !$("login-username").value) {
      $("login-username").value = remembered;
    }
    $("login-password").value = "";
    ($("login-username").value ? $("login-password") : $("login-username")).focus();
  }

  async _submit() {
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    if (!username || !password) {
      this.error.showKey("login.missing");
      return;
    }
    if (this._busy || this.error.waiting) {
      return;
    }
    this._busy = true;
    this._renderButton();
    try {
      const result = await requestJson("POST", "/api/login", { body: { username, password } });
      const remember = $("login-remember").checked;
      saveJson(window.localStorage, REMEMBERED_ID_KEY, remember ? username : null);
      $("login-password").value = "";
      this.error.clear();
      this.onLogin({ token: result.token, agent: result.agent });
    } catch (error) {
      this.error.show(error);
      $("login-password").select();
    } finally {
      this._busy = false;
      this._renderButton();
    }
  }

  _renderButton() {
    const button = $("login-button");
    button.disabled = this._busy || this.error.waiting;
    this.i18n.bind(button, this._busy ? "login.signing_in" : "login.button");
  }
}
