// Customers asking to join the waiting session (knocks): "<name> is asking to join — Admit /
// Refuse", and Refuse all for a flood of icon picks. Fed by the relay's `knocks_changed`;
// answers with `admit_knock` / `refuse_knock` / `refuse_all_knocks` (docs/protocol.md).

import { byId, element } from "../common/dom.js";

export class KnockList {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(knockId: string) => void} options.onAdmit
   * @param {(knockId: string) => void} options.onRefuse
   * @param {() => void} options.onRefuseAll
   */
  constructor({ i18n, onAdmit, onRefuse, onRefuseAll }) {
    this.i18n = i18n;
    this.onAdmit = onAdmit;
    this.onRefuse = onRefuse;
    this.section = byId("knocks");
    this.list = byId("knock-list");
    this._shown = "[]";
    byId("refuse-all-knocks").addEventListener("click", () => onRefuseAll());
  }

  /** Show the session's pending knocks (the relay sends the whole list every time). */
  set(knocks) {
    const shown = JSON.stringify(knocks.map((k) => [k.id, k.name, k.via]));
    if (shown === this._shown) {
      return; // unchanged: keep the buttons (and keyboard focus) where they are
    }
    const hadFocus = this.section.contains(document.activeElement);
    this._shown = shown;
    this.list.replaceChildren(...knocks.map((knock) => this._item(knock)));
    this.section.hidden = knocks.length === 0;
    byId("refuse-all-knocks").hidden = knocks.length < 2;
    if (hadFocus && knocks.length > 0) {
      this.list.querySelector("button")?.focus();
    }
  }

  clear() {
    this.set([]);
  }

  _item(knock) {
    const name = knock.name || this.i18n.t("knock.anonymous");
    const item = element("li", "agent-knock", { "data-testid": "knock" });
    item.dataset.via = knock.via;
    const who = element("div", "agent-knock__who");
    const title = element("span", "agent-knock__name", { "data-testid": "knock-name" });
    this.i18n.bind(title, "knock.asking", { name });
    const via = element("span", "agent-knock__via");
    this.i18n.bind(via, knock.via === "code" ? "knock.via_code" : "knock.via_icon");
    who.append(title, via);
    const admit = element("button", "rs-button rs-button--primary rs-button--small", {
      type: "button",
      "data-testid": "knock-admit",
    });
    this.i18n.bind(admit, "knock.admit");
    this._ariaLabel(admit, "knock.admit_aria", name);
    admit.addEventListener("click", () => {
      admit.disabled = true;
      this.onAdmit(knock.id);
    });
    const refuse = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": "knock-refuse",
    });
    this.i18n.bind(refuse, "knock.refuse");
    this._ariaLabel(refuse, "knock.refuse_aria", name);
    refuse.addEventListener("click", () => {
      refuse.disabled = true;
      this.onRefuse(knock.id);
    });
    item.append(who, admit, refuse);
    return item;
  }

  /** An aria-label that names the customer and follows a language switch. */
  _ariaLabel(button, key, name) {
    button.dataset.i18nAriaLabel = key;
    button.dataset.i18nParams = JSON.stringify({ name });
    button.setAttribute("aria-label", this.i18n.t(key, { name }));
  }
}
