// "Make a reservation" and "Edit reservation" (A11): the guide's three tabs — basic info
// (title, start, duration, time zone), agenda (topics and material files, uploaded with
// progress after the reservation is saved) and invite (addresses with name and language).

import { element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { Sha256 } from "../common/files/sha256.js";
import { readerTimeZone, wallClockValue } from "../common/reservations/meeting_time.js";

const TABS = ["basic", "agenda", "invite"];
const HASH_SLICE_BYTES = 4 * 1024 * 1024;
const DEFAULT_MINUTES = 30;

/** What an invitee will receive (the relay renders it: POST /api/reservation_mails/preview),
 * in the first invitee's language, else the agent's; null while the form cannot make one. */
async function previewInvitation(api, body, lang, materials) {
  if (!body.start || !body.time_zone || !Number.isInteger(body.duration_minutes)) {
    return null;
  }
  const reservation = {
    title: body.title,
    start: body.start,
    duration_minutes: body.duration_minutes,
    time_zone: body.time_zone,
    agenda: body.agenda.filter((topic) => topic.trim()),
    materials, // the invitation lists the files by name and size
  };
  try {
    return await api("POST", "/api/reservation_mails/preview", { body: { reservation, lang, kind: "invitation" } });
  } catch (error) {
    console.warn("the invitation's preview failed:", error?.message);
    return null;
  }
}

export class ReservationForm {
  constructor({ i18n, api, upload, onSaved, onAuthError }) {
    this.i18n = i18n;
    this.api = api;
    this.upload = upload;
    this.onSaved = onSaved;
    this.onAuthError = onAuthError;
    this.reservation = null;
    this.topics = [];
    this.invitees = [];
    this.pendingFiles = [];
    this.removedMaterials = new Set();
    this._busy = false;
    this._build();
  }

  _field(labelKey, control, hintKey) {
    const id = control.id;
    const field = element("div", "rs-field");
    const label = element("label", "rs-label", { for: id });
    this.i18n.bind(label, labelKey);
    field.append(label, control);
    if (hintKey) {
      const hint = element("span", "rs-help");
      this.i18n.bind(hint, hintKey);
      field.append(hint);
    }
    return field;
  }

  _button(key, className, testid) {
    const button = element("button", `rs-button ${className}`, { type: "button", "data-testid": testid });
    this.i18n.bind(button, key);
    return button;
  }

  _build() {
    const { i18n } = this;
    this.dialog = element("dialog", "rs-dialog agent-resv-form", { "data-testid": "reservation-form", "aria-labelledby": "resv-form-title" });
    this.heading = element("h2", "", { id: "resv-form-title" });
    const tabList = element("div", "agent-resv-form__tabs", { role: "tablist" });
    this.tabButtons = {};
    this.tabPanels = {};
    for (const tab of TABS) {
      const button = element("button", "agent-resv__tab", { type: "button", role: "tab", id: `resv-tab-${tab}`, "aria-controls": `resv-panel-${tab}`, "data-testid": `reservation-tab-${tab}` });
      i18n.bind(button, `resv.tab_${tab}`);
      button.addEventListener("click", () => this._showTab(tab));
      tabList.append(button);
      this.tabButtons[tab] = button;
      this.tabPanels[tab] = element("div", "agent-resv-form__panel", { role: "tabpanel", id: `resv-panel-${tab}`, "aria-labelledby": `resv-tab-${tab}` });
    }
    // Basic info
    this.titleInput = element("input", "rs-input", { id: "resv-title", maxlength: "120", "data-testid": "reservation-title-input" });
    this.startInput = element("input", "rs-input", { id: "resv-start", type: "datetime-local", "data-testid": "reservation-start" });
    this.durationInput = element("input", "rs-input", { id: "resv-duration", type: "number", min: "5", max: "480", step: "5", "data-testid": "reservation-duration" });
    this.zoneSelect = element("select", "rs-select rs-input", { id: "resv-zone", "data-testid": "reservation-zone" });
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const own = readerTimeZone();
    for (const zone of new Set([own, ...zones, "UTC"])) {
      this.zoneSelect.append(element("option", "", { value: zone }, zone));
    }
    const when = element("div", "agent-resv-form__row");
    when.append(this._field("resv.field_start", this.startInput), this._field("resv.field_duration", this.durationInput));
    this.tabPanels.basic.append(
      this._field("resv.field_title", this.titleInput),
      when,
      this._field("resv.field_zone", this.zoneSelect, "resv.zone_hint"),
    );
    // Agenda: topics and materials
    this.topicInput = element("input", "rs-input", { id: "resv-topic", maxlength: "200", "data-testid": "reservation-topic" });
    this.topicInput.placeholder = i18n.t("resv.topic_placeholder");
    const addTopic = this._button("resv.add_topic", "rs-button--secondary", "reservation-add-topic");
    const topicRow = element("div", "agent-resv-form__add");
    topicRow.append(this.topicInput, addTopic);
    this.topicList = element("ol", "agent-resv-form__items", { "data-testid": "reservation-topics" });
    const addTopicNow = () => {
      const topic = this.topicInput.value.trim();
      if (topic) {
        this.topics.push(topic);
        this.topicInput.value = "";
        this._renderLists();
      }
      this.topicInput.focus();
    };
    addTopic.addEventListener("click", addTopicNow);
    this.topicInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        addTopicNow();
      }
    });
    const materialsTitle = element("h3", "agent-resv-form__subtitle");
    i18n.bind(materialsTitle, "resv.materials");
    this.fileInput = element("input", "rs-visually-hidden", { type: "file", multiple: "", tabindex: "-1", "aria-hidden": "true", "data-testid": "reservation-files" });
    const addFiles = this._button("resv.add_files", "rs-button--secondary rs-button--small", "reservation-add-files");
    addFiles.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      this.pendingFiles.push(...Array.from(this.fileInput.files).map((file) => ({ file, percent: 0 })));
      this.fileInput.value = "";
      this._renderLists();
    });
    const filesHint = element("p", "rs-help");
    i18n.bind(filesHint, "resv.materials_hint");
    this.fileList = element("ul", "agent-resv-form__items", { "data-testid": "reservation-file-list" });
    const topicLabel = element("label", "rs-label", { for: "resv-topic" });
    i18n.bind(topicLabel, "resv.field_topic");
    this.tabPanels.agenda.append(topicLabel, topicRow, this.topicList, materialsTitle, filesHint, addFiles, this.fileInput, this.fileList);
    // Invite
    this.emailInput = element("input", "rs-input", { id: "resv-email", type: "email", maxlength: "254", autocomplete: "off", "data-testid": "reservation-email" });
    this.nameInput = element("input", "rs-input", { id: "resv-name", maxlength: "80", "data-testid": "reservation-invitee-name" });
    this.languageSelect = element("select", "rs-select rs-input", { id: "resv-language", "data-testid": "reservation-invitee-language" });
    for (const code of ["en", "ko"]) {
      const option = element("option", "", { value: code });
      i18n.bind(option, `resv.lang_${code}`);
      this.languageSelect.append(option);
    }
    const addInvitee = this._button("resv.add_invitee", "rs-button--secondary", "reservation-add-invitee");
    addInvitee.addEventListener("click", () => {
      this._addTypedInvitee();
      this.emailInput.focus();
    });
    // Enter in the address or name adds the invitee, as Enter adds a topic.
    for (const input of [this.emailInput, this.nameInput]) {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          addInvitee.click();
        }
      });
    }
    const inviteRow = element("div", "agent-resv-form__invite");
    inviteRow.append(
      this._field("resv.field_email", this.emailInput),
      this._field("resv.field_name", this.nameInput),
      this._field("resv.field_language", this.languageSelect),
      addInvitee,
    );
    const inviteesTitle = element("h3", "agent-resv-form__subtitle");
    i18n.bind(inviteesTitle, "resv.invitees");
    this.inviteeList = element("ul", "agent-resv-form__items", { "data-testid": "reservation-invitees" });
    const previewTitle = element("h3", "agent-resv-form__subtitle");
    i18n.bind(previewTitle, "resv.preview");
    this.preview = element("p", "rs-help agent-resv-form__preview", { "data-testid": "reservation-preview" });
    this.tabPanels.invite.append(inviteRow, inviteesTitle, this.inviteeList, previewTitle, this.preview);
    // Footer
    this.error = new ErrorMessage(element("div", "rs-alert", { "aria-live": "assertive", "data-testid": "reservation-form-error" }), i18n);
    this.progress = element("p", "rs-help", { role: "status", "data-testid": "reservation-progress" });
    const actions = element("div", "rs-dialog__actions");
    const close = this._button("resv.close", "rs-button--secondary", "reservation-form-close");
    close.addEventListener("click", () => this._requestClose());
    // Esc closes a dialog too: with changes, it asks first as Close does.
    this.dialog.addEventListener("cancel", (event) => {
      if (this._dirty()) {
        event.preventDefault();
        this._requestClose();
      }
    });
    this.saveButton = this._button("resv.save", "rs-button--primary", "reservation-save");
    this.saveButton.addEventListener("click", () => this.save());
    actions.append(close, this.saveButton);
    this._buildDiscard();
    this.dialog.append(this.heading, tabList, ...Object.values(this.tabPanels), this.error.box, this.progress, this.discard, actions);
    document.body.append(this.dialog);
    i18n.onChange(() => {
      this.topicInput.placeholder = i18n.t("resv.topic_placeholder");
      this._renderLists();
    });
  }

  /**
   * The address typed in the invite row, added to the invitees (true), or false when none is
   * typed. Save calls it too: an address typed without pressing Add is invited, not dropped.
   */
  _addTypedInvitee() {
    const email = this.emailInput.value.trim();
    if (!email) {
      return false;
    }
    const invitee = { email, name: this.nameInput.value.trim(), language: this.languageSelect.value };
    // An address whose invitation bounced, listed again (after removing it or not): the save
    // re-invites it (a fresh link, a new mail) instead of keeping its closed link.
    const key = email.toLowerCase();
    const bounced = (this.reservation?.invitees ?? []).some((i) => i.undelivered && !i.revoked && i.email.toLowerCase() === key);
    if (bounced) {
      invitee.reinvite = true;
      this.invitees = this.invitees.filter((i) => i.email.toLowerCase() !== key);
    }
    this.invitees.push(invitee);
    this.emailInput.value = "";
    this.nameInput.value = "";
    this._renderLists();
    return true;
  }

  /** "Close without saving?": shown when Close or Esc would lose what was entered. */
  _buildDiscard() {
    this.discard = element("div", "rs-alert agent-resv-form__discard", { role: "alertdialog", "aria-labelledby": "resv-discard-text", "data-testid": "reservation-discard" });
    const text = element("p", "", { id: "resv-discard-text" });
    this.i18n.bind(text, "resv.discard_title");
    const keep = this._button("resv.keep_editing", "rs-button--secondary rs-button--small", "reservation-keep-editing");
    keep.addEventListener("click", () => {
      this.discard.hidden = true;
      this.saveButton.focus();
    });
    const discard = this._button("resv.discard", "rs-button--danger-outline rs-button--small", "reservation-discard-confirm");
    discard.addEventListener("click", () => this.dialog.close());
    const buttons = element("div", "agent-resv-form__discard-actions");
    buttons.append(keep, discard);
    this.discard.append(text, buttons);
    this.discard.hidden = true;
  }

  /** What the form holds, to tell whether closing would lose anything. */
  _snapshot() {
    return JSON.stringify([this._body(), this.emailInput.value.trim(), this.topicInput.value.trim(), this.pendingFiles.length, this.removedMaterials.size]);
  }

  _dirty() {
    return this._opened !== undefined && this._snapshot() !== this._opened;
  }

  _requestClose() {
    if (!this._dirty()) {
      this.dialog.close();
      return;
    }
    this.discard.hidden = false;
    this.discard.querySelector("[data-testid='reservation-keep-editing']").focus();
  }

  /** Open the form: empty for a new reservation, filled for `reservation`. */
  show(reservation) {
    this.reservation = reservation;
    this.i18n.bind(this.heading, reservation ? "resv.form_edit" : "resv.form_new");
    const zone = reservation?.time_zone ?? readerTimeZone();
    if (![...this.zoneSelect.options].some((option) => option.value === zone)) {
      this.zoneSelect.append(element("option", "", { value: zone }, zone));
    }
    this.zoneSelect.value = zone;
    this.titleInput.value = reservation?.title ?? "";
    this.startInput.value = reservation ? reservation.start_local.slice(0, 16) : wallClockValue(Date.now(), 60, zone);
    this.durationInput.value = String(reservation?.duration_minutes ?? DEFAULT_MINUTES);
    this.languageSelect.value = this.i18n.language === "ko" ? "ko" : "en"; // the agent's, first
    this.topics = [...(reservation?.agenda ?? [])];
    this.invitees = (reservation?.invitees ?? []).filter((i) => !i.revoked).map((i) => ({ ...i }));
    this.pendingFiles = [];
    this.removedMaterials = new Set();
    this.error.clear();
    this.progress.textContent = "";
    this._renderLists();
    this._showTab("basic");
    this._renderPreview();
    this.discard.hidden = true;
    this.dialog.showModal();
    this._opened = this._snapshot();
    this.titleInput.focus();
  }

  _showTab(tab) {
    for (const name of TABS) {
      this.tabButtons[name].setAttribute("aria-selected", String(name === tab));
      this.tabPanels[name].hidden = name !== tab;
    }
    if (tab === "invite") {
      this._renderPreview(); // the invitation as it reads with what the other tabs now say
    }
  }

  _item(text, removeLabel, onRemove, testid) {
    const item = element("li", "agent-resv-form__item", { "data-testid": testid });
    item.append(element("span", "agent-resv-form__item-text", {}, text));
    const remove = element("button", "rs-button rs-button--ghost rs-button--small", { type: "button", "aria-label": removeLabel }, this.i18n.t("resv.remove"));
    remove.addEventListener("click", () => {
      onRemove();
      this._renderLists();
    });
    item.append(remove);
    return item;
  }

  _renderLists() {
    const t = (key, params) => this.i18n.t(key, params);
    this.topicList.replaceChildren(
      ...this.topics.map((topic, index) =>
        this._item(topic, t("resv.remove_named", { name: topic }), () => this.topics.splice(index, 1), "reservation-topic-item"),
      ),
    );
    const materials = (this.reservation?.materials ?? []).filter((m) => !this.removedMaterials.has(m.file_id));
    this.fileList.replaceChildren(
      ...materials.map((m) =>
        this._item(m.name, t("resv.remove_named", { name: m.name }), () => this.removedMaterials.add(m.file_id), "reservation-file-item"),
      ),
      ...this.pendingFiles.map((pending, index) => {
        const label = pending.percent > 0 ? t("resv.uploading", { name: pending.file.name, percent: pending.percent }) : pending.file.name;
        const item = this._item(label, t("resv.remove_named", { name: pending.file.name }), () => this.pendingFiles.splice(index, 1), "reservation-file-item");
        if (pending.percent > 0) {
          item.append(element("progress", "agent-resv-form__progress", { max: "100", value: String(pending.percent) }));
        }
        return item;
      }),
    );
    this.inviteeList.replaceChildren(
      ...this.invitees.map((invitee, index) => {
        const who = invitee.name ? `${invitee.name} <${invitee.email}>` : invitee.email;
        const item = this._item(`${who} · ${t(`resv.lang_${invitee.language}`)}`, t("resv.remove_named", { name: invitee.email }), () => this.invitees.splice(index, 1), "reservation-invitee-item");
        if (invitee.undelivered) {
          // Its invitation failed for good: the relay closed the link (A11, as for A3's links).
          const closed = element("span", "rs-status", { "data-status": "closed", "data-testid": "reservation-invitee-undelivered" }, t("mail.link_closed_undelivered"));
          item.insertBefore(closed, item.lastChild);
        } else if (invitee.link_url) {
          const copy = element("button", "rs-button rs-button--ghost rs-button--small", { type: "button", "data-testid": "reservation-copy-link", "data-link": invitee.link_url }, t("resv.copy_link"));
          copy.addEventListener("click", async () => {
            try {
              await navigator.clipboard.writeText(invitee.link_url);
              copy.textContent = t("resv.link_copied");
            } catch (error) {
              console.warn("copying the link failed:", error.message);
            }
          });
          item.insertBefore(copy, item.lastChild);
        }
        return item;
      }),
    );
    if (this.invitees.length === 0) {
      const empty = element("li", "rs-help agent-resv-form__empty");
      this.i18n.bind(empty, "resv.no_invitees");
      this.inviteeList.append(empty);
    }
  }

  async _renderPreview() {
    const body = this._body();
    const lang = this.invitees[0]?.language || this.i18n.language;
    const materials = [
      ...(this.reservation?.materials ?? []).filter((m) => !this.removedMaterials.has(m.file_id)),
      ...this.pendingFiles.map(({ file }) => ({ name: file.name, size: file.size })),
    ].map(({ name, size }) => ({ name, size }));
    const preview = await previewInvitation(this.api, body, lang === "ko" ? "ko" : "en", materials);
    if (preview) {
      this.preview.textContent = `${preview.subject}\n\n${preview.text}`;
    } else {
      this.i18n.bind(this.preview, "resv.preview_pending");
    }
  }

  _body() {
    return {
      title: this.titleInput.value,
      start: this.startInput.value,
      duration_minutes: Number.parseInt(this.durationInput.value, 10),
      time_zone: this.zoneSelect.value,
      agenda: this.topics,
      invitees: this.invitees.map(({ email, name, language, reinvite }) => (reinvite ? { email, name, language, reinvite } : { email, name, language })),
    };
  }

  async save() {
    if (this._busy) {
      return;
    }
    this._busy = true;
    this.saveButton.disabled = true;
    this.i18n.bind(this.saveButton, "resv.saving");
    this.error.clear();
    if (this._addTypedInvitee()) {
      this._renderPreview();
    }
    try {
      // The files go up before the invitees are sent: an invitation lists the reservation's
      // files when it is mailed, so a new booking with files is booked without invitees
      // first, and an edit's new invitees come after its files.
      const body = this._body();
      let reservation = this.reservation;
      let saved = false;
      if (!reservation) {
        const first = this.pendingFiles.length > 0 ? { ...body, invitees: [] } : body;
        ({ reservation } = await this.api("POST", "/api/reservations", { body: first }));
        this.reservation = reservation; // a retry after a failed upload edits, never books twice
        saved = first === body;
      }
      for (const fileId of this.removedMaterials) {
        await this.api("DELETE", `/api/reservations/${reservation.id}/materials/${encodeURIComponent(fileId)}`);
      }
      this.removedMaterials.clear();
      while (this.pendingFiles.length > 0) {
        await this._uploadOne(reservation.id, this.pendingFiles[0]);
        this.pendingFiles.shift();
      }
      if (!saved) {
        ({ reservation } = await this.api("PUT", `/api/reservations/${reservation.id}`, { body }));
        this.reservation = reservation;
      }
      this.dialog.close();
      this.onSaved(reservation);
    } catch (error) {
      if (!this.onAuthError(error)) {
        this.error.show(error);
        if (error?.code && ["bad_title", "bad_start", "start_in_past", "bad_duration", "unknown_time_zone"].includes(error.code)) {
          this._showTab("basic");
        } else if (["bad_address", "too_many_recipients"].includes(error?.code)) {
          this._showTab("invite");
        } else if (error?.code) {
          this._showTab(this.pendingFiles.length > 0 || error.code.startsWith("too_many_topics") ? "agenda" : this._currentTab());
        }
      }
    } finally {
      this._busy = false;
      this.saveButton.disabled = false;
      this.i18n.bind(this.saveButton, "resv.save");
    }
  }

  _currentTab() {
    return TABS.find((tab) => !this.tabPanels[tab].hidden) ?? "basic";
  }

  async _uploadOne(reservationId, pending) {
    const { file } = pending;
    const hasher = new Sha256();
    for (let offset = 0; offset < file.size; offset += HASH_SLICE_BYTES) {
      const slice = file.slice(offset, Math.min(file.size, offset + HASH_SLICE_BYTES));
      hasher.update(new Uint8Array(await slice.arrayBuffer()));
    }
    const query = new URLSearchParams({ name: file.name, sha256: hasher.hex(), type: file.type || "" });
    await this.upload(`/api/reservations/${reservationId}/materials?${query}`, file, (done, size) => {
      pending.percent = size > 0 ? Math.floor((100 * done) / size) : 100;
      this.i18n.bind(this.progress, "resv.uploading", { name: file.name, percent: pending.percent });
      this._renderLists();
    });
  }
}
