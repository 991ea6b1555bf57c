// A8, the desktop app's Settings › Remote support, "This computer": the windows' text size
// (applied to every window at once), the lock when away (while a support is live), and the
// desktop while presenting (no wallpaper; window outlines only while moving). Each is saved as
// soon as it changes (settings.text_size, idle_lock_minutes, presenting_desktop).

import { element } from "../common/dom.js";
import { TEXT_SIZES, applyTextSize } from "./desk.js";

const LOCK_MINUTES = [0, 5, 10, 15, 30, 60];
const SAVED_SHOWN_MS = 2500;

export class DeskSettings {
  /**
   * @param {HTMLElement} panel the tab panel the group is added to
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {(minutes: number) => void} [options.onLockMinutes] the main window's timer restarts
   */
  constructor(panel, { i18n, backend, onLockMinutes = () => {} }) {
    Object.assign(this, { panel, i18n, backend, onLockMinutes });
    this._timer = null;
    this.element = element("fieldset", "rs-field agent-remote__group agent-desk", { "data-testid": "desk-settings" });
    const legend = i18n.bind(element("legend", "rs-label agent-desk__title"), "desk.title");
    this.textSize = this._select("desk-text-size", TEXT_SIZES.map((percent) => [percent, "desk.text_size_option", { percent }]));
    this.lock = this._select("desk-lock", LOCK_MINUTES.map((minutes) =>
      minutes === 0 ? [0, "desk.lock_off", {}] : [minutes, "desk.lock_minutes", { minutes }]));
    this.wallpaper = this._checkbox("desk-wallpaper", "desk.hide_wallpaper", "desk.hide_wallpaper_hint");
    this.outlines = this._checkbox("desk-outlines", "desk.outlines", "desk.outlines_hint");
    this.status = element("span", "agent-remote__status", { role: "status", "aria-live": "polite", "data-testid": "desk-status" });
    this.element.append(
      legend,
      this._field("desk-text-size", "desk.text_size", this.textSize, "desk.text_size_hint"),
      this._field("desk-lock", "desk.lock", this.lock, "desk.lock_hint"),
      this.wallpaper.label, this.wallpaper.hint,
      this.outlines.label, this.outlines.hint,
      this.status,
    );
    this.textSize.addEventListener("change", () => {
      const percent = Number(this.textSize.value);
      applyTextSize(percent); // this window at once; the app tells the others
      this._save({ text_size: percent });
    });
    this.lock.addEventListener("change", async () => {
      const minutes = Number(this.lock.value);
      if (await this._save({ idle_lock_minutes: minutes })) {
        this.onLockMinutes(minutes);
      }
    });
    for (const box of [this.wallpaper.input, this.outlines.input]) {
      box.addEventListener("change", () => this._save({
        presenting_desktop: {
          hide_wallpaper: this.wallpaper.input.checked,
          outlines_while_moving: this.outlines.input.checked,
        },
      }));
    }
  }

  /** Read the settings (the Remote support tab's form replaces the panel's content first). */
  async load() {
    if (!this.element.isConnected) {
      this.panel.append(this.element);
    }
    try {
      const settings = await this.backend.localSettings();
      this.textSize.value = String(settings.text_size ?? 100);
      this.lock.value = String(settings.idle_lock_minutes ?? 0);
      if (!this.lock.value) {
        this.lock.value = "0"; // a number saved elsewhere that the list lacks
      }
      this.wallpaper.input.checked = settings.presenting_desktop?.hide_wallpaper !== false;
      this.outlines.input.checked = settings.presenting_desktop?.outlines_while_moving === true;
    } catch (error) {
      this.i18n.bind(this.status, "desk.save_failed", { message: error.message });
    }
  }

  async _save(changes) {
    clearTimeout(this._timer);
    try {
      await this.backend.saveDeskSettings(changes);
      this.status.dataset.state = "saved";
      this.i18n.bind(this.status, "desk.saved");
      this._timer = setTimeout(() => this.i18n.bindOrClear(this.status, ""), SAVED_SHOWN_MS);
      return true;
    } catch (error) {
      this.status.dataset.state = "error";
      this.i18n.bind(this.status, "desk.save_failed", { message: error.message });
      return false;
    }
  }

  _select(id, options) {
    const select = element("select", "rs-select", { id, "data-testid": id });
    for (const [value, key, params] of options) {
      select.append(this.i18n.bind(element("option", "", { value: String(value) }), key, params));
    }
    return select;
  }

  _field(id, key, control, hintKey) {
    const field = element("div", "rs-field agent-remote__field");
    const label = this.i18n.bind(element("label", "rs-label"), key);
    label.htmlFor = id;
    const hint = this.i18n.bind(element("span", "rs-help", { id: `${id}-hint` }), hintKey);
    control.setAttribute("aria-describedby", hint.id);
    field.append(label, control, hint);
    return field;
  }

  _checkbox(id, key, hintKey) {
    const label = element("label", "rs-checkbox");
    const input = element("input", "", { type: "checkbox", id, "data-testid": id });
    const hint = this.i18n.bind(element("span", "rs-help agent-desk__hint", { id: `${id}-hint` }), hintKey);
    input.setAttribute("aria-describedby", hint.id);
    label.append(input, this.i18n.bind(element("span"), key));
    return { label, input, hint };
  }
}
