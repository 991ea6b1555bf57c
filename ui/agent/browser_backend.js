// The agent page served by the relay at /agent: the relay's HTTP API on the same origin, the
// websocket at this origin's /ws, short messages in this browser's localStorage.
// DesktopBackend (desktop_backend.js) answers the same calls through the desktop app.

import { requestJson } from "../common/http.js";
import { loadJson, saveJson } from "../common/storage.js";
import { validIdleMinutes } from "./idle_logout.js";

const REMEMBERED_ID_KEY = "rs.agent.username";
const SHORT_MESSAGES_KEY = "rs.agent.short_messages.";
const IDLE_MINUTES_KEY = "rs.agent.idle_logout_minutes";
const ATTENTION_KEY = "rs.agent.attention"; // {sound, volume, notifications}
const DEFAULT_IDLE_MINUTES = 30;

export class BrowserBackend {
  /** "browser" or "desktop". */
  get mode() {
    return "browser";
  }

  /** Whether the login form asks for the relay's address (the page knows it here). */
  get asksRelayAddress() {
    return false;
  }

  /** Whether there is an admin page to open: the relay's /admin (AD1). */
  get canOpenAdmin() {
    return true;
  }

  /** The session this window is dedicated to (desktop chat windows); none here. */
  get windowSessionId() {
    return null;
  }

  /** What the login form starts with: {relayUrl, username, remember}. */
  async loginDefaults() {
    const remembered = loadJson(window.localStorage, REMEMBERED_ID_KEY);
    return { relayUrl: "", username: remembered ?? "", remember: Boolean(remembered) };
  }

  /**
   * Sign in; returns {token, agent, wsUrl} (wsUrl null: this origin's /ws).
   * @throws {import("../common/http.js").ApiError}
   */
  async login({ username, password, remember }) {
    const result = await requestJson("POST", "/api/login", { body: { username, password } });
    saveJson(window.localStorage, REMEMBERED_ID_KEY, remember ? username : null);
    return { token: result.token, agent: result.agent, wsUrl: null };
  }

  /** The login other windows of this app made; never any in a browser tab. */
  async currentLogin() {
    return null;
  }

  /** Revoke the token on the relay. */
  async logout(token) {
    await requestJson("POST", "/api/logout", { token });
  }

  /**
   * Call the relay's HTTP API.
   * @param {string} method
   * @param {string} path the relay's path, "/api/..."
   * @param {object} [options] body, blob, token, asBlob (see requestJson)
   */
  api(method, path, options = {}) {
    return requestJson(method, path, options);
  }

  /** An <img> src for a `photo_url` (relative to the relay, which is this origin). */
  async photoSrc(photoUrl) {
    return photoUrl || "";
  }

  async loadShortMessages(username) {
    const stored = loadJson(window.localStorage, SHORT_MESSAGES_KEY + username);
    return Array.isArray(stored) ? stored : [];
  }

  async saveShortMessages(username, messages) {
    saveJson(window.localStorage, SHORT_MESSAGES_KEY + username, messages);
    return messages;
  }

  /** A10: the history's Excel export, downloaded by the browser; returns the file name. */
  async saveExport(path, token) {
    const blob = await requestJson("GET", path, { token, asBlob: true });
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    const name = `history-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}.xlsx`;
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return name;
  }

  async openHelp() {
    window.open("/ui/agent/help.html", "_blank", "noopener");
  }

  async openAdmin() {
    window.open("/admin", "_blank", "noopener");
  }

  /**
   * Show a new support: false means "in this page" (the browser's single-page flow).
   * @returns {Promise<boolean>} true when another window took it
   */
  async openSupportWindow() {
    return false;
  }

  /** Tell the connection notice about this window's live sessions; no notice here. */
  async reportNotice() {}

  // ---------- Automatic logout (A4): this browser's localStorage; one page, no other windows ----------

  /** The idle time in minutes (0 = off). */
  async idleLogoutMinutes() {
    const stored = loadJson(window.localStorage, IDLE_MINUTES_KEY);
    return validIdleMinutes(stored) ? stored : DEFAULT_IDLE_MINUTES;
  }

  async saveIdleLogoutMinutes(minutes) {
    if (!validIdleMinutes(minutes)) {
      throw Object.assign(new Error("not a whole number of minutes 0-1440"), { code: "bad_request" });
    }
    saveJson(window.localStorage, IDLE_MINUTES_KEY, minutes);
    return minutes;
  }

  /** Input and live supports in the app's other windows: a browser tab has none. */
  async appActivity() {
    return { idle_s: null, live: false };
  }

  async reportActivity() {}

  // ---------- Calling the agent's attention: this browser's localStorage ----------

  /** {sound, volume, notifications} (ui/agent/attention.js normalises what is missing). */
  async attentionSettings() {
    return loadJson(window.localStorage, ATTENTION_KEY) ?? {};
  }

  async saveAttentionSettings(attention) {
    saveJson(window.localStorage, ATTENTION_KEY, attention);
    return attention;
  }
}
