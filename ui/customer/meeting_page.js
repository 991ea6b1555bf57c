// The invitee's meeting page (A11, `?meet=<secret>`): the agent, the title, the time in the
// reader's own zone, the agenda, a countdown and "the agent will let you in". It long-polls
// GET /api/meetings/<secret>?wait_s=… (the relay answers at once when the agent opens the
// meeting) and then joins with POST /api/meetings/<secret>/join: nothing to type.

import { byId, element, setAvatar } from "../common/dom.js";
import { ApiError, requestJson } from "../common/http.js";
import {
  formatCountdown,
  formatMeetingDayAndHours,
  formatMeetingTime,
  readerTimeZone,
} from "../common/reservations/meeting_time.js";

const POLL_WAIT_S = 20;
const RETRY_MS = 3000; // after a failed poll (network)
const WAITING_STATES = new Set(["early", "waiting"]);

export class MeetingPage {
  /**
   * @param {object} options
   * @param {string} options.secret the link's secret
   * @param {object} options.i18n
   * @param {(joined: object) => void} options.onJoined with POST .../join's answer
   * @param {(error: ApiError) => void} options.onError an unknown link (404)
   */
  constructor({ secret, i18n, onJoined, onError }) {
    this.secret = secret;
    this.i18n = i18n;
    this.onJoined = onJoined;
    this.onError = onError;
    this.meeting = null;
    this.offsetMs = 0; // relay clock − this clock: the countdown follows the relay
    this._timer = null;
    this._stopped = false;
    this._languageSet = false;
    i18n.onChange(() => this._render());
  }

  async start() {
    const path = `/api/meetings/${encodeURIComponent(this.secret)}`;
    let wait = 0; // the first answer at once: the page has something to show
    while (!this._stopped) {
      let answer;
      try {
        answer = await requestJson("GET", wait ? `${path}?wait_s=${wait}` : path);
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          this.stop();
          this.onError(error);
          return;
        }
        console.warn("asking for the meeting failed:", error.message);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      this._show(answer);
      if (answer.meeting.state === "open") {
        await this._join();
        return;
      }
      if (!WAITING_STATES.has(answer.meeting.state)) {
        this.stop(); // late, over, cancelled, used, revoked: nothing more will happen
        return;
      }
      wait = POLL_WAIT_S;
    }
  }

  stop() {
    this._stopped = true;
    clearInterval(this._timer);
  }

  async _join() {
    this.stop();
    this.i18n.bind(byId("meeting-status"), "meet.entering");
    try {
      const joined = await requestJson("POST", `/api/meetings/${encodeURIComponent(this.secret)}/join`);
      this.onJoined(joined);
    } catch (error) {
      const state = { meeting_link_used: "used", meeting_over: "over", meeting_cancelled: "cancelled" };
      if (error instanceof ApiError && state[error.code]) {
        this.meeting = { ...this.meeting, state: state[error.code] };
        this._render();
        return;
      }
      this.onError(error);
    }
  }

  _show(answer) {
    this.meeting = answer.meeting;
    this.offsetMs = answer.now * 1000 - Date.now();
    if (!this._languageSet) {
      this._languageSet = true;
      if (!hasChosenLanguage() && answer.invitee?.language) {
        this.i18n.setLanguage(answer.invitee.language);
      }
    }
    this._render();
    clearInterval(this._timer);
    if (WAITING_STATES.has(this.meeting.state)) {
      this._timer = setInterval(() => this._renderCountdown(), 1000);
    }
  }

  _render() {
    const meeting = this.meeting;
    if (!meeting) {
      return;
    }
    const { i18n } = this;
    const agent = meeting.agent ?? {};
    setAvatar(byId("meeting-avatar"), agent.name, agent.photo_url);
    byId("meeting-agent").textContent = agent.name ?? "";
    byId("meeting-agent-role").textContent = [agent.title, agent.company].filter(Boolean).join(" · ");
    byId("meeting-title").textContent = meeting.title;
    const zone = readerTimeZone();
    // The day on one line and the hours on the next: a wrapped one-liner split "오전" from
    // its hours, or the start from its end.
    const time = byId("meeting-time");
    const split = formatMeetingDayAndHours(meeting.start_utc, meeting.end_utc, i18n.locale, zone);
    if (split) {
      time.replaceChildren(
        element("span", "cust-meeting__day", {}, split.day),
        element("span", "cust-meeting__hours", { "data-testid": "meeting-hours" }, split.hours),
      );
    } else {
      time.textContent = formatMeetingTime(meeting.start_utc, meeting.end_utc, i18n.locale, zone);
    }
    i18n.bind(byId("meeting-zone"), "meet.your_time", { zone });
    const agenda = byId("meeting-agenda");
    agenda.replaceChildren(...meeting.agenda.map((topic) => element("li", "", {}, topic)));
    byId("meeting-agenda-section").hidden = meeting.agenda.length === 0;
    const materials = byId("meeting-materials");
    materials.replaceChildren(...(meeting.materials ?? []).map((m) => element("li", "", {}, m.name)));
    byId("meeting-materials-section").hidden = materials.children.length === 0;
    const card = byId("meeting-card");
    card.dataset.state = meeting.state;
    const waiting = WAITING_STATES.has(meeting.state);
    byId("meeting-countdown").hidden = !waiting;
    // A spinner only where something may happen any moment: the agent can open the meeting
    // (waiting) or the page is entering (open). An early page counts down instead.
    byId("meeting-spinner").hidden = meeting.state !== "waiting" && meeting.state !== "open";
    const status = byId("meeting-status");
    if (meeting.state === "open") {
      i18n.bind(status, "meet.entering");
    } else {
      i18n.bind(status, waiting ? `meet.${meeting.state === "early" ? "early" : "wait"}` : `meet.state_${meeting.state}`);
    }
    status.dataset.state = meeting.state;
    this._renderContact(agent, !waiting && meeting.state !== "open");
    this._renderCountdown();
  }

  /** When the link no longer leads in, the agent's e-mail and phone as links: "ask your
   * agent" with a way to do it. */
  _renderContact(agent, shown) {
    const contact = byId("meeting-contact");
    const links = [];
    if (agent.email) {
      links.push(element("a", "", { href: `mailto:${agent.email}`, "data-testid": "meeting-contact-email" }, agent.email));
    }
    if (agent.phone) {
      const dial = agent.phone.replace(/[^+\d]/g, "");
      links.push(element("a", "", { href: `tel:${dial}`, "data-testid": "meeting-contact-phone" }, agent.phone));
    }
    contact.hidden = !shown || links.length === 0;
    if (contact.hidden) {
      contact.replaceChildren();
      return;
    }
    const label = element("span", "cust-meeting__contact-label", {}, this.i18n.t("meet.contact", { name: agent.name ?? "" }));
    contact.replaceChildren(label, ...links);
  }

  _renderCountdown() {
    const meeting = this.meeting;
    if (!meeting || !WAITING_STATES.has(meeting.state)) {
      return;
    }
    const nowMs = Date.now() + this.offsetMs;
    const left = (Date.parse(meeting.start_utc) - nowMs) / 1000;
    const countdown = byId("meeting-countdown");
    if (left <= 0) {
      this.i18n.bind(countdown, "meet.starts_now");
    } else {
      countdown.textContent = this.i18n.t("meet.starts_in", { time: formatCountdown(left, (k, p) => this.i18n.t(k, p)) });
      delete countdown.dataset.i18n;
    }
  }
}

function hasChosenLanguage() {
  try {
    return Boolean(window.localStorage.getItem("rs.language"));
  } catch {
    return false;
  }
}
