// Settings › Network (A7) and the first run's questions: the relay's address, port and SSL,
// the CA file, the proxy (none, system, manual with user and password, PAC/WPAD), "Test
// connection" that names what failed, and Save. The desktop app only: the browser page uses
// the browser's network. Pure logic in network_form.js; the app side in
// suite/agent/app/local_network.py.

import { element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { PROXY_MODES, causeKey, formProblem, formValues, requestBody } from "./network_form.js";

const SAVED_SHOWN_MS = 4000;

export class NetworkSettings {
  /**
   * @param {HTMLElement} panel where the form goes (prepended)
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {object} options.backend has networkSettings(), saveNetworkSettings(body), testNetwork(body)
   * @param {"settings"|"first_run"} [options.mode] the first run has one button: check, save, go on
   * @param {(settings: object) => void} [options.onDone] the first run: called once saved
   */
  constructor(panel, { i18n, backend, mode = "settings", onDone = () => {} }) {
    Object.assign(this, { i18n, backend, mode, onDone });
    this._busy = false;
    this._savedTimer = null;
    this._hasPassword = false;
    const id = (name) => `${mode}-net-${name}`;
    this._id = id;
    this.form = element("form", "agent-remote agent-net", { "data-testid": `${mode}-network`, novalidate: "" });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.mode === "first_run" ? this.checkAndContinue() : this.save();
    });

    // The server.
    this.host = this._input(id("host"), "text", { placeholder: "relay.example.com", inputmode: "url" });
    this.port = this._input(id("port"), "text", { inputmode: "numeric", maxlength: "5", placeholder: "443" });
    this.port.classList.add("agent-net__port");
    const server = element("div", "agent-net__row");
    server.append(
      this._field(id("host"), "net.server", this.host, "net.server_hint"),
      this._field(id("port"), "net.port", this.port),
    );
    this.ssl = element("input", "", { type: "checkbox", id: id("ssl"), "data-testid": "net-ssl" });
    const sslLabel = element("label", "rs-checkbox");
    sslLabel.append(this.ssl, this._text("span", "", "net.ssl"));
    this.sslConfirm = element("input", "", { type: "checkbox", id: id("ssl-confirm"), "data-testid": "net-ssl-confirm" });
    const confirmLabel = element("label", "rs-checkbox");
    confirmLabel.append(this.sslConfirm, this._text("span", "", "net.ssl_off_confirm"));
    this.sslWarning = element("div", "rs-alert agent-net__warning", { "data-testid": "net-ssl-warning", role: "alert" });
    const warningText = element("div", "agent-net__warning-text");
    warningText.append(this._text("p", "", "net.ssl_off_warning"), confirmLabel);
    this.sslWarning.append(warningText);
    this.ssl.addEventListener("change", () => this._syncSsl());

    this.caFile = this._input(id("ca-file"), "text", { placeholder: "/etc/ssl/certs/company-ca.pem" });
    const chooseCa = element("button", "rs-button rs-button--secondary", { type: "button", "data-testid": "net-ca-choose" });
    this.i18n.bind(chooseCa, "net.choose");
    chooseCa.addEventListener("click", () => this._chooseCaFile());
    const caRow = element("div", "agent-net__pick");
    caRow.append(this.caFile, chooseCa);
    const security = element("fieldset", "rs-field agent-remote__group");
    security.append(this._text("legend", "rs-label agent-net__legend", "net.security"), sslLabel, this.sslWarning,
      this._field(id("ca-file"), "net.ca_file", caRow, "net.ca_file_hint")); // prettier-ignore

    // The proxy.
    this.modes = new Map();
    const proxy = element("fieldset", "rs-field agent-remote__group");
    proxy.append(this._text("legend", "rs-label agent-net__legend", "net.proxy"));
    for (const value of PROXY_MODES) {
      const label = element("label", "rs-checkbox agent-remote__choice");
      const input = element("input", "", { type: "radio", name: id("mode"), value, "data-testid": `net-proxy-${value}` });
      input.addEventListener("change", () => this._syncMode());
      label.append(input, this._text("span", "", `net.proxy_${value}`));
      this.modes.set(value, input);
      proxy.append(label);
    }
    this.proxyHost = this._input(id("proxy-host"), "text", { placeholder: "proxy.example.com" });
    this.proxyPort = this._input(id("proxy-port"), "text", { inputmode: "numeric", maxlength: "5", placeholder: "3128" });
    this.proxyPort.classList.add("agent-net__port");
    this.proxyUser = this._input(id("proxy-user"), "text", { autocomplete: "off" });
    this.proxyPassword = this._input(id("proxy-password"), "password", { autocomplete: "new-password" });
    this.passwordHint = this._text("span", "rs-help", "net.password_none");
    this.passwordHint.id = id("password-hint");
    this.proxyPassword.setAttribute("aria-describedby", this.passwordHint.id);
    this.pacUrl = this._input(id("pac-url"), "text", { placeholder: "http://wpad.example.com/proxy.pac", inputmode: "url" });
    const proxyServer = element("div", "agent-net__row");
    proxyServer.append(this._field(id("proxy-host"), "net.proxy_host", this.proxyHost),
      this._field(id("proxy-port"), "net.port", this.proxyPort)); // prettier-ignore
    const login = element("div", "agent-net__row agent-net__row--even");
    const passwordField = this._field(id("proxy-password"), "net.proxy_password", this.proxyPassword);
    passwordField.append(this.passwordHint);
    login.append(this._field(id("proxy-user"), "net.proxy_user", this.proxyUser), passwordField);
    this.manualBox = element("div", "agent-net__sub", { "data-testid": "net-manual" });
    this.manualBox.append(proxyServer);
    this.pacBox = element("div", "agent-net__sub", { "data-testid": "net-pac" });
    this.pacBox.append(this._field(id("pac-url"), "net.pac_url", this.pacUrl, "net.pac_hint"));
    this.loginBox = element("div", "agent-net__sub");
    this.loginBox.append(login);
    proxy.append(this.manualBox, this.pacBox, this.loginBox);

    // Result and buttons.
    this.result = element("div", "rs-alert", { "data-testid": "net-result", "aria-live": "assertive" });
    this.message = new ErrorMessage(this.result, i18n);
    const actions = element("div", "agent-remote__actions");
    if (mode === "first_run") {
      this.continueButton = element("button", "rs-button rs-button--primary rs-button--block", { type: "submit", "data-testid": "net-continue" });
      this.i18n.bind(this.continueButton, "firstrun.continue");
      actions.append(this.continueButton);
    } else {
      this.testButton = element("button", "rs-button rs-button--secondary", { type: "button", "data-testid": "net-test" });
      this.i18n.bind(this.testButton, "net.test");
      this.testButton.addEventListener("click", () => this.test());
      const save = element("button", "rs-button rs-button--primary", { type: "submit", "data-testid": "net-save" });
      this.i18n.bind(save, "net.save");
      actions.append(this.testButton, save);
    }
    const parts = [server, security, proxy, this.result, actions];
    if (mode === "settings") {
      parts.unshift(this.i18n.bind(element("h2", "agent-idle__title"), "net.title"));
      parts.push(this._text("p", "rs-help", "net.applies"));
    }
    this.form.append(...parts);
    if (mode === "first_run") {
      panel.append(this.form);
    } else {
      panel.prepend(this.form);
    }
  }

  /** Fill the form from the app's settings (or from `settings` given, e.g. provisioning). */
  async load(settings = null) {
    this.message.clear();
    try {
      const current = settings ?? (await this.backend.networkSettings());
      this._fill(formValues(current));
      this._hasPassword = Boolean(current.has_password);
      this.i18n.bind(this.passwordHint, this._hasPassword ? "net.password_saved" : `net.password_${current.password_store ?? "none"}`);
    } catch (error) {
      this.message.show(error);
    }
  }

  _fill(values) {
    this.host.value = values.host;
    this.port.value = values.port;
    this.ssl.checked = values.ssl;
    this.sslConfirm.checked = !values.ssl; // an http:// address saved before was chosen already
    this.caFile.value = values.caFile;
    this.modes.get(values.mode).checked = true;
    this.proxyHost.value = values.proxyHost;
    this.proxyPort.value = values.proxyPort;
    this.proxyUser.value = values.proxyUser;
    this.proxyPassword.value = "";
    this.pacUrl.value = values.pacUrl;
    this._syncSsl();
    this._syncMode();
  }

  _values() {
    const mode = [...this.modes].find(([, input]) => input.checked)?.[0] ?? "system";
    return {
      host: this.host.value, port: this.port.value, ssl: this.ssl.checked,
      sslOffConfirmed: this.sslConfirm.checked, caFile: this.caFile.value, mode,
      proxyHost: this.proxyHost.value, proxyPort: this.proxyPort.value,
      proxyUser: this.proxyUser.value, pacUrl: this.pacUrl.value,
    }; // prettier-ignore
  }

  /** The body to send, or null after showing what to fix. */
  _body() {
    const values = this._values();
    const problem = formProblem(values);
    if (problem) {
      this.message.showKey(problem.key);
      this.form.querySelector(`#${this._id(problem.field)}`)?.focus();
      return null;
    }
    return requestBody(values, { password: this.proxyPassword.value });
  }

  async test() {
    const body = this._body();
    if (!body || this._busy) {
      return false;
    }
    this._setBusy(true, "net.testing");
    try {
      const answer = await this.backend.testNetwork(body);
      this._success("net.test_ok", { url: answer.relay_url });
      return true;
    } catch (error) {
      this._failure(error);
      return false;
    } finally {
      this._setBusy(false);
    }
  }

  async save() {
    const body = this._body();
    if (!body || this._busy) {
      return;
    }
    try {
      const saved = await this.backend.saveNetworkSettings(body);
      this.proxyPassword.value = "";
      this._hasPassword = saved.has_password;
      this.i18n.bind(this.passwordHint, this._hasPassword ? "net.password_saved" : `net.password_${saved.password_store}`);
      this._success("net.saved");
      clearTimeout(this._savedTimer);
      this._savedTimer = setTimeout(() => this.message.clear(), SAVED_SHOWN_MS);
    } catch (error) {
      this.message.show(error);
    }
  }

  /** The first run: test what the form says; when the relay answers, save it and go on. */
  async checkAndContinue() {
    const body = this._body();
    if (!body || this._busy) {
      return;
    }
    this._setBusy(true, "firstrun.checking");
    try {
      await this.backend.testNetwork(body);
      const saved = await this.backend.saveNetworkSettings(body);
      this.onDone(saved);
    } catch (error) {
      this._failure(error);
    } finally {
      this._setBusy(false);
    }
  }

  async _chooseCaFile() {
    try {
      const { path, cancelled } = await this.backend.chooseCaFile();
      if (!cancelled) {
        this.caFile.value = path;
      }
    } catch (error) {
      this.message.show(error);
    }
  }

  _failure(error) {
    const key = causeKey(error);
    if (key) {
      this.message.showKey(key, { reason: error.networkReason ?? "" });
    } else {
      this.message.show(error);
    }
  }

  _success(key, params) {
    this.message.showKey(key, params);
    this.result.classList.add("rs-alert--success");
  }

  _setBusy(busy, key) {
    this._busy = busy;
    const button = this.mode === "first_run" ? this.continueButton : this.testButton;
    button.disabled = busy;
    this.i18n.bind(button, busy ? key : this.mode === "first_run" ? "firstrun.continue" : "net.test");
    this.form.setAttribute("aria-busy", String(busy));
  }

  _syncSsl() {
    this.sslWarning.hidden = this.ssl.checked;
    if (this.ssl.checked) {
      this.sslConfirm.checked = false;
    }
    this.port.placeholder = this.ssl.checked ? "443" : "80";
  }

  _syncMode() {
    const mode = this._values().mode;
    this.manualBox.hidden = mode !== "manual";
    this.pacBox.hidden = mode !== "pac";
    this.loginBox.hidden = mode !== "manual" && mode !== "pac";
  }

  _input(id, type, attributes = {}) {
    return element("input", "rs-input", {
      id, type, "data-testid": id.replace(/^(settings|first_run)-/, ""), spellcheck: "false", autocapitalize: "none", ...attributes,
    }); // prettier-ignore
  }

  _field(id, key, control, hintKey) {
    const field = element("div", "rs-field agent-net__field");
    const label = this._text("label", "rs-label", key);
    label.htmlFor = id;
    field.append(label, control);
    if (hintKey) {
      const hint = this._text("span", "rs-help", hintKey);
      hint.id = `${id}-hint`;
      (field.querySelector(`#${CSS.escape(id)}`) ?? control).setAttribute("aria-describedby", hint.id);
      field.append(hint);
    }
    return field;
  }

  _text(tag, className, key) {
    return this.i18n.bind(element(tag, className), key);
  }
}
