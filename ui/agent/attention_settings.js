// Settings › Alerts: sound on/off and its volume, notifications on/off, and
// "Try it". Every change is saved at once through the backend (the desktop app's settings
// file, or this browser's localStorage), next to the other local settings. In a browser,
// turning notifications on (or Try it) is the click at which the page asks for the permission.
// What the settings do: attention.js.

import { element } from "../common/dom.js";
import { normalizeAttention } from "./attention.js";

const SAVED_SHOWN_MS = 2500;

export class AttentionSettings {
  /**
   * @param {HTMLElement} panel the tab panel to fill
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {object} options.backend attentionSettings(), saveAttentionSettings()
   * @param {import("./attention.js").Attention} options.attention
   */
  constructor(panel, { i18n, backend, attention }) {
    Object.assign(this, { i18n, backend, attention });
    this._savedTimer = null;
    this.form = element("form", "agent-remote agent-alerts", {
      "data-testid": "attention-settings", novalidate: "", "aria-labelledby": "attention-title",
    }); // prettier-ignore
    this.form.addEventListener("submit", (event) => event.preventDefault());
    const heading = this._text("h2", "agent-idle__title", "attention.title");
    heading.id = "attention-title";
    const intro = this._text("p", "rs-help", "attention.intro");

    this.sound = this._checkbox("attention-sound", "attention.sound");
    this.volume = element("input", "agent-remote__range", {
      type: "range", id: "attention-volume", "data-testid": "attention-volume",
      min: "0", max: "100", step: "5",
    }); // prettier-ignore
    this.volumeValue = element("output", "agent-remote__value", {
      for: "attention-volume", "data-testid": "attention-volume-value",
    }); // prettier-ignore
    const volumeRow = element("div", "rs-field agent-remote__field");
    const volumeLabel = this._text("label", "rs-label", "attention.volume");
    volumeLabel.htmlFor = "attention-volume";
    volumeRow.append(volumeLabel, this.volume, this.volumeValue);

    this.notifications = this._checkbox("attention-notifications", "attention.notifications");
    this.hint = element("p", "rs-help agent-alerts__hint", { "data-testid": "attention-hint", id: "attention-hint" });
    this.notifications.setAttribute("aria-describedby", "attention-hint");

    const tryIt = element("button", "rs-button rs-button--secondary", { type: "button", "data-testid": "attention-try" });
    this.i18n.bind(tryIt, "attention.try");
    tryIt.addEventListener("click", () => this.tryIt());
    this.status = element("span", "agent-remote__status", {
      role: "status", "aria-live": "polite", "data-testid": "attention-status",
    }); // prettier-ignore
    const actions = element("div", "agent-remote__actions");
    actions.append(tryIt, this.status);

    this.sound.addEventListener("change", () => this.save());
    this.volume.addEventListener("input", () => this._showVolume());
    this.volume.addEventListener("change", () => this.save());
    this.notifications.addEventListener("change", async () => {
      if (this.notifications.checked) {
        await this.attention.permission(true); // this click is the user gesture the browser needs
      }
      await this.save();
    });
    const flash = this.attention.usesBrowserNotifications ? [] : [this._text("p", "rs-help", "attention.flash_note")];
    this.form.append(
      heading, intro, this.sound.parentElement, volumeRow, this.notifications.parentElement,
      this.hint, ...flash, actions,
    ); // prettier-ignore
    panel.replaceChildren(this.form);
  }

  /** Fill the form from the saved settings (called when the settings screen opens). */
  async load() {
    this._status("");
    try {
      this._fill(normalizeAttention(await this.backend.attentionSettings()));
    } catch (error) {
      this._status("attention.save_failed", { message: error?.message ?? String(error) }, "error");
    }
    await this._showHint();
  }

  async save() {
    const value = {
      sound: this.sound.checked,
      volume: Number(this.volume.value),
      notifications: this.notifications.checked,
    };
    this._syncSound();
    try {
      await this.backend.saveAttentionSettings(value);
      this._status("attention.saved", {}, "saved");
      clearTimeout(this._savedTimer);
      this._savedTimer = setTimeout(() => this._status(""), SAVED_SHOWN_MS);
    } catch (error) {
      this._status("attention.save_failed", { message: error?.message ?? String(error) }, "error");
    }
    await this._showHint();
  }

  /** Play the sound and show a notification now, as a customer's message would. */
  async tryIt() {
    if (this.notifications.checked) {
      await this.attention.permission(true);
    }
    await this.attention.call("test", { sessionId: "settings" }, { force: true });
    await this._showHint();
  }

  _fill(settings) {
    this.sound.checked = settings.sound;
    this.volume.value = String(settings.volume);
    this.notifications.checked = settings.notifications;
    this._showVolume();
    this._syncSound();
  }

  _showVolume() {
    this.volumeValue.textContent = `${this.volume.value}%`;
  }

  _syncSound() {
    this.volume.disabled = !this.sound.checked;
  }

  /** Why notifications may not show: the browser's permission, or the desktop's server. */
  async _showHint() {
    let key = "";
    let params = {};
    if (this.notifications.checked) {
      if (this.attention.usesBrowserNotifications) {
        key = {
          denied: "attention.permission_denied",
          default: "attention.permission_ask",
          unsupported: "attention.unsupported",
        }[await this.attention.permission()] ?? "";
      } else if (this.backend.systemNotifications) {
        const status = await this.backend.systemNotifications().catch(() => ({ available: true }));
        if (!status.available) {
          key = "attention.no_system_notifications";
          params = { reason: status.reason ?? "" };
        }
      }
    }
    this.hint.hidden = !key;
    this.i18n.bindOrClear(this.hint, key, params);
  }

  _status(key, params = {}, state = "") {
    this.status.dataset.state = state;
    this.i18n.bindOrClear(this.status, key, params);
  }

  _text(tag, className, key) {
    return this.i18n.bind(element(tag, className), key);
  }

  _checkbox(id, key) {
    const label = element("label", "rs-checkbox");
    const input = element("input", "", { type: "checkbox", id, "data-testid": id });
    label.append(input, this._text("span", "", key));
    return input;
  }
}
