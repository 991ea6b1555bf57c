// The people of one support, the agent's side (A3, several customers): the row of customers
// (people_panel.js: give control, remove, "Invite another", personal links), the confirm before
// removing one (the chip's button, or the header's while only one is in), and each customer's
// name kept after a removal for its notice. SupportView makes one per support it enters.

import { byId } from "../common/dom.js";
import { MessageType } from "../common/protocol.js";
import { PeoplePanel } from "./people_panel.js";

export class SupportPeople {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("../common/chat/chat_view.js").ChatView} options.chatView
   * @param {(method: string, path: string, options?: object) => Promise<any>} options.api
   * @param {string} options.sessionId
   * @param {boolean} options.canGrant false in the browser page (view only)
   * @param {(customers: object[]) => void} options.onCustomers the customers now in
   */
  constructor({ socket, i18n, chatView, api, sessionId, canGrant, onCustomers }) {
    this.socket = socket;
    this.i18n = i18n;
    this.onCustomers = onCustomers;
    this._names = new Map(); // participant id → name, kept after a removal (its notice)
    this._removing = null;
    this.panel = new PeoplePanel({
      socket,
      i18n,
      participants: chatView.participants,
      anchor: byId("chat-container"),
      inviteButton: byId("invite-another"),
      dialog: byId("people-invite-dialog"),
      api,
      sessionId,
      canGrant,
      onRemove: (person) => this.askRemove(person),
    });
    this._offPeople = chatView.participants.onChange((people) => this._render(people));
    this._listeners = [
      [byId("remove-customer"), "click", () => this.askRemove(null)],
      [byId("waiting-personal-link"), "click", () => this.panel.openLinkOnly()],
      [byId("remove-dialog"), "close", () => this._removeConfirmed()],
    ];
    for (const [target, type, listener] of this._listeners) {
      target.addEventListener(type, listener);
    }
  }

  /** A removed customer's name (for the chat's notice), also once they are gone. */
  nameOf(participantId) {
    return this._names.get(participantId);
  }

  setPresenting(presenting) {
    this.panel.setPresenting(presenting);
  }

  /** One remove button per chip; the header's only while one customer is in. */
  _render(people) {
    for (const person of people.all()) {
      this._names.set(person.participant_id, person.name);
    }
    const customers = people.customers();
    byId("remove-customer").hidden = customers.length > 1;
    this.onCustomers(customers);
  }

  /** Ask before removing one customer (null: the header's button, the only one seated). */
  askRemove(person) {
    this._removing = person?.participant_id ?? null;
    const name = person?.name || this.i18n.t("role.customer");
    if (person) {
      this.i18n.bind(byId("remove-dialog-title"), "people.remove_confirm_title", { name });
      this.i18n.bind(byId("remove-dialog-body"), "people.remove_confirm_body", { name });
    } else {
      this.i18n.bind(byId("remove-dialog-title"), "agent.remove_confirm_title");
      this.i18n.bind(byId("remove-dialog-body"), "agent.remove_confirm_body");
    }
    byId("remove-dialog").showModal();
  }

  _removeConfirmed() {
    const dialog = byId("remove-dialog");
    if (dialog.returnValue === "confirm") {
      const who = this._removing ? { customer_id: this._removing } : {};
      this.socket.send(MessageType.REMOVE_CUSTOMER, who);
    }
    dialog.returnValue = "";
    this._removing = null;
  }

  destroy() {
    for (const [target, type, listener] of this._listeners) {
      target.removeEventListener(type, listener);
    }
    this._offPeople();
    this.panel.destroy();
  }
}
