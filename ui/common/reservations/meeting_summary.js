// The booked meeting (A11) a support was opened for, in a chat window's header: one line with
// a calendar, the title and how many topics; opened, a panel with the booked time and the
// agenda floats over the conversation (never pushing it down, so the transcript and the
// composer keep their height however long the agenda is), below what must stay in reach (the
// customer's presentation request). Escape or a click elsewhere closes it. From `session.reservation` (protocol.js sessionReservation()); hidden without one. The agent's panel
// also lists the invitees and whether each has come in (live, from every session_updated).

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { formatShortTime } from "./meeting_time.js";

const EDGE_PX = 12; // the least room between the open panel and the window's edge
const STYLESHEET = new URL("./meeting_summary.css", import.meta.url).href;

export class MeetingSummary {
  /**
   * @param {object} options
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.slot the summary goes in here (its only child)
   * @param {() => Array<HTMLElement|null|undefined>} [options.keepClear] what the open panel
   *   must not cover (the customer's presentation request): it opens below what is shown
   */
  constructor({ i18n, slot, keepClear = () => [] }) {
    this.i18n = i18n;
    this.keepClear = keepClear;
    this.slot = slot;
    this.reservation = null;
    if (![...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === STYLESHEET)) {
      document.head.append(element("link", "", { rel: "stylesheet", href: STYLESHEET }));
    }
    this.element = element("details", "rs-meeting", { "data-testid": "meeting-summary" });
    this.element.hidden = true;
    slot.hidden = true;
    this.summary = element("summary", "rs-meeting__summary", { "data-testid": "meeting-summary-toggle" });
    const icon = iconElement("calendar");
    icon.classList.add("rs-meeting__icon");
    this.title = element("span", "rs-meeting__title", { "data-testid": "meeting-summary-title" });
    this.count = element("span", "rs-meeting__count");
    const caret = element("span", "rs-meeting__caret", { "aria-hidden": "true" }, "▾");
    this.summary.append(icon, this.title, this.count, caret);
    this.panel = element("div", "rs-meeting__panel", { "data-testid": "meeting-summary-panel" });
    // The whole title (the line above may cut it), then the time and the agenda.
    this.name = element("p", "rs-meeting__name", { "data-testid": "meeting-summary-name" });
    this.when = element("p", "rs-meeting__when", { "data-testid": "meeting-summary-when" });
    this.heading = element("p", "rs-meeting__heading");
    this.agenda = element("ol", "rs-meeting__agenda", { "data-testid": "meeting-summary-agenda" });
    this.empty = element("p", "rs-meeting__empty");
    // The agent's copy only: who was invited and who has come in, as they arrive.
    this.peopleHeading = element("p", "rs-meeting__heading");
    this.people = element("ul", "rs-meeting__people", { "data-testid": "meeting-summary-invitees" });
    this.panel.append(this.name, this.when, this.heading, this.agenda, this.empty, this.peopleHeading, this.people);
    this.element.append(this.summary, this.panel);
    slot.replaceChildren(this.element);
    // Opened near the window's right edge (a phone's header), the panel moves left to fit.
    this.element.addEventListener("toggle", () => {
      if (this.element.open) {
        this._clear();
        this.panel.style.left = "0px";
        const overflow = this.panel.getBoundingClientRect().right - (window.innerWidth - EDGE_PX);
        this.panel.style.left = `${-Math.max(0, overflow)}px`;
      }
    });
    this._onKey = (event) => {
      if (event.key === "Escape" && this.element.open) {
        this.element.open = false;
        this.summary.focus();
      }
    };
    this._onOutside = (event) => {
      if (this.element.open && !this.element.contains(event.target)) {
        this.element.open = false;
      }
    };
    document.addEventListener("keydown", this._onKey);
    document.addEventListener("pointerdown", this._onOutside);
    this._unsubscribe = i18n.onChange(() => this._render());
  }

  /** Show this meeting, or nothing (null: a support made with New support). */
  set(reservation) {
    if (JSON.stringify(reservation) === JSON.stringify(this.reservation)) {
      return; // every session_updated repeats it: keep the panel as the agent left it
    }
    this.reservation = reservation;
    this.element.hidden = !reservation;
    this.slot.hidden = !reservation; // no empty place (nor its gap) in the header's line
    if (!reservation) {
      this.element.open = false;
    }
    this._render();
  }

  /** Open below what must stay in reach (shown just under the summary), within the window. */
  _clear() {
    this.panel.style.top = "";
    this.panel.style.maxHeight = "";
    const origin = this.element.getBoundingClientRect().top; // the panel's `top` is from here
    const below = Math.max(
      0,
      ...this.keepClear()
        .filter((el) => el && !el.hidden && el.getClientRects().length > 0)
        .map((el) => el.getBoundingClientRect().bottom - origin),
    );
    if (below > this.element.offsetHeight) {
      const top = below + EDGE_PX / 2;
      this.panel.style.top = `${top}px`;
      this.panel.style.maxHeight = `${Math.max(120, window.innerHeight - origin - top - EDGE_PX)}px`;
    }
  }

  /** Fold the panel away (something newer asks for the place it covers: a presentation
   * request's "Show me" on the customer's page). */
  close() {
    this.element.open = false;
  }

  destroy() {
    document.removeEventListener("keydown", this._onKey);
    document.removeEventListener("pointerdown", this._onOutside);
    this._unsubscribe();
    this.element.remove();
  }

  _render() {
    const meeting = this.reservation;
    if (!meeting) {
      return;
    }
    const t = (key, params) => this.i18n.t(key, params);
    const topics = meeting.agenda.length;
    this.title.textContent = meeting.title;
    this.name.textContent = meeting.title;
    this.count.textContent = topics === 0 ? "" : t(topics === 1 ? "meet.topics_1" : "meet.topics_n", { n: topics });
    this.summary.setAttribute("aria-label", t("meet.summary_label", { title: meeting.title }));
    this.summary.title = meeting.title;
    this.when.textContent = meeting.start_utc
      ? t("meet.booked_for", { when: formatShortTime(meeting.start_utc, this.i18n.locale) })
      : "";
    this.when.hidden = !meeting.start_utc;
    this.heading.textContent = t("meet.agenda");
    this.heading.hidden = topics === 0;
    this.agenda.replaceChildren(...meeting.agenda.map((topic) => element("li", "", {}, topic)));
    this.agenda.hidden = topics === 0;
    this.empty.textContent = t("meet.no_agenda");
    this.empty.hidden = topics > 0;
    const invitees = meeting.invitees ?? [];
    const joined = invitees.filter((invitee) => invitee.state === "joined").length;
    this.peopleHeading.textContent = t("meet.invitees_in", { joined, n: invitees.length });
    this.peopleHeading.hidden = invitees.length === 0;
    this.people.hidden = invitees.length === 0;
    this.people.replaceChildren(
      ...invitees.map((invitee) => {
        const row = element("li", `rs-meeting__person rs-meeting__person--${invitee.state}`, {
          "data-testid": "meeting-summary-invitee",
          "data-state": invitee.state,
          title: invitee.email,
        });
        const name = element("span", "rs-meeting__person-name", {}, invitee.name || invitee.email);
        const state = element("span", "rs-meeting__person-state", {}, t(`meet.invitee_${invitee.state}`));
        row.append(name, state);
        return row;
      }),
    );
  }
}
