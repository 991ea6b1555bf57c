// The people of a session as a row of name chips (several customers per session): each
// customer's colour dot and name, "(you)" for this page's own, "(away)" while offline. The
// agent's window adds buttons to each chip (give control, remove) through `actions`.
// DOM only; the data is ui/common/chat/participants.js. Text only through textContent.

import { element } from "../dom.js";

export class RosterView {
  /**
   * @param {object} options
   * @param {import("./participants.js").Participants} options.participants
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.anchor the row is inserted just before this element
   * @param {(person: object) => HTMLElement[]} [options.actions] buttons for one customer
   * @param {number} [options.minCustomers] shown from this many customers on (default 2)
   */
  constructor({ participants, i18n, anchor, actions, minCustomers = 2 }) {
    this.participants = participants;
    this.i18n = i18n;
    this.actions = actions ?? (() => []);
    this.minCustomers = minCustomers;
    this.element = element("div", "rs-roster", { "data-testid": "roster" });
    this.element.setAttribute("role", "group");
    this.list = element("ul", "rs-roster__list");
    this.element.append(this.list);
    anchor.before(this.element);
    this._offs = [participants.onChange(() => this.render()), i18n.onChange(() => this.render())];
    this.render();
  }

  destroy() {
    this._offs.forEach((off) => off());
    this.element.remove();
  }

  render() {
    this.element.setAttribute("aria-label", this.i18n.t("people.label"));
    const customers = this.participants.customers();
    this.element.hidden = customers.length < this.minCustomers;
    this.list.replaceChildren(...customers.map((person) => this._chip(person)));
  }

  _chip(person) {
    const chip = element("li", "rs-roster__chip", {
      "data-testid": "roster-chip",
      "data-participant": person.participant_id,
      "data-online": String(person.online !== false),
    });
    if (person.color) {
      chip.style.setProperty("--rs-participant-color", person.color); // CSSOM: CSP allows it
    }
    const dot = element("span", "rs-roster__dot", { "aria-hidden": "true" });
    const name = element("span", "rs-roster__name", { "data-testid": "roster-name" });
    const shown = person.name || this.i18n.t("role.customer");
    let key = null;
    if (person.participant_id === this.participants.me) key = "people.you";
    else if (person.online === false) key = "people.away";
    name.textContent = key ? this.i18n.t(key, { name: shown }) : shown;
    chip.append(dot, name, ...this.actions(person));
    return chip;
  }
}
