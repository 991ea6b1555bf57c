// "E-mail the invitation" (A3) in the agent's waiting panel, the same in the desktop chat
// window and /agent: addresses (each with its language, checked at its field), a preview of
// the mail as the relay will send it, Send, and every mail's state below the panel's actions
// (queued, sending, sent, retrying with the next try's time, failed with the reason).
// Contract: docs/protocol.md, *Mail*.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { iconElement } from "../common/icons.js";
import { recipientProblems } from "../common/mail/addresses.js";

// Each recipient gets a personal link of the session, which holds at most 50 open links
// (relay_server/sessions/invitations.py MAX_OPEN_PER_SESSION); the relay refuses more.
const MAX_RECIPIENTS = 50;

const POLL_MS = 2000;
const LANGUAGES = ["en", "ko"];
const PENDING = new Set(["queued", "sending", "retrying"]);

export class InvitationMail {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   *   the relay's API with the agent's token
   */
  constructor({ i18n, api }) {
    this.i18n = i18n;
    this.api = api;
    this.sessionId = null;
    this.mails = [];
    this.rows = [];
    this._previewLang = null;
    this._previewToken = 0;
    this._timer = null;
    this.dialog = byId("mail-dialog");
    this.error = new ErrorMessage(byId("invite-error"), i18n);
    byId("email-invitation").addEventListener("click", () => this.open());
    byId("invite-add").addEventListener("click", () => {
      this._addRow("", this._lastLang());
      this.rows.at(-1).input.focus();
    });
    byId("invite-cancel").addEventListener("click", () => this.dialog.close());
    byId("invite-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._send();
    });
    i18n.onChange(() => {
      this._renumber();
      this._renderList();
      if (this.dialog.open) {
        this._preview();
      }
    });
  }

  /** Follow one waiting session (null: none); its mails are listed from the relay. */
  setSession(sessionId) {
    if (sessionId === this.sessionId) {
      return;
    }
    this.sessionId = sessionId;
    this.mails = [];
    this._renderList();
    clearTimeout(this._timer);
    this._timer = null;
    if (this.dialog.open) {
      this.dialog.close();
    }
    if (sessionId) {
      this._refresh();
    }
  }

  open() {
    this.error.clear();
    byId("invite-rows").replaceChildren();
    this.rows = [];
    this._addRow("", this.i18n.language === "ko" ? "ko" : "en");
    this._previewLang = null;
    this._updateSendLabel();
    this.dialog.showModal();
    this.rows[0].input.focus();
    this._preview();
  }

  // -- the form ----------------------------------------------------------------------------

  _addRow(address, lang) {
    const row = element("div", "agent-mail__row");
    const input = element("input", "rs-input", {
      type: "email",
      maxlength: "254",
      autocomplete: "email",
      spellcheck: "false",
      "data-testid": "invite-address",
    });
    input.value = address;
    const select = element("select", "rs-select agent-mail__lang", { "data-testid": "invite-lang" });
    for (const code of LANGUAGES) {
      const option = element("option", "", { value: code });
      this.i18n.bind(option, `mail.lang_${code}`);
      select.append(option);
    }
    select.value = lang;
    const remove = element("button", "rs-button rs-button--ghost rs-button--small agent-mail__remove", {
      type: "button",
      "data-testid": "invite-remove",
    });
    remove.append(iconElement("trash"));
    const problem = element("span", "agent-mail__problem", { "aria-live": "polite" });
    problem.id = `invite-problem-${this.rows.length}-${Date.now()}`;
    input.setAttribute("aria-describedby", problem.id);
    row.append(input, select, remove, problem);
    const entry = { row, input, select, remove, problem };
    this.rows.push(entry);
    byId("invite-rows").append(row);
    input.addEventListener("input", () => {
      this._markProblem(entry, null);
      this._updateSendLabel();
    });
    input.addEventListener("focus", () => this._previewFor(select.value));
    select.addEventListener("change", () => this._previewFor(select.value));
    select.addEventListener("focus", () => this._previewFor(select.value));
    remove.addEventListener("click", () => {
      this.rows = this.rows.filter((other) => other !== entry);
      row.remove();
      if (this.rows.length === 0) {
        this._addRow("", lang);
      }
      this._renumber();
      this._updateSendLabel();
      this.rows.at(-1).input.focus();
    });
    this._renumber();
    byId("invite-add").disabled = this.rows.length >= MAX_RECIPIENTS;
  }

  _renumber() {
    this.rows.forEach((entry, index) => {
      const n = String(index + 1);
      entry.input.setAttribute("aria-label", this.i18n.t("mail.recipient_label", { n }));
      entry.select.setAttribute("aria-label", this.i18n.t("mail.language_label", { n }));
      const label = this.i18n.t("mail.remove_recipient", { n });
      entry.remove.setAttribute("aria-label", label);
      entry.remove.title = label;
      entry.remove.hidden = this.rows.length === 1;
    });
  }

  _lastLang() {
    return this.rows.at(-1)?.select.value ?? "en";
  }

  _markProblem(entry, key) {
    entry.row.classList.toggle("agent-mail__row--bad", Boolean(key));
    entry.input.setAttribute("aria-invalid", key ? "true" : "false");
    this.i18n.bindOrClear(entry.problem, key ?? "", { max: MAX_RECIPIENTS });
  }

  _filledRows() {
    // An empty extra row is ignored; an empty only row is a problem.
    const filled = this.rows.filter((entry) => entry.input.value.trim() !== "");
    return filled.length > 0 ? filled : this.rows.slice(0, 1);
  }

  _updateSendLabel() {
    const count = this.rows.filter((entry) => entry.input.value.trim() !== "").length;
    if (count > 1) {
      this.i18n.bind(byId("invite-send-label"), "mail.send_n", { n: count });
    } else {
      this.i18n.bind(byId("invite-send-label"), "mail.send");
    }
  }

  _previewFor(lang) {
    if (lang !== this._previewLang) {
      this._preview(lang);
    }
  }

  async _preview(lang = this.rows[0]?.select.value ?? "en") {
    this._previewLang = lang;
    const token = ++this._previewToken;
    const subject = byId("invite-preview-subject");
    const body = byId("invite-preview-body");
    this.i18n.bind(subject, "mail.preview_loading");
    body.textContent = "";
    try {
      const preview = await this.api("POST", `/api/supports/${this.sessionId}/invitation_mails/preview`, {
        body: { lang },
      });
      if (token !== this._previewToken) {
        return;
      }
      this.i18n.bind(subject, "mail.preview_subject", { subject: preview.subject });
      body.textContent = preview.text.replace(/\r\n/g, "\n").trimEnd();
      body.lang = lang;
    } catch (error) {
      if (token === this._previewToken) {
        this.i18n.bindOrClear(subject, "");
        this._showError(error);
      }
    }
  }

  async _send() {
    this.error.clear();
    const rows = this._filledRows();
    const problems = recipientProblems(rows.map((entry) => entry.input.value));
    rows.forEach((entry, index) => this._markProblem(entry, problems.get(index) ?? null));
    if (problems.size > 0) {
      rows[Math.min(...problems.keys())].input.focus();
      return;
    }
    if (rows.length > MAX_RECIPIENTS) {
      this.error.showKey("mail.too_many", { max: MAX_RECIPIENTS });
      return;
    }
    const recipients = rows.map((entry) => ({
      address: entry.input.value.trim(),
      lang: entry.select.value,
    }));
    const button = byId("invite-send");
    button.disabled = true;
    this.i18n.bind(byId("invite-send-label"), "mail.sending");
    try {
      const { mails } = await this.api("POST", `/api/supports/${this.sessionId}/invitation_mails`, {
        body: { recipients },
      });
      this._merge(mails);
      this.dialog.close();
      this.i18n.bind(
        byId("mail-queued"),
        mails.length === 1 ? "mail.queued_1" : "mail.queued_n",
        { n: mails.length },
      );
      this._schedule();
    } catch (error) {
      this._showError(error);
    } finally {
      button.disabled = false;
      this._updateSendLabel();
    }
  }

  _showError(error) {
    if (error.code === "code_expired") {
      this.error.showKey("mail.code_expired");
    } else {
      this.error.show(error);
    }
  }

  // -- the states ---------------------------------------------------------------------------

  _merge(mails) {
    const byId = new Map(this.mails.map((mail) => [mail.id, mail]));
    for (const mail of mails) {
      byId.set(mail.id, mail);
    }
    this.mails = [...byId.values()].sort((a, b) => a.created_at - b.created_at);
    this._renderList();
  }

  async _refresh() {
    const sessionId = this.sessionId;
    if (!sessionId) {
      return;
    }
    try {
      const { mails } = await this.api("GET", `/api/supports/${sessionId}/invitation_mails`);
      if (sessionId !== this.sessionId) {
        return;
      }
      this.mails = mails;
      this._renderList();
    } catch (error) {
      console.warn("mail states:", error.message);
    }
    this._schedule();
  }

  async _withdraw(mail, button) {
    button.disabled = true;
    try {
      await this.api("DELETE", `/api/supports/${this.sessionId}/links/${mail.link.id}`);
    } catch (error) {
      // Already used or withdrawn meanwhile: the refreshed list says which.
      console.warn("withdraw link:", error.message);
    }
    await this._refresh();
  }

  _schedule() {
    clearTimeout(this._timer);
    this._timer = null;
    if (this.sessionId && this.mails.some((mail) => PENDING.has(mail.state))) {
      this._timer = setTimeout(() => this._refresh(), POLL_MS);
    }
  }

  _renderList() {
    const section = byId("mail-states");
    section.hidden = this.mails.length === 0;
    if (!this.mails.some((mail) => PENDING.has(mail.state))) {
      this.i18n.bindOrClear(byId("mail-queued"), ""); // "on its way" only while it is
    }
    byId("mail-state-list").replaceChildren(...this.mails.map((mail) => this._item(mail)));
  }

  _item(mail) {
    const item = element("li", "agent-mails__item", { "data-testid": "mail-state", "data-state": mail.state });
    const address = element("span", "agent-mails__to", {}, mail.to);
    const badge = element("span", `agent-mails__badge agent-mails__badge--${mail.state}`);
    if (mail.state === "retrying" && typeof mail.next_try_at === "number") {
      this.i18n.bind(badge, "mail.state_retrying", { time: this.i18n.formatTime(mail.next_try_at) });
    } else {
      this.i18n.bind(badge, `mail.state_${mail.state}`);
    }
    item.append(address, badge);
    // Each mail carries a personal link of its own: withdrawn here, it opens nothing more.
    if (mail.link?.state === "open") {
      const withdraw = element("button", "rs-button rs-button--ghost rs-button--small agent-mails__withdraw", {
        type: "button",
        "data-testid": "mail-withdraw",
        "aria-label": this.i18n.t("mail.withdraw_label", { address: mail.to }),
      });
      withdraw.textContent = this.i18n.t("mail.withdraw_link");
      withdraw.addEventListener("click", () => this._withdraw(mail, withdraw));
      item.append(withdraw);
    } else if (mail.link?.state === "revoked" || mail.link?.state === "used") {
      item.append(
        element(
          "span",
          "agent-mails__link",
          { "data-testid": "mail-link-state" },
          // A3: a mail that never arrives closes its link on the relay: say why.
          this.i18n.t(
            mail.state === "failed" && mail.link.state === "revoked"
              ? "mail.link_closed_undelivered"
              : `mail.link_${mail.link.state}`,
          ),
        ),
      );
    }
    let reason = "";
    if (mail.state === "failed" && mail.error === "uncertain") {
      reason = this.i18n.t("mail.failed_uncertain");
    } else if (mail.state === "failed" && mail.error === "expired") {
      reason = `${this.i18n.t("mail.failed_expired")} ${mail.answer}`;
    } else if (mail.state === "failed") {
      reason = this.i18n.t("mail.failed_rejected", { answer: mail.answer });
    } else if (mail.state === "retrying") {
      reason = this.i18n.t("mail.retrying_reason", { answer: mail.answer });
    }
    if (reason) {
      item.append(element("span", "agent-mails__reason", { "data-testid": "mail-reason" }, reason));
    }
    return item;
  }
}
