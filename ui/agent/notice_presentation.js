// The connection notice's presentation buttons for one session (P2, P8): Pause / Show screen
// and Stop presenting, shown only while that session's presenter runs. They call the same
// local API as the chat window (POST /local/presentation with the session id); the notice
// reads the presenter's state with GET /local/presentation every few seconds (`refresh`).

import { element } from "/ui/common/dom.js";

export class NoticePresentation {
  /**
   * @param {object} options
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {import("/ui/common/i18n.js").i18n} options.i18n
   * @param {string} options.sessionId
   * @param {string} options.name the customer's name, for the accessible labels
   * @param {(error: Error) => void} options.onError
   */
  constructor({ backend, i18n, sessionId, name, onError }) {
    Object.assign(this, { backend, i18n, sessionId, name, onError });
    this.state = "idle";
    this.element = element("div", "notice__present", { role: "group", hidden: "" });
    this.toggle = this._button("notice-present-toggle", () =>
      this._send(this.state === "paused" ? "resume" : "pause"),
    );
    this.stop = this._button("notice-present-stop", () => this._send("stop"));
    this.element.append(this.toggle, this.stop);
    this._render();
  }

  /** Read the presenter's state again. */
  async refresh() {
    try {
      this._show(await this.backend.presentationStatus(this.sessionId));
    } catch {
      // the next tick tries again
    }
  }

  async _send(action) {
    this.toggle.disabled = this.stop.disabled = true;
    try {
      this._show(await this.backend.presentation(action, this.sessionId));
    } catch (error) {
      this.onError(error);
    } finally {
      this.toggle.disabled = this.stop.disabled = false;
    }
  }

  _show(status) {
    this.state = status?.state ?? "idle";
    this._render();
  }

  _render() {
    const paused = this.state === "paused";
    this.element.hidden = this.state === "idle";
    this.i18n.bind(this.toggle, paused ? "notice.resume" : "notice.pause");
    this.toggle.setAttribute("aria-pressed", String(paused));
    this._label(this.toggle, paused ? "notice.resume_label" : "notice.pause_label");
    this.i18n.bind(this.stop, "notice.stop_present");
    this._label(this.stop, "notice.stop_present_label");
  }

  _label(button, key) {
    button.setAttribute("aria-label", this.i18n.t(key, { name: this.name }));
  }

  _button(testId, onClick) {
    const button = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": testId,
    });
    button.addEventListener("click", onClick);
    return button;
  }
}
