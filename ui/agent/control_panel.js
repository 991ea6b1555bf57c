// Control handover in the agent's chat window (P3, P8 toolbar): who controls what, the
// customer's request, and the grant / take-back buttons, on the chat socket:
//   relay → control_state {mouse, keyboard, requested, requested_by, mouse_holder,
//           keyboard_holder}  (after welcome and on every change)
//   agent → grant_control {mouse?, keyboard?, customer_id?} / revoke_control {mouse, keyboard}
//           (both for "Take back control" and "Decline"; one of them while both are out)
// The panel names who asked from `requested_by`, which the relay fills from the asking socket
// (never from what a customer sends), and grants to that customer's id: a request from a
// customer removed meanwhile is not answered by a grant meant for another. The agent may grant
// without a request (the relay then hands control to every viewer the current customer has
// open). Ctrl+Alt+End on the agent's desktop takes control back as well (the presenter grabs
// it); this panel hears of it through control_state like everyone else.
// Several customers: with two or more seated and nobody asking, a "Give control to" choice
// names the customer the grant goes to (one holder at a time: the relay takes it from the
// previous one).
// Shown while a request is pending, control is out, or the agent presents.
// The agent page in a browser presents view only (no input injection in a browser): with
// `canGrant: false` the panel offers no grant, says that control needs the desktop app, and
// still lets the agent decline a customer's request.

import { element } from "../common/dom.js";
import { MessageType } from "../common/protocol.js";

export class ControlPanel {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket the chat socket
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.anchor the panel is inserted just before this element
   * @param {boolean} [options.canGrant] false: view only (the browser page), no grant buttons
   */
  constructor({ socket, i18n, anchor, canGrant = true }) {
    this.canGrant = canGrant;
    this.socket = socket;
    this.i18n = i18n;
    this.state = { mouse: false, keyboard: false, requested: false, requestedBy: null };
    this.presenting = false;
    this.error = null;
    this.element = element("div", "rs-control-panel", {
      role: "region",
      "data-testid": "control-panel",
      "aria-live": "polite",
    });
    this.element.dataset.i18nAriaLabel = "control.panel_label";
    this.element.setAttribute("aria-label", i18n.t("control.panel_label"));
    this.text = element("span", "rs-control-panel__text", { "data-testid": "control-text" });
    this.hint = element("span", "rs-control-panel__hint");
    const actions = element("div", "rs-control-panel__actions");
    this.buttons = {
      mouse: this._button("control.grant_mouse", "control-grant-mouse", () => this.grant(true, false)),
      keyboard: this._button("control.grant_keyboard", "control-grant-keyboard", () => this.grant(false, true)),
      both: this._button("control.grant_both", "control-grant-both", () => this.grant(true, true)),
      decline: this._button("control.decline", "control-decline", () => this.revoke()),
      // With both out, the agent may take back only one (the guide: "mouse or keyboard").
      revokeMouse: this._button("control.revoke_mouse", "control-revoke-mouse", () => this.revoke(true, false)),
      revokeKeyboard: this._button("control.revoke_keyboard", "control-revoke-keyboard", () =>
        this.revoke(false, true),
      ),
      revoke: this._button("control.revoke", "control-revoke", () => this.revoke(), "rs-button--danger-outline"),
    };
    // Several customers: whom a grant without a request goes to.
    this.customers = [];
    this.target = element("label", "rs-control-panel__target");
    this.targetLabel = element("span", "rs-control-panel__target-label");
    this.targetSelect = element("select", "rs-select rs-select--small", { "data-testid": "control-target" });
    this.target.append(this.targetLabel, this.targetSelect);
    actions.append(this.target, ...Object.values(this.buttons));
    const words = element("div", "rs-control-panel__words");
    words.append(this.text, this.hint);
    this.element.append(words, actions);
    anchor.before(this.element);
    this._off = [
      socket.on(MessageType.CONTROL_STATE, (message) => this._onState(message)),
      socket.on(MessageType.ERROR, (error) => this._onError(error)),
      socket.on("status", ({ status }) => status !== "online" && this._onState({})),
      i18n.onChange(() => this._render()),
    ];
    this._render();
  }

  destroy() {
    for (const off of this._off) {
      off();
    }
    this.element.remove();
  }

  /** The presentation runs (or not): the panel offers control only while it does. */
  setPresenting(presenting) {
    this.presenting = presenting;
    this._render();
  }

  /** The seated customers (`[{participant_id, name}]`), for "Give control to". */
  setCustomers(customers) {
    this.customers = customers;
    const chosen = this.targetSelect.value;
    this.targetSelect.replaceChildren(
      ...customers.map((person) => {
        const option = element("option", null, { value: person.participant_id });
        option.textContent = person.name || this.i18n.t("role.customer");
        return option;
      }),
    );
    if (customers.some((person) => person.participant_id === chosen)) {
      this.targetSelect.value = chosen;
    }
    this._render();
  }

  grant(mouse, keyboard) {
    this.error = null;
    const asker = this.state.requestedBy;
    const chosen = this.customers.length > 1 ? this.targetSelect.value : "";
    const to = asker ? { customer_id: asker.customer_id } : chosen ? { customer_id: chosen } : {};
    this.socket.send(MessageType.GRANT_CONTROL, { mouse, keyboard, ...to });
  }

  /** Take back what is true (default: everything; also the "Decline" of a request). */
  revoke(mouse = true, keyboard = true) {
    this.error = null;
    this.socket.send(MessageType.REVOKE_CONTROL, { mouse, keyboard });
  }

  _button(key, testId, onClick, variant = "rs-button--secondary") {
    const button = element("button", `rs-button ${variant} rs-button--small`, {
      type: "button",
      "data-testid": testId,
    });
    this.i18n.bind(button, key);
    button.addEventListener("click", onClick);
    return button;
  }

  _onState({ mouse, keyboard, requested, requested_by: requestedBy, mouse_holder: mouseHolder, keyboard_holder: keyboardHolder }) {
    const holder = mouseHolder ?? keyboardHolder;
    this.holderName = holder && typeof holder.name === "string" ? holder.name : "";
    const asker =
      requested === true && requestedBy && typeof requestedBy.customer_id === "string" ? requestedBy : null;
    this.state = {
      mouse: mouse === true,
      keyboard: keyboard === true,
      requested: requested === true,
      requestedBy: asker,
    };
    this.error = null;
    this._render();
  }

  _onError(error) {
    if (error.in_reply_to === MessageType.GRANT_CONTROL || error.in_reply_to === MessageType.REVOKE_CONTROL) {
      this.error = error.message;
      this._render();
    }
  }

  _render() {
    const { mouse, keyboard, requested, requestedBy } = this.state;
    const out = mouse || keyboard;
    this.element.hidden = !(out || requested || this.presenting);
    this.element.dataset.state = out ? "granted" : requested ? "requested" : "none";
    let key = "control.agent_none";
    let params = {};
    if (mouse && keyboard) key = "control.agent_both";
    else if (mouse) key = "control.agent_mouse";
    else if (keyboard) key = "control.agent_keyboard";
    if (out && this.customers.length > 1 && this.holderName) {
      // Several customers: say which one ("Lee controls your mouse").
      key = key.replace("control.agent_", "people.controls_");
      params = { name: this.holderName };
    } else if (requested && !out) {
      key = "control.asks";
      const name = requestedBy && typeof requestedBy.name === "string" ? requestedBy.name : "";
      params = { name: name || this.i18n.t("role.customer") };
    }
    this.i18n.bind(this.text, key, params);
    if (this.error) {
      this.i18n.bind(this.hint, "control.error", { message: this.error });
    } else {
      this.i18n.bind(this.hint, out ? "control.hotkey" : "control.agent_none");
      this.hint.hidden = !out;
    }
    if (!this.canGrant && !this.error) {
      this.i18n.bind(this.hint, "browser_present.control_note");
      this.hint.hidden = false;
    }
    if (this.error) {
      this.hint.hidden = false;
    }
    this.element.dataset.canGrant = String(this.canGrant);
    this.buttons.mouse.hidden = mouse || !this.canGrant;
    this.buttons.keyboard.hidden = keyboard || !this.canGrant;
    this.buttons.both.hidden = mouse || keyboard || !this.canGrant;
    this.buttons.decline.hidden = !requested || out;
    this.buttons.revokeMouse.hidden = !(mouse && keyboard);
    this.buttons.revokeKeyboard.hidden = !(mouse && keyboard);
    this.buttons.revoke.hidden = !out;
    this.i18n.bind(this.targetLabel, "control.give_to");
    this.target.hidden = !this.canGrant || out || Boolean(requestedBy) || this.customers.length < 2;
  }
}
