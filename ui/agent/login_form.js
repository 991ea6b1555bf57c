// The agent's login form (A1): ID and password against the relay (in the desktop app also the
// relay's address, prefilled from the app's settings), "remember my ID", and every failure
// (wrong credentials, disabled account, throttling with the remaining wait, relay unreachable,
// TLS, version mismatch, not a relay) told in the user's language.

import { byId } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";

export class LoginForm {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./browser_backend.js").BrowserBackend} options.backend
   * @param {(auth: {token: string, agent: object, wsUrl: string|null}) => void} options.onLogin
   */
  constructor({ i18n, backend, onLogin }) {
    this.i18n = i18n;
    this.backend = backend;
    this.onLogin = onLogin;
    this._busy = false;
    this.error = new ErrorMessage(byId("login-error"), i18n, {
      onWaitChange: () => this._renderButton(),
    });
    byId("relay-field").hidden = !backend.asksRelayAddress;
    byId("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
  }

  /** Prepare the form to be shown, with an optional message (e.g. "signed out") and its params. */
  async reset(messageKey, params) {
    if (messageKey) {
      this.error.showKey(messageKey, params);
    } else if (!this.error.waiting) {
      this.error.clear();
    }
    byId("login-password").value = "";
    try {
      const defaults = await this.backend.loginDefaults();
      byId("login-remember").checked = defaults.remember;
      if (defaults.username && !byId("login-username").value) {
        byId("login-username").value = defaults.username;
      }
      if (defaults.relayUrl && !byId("login-relay").value) {
        byId("login-relay").value = defaults.relayUrl;
      }
    } catch (error) {
      this.error.show(error);
    }
    const first = [byId("login-relay"), byId("login-username"), byId("login-password")].find(
      (input) => !input.closest("[hidden]") && !input.value,
    );
    (first ?? byId("login-password")).focus();
  }

  async _submit() {
    const relayUrl = byId("login-relay").value.trim();
    const username = byId("login-username").value.trim();
    const password = byId("login-password").value;
    if (this.backend.asksRelayAddress && !relayUrl) {
      this.error.showKey("login.missing_relay");
      byId("login-relay").focus();
      return;
    }
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
      const remember = byId("login-remember").checked;
      const auth = await this.backend.login({ relayUrl, username, password, remember });
      byId("login-password").value = "";
      this.error.clear();
      this.onLogin(auth);
    } catch (error) {
      this.error.show(error);
      const relayProblem = ["unreachable", "tls_failed", "version_mismatch", "not_a_relay",
        "bad_relay_url", "relay_unreachable", "relay_uses_http"].includes(error.code); // prettier-ignore
      (relayProblem && this.backend.asksRelayAddress ? byId("login-relay") : byId("login-password")).select();
    } finally {
      this._busy = false;
      this._renderButton();
    }
  }

  _renderButton() {
    const button = byId("login-button");
    button.disabled = this._busy || this.error.waiting;
    this.i18n.bind(button, this._busy ? "login.signing_in" : "login.button");
  }
}
