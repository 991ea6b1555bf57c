// The connection notice's presentation tools for one session (P2, P3, P5, P8): Pause / Show
// screen and Stop presenting; who controls this desktop and "Take back control"; a pen to draw
// on the desktop and "Clear drawings". Shown only while that session's presenter runs. They call
// the same local API as the chat window (POST /local/presentation, /local/control,
// /local/drawing with the session id); `refresh` reads the presenter's state, the control the
// customer holds and the drawing tool (GET of the same routes) every few seconds.

import { element } from "../common/dom.js";

export class NoticePresentation {
  /**
   * @param {object} options
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {string} options.sessionId
   * @param {string} options.name the customer's name, for the accessible labels
   * @param {(error: Error) => void} options.onError
   */
  constructor({ backend, i18n, sessionId, name, onError }) {
    Object.assign(this, { backend, i18n, sessionId, name, onError });
    this.state = "idle";
    this.control = { mouse: false, keyboard: false };
    this.tool = null; // the agent's drawing tool on the desktop overlay (null: none)
    this.element = element("div", "notice__present", { role: "group", hidden: "" });
    this.toggle = this._button("notice-present-toggle", () =>
      this._send(this.state === "paused" ? "resume" : "pause"),
    );
    this.stop = this._button("notice-present-stop", () => this._send("stop"));
    this.draw = this._button("notice-draw", () => this._draw({ action: "tool", tool: this.tool ? null : "pen" }));
    this.clear = this._button("notice-draw-clear", () => this._draw({ action: "clear" }));
    this.controlLine = element("div", "notice__control", { "data-testid": "notice-control", role: "status" });
    this.takeBack = this._button("notice-take-back", () => this._takeBack());
    this.takeBack.classList.replace("rs-button--secondary", "rs-button--danger-outline");
    // With both out, the agent may take back one kind alone (as the chat window allows).
    this.takeBackMouse = this._button("notice-take-back-mouse", () => this._takeBack({ keyboard: false }));
    this.takeBackKeyboard = this._button("notice-take-back-keyboard", () => this._takeBack({ mouse: false }));
    this.takeBackPrefix = element("span", "notice__take-back-prefix");
    this.controlLine.append(
      element("span", "notice__control-text"),
      this.takeBackPrefix,
      this.takeBackMouse,
      this.takeBackKeyboard,
      this.takeBack,
    );
    this.element.append(this.toggle, this.stop, this.draw, this.clear, this.controlLine);
    this._render();
  }

  /** Read the presenter's state, the customer's control and the drawing tool again. */
  async refresh() {
    try {
      const status = await this.backend.presentationStatus(this.sessionId);
      if (status?.state && status.state !== "idle") {
        const [control, drawing] = await Promise.all([
          this.backend.controlStatus(this.sessionId),
          this.backend.drawingStatus(this.sessionId),
        ]);
        this.control = control;
        this.tool = drawing?.tool ?? null;
      }
      this._show(status);
    } catch {
      // the next tick tries again
    }
  }

  async _send(action) {
    await this._busy(async () => this._show(await this.backend.presentation(action, this.sessionId)));
  }

  /** Take back both kinds, or one: `{keyboard: false}` takes only the mouse. */
  async _takeBack(kinds = {}) {
    await this._busy(async () => {
      this.control = await this.backend.revokeControl(this.sessionId, kinds);
      this._render();
    });
  }

  async _draw(body) {
    await this._busy(async () => {
      const answer = await this.backend.drawing(this.sessionId, body);
      if (answer && "tool" in answer) {
        this.tool = answer.tool ?? null;
      }
      this._render();
    });
  }

  async _busy(work) {
    const buttons = [
      this.toggle, this.stop, this.draw, this.clear, this.takeBack, this.takeBackMouse, this.takeBackKeyboard,
    ]; // prettier-ignore
    for (const button of buttons) {
      button.disabled = true;
    }
    try {
      await work();
    } catch (error) {
      this.onError(error);
    } finally {
      for (const button of buttons) {
        button.disabled = false;
      }
    }
  }

  _show(status) {
    this.state = status?.state ?? "idle";
    if (this.state === "idle") {
      this.control = { mouse: false, keyboard: false };
      this.tool = null;
    }
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
    this.i18n.bind(this.draw, this.tool ? "notice.drawing" : "notice.draw");
    this.draw.setAttribute("aria-pressed", String(Boolean(this.tool)));
    this._label(this.draw, this.tool ? "notice.drawing_label" : "notice.draw_label");
    this.i18n.bind(this.clear, "notice.clear_drawing");
    this._label(this.clear, "notice.clear_drawing_label");
    const { mouse, keyboard } = this.control ?? {};
    const held = mouse && keyboard ? "both" : mouse ? "mouse" : keyboard ? "keyboard" : null;
    this.controlLine.hidden = held === null;
    this.controlLine.dataset.control = held ?? "none";
    if (held) {
      this.i18n.bind(this.controlLine.firstChild, `notice.control_${held}`, { name: this.name });
    }
    // Both out: "Take back: Mouse | Keyboard | Both"; one out: "Take back control".
    const both = held === "both";
    this.i18n.bind(this.takeBack, both ? "notice.take_back_both" : "notice.take_back");
    this._label(this.takeBack, "notice.take_back_label");
    this.takeBackPrefix.hidden = this.takeBackMouse.hidden = this.takeBackKeyboard.hidden = !both;
    this.i18n.bind(this.takeBackPrefix, "notice.take_back_prefix");
    this.i18n.bind(this.takeBackMouse, "notice.take_back_mouse");
    this._label(this.takeBackMouse, "notice.take_back_mouse_label");
    this.i18n.bind(this.takeBackKeyboard, "notice.take_back_keyboard");
    this._label(this.takeBackKeyboard, "notice.take_back_keyboard_label");
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
