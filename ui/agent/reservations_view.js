// Reservations (A11) in the agent app and on /agent: the list (upcoming, today, past; status,
// overlap), Open (or double-click) into the waiting state, Edit, Cancel with a confirm, and
// "Make a reservation" (ui/agent/reservation_form.js). Text only through textContent.

import { element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { formatShortTime, readerTimeZone } from "../common/reservations/meeting_time.js";
import { ReservationForm } from "./reservation_form.js";

const LISTS = ["upcoming", "today", "past"];
const OPEN_EARLY_MINUTES = 15;

export class ReservationsView {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {object} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   * @param {(path: string, file: File, onProgress: (done: number, size: number) => void) => Promise<object>} options.upload
   * @param {(support: object) => void} options.onOpened the reservation's support is waiting
   * @param {(error: Error) => boolean} options.onAuthError
   */
  constructor(options) {
    this.options = options;
    this.i18n = options.i18n;
    this.when = "upcoming";
    this.reservations = [];
    this._build();
    this.form = new ReservationForm({
      i18n: this.i18n,
      api: options.api,
      upload: options.upload,
      onSaved: () => this.refresh(),
      onAuthError: options.onAuthError,
    });
    this.i18n.onChange(() => this._render());
  }

  _build() {
    const { i18n } = this;
    const root = this.options.root;
    root.classList.add("agent-resv");
    const head = element("div", "agent-resv__head");
    const title = element("h1", "agent-resv__title");
    i18n.bind(title, "resv.title");
    this.newButton = element("button", "rs-button rs-button--primary", { type: "button", "data-testid": "reservation-new" });
    i18n.bind(this.newButton, "resv.new");
    this.newButton.addEventListener("click", () => this.form.show(null));
    head.append(title, this.newButton);
    this.tabs = element("div", "agent-resv__tabs", { role: "group", "data-testid": "reservation-lists" });
    this.tabButtons = LISTS.map((when) => {
      const button = element("button", "agent-resv__tab", { type: "button", "data-when": when, "data-testid": `reservation-list-${when}` });
      i18n.bind(button, `resv.${when}`);
      button.addEventListener("click", () => {
        this.when = when;
        this.refresh();
      });
      return button;
    });
    this.tabs.append(...this.tabButtons);
    this.hint = element("p", "rs-help");
    i18n.bind(this.hint, "resv.open_hint", { minutes: OPEN_EARLY_MINUTES });
    this.error = new ErrorMessage(element("div", "rs-alert", { "aria-live": "assertive", "data-testid": "reservation-error" }), i18n);
    this.status = element("p", "agent-resv__status", { role: "status", "data-testid": "reservation-status" });
    this.list = element("ul", "agent-resv__list", { "data-testid": "reservation-list" });
    root.replaceChildren(head, this.tabs, this.hint, this.error.box, this.status, this.list);
    this._buildCancelDialog();
  }

  _buildCancelDialog() {
    const { i18n } = this;
    this.cancelDialog = element("dialog", "rs-dialog", { "data-testid": "reservation-cancel-dialog", "aria-labelledby": "resv-cancel-title" });
    const form = element("form", "", { method: "dialog" });
    const title = element("h2", "", { id: "resv-cancel-title" });
    i18n.bind(title, "resv.cancel_title");
    this.cancelBody = element("p");
    const actions = element("div", "rs-dialog__actions");
    const keep = element("button", "rs-button rs-button--secondary", { value: "cancel", "data-testid": "reservation-cancel-keep" });
    i18n.bind(keep, "resv.keep");
    const yes = element("button", "rs-button rs-button--danger", { value: "confirm", "data-testid": "reservation-cancel-confirm" });
    i18n.bind(yes, "resv.cancel_yes");
    actions.append(keep, yes);
    form.append(title, this.cancelBody, actions);
    this.cancelDialog.append(form);
    document.body.append(this.cancelDialog);
  }

  /** Load the chosen list again (on every visit of the view). */
  async refresh() {
    this.error.clear();
    this.i18n.bind(this.status, "resv.loading");
    const query = new URLSearchParams({ when: this.when, tz: readerTimeZone() });
    try {
      const { reservations } = await this.options.api("GET", `/api/reservations?${query}`);
      this.reservations = reservations;
      this._render();
    } catch (error) {
      this.i18n.bindOrClear(this.status, "");
      if (!this.options.onAuthError(error)) {
        this.error.show(error);
      }
    }
  }

  _render() {
    const { i18n } = this;
    for (const button of this.tabButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.when === this.when));
    }
    this.list.replaceChildren(...this.reservations.map((reservation) => this._row(reservation)));
    if (this.reservations.length === 0) {
      i18n.bind(this.status, `resv.empty_${this.when}`);
    } else {
      i18n.bindOrClear(this.status, "");
    }
  }

  _row(reservation) {
    const { i18n } = this;
    const t = (key, params) => i18n.t(key, params);
    const row = element("li", "rs-card agent-resv__row", {
      "data-testid": "reservation-row",
      "data-reservation-id": reservation.id,
      "data-status": reservation.status,
      tabindex: "0",
    });
    const when = element("div", "agent-resv__when");
    when.append(
      // In the zone it was booked in, which is shown beside it.
      element("span", "agent-resv__time", {}, formatShortTime(reservation.start_utc, i18n.locale, reservation.time_zone)),
      element("span", "rs-help", {}, `${t("resv.minutes", { n: reservation.duration_minutes })} · ${reservation.time_zone}`),
    );
    const main = element("div", "agent-resv__main");
    main.append(element("span", "agent-resv__name", { "data-testid": "reservation-title" }, reservation.title));
    const tags = element("div", "agent-resv__tags");
    tags.append(element("span", `agent-resv__badge agent-resv__badge--${reservation.status}`, { "data-testid": "reservation-badge" }, t(`resv.status_${reservation.status}`)));
    if (reservation.overlaps && reservation.status === "scheduled") {
      tags.append(element("span", "agent-resv__badge agent-resv__badge--overlap", { "data-testid": "reservation-overlap" }, t("resv.overlaps")));
    }
    const invited = reservation.invitees.filter((invitee) => !invitee.revoked).length;
    tags.append(element("span", "rs-help", {}, t("resv.invitees_n", { n: invited })));
    if (reservation.materials.length > 0) {
      const count = reservation.materials.length;
      tags.append(element("span", "rs-help", {}, t(count === 1 ? "resv.materials_1" : "resv.materials_n", { n: count })));
    }
    main.append(tags);
    const actions = element("div", "agent-resv__actions");
    const live = reservation.status === "scheduled" || reservation.status === "open";
    if (live) {
      const open = element("button", "rs-button rs-button--primary rs-button--small", { type: "button", "data-testid": "reservation-open" }, t("resv.open"));
      open.addEventListener("click", () => this.open(reservation));
      actions.append(open);
    }
    if (reservation.status === "scheduled") {
      const edit = element("button", "rs-button rs-button--secondary rs-button--small", { type: "button", "data-testid": "reservation-edit" }, t("resv.edit"));
      edit.addEventListener("click", () => this.form.show(reservation));
      const cancel = element("button", "rs-button rs-button--ghost rs-button--small", { type: "button", "data-testid": "reservation-cancel" }, t("resv.cancel"));
      cancel.addEventListener("click", () => this.cancel(reservation));
      actions.append(edit, cancel);
    }
    row.append(when, main, actions);
    if (live) {
      row.addEventListener("dblclick", (event) => {
        if (!event.target.closest("button")) {
          this.open(reservation);
        }
      });
      row.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && event.target === row) {
          this.open(reservation);
        }
      });
    }
    return row;
  }

  /** Open (button, double-click, Enter): the relay makes the session; the app enters it. */
  async open(reservation) {
    this.error.clear();
    try {
      const { support } = await this.options.api("POST", `/api/reservations/${reservation.id}/open`);
      this.options.onOpened(support);
    } catch (error) {
      if (!this.options.onAuthError(error)) {
        this.error.show(error);
      }
    }
  }

  cancel(reservation) {
    this.cancelBody.textContent = this.i18n.t("resv.cancel_body", {
      title: reservation.title,
      when: formatShortTime(reservation.start_utc, this.i18n.locale, reservation.time_zone),
    });
    this.cancelDialog.addEventListener(
      "close",
      async () => {
        if (this.cancelDialog.returnValue !== "confirm") {
          return;
        }
        try {
          await this.options.api("POST", `/api/reservations/${reservation.id}/cancel`);
          await this.refresh();
          this.i18n.bind(this.status, "resv.cancelled_done");
        } catch (error) {
          if (!this.options.onAuthError(error)) {
            this.error.show(error);
          }
        }
      },
      { once: true },
    );
    this.cancelDialog.returnValue = "";
    this.cancelDialog.showModal();
  }
}
