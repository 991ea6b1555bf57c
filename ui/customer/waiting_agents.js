// C2: the icons of the agents waiting on the relay page (GET /api/waiting, refreshed every
// few seconds while the join form shows); a click joins by that icon's number.

import { element } from "../common/dom.js";
import { requestJson } from "../common/http.js";

const WAITING_REFRESH_MS = 5000;

export class WaitingAgents {
  /**
   * @param {object} options
   * @param {HTMLElement} options.section shown only when the relay has icons on
   * @param {HTMLElement} options.grid the list of buttons
   * @param {HTMLElement} options.empty "no agent is waiting"
   * @param {object} options.i18n
   * @param {() => boolean} options.wanted the join form shows (and no invitation link)
   * @param {(icon: number) => void} options.onPick
   * @param {() => void} options.onRendered the buttons changed (their disabled state follows)
   */
  constructor({ section, grid, empty, i18n, wanted, onPick, onRendered }) {
    Object.assign(this, { section, grid, empty, i18n, wanted, onPick, onRendered });
    this._timer = null;
    this._generation = 0;
    this._shown = "";
  }

  /** Stop refreshing (a newer refresh() starts again). */
  stop() {
    clearTimeout(this._timer);
    this._generation += 1;
  }

  async refresh() {
    clearTimeout(this._timer);
    const generation = ++this._generation; // a newer refresh supersedes this one
    if (!this.wanted()) {
      return;
    }
    try {
      const waiting = await requestJson("GET", "/api/waiting");
      if (generation === this._generation && this.wanted()) {
        this._render(waiting);
      }
    } catch (error) {
      console.warn("could not list waiting agents:", error.message);
    }
    if (generation === this._generation && this.wanted()) {
      this._timer = setTimeout(() => this.refresh(), WAITING_REFRESH_MS);
    }
  }

  _render(waiting) {
    this.section.hidden = !waiting.icons_enabled;
    const agents = waiting.icons_enabled ? (waiting.agents ?? []) : [];
    const shown = JSON.stringify(agents);
    if (shown === this._shown) {
      return; // unchanged: keep the buttons (and keyboard focus) where they are
    }
    this._shown = shown;
    this.grid.replaceChildren(...agents.map((agent) => this._item(agent)));
    this.empty.hidden = agents.length > 0;
    this.onRendered();
  }

  _item(agent) {
    const button = element("button", "cust-icon", {
      type: "button",
      "data-testid": `agent-icon-${agent.icon}`,
      "data-i18n-aria-label": "join.icon_aria",
    });
    button.dataset.i18nParams = JSON.stringify({ icon: agent.icon, name: agent.name });
    button.setAttribute("aria-label", this.i18n.t("join.icon_aria", agent));
    const subtitle = [agent.title, agent.company].filter(Boolean).join(" · ");
    const number = element("span", "cust-icon__number", { "aria-hidden": "true" }, String(agent.icon));
    button.append(number, element("span", "cust-icon__name", {}, agent.name));
    if (agent.photo_url) {
      const photo = element("img", "cust-icon__photo", {
        src: agent.photo_url,
        alt: "",
        "data-testid": "agent-icon-photo",
      });
      photo.addEventListener("error", () => photo.remove());
      number.after(photo);
    }
    button.append(element("span", "cust-icon__meta", {}, subtitle));
    button.addEventListener("click", () => this.onPick(agent.icon));
    const item = element("li");
    item.append(button);
    return item;
  }
}
