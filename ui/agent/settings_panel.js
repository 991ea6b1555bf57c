// The agent's settings screen: tabs for short messages (A9), alerts (sound and
// notifications), remote support (A8: how the screen is sent; P4: the received-files folder),
// and for the network (A7) and favourites (A9) settings that later issues fill in.
// Tabs follow the WAI-ARIA pattern: arrows, Home and End move between them.

import { byId, element } from "../common/dom.js";
import { AttentionSettings } from "./attention_settings.js";
import { CallSettings } from "./call_settings.js";
import { RecordingSettings } from "./recording_settings.js";
import { DeskSettings } from "./desk_settings.js";
import { IdleLogoutSettings } from "./idle_logout_settings.js";
import { RemoteSupportSettings } from "./remote_support_settings.js";
import { ShortMessagesEditor } from "./short_messages_editor.js";
import { FavouritesSettings } from "./favourites_settings.js";
import { NetworkSettings } from "./network_settings.js";

/** A7 in a browser: the connection is the browser's; its settings are the desktop app's. */
function browserNetworkNote(i18n) {
  const note = element("section", "agent-remote agent-net-note", {
    "data-testid": "network-browser-note", "aria-labelledby": "net-note-title",
  }); // prettier-ignore
  const title = i18n.bind(element("h2", "agent-idle__title", { id: "net-note-title" }), "net.title");
  note.append(title, i18n.bind(element("p", "rs-help"), "net.browser_note"));
  return note;
}

export class SettingsPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {() => Promise<Array>} options.loadShortMessages
   * @param {(messages: Array) => Promise<Array>} options.saveShortMessages
   * @param {(error: Error) => boolean} options.onAuthError
   * @param {object} options.backend the page's backend (the Remote support tab needs desktop)
   * @param {(minutes: number) => void} options.onIdleMinutes the automatic sign-out's new time
   * @param {import("./attention.js").Attention} options.attention what the Alerts tab tries out
   * @param {import("./favourites.js").Favourites} [options.favourites] the Favourites tab's data
   * @param {() => Promise<string>} [options.recordingPolicy] the admin's recording policy (P9)
   * @param {(minutes: number) => void} [options.onLockMinutes] the lock's new idle time (A8)
   */
  constructor({ i18n, loadShortMessages, saveShortMessages, onAuthError, backend, onIdleMinutes, attention, favourites, recordingPolicy, onLockMinutes }) {
    this.i18n = i18n;
    this._load = loadShortMessages;
    this._onAuthError = onAuthError;
    this.tabs = [...document.querySelectorAll("#settings-tabs [role=tab]")];
    this.editor = new ShortMessagesEditor(byId("tabpanel-short"), { i18n, save: saveShortMessages });
    this.remote = new RemoteSupportSettings(byId("tabpanel-remote"), { i18n, backend });
    this.idle = new IdleLogoutSettings(byId("tabpanel-network"), { i18n, backend, onSaved: onIdleMinutes });
    // A7: the relay, SSL, CA file and proxy, above the automatic sign-out (desktop app only).
    this.network = backend.networkSettings ? new NetworkSettings(byId("tabpanel-network"), { i18n, backend }) : null;
    if (!backend.networkSettings) {
      byId("tabpanel-network").prepend(browserNetworkNote(i18n));
    }
    this.alerts = new AttentionSettings(byId("tabpanel-alerts"), { i18n, backend, attention });
    // A9: links and documents (the account's), folders and programs (this PC's).
    this.favourites = favourites ? new FavouritesSettings(byId("tabpanel-favourites"), { i18n, favourites }) : null;
    // CH9: "Open calls in my web browser" (desktop app only), under Remote support.
    this.calls = backend.callSupport ? new CallSettings(byId("tabpanel-remote"), { i18n, backend }) : null;
    // P9: recordings are made by the desktop app's presenter only.
    this.recordings = backend.recordings ? new RecordingSettings(byId("tabpanel-remote"), { i18n, backend, policy: recordingPolicy }) : null;
    // A8: text size, the lock, the desktop while presenting (desktop app only).
    this.desk = backend.deskState ? new DeskSettings(byId("tabpanel-remote"), { i18n, backend, onLockMinutes }) : null;
    for (const tab of this.tabs) {
      tab.addEventListener("click", () => this.select(tab));
      tab.addEventListener("keydown", (event) => this._onKey(event, tab));
    }
  }

  async show() {
    this.select(this.tabs[0]);
    this.tabs[0].focus();
    this.remote.load();
    this.idle.load();
    this.network?.load();
    this.alerts.load();
    this.calls?.load();
    this.recordings?.load();
    this.desk?.load();
    this.favourites?.load();
    try {
      this.editor.setMessages(await this._load());
    } catch (error) {
      if (!this._onAuthError(error)) {
        this.editor.showError(error);
      }
    }
  }

  select(chosen) {
    for (const tab of this.tabs) {
      const selected = tab === chosen;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      byId(tab.getAttribute("aria-controls")).hidden = !selected;
    }
  }

  _onKey(event, tab) {
    const index = this.tabs.indexOf(tab);
    const count = this.tabs.length;
    const target = {
      ArrowRight: (index + 1) % count,
      ArrowLeft: (index - 1 + count) % count,
      Home: 0,
      End: count - 1,
    }[event.key];
    if (target === undefined) {
      return;
    }
    event.preventDefault();
    this.select(this.tabs[target]);
    this.tabs[target].focus();
  }
}
