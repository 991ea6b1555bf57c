// The connection notice window (P8): "Remote session in progress", each live session's
// customer and time connected (ticking), and End. The desktop app opens it when a chat window
// reports a connected customer; the page reads the list once with GET /local/notice and then
// the app pushes every change with `window.rsNotice.update(list, revision)`. Each list carries
// the app's revision number, and an older one never replaces a newer one: the GET's answer can
// arrive after a push made later. End asks twice (End, then
// "End now") and then POST /local/notice/end {session_id}: that support's chat window ends it.
// A session whose screen is presented also gets Pause / Show screen and Stop presenting
// (notice_presentation.js), polled from GET /local/presentation.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { i18n } from "../common/i18n.js";
import { iconElement } from "../common/icons.js";
import { createBackend } from "./backend.js";
import { ActivityReporter } from "./idle_logout.js";
import { NoticePresentation } from "./notice_presentation.js";
import { attachNoticeFiles } from "./notice_files.js";
import { followLanguage } from "./window_sync.js";
import { followDesk } from "./desk.js";
import { DESK_STRINGS } from "../common/strings/desk_strings.js";
import { AGENT_STRINGS } from "../common/strings/agent_strings.js";
import { DESKTOP_CALL_STRINGS } from "../common/strings/desktop_call_strings.js";
import { FILE_STRINGS } from "../common/strings/file_strings.js";

i18n.addStrings(AGENT_STRINGS, DESK_STRINGS, DESKTOP_CALL_STRINGS, FILE_STRINGS);

const TICK_MS = 1000;
const CONFIRM_SHOWN_MS = 5000;
const PRESENTATION_POLL_MS = 2000;

class NoticeWindow {
  constructor() {
    this.backend = createBackend();
    this.sessions = [];
    this.revision = -1;
    this.error = new ErrorMessage(byId("notice-error"), i18n);
    this._items = new Map(); // session_id → {item, elapsed, button, confirmTimer}
  }

  async start() {
    i18n.apply();
    i18n.onChange(() => this.render());
    followLanguage(this.backend.sync, i18n); // the language the other windows show
    if (this.backend.mode === "desktop") {
      followDesk({ backend: this.backend, i18n }); // A8: text size and the lock (customer names)
      const title = () =>
        this.backend.setNoticeTitle(i18n.t("notice.page_title")).catch((error) => {
          console.warn("the notice's title was not set:", error.message);
        });
      title();
      i18n.onChange(title); // the title bar too, not only the page
    }
    window.rsNotice = Object.freeze({ update: (list, revision) => this.update(list, revision) });
    setInterval(() => this._tick(), TICK_MS);
    setInterval(() => this._pollPresentations(), PRESENTATION_POLL_MS);
    attachNoticeFiles({
      backend: this.backend,
      i18n,
      before: byId("notice-error"),
      onError: (error) => this.error.show(error),
    }); // P4: Received files
    if (this.backend.mode !== "desktop") {
      this.update([]);
      return;
    }
    // A4: clicks here count as the agent's activity for the automatic sign-out.
    new ActivityReporter({ source: "notice", report: (r) => this.backend.reportActivity(r) }).start();
    try {
      const { sessions, revision } = await this.backend.noticeSessions();
      this.update(sessions, revision);
    } catch (error) {
      this.error.show(error);
    }
  }

  /**
   * Show this list of live sessions (the app's merged list, replacing the previous one) unless
   * a newer revision is already shown. A list without a revision always applies.
   */
  update(list, revision) {
    if (Number.isInteger(revision)) {
      if (revision < this.revision) {
        return;
      }
      this.revision = revision;
    }
    this.sessions = Array.isArray(list) ? list : [];
    this.render();
  }

  render() {
    for (const entry of this._items.values()) {
      clearTimeout(entry.confirmTimer);
    }
    this._items.clear();
    byId("notice-list").replaceChildren(...this.sessions.map((session) => this._item(session)));
    byId("notice-none").hidden = this.sessions.length > 0;
    this._tick();
  }

  _item(session) {
    const name = session.customer_name || i18n.t("notice.customer_unknown");
    const item = element("li", "notice__item", { "data-testid": "notice-session" });
    const who = element("div", "notice__who");
    const elapsed = element("div", "notice__elapsed", { "data-testid": "notice-elapsed" });
    who.append(element("div", "notice__name", { "data-testid": "notice-customer" }, name), elapsed);
    const button = element("button", "rs-button rs-button--danger-outline rs-button--small", {
      type: "button",
      "data-testid": "notice-end",
    });
    const entry = { item, elapsed, button, name, started: session.started_at, confirmTimer: null };
    this._label(entry, "notice.end", "notice.end_label");
    button.addEventListener("click", () => this._end(session.session_id, entry));
    item.append(who, button);
    if (this.backend.mode === "desktop") {
      entry.presentation = new NoticePresentation({
        backend: this.backend,
        i18n,
        sessionId: session.session_id,
        name,
        onError: (error) => this.error.showKey("notice.present_failed", { message: error.message }),
      });
      item.append(entry.presentation.element);
      entry.presentation.refresh();
      item.append(this._sendFileButton(session.session_id, name)); // P4, P8
      button.before(this._callButton(session.session_id, name)); // CH9: Call, then End
    }
    this._items.set(session.session_id, entry);
    return item;
  }

  _sendFileButton(sessionId, name) {
    const button = element("button", "rs-button rs-button--ghost rs-button--small notice__send", {
      type: "button",
      "data-testid": "notice-send-file",
      "aria-label": i18n.t("notice.send_file_label", { name }),
    });
    i18n.bind(button, "files.send");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await this.backend.sendFiles(sessionId); // a native dialog; returns once sent
      } catch (error) {
        this.error.show(error);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  /** CH9: a video call from the notice, held by the support's chat window (raised). */
  _callButton(sessionId, name) {
    const button = element("button", "rs-button rs-button--secondary rs-button--small notice__call", {
      type: "button",
      "data-testid": "notice-call",
      "aria-label": i18n.t("notice.call_label", { name }),
    });
    button.append(iconElement("video"), element("span", "", { "data-i18n": "notice.call" }, i18n.t("notice.call")));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await this.backend.callFromNotice(sessionId, "video");
      } catch (error) {
        this.error.show(error);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  _pollPresentations() {
    for (const entry of this._items.values()) {
      entry.presentation?.refresh();
    }
  }

  _label(entry, key, labelKey) {
    entry.button.replaceChildren(iconElement("end"), element("span", "", {}, i18n.t(key)));
    entry.button.setAttribute("aria-label", i18n.t(labelKey, { name: entry.name }));
  }

  async _end(sessionId, entry) {
    if (entry.button.dataset.confirm !== "true") {
      entry.button.dataset.confirm = "true";
      this._label(entry, "notice.confirm", "notice.confirm_label");
      entry.confirmTimer = setTimeout(() => {
        delete entry.button.dataset.confirm;
        this._label(entry, "notice.end", "notice.end_label");
      }, CONFIRM_SHOWN_MS);
      return;
    }
    clearTimeout(entry.confirmTimer);
    entry.button.disabled = true;
    this._label(entry, "notice.ending", "notice.ending");
    this.error.clear();
    try {
      await this.backend.endFromNotice(sessionId);
    } catch (error) {
      this.error.show(error);
      entry.button.disabled = false;
      delete entry.button.dataset.confirm;
      this._label(entry, "notice.end", "notice.end_label");
    }
  }

  _tick() {
    const now = Date.now() / 1000;
    for (const entry of this._items.values()) {
      const seconds = typeof entry.started === "number" ? now - entry.started : 0;
      entry.elapsed.textContent = i18n.t("notice.elapsed", { time: i18n.formatCountdown(seconds) });
    }
  }
}

new NoticeWindow().start();
