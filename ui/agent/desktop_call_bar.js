// CH9: the line above the conversation of a desktop chat window while a call goes to the
// system browser: why (this window cannot call, or the agent chose the browser), progress,
// the outcome, and "Open in my browser again" (a new one-time link; the old one is spent).

import { element } from "../common/dom.js";

export class DesktopCallBar {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {() => void} options.onOpenAgain
   */
  constructor({ i18n, onOpenAgain }) {
    this.i18n = i18n;
    this.element = element("div", "rs-alert rs-alert--info agent-deskcall", {
      "data-testid": "deskcall-bar",
      role: "status",
      hidden: "",
    });
    this.why = element("p", "agent-deskcall__why", { "data-testid": "deskcall-why" });
    this.state = element("p", "agent-deskcall__state", { "data-testid": "deskcall-state" });
    this.again = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": "deskcall-open-again",
      hidden: "",
    });
    this.i18n.bind(this.again, "deskcall.open_again");
    this.again.addEventListener("click", () => onOpenAgain());
    const text = element("div", "agent-deskcall__text");
    text.append(this.why, this.state);
    this.element.append(text, this.again);
  }

  /**
   * Show a step of the hand-over.
   * @param {{reason: string, detail?: string|null}} support why the call is not here
   * @param {"opening"|"opened"|"failed"} step
   * @param {string} [message] the error's message ("failed")
   */
  show(support, step, message = "") {
    this.element.hidden = false;
    this.element.dataset.step = step;
    this.element.classList.toggle("rs-alert--info", step !== "failed"); // a failure is red
    this.i18n.bind(this.why, `deskcall.why_${support.reason}`, { detail: support.detail ?? "" });
    const key = { opening: "deskcall.opening", opened: "deskcall.opened", failed: "deskcall.open_failed" }[step];
    this.i18n.bind(this.state, key, { message });
    this.again.hidden = step === "opening";
  }

  hide() {
    this.element.hidden = true;
  }
}
