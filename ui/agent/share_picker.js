// What a desktop chat window presents (P2, P6): the screen (monitor) and "whole screen" or
// "chosen windows" with a checkbox, a thumbnail and the program, size and place of each open
// window (so two windows with one title can be told apart). The app's own windows are never
// listed and never shared (the presenter paints them out). Before the whole screen is shared for
// the first time in a support, the picker says what the customer will see and waits for one
// confirm (remembered for the support in sessionStorage). Shown from the presentation request on:
// what is chosen while the customer has not answered yet goes with "start" (`choice()`), so the
// first frame already shows only that; while presenting, every change goes to the running
// presenter at once (POST /local/presentation monitor / windows). The lists come
// from GET /local/screens; where window lists do not exist (Windows, macOS, Wayland) the
// picker says so and offers the whole screen only. While shown it also reads the presenter's
// state every few seconds, so a pause or stop from the connection notice reaches the buttons.
// It is a popover of the presenting bar ("Screen ▾", tool_popover.js): it opens by itself when
// the agent asks to present, so the choice is made while the customer decides.

import { element } from "../common/dom.js";
import { loadJson, saveJson } from "../common/storage.js";
import { ToolPopover } from "./tool_popover.js";

const SCREEN_ICON =
  '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" ' +
  'focusable="false"><rect x="3" y="4" width="18" height="12.5" rx="2"/><path d="M8.5 20.5h7M12 16.5v4"/></svg>';

const SYNC_MS = 2000;
const CONFIRMED_KEY = "rs-share-whole-confirmed:"; // + session id, in sessionStorage
const WINDOWS_SUPPORTED_KEY = "rs-share-windows-supported"; // in localStorage

/** Where a window sits on its monitor, in thirds: "top_left", "centre", "right", ... */
export function placeOf(info, monitors) {
  const cx = info.x + info.width / 2;
  const cy = info.y + info.height / 2;
  const monitor =
    monitors.find((m) => cx >= m.left && cx < m.left + m.width && cy >= m.top && cy < m.top + m.height) ??
    monitors[0];
  if (!monitor) {
    return "centre";
  }
  const third = (value, start, size) => Math.min(2, Math.max(0, Math.floor(((value - start) * 3) / size)));
  const column = ["left", "", "right"][third(cx, monitor.left, monitor.width)];
  const row = ["top", "", "bottom"][third(cy, monitor.top, monitor.height)];
  return [row, column].filter(Boolean).join("_") || "centre";
}

const PLACEHOLDER_ROWS = 3;

/** A grey window row while the listing is on its way (not a choice: hidden from readers). */
function placeholderRow() {
  const row = element("li", "rs-share-picker__window rs-share-picker__window--placeholder", {
    "aria-hidden": "true",
    "data-testid": "share-window-placeholder",
  });
  const label = element("span", "rs-share-picker__choice");
  label.append(
    element("span", "rs-share-picker__thumb"),
    element("span", "rs-share-picker__placeholder-text"),
  );
  row.append(label);
  return row;
}

export class SharePicker {
  /**
   * @param {object} options
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {string} options.sessionId
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.anchor the picker's button goes just before this element (in
   *   the presenting bar, which holds its popover)
   * @param {(state: "idle"|"live"|"paused") => void} [options.onSync] the presenter's state
   */
  constructor({ backend, sessionId, i18n, anchor, onSync = () => {} }) {
    Object.assign(this, { backend, sessionId, i18n, onSync });
    this.shown = false;
    this.live = false; // a presenter runs: changes are sent at once
    this._timer = null;
    this.element = element("fieldset", "rs-share-picker", { "data-testid": "share-picker" });
    const legend = element("legend", "rs-share-picker__legend");
    i18n.bind(legend, "share.legend");
    const monitorLabel = element("label", "rs-share-picker__row rs-share-picker__monitor");
    // Heard, not shown: the choice itself reads "Screen 1 (1920×1080)", and the popover has no
    // room for the word twice (the select cut its label to "Screen 1 (1920×108").
    const monitorText = element("span", "rs-visually-hidden");
    i18n.bind(monitorText, "share.monitor");
    this.monitor = element("select", "rs-input", { "data-testid": "share-monitor" });
    this.monitor.addEventListener("change", () => this._send("monitor", { monitor: +this.monitor.value }));
    monitorLabel.append(monitorText, this.monitor);
    const name = `share-mode-${sessionId}`;
    this.whole = this._radio(name, "whole", "share.whole");
    this.chosen = this._radio(name, "windows", "share.windows");
    const modes = element("div", "rs-share-picker__row", { role: "radiogroup" });
    modes.append(this.whole.parentElement, this.chosen.parentElement);
    this.list = element("ul", "rs-share-picker__windows", { "data-testid": "share-windows" });
    this.list.dataset.i18nAriaLabel = "share.windows_list";
    this.list.setAttribute("aria-label", i18n.t("share.windows_list"));
    this.refreshButton = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": "share-refresh",
    });
    i18n.bind(this.refreshButton, "share.refresh");
    this.refreshButton.addEventListener("click", () => this.refresh());
    this.note = element("p", "rs-share-picker__note", { "data-testid": "share-note" });
    this.note.hidden = true;
    this.error = element("div", "rs-alert", { "data-testid": "share-error", "aria-live": "assertive" });
    this._buildWarning();
    this.element.append(
      legend,
      monitorLabel,
      modes,
      this.warning,
      this.list,
      this.refreshButton,
      this.note,
      this.error,
    );
    // What this computer's last listing said (the platform does not change): the first frame
    // already shows its warning; unknown (the first listing here), both wordings hold room.
    this.windowsSupported = loadJson(window.localStorage, WINDOWS_SUPPORTED_KEY) ?? true;
    this._spareWording = loadJson(window.localStorage, WINDOWS_SUPPORTED_KEY) === null;
    this._screens = { monitors: [], windows: [] };
    this._waiting = null; // {resolve} while "start" waits for the whole-screen confirm
    this._starting = false; // start() runs: no sync from the presenter
    this._unsubscribeI18n = i18n.onChange(() => this._renderDetails());
    this._showMode();
    this.popover = new ToolPopover({
      i18n,
      key: "share.toggle",
      testId: "share-toggle",
      icon: SCREEN_ICON,
      panel: this.element,
      anchor,
      // The bar grew with the customer's yes (the panel moved down): the confirm's line again.
      onFit: () => this._showWaiting(),
    });
  }

  /** True once the agent confirmed sharing the whole screen in this support. */
  get wholeConfirmed() {
    return loadJson(window.sessionStorage, CONFIRMED_KEY + this.sessionId) === true;
  }

  _buildWarning() {
    this.warning = element("div", "rs-share-picker__warning", {
      "data-testid": "share-whole-warning",
      role: "group",
      "aria-live": "polite",
    });
    const icon = element("span", "rs-share-picker__warning-icon", { "aria-hidden": "true" });
    icon.innerHTML = EYE_ICON; // constant markup
    this.warningText = element("p", "rs-share-picker__warning-text", { id: `share-warning-${this.sessionId}` });
    // The other wording (with or without a window list), unseen in the same place: the
    // warning is as tall as the longer one from the first frame, so the listing's answer
    // never moves the confirm button.
    this.warningSpare = element("p", "rs-share-picker__warning-text rs-share-picker__warning-spare", {
      "aria-hidden": "true",
    });
    // Under the button, not above it: the customer's "yes" must not move it either. Its room is
    // kept (unseen) from the first frame, so a short window shows the button and the place of
    // this line from the request on, and the "yes" scrolls nothing (640x480: it was below).
    this.warningWait = element("p", "rs-share-picker__warning-wait", { "data-testid": "share-whole-waiting" });
    this.i18n.bind(this.warningWait, "share.whole_waiting");
    this.warningWait.hidden = true;
    this.confirmButton = element("button", "rs-button rs-button--primary rs-button--small", {
      type: "button",
      "data-testid": "share-whole-confirm",
      "aria-describedby": this.warningText.id,
    });
    this.i18n.bind(this.confirmButton, "share.whole_confirm");
    this.confirmButton.addEventListener("click", () => this._confirmWhole());
    const text = element("div", "rs-share-picker__warning-body");
    text.append(this.warningText, this.warningSpare);
    this.warning.append(icon, text, this.confirmButton, this.warningWait);
  }

  /**
   * Follow the presentation's state: shown (and filled) from the request on, hidden when idle;
   * changes reach the presenter only while it runs.
   * @param {"idle"|"asked"|"presenting"|"paused"} state
   */
  setState(state) {
    const shown = state !== "idle";
    this.live = state === "presenting" || state === "paused";
    if (this.live && this._timer === null) {
      this._timer = setInterval(() => this._sync(), SYNC_MS);
    } else if (!this.live) {
      clearInterval(this._timer);
      this._timer = null;
    }
    if (state === "idle") {
      this._settleWaiting(null); // stopped before the confirm: nothing starts
    }
    if (shown === this.shown) {
      return;
    }
    this.shown = shown;
    this.popover.setShown(shown);
    if (shown) {
      this.whole.checked = true;
      this.popover.setOpen(true); // asked: choose what to show while the customer decides
      this._showMode();
      // A short window scrolls the popover: the confirm and the room of the line under it
      // are in view from the first frame, so focusing it later (the customer's yes) does not
      // scroll it under the pointer.
      this.warningWait.scrollIntoView({ block: "nearest" });
      this.refresh();
    }
  }

  /** What to present from the start: {monitor, window_ids} (null ids: the whole screen). */
  choice() {
    const ids = this.whole.checked ? [] : this._tickedIds();
    const monitor = Number(this.monitor.value) || 1;
    return { monitor, window_ids: ids.length > 0 ? ids : null };
  }

  /**
   * What to present, once it may start: at once for chosen windows or a whole screen already
   * confirmed in this support; otherwise after the agent confirms the whole-screen warning (or
   * ticks windows instead). Resolves null when the presentation is stopped first.
   * @returns {Promise<{monitor: number, window_ids: number[]|null}|null>}
   */
  confirmedChoice() {
    const choice = this.choice();
    if (choice.window_ids !== null || this.wholeConfirmed) {
      return Promise.resolve(choice);
    }
    this._settleWaiting(null);
    return new Promise((resolve) => {
      this._waiting = { resolve };
      this._showMode();
      this.popover.setOpen(true); // closed meanwhile (the agent typed notes): the confirm waits here
      this.confirmButton.focus();
      this._showWaiting();
    });
  }

  /**
   * Start presenting with `send(choice)` once the choice may start (see confirmedChoice);
   * the state is not synced from the presenter meanwhile (it is still idle there).
   * @param {(choice: {monitor: number, window_ids: number[]|null}) => Promise<unknown>} send
   * @returns {Promise<unknown>} what `send` returned, or null when stopped before the confirm
   */
  async start(send) {
    this._starting = true;
    try {
      const choice = await this.confirmedChoice();
      return choice === null ? null : await send(choice);
    } finally {
      this._starting = false;
    }
  }

  destroy() {
    clearInterval(this._timer);
    this._settleWaiting(null);
    this._unsubscribeI18n();
    this.popover.destroy();
  }

  _settleWaiting(choice) {
    const waiting = this._waiting;
    this._waiting = null;
    waiting?.resolve(choice);
  }

  /** While the confirm waits: the button and the line asking for it (under it) in sight in a
   * short window (640x480: the popover scrolls within). */
  _showWaiting() {
    if (this._waiting && !this.warningWait.hidden && this.popover?.isOpen) {
      // Nothing moves when both are in sight already (the popover moved down with the bar).
      this.warningWait.scrollIntoView({ block: "nearest" });
    }
  }

  _confirmWhole() {
    saveJson(window.sessionStorage, CONFIRMED_KEY + this.sessionId, true);
    this._showMode();
    if (this._waiting) {
      this._settleWaiting(this.choice());
    } else {
      this._send("windows", { window_ids: null });
    }
  }

  /** The window list only for "chosen windows"; the warning (or, once confirmed, a quiet
   * line) for "whole screen". */
  _showMode() {
    const whole = this.whole.checked;
    this.list.hidden = whole || !this.windowsSupported;
    this.refreshButton.hidden = whole || !this.windowsSupported;
    if (["share.no_windows", "share.unsupported"].includes(this.note.dataset.i18n)) {
      // About the list, which only "chosen windows" shows; the whole screen's warning says
      // what a missing window list means (its note would push the picker longer).
      this.note.hidden = whole;
    }
    const confirmed = this.wholeConfirmed;
    this.warning.hidden = !whole;
    this.warning.dataset.confirmed = String(confirmed);
    this.confirmButton.hidden = confirmed;
    this.warningWait.hidden = confirmed;
    const unseen = this._waiting === null; // its room only, until the customer said yes
    this.warningWait.style.visibility = unseen ? "hidden" : "";
    this.warningWait.toggleAttribute("aria-hidden", unseen);
    const [key, spare] = this.windowsSupported
      ? ["share.whole_warning", "share.whole_warning_all"]
      : ["share.whole_warning_all", "share.whole_warning"];
    const suffix = confirmed ? "_confirmed" : "";
    this.i18n.bind(this.warningText, key + suffix);
    this.i18n.bind(this.warningSpare, spare + suffix);
    this.warningSpare.hidden = !this._spareWording; // kept once shown: it must not shrink
  }

  /** Read the monitors and open windows again (keeps the ticked windows that still exist). */
  async refresh() {
    this._clear();
    if (this.monitor.options.length === 0) {
      // The first listing takes a second or two (a child process grabs the thumbnails):
      // placeholders hold the places of the monitor and the windows meanwhile.
      this.monitor.append(this.i18n.bind(element("option", "", { value: "" }), "share.loading"));
      this.list.replaceChildren(...Array.from({ length: PLACEHOLDER_ROWS }, placeholderRow));
    }
    this.element.setAttribute("aria-busy", "true");
    let screens;
    try {
      screens = await this.backend.screens();
    } catch (error) {
      this.list.querySelectorAll(".rs-share-picker__window--placeholder").forEach((row) => row.remove());
      this._fail(error);
      return;
    } finally {
      this.element.setAttribute("aria-busy", "false");
    }
    const chosenMonitor = this.monitor.value;
    this.monitor.replaceChildren(
      ...screens.monitors.map(({ index, width, height }) =>
        this.i18n.bind(element("option", "", { value: String(index) }), "share.monitor_option", {
          index,
          width,
          height,
        }),
      ),
    );
    if (chosenMonitor) {
      this.monitor.value = chosenMonitor;
    }
    const ticked = new Set(this._tickedIds());
    this._screens = screens;
    this.list.replaceChildren(...screens.windows.map((w) => this._windowItem(w, ticked.has(w.id))));
    this._renderDetails();
    this.windowsSupported = screens.windows_supported;
    saveJson(window.localStorage, WINDOWS_SUPPORTED_KEY, Boolean(screens.windows_supported));
    this.chosen.disabled = !screens.windows_supported;
    // Why it cannot be chosen, on the choice itself (the note shows with the list only).
    this.chosen.parentElement.title = screens.windows_supported ? "" : this.i18n.t("share.unsupported");
    this._showMode();
    if (!screens.windows_supported) {
      // The system's own reason (an X11 error...) is for support staff, not the salesperson:
      // in the log and the note's tooltip only.
      this._note("share.unsupported", {}, screens.windows_error || "");
      this._showMode();
      console.warn("window sharing unavailable:", screens.windows_error);
    } else if (screens.windows.length === 0) {
      this._note("share.no_windows");
      this._showMode();
    }
  }

  _radio(name, value, key) {
    const label = element("label", "rs-share-picker__choice");
    const input = element("input", "", { type: "radio", name, value, "data-testid": `share-mode-${value}` });
    const text = element("span");
    this.i18n.bind(text, key);
    label.append(input, text);
    input.addEventListener("change", () => {
      this._showMode();
      this._applyWindows();
    });
    return input;
  }

  _windowItem(info, ticked) {
    const item = element("li", "rs-share-picker__window");
    const label = element("label", "rs-share-picker__choice");
    const box = element("input", "", {
      type: "checkbox",
      value: String(info.id),
      "data-testid": "share-window",
    });
    box.checked = ticked;
    box.addEventListener("change", () => {
      if (box.checked) {
        this.chosen.checked = true;
      }
      this._applyWindows();
    });
    const thumbnail = element("span", "rs-share-picker__thumb", { "aria-hidden": "true" });
    if (typeof info.thumbnail === "string" && info.thumbnail.startsWith("data:image/")) {
      thumbnail.append(element("img", "", { src: info.thumbnail, alt: "", "data-testid": "share-window-thumb" }));
    }
    const text = element("span", "rs-share-picker__window-text");
    const detail = element("span", "rs-share-picker__window-detail", { "data-testid": "share-window-detail" });
    text.append(element("span", "rs-share-picker__window-title", {}, info.title), detail);
    label.append(box, thumbnail, text);
    item.append(label);
    item.rsWindow = info;
    return item;
  }

  /** The line under each title: program, size and place; a number where two still match. */
  _renderDetails() {
    const seen = new Map();
    for (const item of this.list.children) {
      const info = item.rsWindow;
      if (!info) {
        continue; // a placeholder
      }
      const where = this.i18n.t(`share.where.${placeOf(info, this._screens.monitors ?? [])}`);
      const parts = [info.app, `${info.width}×${info.height}`, where].filter(Boolean);
      let text = parts.join(" · ");
      const key = `${info.title}\n${text}`;
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      if (count > 1) {
        text += ` · #${count}`;
      }
      item.querySelector(".rs-share-picker__window-detail").textContent = text;
    }
  }

  _tickedIds() {
    return [...this.list.querySelectorAll("input:checked")].map((box) => Number(box.value));
  }

  _applyWindows() {
    this._clear();
    if (this.whole.checked) {
      if (this.wholeConfirmed) {
        this._send("windows", { window_ids: null });
      } else if (this.live) {
        this.confirmButton.focus(); // the whole screen is shared only after the confirm
      }
      return;
    }
    const ids = this._tickedIds();
    if (ids.length === 0) {
      this._note("share.choose_window");
      return;
    }
    if (this._waiting) {
      this._settleWaiting(this.choice()); // windows instead of the whole screen: start with them
      this._showMode();
      return;
    }
    this._send("windows", { window_ids: ids });
  }

  async _send(action, body) {
    if (!this.live) {
      return; // not presenting yet: choice() takes it to "start"
    }
    try {
      await this.backend.presentation(action, this.sessionId, body);
    } catch (error) {
      this._fail(error);
    }
  }

  async _sync() {
    if (this._starting) {
      return; // the presenter is not there yet: its "idle" would end the presentation here
    }
    try {
      const status = await this.backend.presentationStatus(this.sessionId);
      this.onSync(status.state);
    } catch {
      // the next tick tries again; the buttons keep their state meanwhile
    }
  }

  _note(key, params, detail = "") {
    this.note.hidden = false;
    this.note.title = detail;
    this.i18n.bind(this.note, key, params);
  }

  _fail(error) {
    this.i18n.bind(this.error, "share.failed", { message: error?.message ?? String(error) });
  }

  _clear() {
    for (const box of [this.note, this.error]) {
      delete box.dataset.i18n;
      delete box.dataset.i18nParams;
      box.textContent = "";
    }
    this.note.hidden = true;
  }
}

const EYE_ICON =
  '<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" ' +
  'focusable="false"><path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"/>' +
  '<circle cx="12" cy="12" r="3"/></svg>';
