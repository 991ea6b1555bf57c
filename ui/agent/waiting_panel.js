import { byId } from "../common/dom.js";
// The agent's waiting panel (A3): relay address, access code, icon number, the code's expiry
// countdown, and copying the invitation text (with a select-the-text fallback).

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
    byId("copy-invitation").addEventListener("click", () => this.copyInvitation());
    byId("renew-code").addEventListener("click", () => onRenew());
    this._note = byId("code-note"); // why the code changed by itself (`code_note`)
  }

  /**
   * Show address, invitation, code and icon from the agent's websocket `session` (or the HTTP
   * `support` object, which has the same fields); the relay builds the invitation text.
   */
  setSupport(support) {
    const url = support.relay_url || window.location.origin;
    const link = byId("relay-url");
    link.textContent = url;
    link.href = support.join_url || url;
    byId("invitation-text").value = support.invitation_text || this._fallbackInvitation(support);
    this.setCode(support);
  }

  /** Show the code, its expiry and the icon. */
  setCode({ code, code_expires_at: expiresAt, code_note: note, icon }) {
    const digits = String(code ?? "");
    const box = byId("access-code");
    // Without a code (expired or burned) the boxes stay, empty, so the layout does not jump.
    box.replaceChildren(
      ...Array.from(digits || "\u2007".repeat(6), (digit) => {
        const span = document.createElement("span");
        span.textContent = digit;
        return span;
      }),
    );
    box.setAttribute("aria-label", Array.from(digits).join(" "));
    box.dataset.code = digits;
    this._hasCode = digits !== "";
    const hasIcon = Number.isInteger(icon);
    byId("icon-step").hidden = !hasIcon;
    byId("icon-number").textContent = hasIcon ? String(icon) : "";
    this._expiresAt = typeof expiresAt === "number" ? expiresAt : null;
    this._showNote(note);
    this._tick();
  }

  /** `code_replaced`: the relay replaced a code burned by wrong codes typed elsewhere. */
  _showNote(note) {
    const known = note === "code_replaced";
    this._note.hidden = !known;
    this.i18n.bindOrClear(this._note, known ? "wait.code_replaced" : "");
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
