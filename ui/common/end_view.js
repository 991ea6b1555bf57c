// The end-of-support screen (C4): start and end time, duration and the agent's name, built
// from a `session_ended` message. Both pages show it.

import { element } from "./dom.js";
import { iconElement } from "./icons.js";

const ENDED_BY_KEYS = Object.freeze({
  agent: "end.by_agent",
  customer: "end.by_customer",
  relay: "end.by_relay",
  admin: "end.by_admin", // the admin site's Online (AD5)
});

export class EndView {
  /**
   * @param {HTMLElement} container emptied and filled with the end screen
   * @param {object} options
   * @param {import("./i18n.js").i18n} options.i18n
   * @param {"agent"|"customer"} options.role whose page this is (the agent also sees the customer)
   * @param {string} [options.actionKey] label of the button under the summary
   * @param {() => void} [options.onAction]
   * @param {string} [options.actionTestId] data-testid of that button
   */
  constructor(container, { i18n, role, actionKey, onAction, actionTestId = "end-action" }) {
    this.container = container;
    this.i18n = i18n;
    this.role = role;
    this.actionKey = actionKey;
    this.onAction = onAction;
    this.actionTestId = actionTestId;
    this._unsubscribe = i18n.onChange(() => this._redraw());
    this._ended = null;
  }

  /**
   * Draw the summary.
   * @param {object} ended a `session_ended` message; when the relay closed with 4000 before
   *   sending one, pass what is known (`agent_name` at least) and leave times out.
   * @param {() => Node[]} [extras] the page's own lines under the facts (built again on a
   *   language change): the customer's agent contact and "Save the chat"
   */
  show(ended, extras = () => []) {
    this._ended = ended;
    this._extras = extras;
    this._redraw();
    this.container.querySelector("h2")?.focus();
  }

  destroy() {
    this._unsubscribe();
  }

  _redraw() {
    if (this._ended === null) {
      return;
    }
    const ended = this._ended;
    const t = (key, params) => this.i18n.t(key, params);
    const card = element("section", "rs-card rs-end", { "data-testid": "end-screen" });
    const badge = element("div", "rs-end__badge");
    badge.append(iconElement("check"));
    const title = element("h2", "rs-end__title", { tabindex: "-1" }, t("end.title"));
    card.append(badge, title);
    const endedByKey = ENDED_BY_KEYS[ended.ended_by];
    if (endedByKey) {
      card.append(element("p", "rs-end__reason", {}, t(endedByKey)));
    }

    const facts = element("dl", "rs-end__facts");
    const addFact = (labelKey, value, testId) => {
      const row = element("div", "rs-end__fact");
      const attributes = testId ? { "data-testid": testId } : {};
      row.append(element("dt", "", {}, t(labelKey)), element("dd", "", attributes, value));
      facts.append(row);
    };
    addFact("end.agent", ended.agent_name || t("customer.agent_unknown"), "end-agent-name");
    if (this.role === "agent" && ended.customer_name) {
      addFact("end.customer", ended.customer_name, "end-customer-name");
    }
    if (typeof ended.started_at === "number") {
      addFact("end.started", this.i18n.formatDateTime(ended.started_at), "end-started-at");
    } else if (ended.ended_at !== undefined) {
      addFact("end.started", t("end.not_started"), "end-started-at");
    }
    if (typeof ended.ended_at === "number") {
      addFact("end.ended", this.i18n.formatDateTime(ended.ended_at), "end-ended-at");
    }
    if (typeof ended.duration_s === "number" && typeof ended.started_at === "number") {
      addFact("end.duration", this.i18n.formatDuration(ended.duration_s), "end-duration");
    }
    card.append(facts, ...(this._extras?.() ?? []));
    if (this.role === "customer") {
      card.append(element("p", "rs-end__thanks", {}, t("end.thanks")));
    }
    if (this.actionKey && this.onAction) {
      const button = element("button", "rs-button rs-button--primary rs-button--block", {
        type: "button",
        "data-testid": this.actionTestId,
      });
      button.textContent = t(this.actionKey);
      button.addEventListener("click", () => this.onAction());
      card.append(button);
    }
    this.container.replaceChildren(card);
  }
}
