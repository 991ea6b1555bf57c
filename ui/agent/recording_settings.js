// P9, the desktop app's Settings › Remote support: "Record presentations automatically"
// within the admin's policy (off: not shown; always: on and locked; agent's choice: the
// agent's), the recordings folder, and the list of recordings with Open (the system's player;
// GET /local/recordings, POST /local/recordings/open). Recordings stay on this computer.

import { element } from "../common/dom.js";

const SAVED_SHOWN_MS = 2500;
const POLICY_TRIES = 4; // right after signing in the app may not hold the login yet
const POLICY_RETRY_MS = 500;

export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "—";
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function formatSize(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

export class RecordingSettings {
  /**
   * @param {HTMLElement} panel the tab panel the group is added to
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {() => Promise<string>} [options.policy] asks the relay for the admin's policy
   */
  constructor(panel, { i18n, backend, policy }) {
    Object.assign(this, { panel, i18n, backend });
    this._askPolicy = policy ?? (async () => "off");
    this._timer = null;
    this.element = element("fieldset", "rs-field agent-remote__group", { "data-testid": "recording-settings" });
    const legend = element("legend", "rs-label");
    i18n.bind(legend, "recording.settings_title");
    this.label = element("label", "rs-checkbox");
    this.input = element("input", "", { type: "checkbox", id: "record-automatic", "data-testid": "record-automatic" });
    const text = element("span");
    i18n.bind(text, "recording.automatic");
    this.label.append(this.input, text);
    this.policy = element("span", "rs-help", { id: "record-policy", "data-testid": "record-policy" });
    this.input.setAttribute("aria-describedby", this.policy.id);
    this.folder = element("span", "rs-help", { "data-testid": "recordings-folder" });
    this.status = element("span", "agent-remote__status", { role: "status", "aria-live": "polite" });
    const title = element("h3", "rs-label agent-recordings__title");
    i18n.bind(title, "recording.list_title");
    this.table = element("table", "agent-recordings", { "data-testid": "recordings-list" });
    this.empty = element("p", "rs-help", { "data-testid": "recordings-empty" });
    i18n.bind(this.empty, "recording.none");
    this.element.append(legend, this.label, this.policy, this.folder, this.status, title, this.empty, this.table);
    this.input.addEventListener("change", () => this.save());
  }

  /** Show the settings and the list; a save waits for it (it needs the stored folder). */
  load() {
    this._loading = this._load();
    return this._loading;
  }

  async _load() {
    if (!this.element.isConnected) {
      this.panel.append(this.element);
    }
    this._loads = (this._loads ?? 0) + 1;
    const load = this._loads;
    try {
      const [listing, policy] = await Promise.all([this.backend.recordings(), this._policy()]);
      if (load !== this._loads) return; // a newer load (the tab reopened) shows its own answer
      this._showPolicy(policy, listing.automatic);
      this._folder = listing.folder;
      this.i18n.bind(this.folder, "recording.folder", { folder: listing.folder });
      this._showList(listing.recordings);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  /** The admin's policy as the relay says it now; a relay that cannot be asked: "off". */
  async _policy() {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await this._askPolicy()) ?? "off";
      } catch (error) {
        if (attempt >= POLICY_TRIES - 1) {
          console.warn("recording policy unknown:", error.message);
          return "off";
        }
        await new Promise((resolve) => setTimeout(resolve, POLICY_RETRY_MS));
      }
    }
  }

  _showPolicy(policy, automatic) {
    this.label.hidden = policy === "off";
    this.input.disabled = policy !== "agent_choice";
    this.input.checked = policy === "always" || (policy === "agent_choice" && automatic);
    this.i18n.bind(this.policy, `recording.policy_${policy === "always" || policy === "agent_choice" ? policy : "off"}`);
  }

  _showList(recordings) {
    this.table.replaceChildren();
    this.empty.hidden = recordings.length > 0;
    this.table.hidden = recordings.length === 0;
    if (!recordings.length) return;
    const head = element("tr");
    for (const key of ["customer", "date", "duration", "size", "file"]) {
      const th = element("th", "", { scope: "col" });
      this.i18n.bind(th, `recording.col_${key}`);
      head.append(th);
    }
    head.append(element("th", "", { scope: "col" }));
    const body = element("tbody");
    for (const recording of recordings) {
      const row = element("tr", "", { "data-testid": "recording-row" });
      const date = recording.started_at ? new Date(recording.started_at * 1000).toLocaleString(this.i18n.language) : "—";
      for (const text of [
        recording.customer ?? "—",
        date,
        formatDuration(recording.duration_s),
        formatSize(recording.size),
        recording.name,
      ]) {
        const td = element("td");
        td.textContent = text;
        row.append(td);
      }
      const open = element("button", "rs-button rs-button--secondary rs-button--small", {
        type: "button",
        "data-testid": "recording-open",
      });
      this.i18n.bind(open, "recording.open");
      open.addEventListener("click", () => this._open(recording.name));
      const cell = element("td");
      cell.append(open);
      row.append(cell);
      body.append(row);
    }
    const thead = element("thead");
    thead.append(head);
    this.table.append(thead, body);
  }

  async _open(name) {
    try {
      await this.backend.openRecording(name);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  async save() {
    clearTimeout(this._timer);
    try {
      // A tick before the listing came would otherwise store the folder as "" (the default),
      // losing the one the settings name; the listing then shows the stored tick, not this one.
      const automatic = this.input.checked;
      await this._loading;
      this.input.checked = automatic;
      await this.backend.saveRecordingSettings({ automatic, folder: this._folder ?? "" });
      this.i18n.bind(this.status, "recording.saved");
      this._timer = setTimeout(() => (this.status.textContent = ""), SAVED_SHOWN_MS);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }
}
