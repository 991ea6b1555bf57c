// The agent page served by the relay at /agent: the relay's HTTP API on the same origin, the
// websocket at this origin's /ws. Short messages and preferences follow the account on the
// relay (account_backend.js); the other tabs of this browser follow this one (window_sync.js).
// DesktopBackend (desktop_backend.js) answers the same calls through the desktop app.

import { requestJson } from "../common/http.js";
import { sendBytes } from "../common/send_bytes.js";
import { loadJson, saveJson } from "../common/storage.js";
import { AccountBackend } from "./account_backend.js";
import { BrowserWindowSync } from "./window_sync.js";

const REMEMBERED_ID_KEY = "rs.agent.username";
// Where versions before the account kept them: imported once at sign-in, then removed.
const LOCAL_SHORT_MESSAGES_KEY = "rs.agent.short_messages.";
const LOCAL_IDLE_MINUTES_KEY = "rs.agent.idle_logout_minutes";
const LOCAL_ATTENTION_KEY = "rs.agent.attention"; // {sound, volume, notifications}
// A tab that holds a live support repeats its report every 30 s; one silent for 90 s (closed)
// no longer keeps the others signed in (suite/agent/app/activity.py's rule for the app).
const LIVE_TTL_MS = 90_000;

export class BrowserBackend extends AccountBackend {
  constructor() {
    super();
    this.sync = new BrowserWindowSync();
    this._tabInput = null; // when another tab last saw the agent's input (ms)
    this._liveTabs = new Map(); // tab → until when its live support counts (ms)
    this.sync.onMessage((message) => {
      if (message.kind === "activity" && typeof message.source === "string") {
        this._heard(message);
      }
    });
  }

  _heard({ source, input, live }) {
    const now = Date.now();
    if (input === true) {
      this._tabInput = now;
    }
    if (live === true) {
      this._liveTabs.set(source, now + LIVE_TTL_MS);
    } else {
      this._liveTabs.delete(source);
    }
  }

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

  /** A file's bytes to the relay with progress (a reservation's material, A11). */
  uploadBytes(path, file, { token, onProgress } = {}) {
    return sendBytes("PUT", path, file, { headers: { Authorization: `Bearer ${token}` }, onProgress });
  }

  /** An <img> src for a `photo_url` (relative to the relay, which is this origin). */
  async photoSrc(photoUrl) {
    return photoUrl || "";
  }

  /** Short messages an older version kept in this browser (imported once at sign-in). */
  async localShortMessages(username) {
    const stored = loadJson(window.localStorage, LOCAL_SHORT_MESSAGES_KEY + username);
    return Array.isArray(stored) ? stored : [];
  }

  async forgetLocalShortMessages(username) {
    saveJson(window.localStorage, LOCAL_SHORT_MESSAGES_KEY + username, null);
  }

  /** Alert settings and idle time an older page kept in this browser: {attention?, idle_logout_minutes?}. */
  async localPreferences() {
    const found = {};
    const attention = loadJson(window.localStorage, LOCAL_ATTENTION_KEY);
    const minutes = loadJson(window.localStorage, LOCAL_IDLE_MINUTES_KEY);
    if (attention && typeof attention === "object") {
      found.attention = attention;
    }
    if (Number.isInteger(minutes)) {
      found.idle_logout_minutes = minutes;
    }
    return found;
  }

  async forgetLocalPreferences() {
    saveJson(window.localStorage, LOCAL_ATTENTION_KEY, null);
    saveJson(window.localStorage, LOCAL_IDLE_MINUTES_KEY, null);
  }

  /** The window's title is the page's document.title here (main.js sets it). */
  async setWindowTitle() {}

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

  // ---------- Automatic logout (A4): the idle time is the account's; the other tabs report ----------

  /** {idle_s, live}: the last input and the live supports the other tabs of this agent reported
   * (each tab decides for itself, and signing out in one signs out all). */
  async appActivity() {
    const now = Date.now();
    for (const [tab, until] of this._liveTabs) {
      if (until <= now) {
        this._liveTabs.delete(tab);
      }
    }
    const idle = this._tabInput === null ? null : Math.max(0, now - this._tabInput) / 1000;
    return { idle_s: idle, live: this._liveTabs.size > 0 };
  }

  /** This tab's input and live support, for the other tabs (ActivityReporter). */
  async reportActivity(report) {
    this.sync.post({ kind: "activity", ...report });
  }
}
