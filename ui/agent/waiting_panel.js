// The agent's waiting panel (A3): relay address, access code, icon number, the code's expiry
// countdown, and copying the invitation text (with a select-the-text fallback). For an opened
// reservation (A11) its invitees lead, each with whether they came in; the code follows for
// someone not on the list.

import { byId, element } from "../common/dom.js";
import { ACCESS_CODE_DIGITS, CODE_GROUP_DIGITS, formatAccessCode } from "../common/protocol.js";

const TICK_MS = 1000;
const COPIED_SHOWN_MS = 4000;

export class WaitingPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {() => void} options.onRenew asks the relay for a fresh code
   */
  constructor({ i18n, onRenew }) {
    this.i18n = i18n;
    this._hasCode = false;
    this._expiresAt = null;
    this._timer = null;
    this._copiedTimer = null;
    this._support = null;
    byId("copy-invitation").addEventListener("click", () => this.copyInvitation());
    byId("renew-code").addEventListener("click", () => onRenew());
    i18n.onChange(() => this._support && this._renderInvitation());
  }

  /**
   * Show address, invitation, code and icon from the agent's websocket `session` (or the HTTP
   * `support` object, which has the same fields). The invitation is written in the page's
   * language (a Korean agent invites Korean customers), from the session's name, links and
   * code; the relay's bilingual `invitation_text` is the fallback when a field is missing.
   */
  setSupport(support) {
    const url = support.relay_url || window.location.origin;
    const link = byId("relay-url");
    link.textContent = url;
    link.href = support.join_url || url;
    this._support = support;
    this._renderInvitation();
    this.setCode(support);
  }

  _renderInvitation() {
    const support = this._support;
    const name = support.agent?.name;
    const relayUrl = support.relay_url;
    let text = support.invitation_text || this._fallbackInvitation(support);
    if (name && relayUrl && support.code && support.join_url) {
      text = this.i18n.t("wait.invitation", {
        name,
        join_url: support.join_url,
        relay_url: relayUrl,
        code: formatAccessCode(String(support.code)),
      });
    } else if (name && relayUrl && !support.code) {
      text = this.i18n.t("wait.invitation_no_code", { name, relay_url: relayUrl });
    }
    byId("invitation-text").value = text;
  }

  /**
   * The opened reservation (A11) this support waits for, or null: its invitees enter by their
   * own links, so the agent need not send them the code below.
   */
  setReservation(reservation) {
    const note = byId("waiting-reservation");
    note.hidden = !reservation;
    const invitees = reservation?.invitees ?? [];
    // The invitees lead; the code, the icon and the invitation follow for someone else.
    byId("waiting-invitees").hidden = invitees.length === 0;
    byId("waiting-other-title").hidden = !reservation;
    note.closest(".agent-wait").classList.toggle("agent-wait--meeting", Boolean(reservation));
    byId("waiting-invitee-list").replaceChildren(...invitees.map((i) => this._inviteeRow(i)));
    this.i18n.bind(byId("waiting-title"), reservation ? "wait.title_meeting" : "wait.title");
    if (!reservation) {
      return;
    }
    const n = reservation.invited ?? 0;
    this.i18n.bind(note, "resv.waiting_note", {
      title: reservation.title,
      invited: this.i18n.t("resv.invitees_n", { n }),
    });
  }

  /** One invitee: name (or address), the address under it, and whether they came in. */
  _inviteeRow(invitee) {
    const row = element("li", `agent-invitee agent-invitee--${invitee.state}`, {
      "data-testid": "waiting-invitee",
      "data-state": invitee.state,
    });
    const who = element("span", "agent-invitee__who");
    const name = element("span", "agent-invitee__name");
    name.textContent = invitee.name || invitee.email;
    name.title = name.textContent;
    who.append(name);
    if (invitee.name && invitee.email) {
      const email = element("span", "agent-invitee__email");
      email.textContent = invitee.email;
      email.title = invitee.email;
      who.append(email);
    }
    const state = element("span", "agent-invitee__state", { "data-testid": "waiting-invitee-state" });
    this.i18n.bind(state, `resv.invitee_${invitee.state}`);
    row.append(who, state);
    return row;
  }

  /** Show the code (in groups of three, as it is read out), its expiry and the icon. */
  setCode({ code, code_expires_at: expiresAt, icon }) {
    const digits = String(code ?? "");
    const box = byId("access-code");
    // Without a code (expired) the boxes stay, empty, so the layout does not jump.
    const cells = Array.from(digits || "\u2007".repeat(ACCESS_CODE_DIGITS));
    const groups = [];
    for (let start = 0; start < cells.length; start += CODE_GROUP_DIGITS) {
      const group = document.createElement("span");
      group.className = "agent-code__group";
      for (const digit of cells.slice(start, start + CODE_GROUP_DIGITS)) {
        const span = document.createElement("span");
        span.textContent = digit;
        group.append(span);
      }
      groups.push(group);
    }
    box.replaceChildren(...groups);
    box.setAttribute("aria-label", formatAccessCode(digits));
    box.dataset.code = digits;
    this._hasCode = digits !== "";
    const hasIcon = Number.isInteger(icon);
    byId("icon-step").hidden = !hasIcon;
    byId("icon-number").textContent = hasIcon ? String(icon) : "";
    this._expiresAt = typeof expiresAt === "number" ? expiresAt : null;
    this._tick();
  }

  /** Run the countdown only while the panel is on screen. */
  setActive(active) {
    clearInterval(this._timer);
    this._timer = null;
    if (active) {
      this._tick();
      this._timer = setInterval(() => this._tick(), TICK_MS);
    }
  }

  async copyInvitation() {
    const textarea = byId("invitation-text");
    const text = textarea.value;
    let copied = false;
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(text);
        copied = true;
      }
    } catch (error) {
      console.warn("clipboard API refused:", error.message);
    }
    if (!copied) {
      // Plain http on a LAN address is not a secure context: no clipboard API there.
      textarea.focus();
      textarea.select();
      try {
        copied = document.execCommand("copy");
      } catch {
        copied = false;
      }
    }
    const status = byId("copy-status");
    this.i18n.bind(status, copied ? "wait.copied" : "wait.copy_failed");
    status.classList.toggle("agent-wait__copied--failed", !copied);
    clearTimeout(this._copiedTimer);
    if (copied) {
      this._copiedTimer = setTimeout(() => {
        delete status.dataset.i18n;
        status.textContent = "";
      }, COPIED_SHOWN_MS);
    } else {
      textarea.select();
    }
  }

  _tick() {
    const expiry = byId("code-expiry");
    const remaining = this._expiresAt === null ? 0 : this._expiresAt - Date.now() / 1000;
    const expired = !this._hasCode || remaining <= 0;
    expiry.classList.toggle("agent-wait__expiry--expired", expired);
    byId("access-code").classList.toggle("agent-code--expired", expired);
    byId("renew-code").hidden = !expired;
    if (expired) {
      this.i18n.bind(expiry, "wait.expired");
    } else {
      this.i18n.bind(expiry, "wait.expires", { time: this.i18n.formatCountdown(remaining) });
    }
  }

  _fallbackInvitation(support) {
    return [support.join_url || support.relay_url, support.code].filter(Boolean).join("\n");
  }
}
