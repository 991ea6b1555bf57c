// The admin site's Online section (AD5): agents signed in (with their last activity), sessions
// waiting (code, icon) and in progress (customers, duration), polled from
// GET /api/admin/online every 5 seconds while the section is shown (a cheap read of the
// relay's memory; durations count on between polls), and End, which ends a session for
// everyone through the relay's own end path. Contract: docs/protocol.md, *Admin site*.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { labelCells } from "./option_values.js";

export const POLL_MS = 5000;
const TICK_MS = 1000;

export class OnlinePanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   */
  constructor({ i18n, api }) {
    this.i18n = i18n;
    this.api = api;
    this.view = null;
    this.fetchedAt = 0; // performance.now() of the answer: durations count on from it
    this._poll = null;
    this._tick = null;
    this._ending = null;
    this.error = new ErrorMessage(byId("online-error"), i18n);
    this.dialog = byId("end-session-dialog");
    this.dialog.addEventListener("close", () => {
      if (this.dialog.returnValue === "confirm" && this._ending) {
        this._end(this._ending);
      }
      this._ending = null;
    });
    i18n.onChange(() => this._render());
  }

  /** Show the section: load now, then every POLL_MS until stop(). */
  start() {
    this.stop();
    this.load();
    this._poll = setInterval(() => this.load(), POLL_MS);
    this._tick = setInterval(() => this._renderDurations(), TICK_MS);
  }

  stop() {
    clearInterval(this._poll);
    clearInterval(this._tick);
    this._poll = this._tick = null;
  }

  async load() {
    try {
      const view = await this.api("GET", "/api/admin/online");
      this.view = view;
      this.fetchedAt = performance.now();
      this.error.clear();
      this._render();
    } catch (error) {
      this.error.show(error);
      if (error.code === "unauthorized" || error.code === "not_admin") {
        this.stop();
      }
    }
  }

  _t(key, params) {
    return this.i18n.t(key, params);
  }

  _render() {
    const view = this.view;
    if (!view) {
      return;
    }
    this.i18n.bind(byId("online-counts"), "online.counts", view.counts);
    this.i18n.bind(byId("online-updated"), "online.updated", {
      time: this.i18n.formatTime(view.now),
    });
    this._renderSessions(view.sessions);
    this._renderAgents(view.agents, view.now);
  }

  _empty(body, columns, key) {
    const row = element("tr");
    row.append(element("td", "admin-table__empty", { colspan: String(columns) }, this._t(key)));
    body.replaceChildren(row);
  }

  _renderSessions(sessions) {
    const body = byId("online-sessions");
    if (sessions.length === 0) {
      this._empty(body, 6, "online.no_sessions");
      return;
    }
    body.replaceChildren(
      ...sessions.map((session) => {
        const row = element("tr", "", { "data-testid": "online-session", "data-session-id": session.session_id });
        const agent = element("td");
        agent.append(element("strong", "", {}, session.agent_name), element("span", "admin-online__id", {}, session.agent_username));
        const state = element("td");
        state.append(element("span", `admin-online__state admin-online__state--${session.state}`, {},
          this._t(session.waiting ? "online.state_waiting" : "online.state_active")));
        const customers = element("td", "", { "data-testid": "online-customers" });
        if (session.customers.length === 0) {
          customers.append(element("span", "rs-help", {}, this._t("online.no_customers")));
        }
        for (const customer of session.customers) {
          const line = element("div", "", {}, customer.name || "—");
          if (!customer.online) {
            line.append(" ", element("span", "rs-help", {}, this._t("online.offline")));
          }
          customers.append(line);
        }
        const code = element("td", "admin-online__code");
        const parts = [];
        if (session.code) parts.push(session.code);
        if (session.icon !== null && session.icon !== undefined) parts.push(this._t("online.icon", { number: session.icon }));
        code.textContent = parts.join(" · ") || "—";
        const duration = element("td", "admin-online__duration", { "data-duration-s": String(session.duration_s) });
        const actions = element("td");
        const end = element("button", "rs-button rs-button--danger rs-button--small", {
          type: "button", "data-testid": "online-end",
        }, this._t("online.end"));
        end.addEventListener("click", () => this._ask(session));
        actions.append(end);
        row.append(agent, state, customers, code, duration, actions);
        return labelCells(row, body.closest("table"));
      }),
    );
    this._renderDurations();
  }

  _renderDurations() {
    const elapsed = this.fetchedAt ? (performance.now() - this.fetchedAt) / 1000 : 0;
    for (const cell of document.querySelectorAll("#online-sessions .admin-online__duration")) {
      cell.textContent = this.i18n.formatCountdown(Number(cell.dataset.durationS) + elapsed);
    }
  }

  _renderAgents(agents, now) {
    const body = byId("online-agents");
    if (agents.length === 0) {
      this._empty(body, 3, "online.no_agents");
      return;
    }
    body.replaceChildren(
      ...agents.map((agent) => {
        const row = element("tr", "", { "data-testid": "online-agent", "data-username": agent.username });
        const name = element("td");
        name.append(element("strong", "", {}, agent.name), element("span", "admin-online__id", {}, agent.username));
        const status = element("td");
        status.append(element("span", `admin-online__state admin-online__state--${agent.status}`, {},
          this._t(`online.status_${agent.status}`)));
        let last = this._t("online.never");
        if (agent.last_active_at) {
          const idle = now - agent.last_active_at;
          last = idle < 10 ? this._t("online.just_now") : this._t("online.ago", { time: this.i18n.formatDuration(idle) });
        }
        row.append(name, status, element("td", "", {}, last));
        return labelCells(row, body.closest("table"));
      }),
    );
  }

  _ask(session) {
    this._ending = session;
    this.i18n.bind(byId("end-session-title"), "online.end_title", { agent: session.agent_name });
    this.dialog.returnValue = "";
    this.dialog.showModal();
  }

  async _end(session) {
    try {
      await this.api("POST", `/api/admin/sessions/${encodeURIComponent(session.session_id)}/end`);
      this.i18n.bind(byId("online-message"), "online.ended", { agent: session.agent_name });
    } catch (error) {
      this.error.show(error);
    }
    this.load();
  }
}
