// CH9, the desktop app's Settings › Remote support: "Open calls in my web browser", for when
// this app's window cannot use the microphone or camera (settings.calls.open_in_browser). Saved
// as soon as it is ticked; the chat windows read it at each Call (GET /local/calls).

import { element } from "../common/dom.js";

const SAVED_SHOWN_MS = 2500;

export class CallSettings {
  /**
   * @param {HTMLElement} panel the tab panel the group is added to
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   */
  constructor(panel, { i18n, backend }) {
    Object.assign(this, { panel, i18n, backend });
    this._timer = null;
    this.element = element("fieldset", "rs-field agent-remote__group", { "data-testid": "call-settings" });
    const legend = element("legend", "rs-label");
    i18n.bind(legend, "deskcall.settings_title");
    const label = element("label", "rs-checkbox");
    this.input = element("input", "", { type: "checkbox", id: "call-in-browser", "data-testid": "call-in-browser" });
    const text = element("span");
    i18n.bind(text, "deskcall.setting_in_browser");
    label.append(this.input, text);
    const hint = element("span", "rs-help", { id: "call-in-browser-hint" });
    i18n.bind(hint, "deskcall.setting_hint");
    this.input.setAttribute("aria-describedby", hint.id);
    this.status = element("span", "agent-remote__status", { role: "status", "aria-live": "polite" });
    this.element.append(legend, label, hint, this.status);
    this.input.addEventListener("change", () => this.save());
  }

  /** Read the setting (the Remote support tab's form replaces the panel's content first). */
  async load() {
    if (!this.element.isConnected) {
      this.panel.append(this.element);
    }
    try {
      this.input.checked = Boolean((await this.backend.callSupport()).open_in_browser);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  async save() {
    clearTimeout(this._timer);
    try {
      await this.backend.saveCallSettings({ open_in_browser: this.input.checked });
      this.i18n.bind(this.status, "deskcall.setting_saved");
      this._timer = setTimeout(() => (this.status.textContent = ""), SAVED_SHOWN_MS);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }
}
