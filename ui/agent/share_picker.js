// What a desktop chat window presents (P2, P6): the screen (monitor) and "whole screen" or
// "chosen windows" with a checkbox per open window. Shown from the presentation request on:
// what is chosen while the customer has not answered yet goes with "start" (`choice()`), so the
// first frame already shows only that; while presenting, every change goes to the running
// presenter at once (POST /local/presentation monitor / windows). The lists come
// from GET /local/screens; where window lists do not exist (Windows, macOS, Wayland) the
// picker says so and offers the whole screen only. While shown it also reads the presenter's
// state every few seconds, so a pause or stop from the connection notice reaches the buttons.
// It is a popover of the presenting bar ("Screen ▾", tool_popover.js): it opens by itself when
// the agent asks to present, so the choice is made while the customer decides.

import { element } from "../common/dom.js";
import { ToolPopover } from "./tool_popover.js";

const SCREEN_ICON =
  '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" ' +
  'focusable="false"><rect x="3" y="4" width="18" height="12.5" rx="2"/><path d="M8.5 20.5h7M12 16.5v4"/></svg>';

const SYNC_MS = 2000;

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
    const monitorLabel = element("label", "rs-share-picker__row");
    const monitorText = element("span");
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
    this.element.append(legend, monitorLabel, modes, this.list, this.refreshButton, this.note, this.error);
    this.popover = new ToolPopover({
      i18n,
      key: "share.toggle",
      testId: "share-toggle",
      icon: SCREEN_ICON,
      panel: this.element,
      anchor,
    });
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
    if (shown === this.shown) {
      return;
    }
    this.shown = shown;
    this.popover.setShown(shown);
    if (shown) {
      this.whole.checked = true;
      this.popover.setOpen(true); // asked: choose what to show while the customer decides
      this.refresh();
    }
  }

  /** What to present from the start: {monitor, window_ids} (null ids: the whole screen). */
  choice() {
    const ids = this.whole.checked ? [] : this._tickedIds();
    const monitor = Number(this.monitor.value) || 1;
    return { monitor, window_ids: ids.length > 0 ? ids : null };
  }

  destroy() {
    clearInterval(this._timer);
    this.popover.destroy();
  }

  /** Read the monitors and open windows again (keeps the ticked windows that still exist). */
  async refresh() {
    this._clear();
    let screens;
    try {
      screens = await this.backend.screens();
    } catch (error) {
      this._fail(error);
      return;
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
    this.list.replaceChildren(...screens.windows.map((w) => this._windowItem(w, ticked.has(w.id))));
    this.chosen.disabled = !screens.windows_supported;
    this.list.hidden = !screens.windows_supported;
    if (!screens.windows_supported) {
      this._note("share.unsupported", { message: screens.windows_error || "" });
    } else if (screens.windows.length === 0) {
      this._note("share.no_windows");
    }
  }

  _radio(name, value, key) {
    const label = element("label", "rs-share-picker__choice");
    const input = element("input", "", { type: "radio", name, value, "data-testid": `share-mode-${value}` });
    const text = element("span");
    this.i18n.bind(text, key);
    label.append(input, text);
    input.addEventListener("change", () => this._applyWindows());
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
    label.append(box, element("span", "", {}, info.title));
    item.append(label);
    return item;
  }

  _tickedIds() {
    return [...this.list.querySelectorAll("input:checked")].map((box) => Number(box.value));
  }

  _applyWindows() {
    this._clear();
    if (this.whole.checked) {
      this._send("windows", { window_ids: null });
      return;
    }
    const ids = this._tickedIds();
    if (ids.length === 0) {
      this._note("share.choose_window");
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
    try {
      const status = await this.backend.presentationStatus(this.sessionId);
      this.onSync(status.state);
    } catch {
      // the next tick tries again; the buttons keep their state meanwhile
    }
  }

  _note(key, params) {
    this.note.hidden = false;
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
