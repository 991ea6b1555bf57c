// Several customers in one session, on the agent's side: the row of customers (name, colour,
// "Give control", "Remove"), "Invite another" (a fresh code that seats one more customer:
// `renew_code` while customers are in) and personal invitation links
// (POST /api/supports/<id>/invitations: one seat, once, revocable). Removing goes through the
// window's confirm dialog (`onRemove`); control goes by name: `grant_control` with that
// customer's id, and giving it to another takes it from the first (the relay's rule).

import { element } from "../common/dom.js";
import { iconElement } from "../common/icons.js";
import { MessageType, formatAccessCode } from "../common/protocol.js";
import { RosterView } from "../common/chat/roster_view.js";

const COPIED_SHOWN_MS = 2000;

export class PeoplePanel {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket the chat socket
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("../common/chat/participants.js").Participants} options.participants
   * @param {HTMLElement} options.anchor the row goes just before it
   * @param {HTMLButtonElement} options.inviteButton the header's "Invite another"
   * @param {HTMLDialogElement} options.dialog the invite dialog (code, personal link)
   * @param {(method: string, path: string, options?: object) => Promise<any>} options.api
   * @param {string} options.sessionId
   * @param {boolean} options.canGrant false in the browser page (view only)
   * @param {(person: object) => void} options.onRemove asks, then removes that customer
   */
  constructor(options) {
    this.options = options;
    this.i18n = options.i18n;
    this.socket = options.socket;
    this.presenting = false;
    this.holder = null; // the customer id holding the mouse (or else the keyboard)
    this._awaitingCode = false;
    this._link = null; // {url, invitation} of the personal link shown
    this.roster = new RosterView({
      participants: options.participants,
      i18n: this.i18n,
      anchor: options.anchor,
      actions: (person) => this._actions(person),
    });
    this._onInvite = () => this.inviteAnother();
    options.inviteButton.addEventListener("click", this._onInvite);
    this._wireDialog();
    this._offs = [
      this.socket.on(MessageType.SESSION_UPDATED, (update) => this._onSession(update.session)),
      this.socket.on(MessageType.CONTROL_STATE, (state) => this._onControl(state)),
      this.socket.on(MessageType.ERROR, (error) => this._onError(error)),
    ];
  }

  destroy() {
    this._offs.forEach((off) => off());
    this.options.inviteButton.removeEventListener("click", this._onInvite);
    this.roster.destroy();
    if (this.options.dialog.open) {
      this.options.dialog.close();
    }
  }

  setPresenting(presenting) {
    this.presenting = presenting;
    this.roster.render();
  }

  /** "Invite another": ask the relay for a fresh code; the dialog opens when it arrives. */
  inviteAnother() {
    this._awaitingCode = true;
    this._link = null;
    this._q("code").textContent = ""; // never show the last (used) code while the new one comes
    delete this._q("code").dataset.code;
    this.socket.send(MessageType.RENEW_CODE);
  }

  /** A personal link alone (the waiting state's "Personal link"): the dialog makes one. */
  openLinkOnly() {
    this._awaitingCode = false;
    this._link = null;
    this.i18n.bind(this._q("title"), "invite.link_title");
    this._q("code-box").hidden = true;
    this._q("problem").hidden = true;
    this._q("make-link").hidden = false;
    this._renderLink();
    if (!this.options.dialog.open) {
      this.options.dialog.showModal();
    }
    this._makeLink();
  }

  _actions(person) {
    const name = person.name || this.i18n.t("role.customer");
    const buttons = [];
    if (this.options.canGrant && this.presenting) {
      if (this.holder === person.participant_id) {
        const badge = element("span", "rs-roster__badge", { "data-testid": "roster-has-control" });
        badge.textContent = this.i18n.t("people.has_control");
        buttons.push(badge);
      } else {
        buttons.push(
          this._chipButton("people.give_control", { name }, "roster-give-control", "bolt", () =>
            this.socket.send(MessageType.GRANT_CONTROL, {
              mouse: true,
              keyboard: true,
              customer_id: person.participant_id,
            }),
          ),
        );
      }
    }
    buttons.push(
      this._chipButton("people.remove", { name }, "roster-remove", "userRemove", () =>
        this.options.onRemove(person),
      ),
    );
    return buttons;
  }

  _chipButton(key, params, testId, icon, onClick) {
    const button = element("button", "rs-roster__button", { type: "button", "data-testid": testId });
    button.setAttribute("aria-label", this.i18n.t(`${key}_aria`, params));
    button.title = this.i18n.t(`${key}_aria`, params);
    const label = element("span", "rs-roster__button-label");
    label.textContent = this.i18n.t(key);
    button.append(iconElement(icon), label);
    button.addEventListener("click", onClick);
    return button;
  }

  _onControl(state) {
    const holder = state.mouse_holder ?? state.keyboard_holder ?? null;
    this.holder = holder && typeof holder.customer_id === "string" ? holder.customer_id : null;
    this.roster.render();
  }

  _onSession(session) {
    if (!this._awaitingCode || !session || session.state !== "active") {
      return;
    }
    if (typeof session.code === "string" && session.code) {
      this._awaitingCode = false;
      this._showCode(session.code);
    }
  }

  _onError(error) {
    if (error.in_reply_to === MessageType.RENEW_CODE && this._awaitingCode) {
      this._awaitingCode = false;
      const count = this.options.participants.customers().length;
      this._showCode(null, this.i18n.t("invite.full", { count }));
    }
  }

  // ---------- the invite dialog ----------

  _wireDialog() {
    const dialog = this.options.dialog;
    this._q = (id) => dialog.querySelector(`[data-part="${id}"]`);
    this._q("copy-code").addEventListener("click", () => this._copy(this._q("code").dataset.code, "copy-code"));
    this._q("make-link").addEventListener("click", () => this._makeLink());
    this._q("copy-link").addEventListener("click", () => this._copy(this._link?.url, "copy-link"));
    this._q("revoke-link").addEventListener("click", () => this._revokeLink());
  }

  _showCode(code, problem = "") {
    const dialog = this.options.dialog;
    this.i18n.bind(this._q("title"), "invite.code_title");
    this._q("code-box").hidden = code === null;
    this._q("problem").hidden = !problem;
    this._q("problem").textContent = problem;
    if (code !== null) {
      this._q("code").textContent = formatAccessCode(code);
      this._q("code").dataset.code = formatAccessCode(code);
    }
    this._q("make-link").hidden = Boolean(problem);
    this._renderLink();
    if (!dialog.open) {
      dialog.showModal();
    }
  }

  async _makeLink() {
    const button = this._q("make-link");
    button.disabled = true;
    try {
      this._link = await this.options.api("POST", `/api/supports/${this.options.sessionId}/invitations`, {
        body: {},
      });
      this._linkState = "open";
    } catch (error) {
      this._q("problem").hidden = false;
      this._q("problem").textContent = this.i18n.t("invite.failed", { message: error.message ?? "" });
    } finally {
      button.disabled = false;
    }
    this._renderLink();
  }

  async _revokeLink() {
    if (!this._link) {
      return;
    }
    const id = this._link.invitation.id;
    try {
      await this.options.api("DELETE", `/api/supports/${this.options.sessionId}/invitations/${id}`);
      this._linkState = "revoked";
    } catch (error) {
      this._q("problem").hidden = false;
      this._q("problem").textContent = error.message ?? String(error);
    }
    this._renderLink();
  }

  _renderLink() {
    const box = this._q("link-box");
    box.hidden = this._link === null;
    if (this._link === null) {
      this._q("link").value = ""; // the last link never shows again (nor fools a reader)
      this._q("link-status").textContent = "";
      return;
    }
    this._q("make-link").hidden = true; // one link per press of "Invite another"
    const revoked = this._linkState === "revoked";
    this._q("link").value = this._link.url;
    this._q("link").disabled = revoked;
    this._q("copy-link").hidden = revoked;
    this._q("revoke-link").hidden = revoked;
    this._q("link-status").textContent = revoked ? this.i18n.t("invite.revoked") : "";
  }

  async _copy(text, part) {
    if (!text) {
      return;
    }
    let copied = false;
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(text);
        copied = true;
      }
    } catch (error) {
      console.warn("clipboard API refused:", error.message);
    }
    const button = this._q(part);
    if (!copied) {
      const field = part === "copy-link" ? this._q("link") : null;
      field?.select(); // plain http: no clipboard API; the text is selected to copy by hand
      return;
    }
    const label = button.querySelector("span:not(.rs-icon)");
    label.textContent = this.i18n.t("invite.copied");
    setTimeout(() => (label.textContent = this.i18n.t("invite.copy")), COPIED_SHOWN_MS);
  }
}
