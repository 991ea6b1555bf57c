// The agent page inside the desktop app (docs/agent-local-api.md): served by the app's local
// server, so relay HTTP goes through /local/relay/<path>, login through /local/login, the
// websocket to the ws_url the app gives (its loopback tunnel, which follows the network settings,
// A7), and every /local/* call carries the launch secret.
// Short messages and preferences follow the account on the relay (account_backend.js); the
// app's other windows follow this one through the app (window_sync.js).

import { requestJson } from "../common/http.js";
import { sendBytes } from "../common/send_bytes.js";
import { AccountBackend } from "./account_backend.js";
import { DesktopWindowSync } from "./window_sync.js";

const TOKEN_HEADER = "X-RemoteSales-Token";
// The settings file's defaults (suite/agent/app/settings.py): what an older app never changed.
const DEFAULT_ATTENTION = Object.freeze({ sound: true, volume: 60, notifications: true });
const DEFAULT_IDLE_MINUTES = 30;

export class DesktopBackend extends AccountBackend {
  /**
   * @param {string} secret the per-launch secret from the URL fragment
   * @param {string|null} windowSessionId the support this window shows (a chat window), or null
   */
  constructor(secret, windowSessionId) {
    super();
    this._secret = secret;
    this._windowSessionId = windowSessionId;
    this._wsUrl = null;
    this._photos = new Map(); // photo_url → object URL of the fetched image
    this.sync = new DesktopWindowSync((method, path, options) => this._local(method, path, options));
  }

  get mode() {
    return "desktop";
  }

  get asksRelayAddress() {
    return true;
  }

  get canOpenAdmin() {
    return true;
  }

  get windowSessionId() {
    return this._windowSessionId;
  }

  _local(method, path, options = {}) {
    return requestJson(method, path, {
      ...options,
      headers: { ...options.headers, [TOKEN_HEADER]: this._secret },
    });
  }

  /** A7: the relay address, SSL, CA file and proxy (`GET /local/network`). */
  async networkSettings() {
    return this._local("GET", "/local/network");
  }

  async saveNetworkSettings(body) {
    return this._local("PUT", "/local/network", { body });
  }

  /** Try what the form says against the relay; throws an ApiError with `networkCause`. */
  async testNetwork(body) {
    return this._local("POST", "/local/network/test", { body });
  }

  /** The native open dialog for the CA file: `{path, cancelled}`. */
  async chooseCaFile() {
    return this._local("POST", "/local/network/choose_ca_file");
  }

  /** The first run: `{needed, settings, path, error?}` (settings from a provisioning file). */
  async firstRun() {
    return this._local("GET", "/local/first_run");
  }

  async loginDefaults() {
    const { settings } = await this._local("GET", "/local/settings");
    return {
      relayUrl: settings.relay_url ?? "",
      username: settings.remember_id ? (settings.username ?? "") : "",
      remember: Boolean(settings.remember_id),
    };
  }

  async login({ relayUrl, username, password, remember }) {
    const result = await this._local("POST", "/local/login", {
      body: { relay_url: relayUrl, username, password, remember_id: remember },
    });
    this._wsUrl = result.ws_url;
    await this._local("PUT", "/local/settings", {
      body: { remember_id: remember, username: remember ? username : "" },
    }).catch((error) => console.warn("the remembered ID was not saved:", error.message));
    return { token: result.token, agent: result.agent, wsUrl: result.ws_url };
  }

  /** The app's current relay login (made in the main window), or null. */
  async currentLogin() {
    try {
      const login = await this._local("GET", "/local/login");
      this._wsUrl = login.ws_url;
      return { token: login.token, agent: login.agent, wsUrl: login.ws_url };
    } catch (error) {
      if (error.code === "not_logged_in") {
        return null;
      }
      throw error;
    }
  }

  async logout() {
    await this._local("POST", "/local/logout");
  }

  api(method, path, options = {}) {
    const local = path.replace(/^\/api\//, "/local/relay/");
    return this._local(method, local, options);
  }

  /** A file's bytes to the relay through the local proxy (its body limit applies), with
   * progress (a reservation's material, A11). */
  uploadBytes(path, file, { token, onProgress } = {}) {
    const local = path.replace(/^\/api\//, "/local/relay/");
    const headers = { Authorization: `Bearer ${token}`, [TOKEN_HEADER]: this._secret };
    return sendBytes("PUT", local, file, { headers, onProgress });
  }

  /** The image is fetched through the proxy: an <img> cannot send the launch secret. */
  async photoSrc(photoUrl) {
    if (!photoUrl) {
      return "";
    }
    if (!this._photos.has(photoUrl)) {
      const blob = await this.api("GET", photoUrl, { asBlob: true });
      this._photos.set(photoUrl, URL.createObjectURL(blob));
    }
    return this._photos.get(photoUrl);
  }

  /** Favourite folders and programs of this PC (A9): [{id, kind, title, path}]. */
  async localFavourites() {
    return (await this._local("GET", "/local/favourites")).favourites;
  }

  async saveLocalFavourites(favourites) {
    return (await this._local("PUT", "/local/favourites", { body: { favourites } })).favourites;
  }

  /** The native dialog for a favourite folder or program: its path, or "" when closed. */
  async chooseFavouritePath(kind) {
    return (await this._local("POST", "/local/favourites/choose", { body: { kind } })).path;
  }

  /** Open a stored favourite folder or program on this PC, by its id (CH7: for presenting). */
  async openFavourite(id) {
    return this._local("POST", "/local/open_favourite", { body: { id } });
  }

  /** Short messages an older version kept on this PC (imported once at sign-in). */
  async localShortMessages() {
    const { settings } = await this._local("GET", "/local/settings");
    return Array.isArray(settings.short_messages) ? settings.short_messages : [];
  }

  async forgetLocalShortMessages() {
    await this._local("PUT", "/local/settings", { body: { short_messages: [] } });
  }

  /** Alert settings and idle time an older app kept in its settings file (what differs from
   * the defaults): {attention?, idle_logout_minutes?}. */
  async localPreferences() {
    const { settings } = await this._local("GET", "/local/settings");
    const found = {};
    const attention = settings.attention ?? {};
    if (Object.entries(DEFAULT_ATTENTION).some(([key, value]) => attention[key] !== value)) {
      found.attention = attention;
    }
    if (settings.idle_logout_minutes !== DEFAULT_IDLE_MINUTES) {
      found.idle_logout_minutes = settings.idle_logout_minutes;
    }
    return found;
  }

  async forgetLocalPreferences() {
    await this._local("PUT", "/local/settings", {
      body: { attention: { ...DEFAULT_ATTENTION }, idle_logout_minutes: DEFAULT_IDLE_MINUTES },
    });
  }

  /** The notice window's title bar, in the agent's language. */
  async setNoticeTitle(title) {
    await this._local("POST", "/local/windows/title", { body: { window: "notice", title } });
  }

  /** A chat window's title names its customer (the page's document.title is not the window's). */
  async setWindowTitle(title) {
    if (this._windowSessionId) {
      await this._local("POST", "/local/windows/title", {
        body: { session_id: this._windowSessionId, title },
      });
    }
  }

  /** A10: the app saves the history's Excel export in Documents/RemoteSales/Exports. */
  async saveExport(path) {
    const { path: saved } = await this._local("POST", "/local/history/export", { body: { path } });
    return saved;
  }

  async openHelp() {
    await this._local("POST", "/local/open_help");
  }

  async openAdmin() {
    await this._local("POST", "/local/open_admin");
  }

  /** A link from the chat, in the system browser (the app's window never navigates away). */
  async openLink(url) {
    await this._local("POST", "/local/open_link", { body: { url } });
  }

  async openSupportWindow(sessionId) {
    await this._local("POST", "/local/windows/chat", { body: { session_id: sessionId } });
    return true;
  }

  /** Close this support's chat window (its end card's button); the main window comes forward. */
  async closeSupportWindow(sessionId) {
    await this._local("POST", "/local/windows/chat/close", { body: { session_id: sessionId } });
  }

  /**
   * Report this window's live sessions to the connection notice (the shell merges windows).
   * @param {string} source this chat window's session id
   * @param {Array<{session_id: string, customer_name: string, started_at: number|null}>} sessions
   */
  async reportNotice(source, sessions) {
    await this._local("POST", "/local/notice", { body: { source, sessions } });
  }

  /** The relay's websocket address from the login. */
  get wsUrl() {
    return this._wsUrl;
  }

  /** GET /local/notice: the merged list the notice window shows, with its revision. */
  async noticeSessions() {
    const { sessions, revision } = await this._local("GET", "/local/notice");
    return { sessions, revision };
  }

  /** Ask the chat window of that session to end it. */
  async endFromNotice(sessionId) {
    await this._local("POST", "/local/notice/end", { body: { session_id: sessionId } });
  }

  /** CH9: the notice's Call: that support's chat window is raised and starts the call. */
  async callFromNotice(sessionId, media) {
    await this._local("POST", "/local/notice/call", { body: { session_id: sessionId, media } });
  }

  /**
   * Drive this support's presenter (a child process of the app): "start" when the customer
   * accepted, then "pause" / "resume" / "stop", or "monitor" ({monitor}) / "windows"
   * ({window_ids}: ids, or null for the whole screen). Answers {state, monitor, windows}.
   * @param {"start"|"pause"|"resume"|"stop"|"monitor"|"windows"} action
   * @param {string} sessionId
   * @param {object} [extra] {monitor} or {window_ids}
   */
  async presentation(action, sessionId, extra = {}) {
    return this._local("POST", "/local/presentation", {
      body: { ...extra, session_id: sessionId, action },
    });
  }

  /** This support's presenter: {state: "idle"|"live"|"paused", monitor, windows}. */
  async presentationStatus(sessionId) {
    return this._local("GET", `/local/presentation?session_id=${encodeURIComponent(sessionId)}`);
  }

  /** P9: {recording}: whether this support's presenter records (the call's audio goes in). */
  async callAudioStatus(sessionId) {
    return this._local("GET", `/local/presentation/audio?session_id=${encodeURIComponent(sessionId)}`);
  }

  /**
   * P9: a chunk of the call's audio for the recording: `pcm` is base64 of 48 kHz mono signed
   * 16-bit little-endian samples, the first heard at `atMs` (Unix ms). Answers {recording}.
   */
  async callAudio(sessionId, atMs, pcm) {
    return this._local("POST", "/local/presentation/audio", {
      body: { session_id: sessionId, at_ms: atMs, pcm },
    });
  }

  /**
   * P5: the agent's drawing tools for this support's presenter (its overlay on the desktop).
   * @param {string} sessionId
   * @param {{action: "tool"|"undo"|"clear", tool?: string|null, color?: string, width?: number}} body
   * @returns {Promise<{tool: string|null, overlay_error: string|null}>}
   */
  async drawing(sessionId, body) {
    return this._local("POST", "/local/drawing", { body: { ...body, session_id: sessionId } });
  }

  /** P3: {mouse, keyboard}: what the customer controls on this desktop now. */
  async controlStatus(sessionId) {
    return this._local("GET", `/local/control?session_id=${encodeURIComponent(sessionId)}`);
  }

  /** P3: take mouse and keyboard back (as the Ctrl+Alt+End hotkey does). */
  /** P3: take control back, both kinds or one (`{keyboard: false}`: the mouse only). */
  async revokeControl(sessionId, { mouse = true, keyboard = true } = {}) {
    return this._local("POST", "/local/control", {
      body: { session_id: sessionId, action: "revoke", mouse, keyboard },
    });
  }

  /** P5: {tool}: the drawing tool on the overlay (null: off; also after Escape there). */
  async drawingStatus(sessionId) {
    return this._local("GET", `/local/drawing?session_id=${encodeURIComponent(sessionId)}`);
  }

  /** What can be shared: {monitors, windows, windows_supported, windows_error?}. */
  async screens() {
    return this._local("GET", "/local/screens");
  }

  // ---------- Files both ways (P4): /local/files/* ----------

  /** Pick files in a native dialog and send them; answers when they are at the relay. */
  async sendFiles(sessionId) {
    return this._local("POST", "/local/files/send", { body: { session_id: sessionId } });
  }

  /** Stream a ready file from the customer into the received-files folder: {name, path, folder}. */
  async receiveFile(sessionId, transferId) {
    return this._local("POST", "/local/files/receive", {
      body: { session_id: sessionId, transfer_id: transferId },
    });
  }

  async openReceivedFolder() {
    return this._local("POST", "/local/files/open_folder");
  }

  // ---------- Settings: remote support (A8) and the received-files folder (P4) ----------

  /** {remote_support, quality_presets, received_files_folder, default_folder} (the folder used
   * when empty; quality_presets: each preset's options, A8). */
  async remoteSupportSettings() {
    const [{ settings, quality_presets: presets }, { folder }] = await Promise.all([
      this._local("GET", "/local/settings"),
      this._local("GET", "/local/files/folder"),
    ]);
    const chosen = settings.received_files_folder ?? "";
    return {
      remote_support: settings.remote_support ?? {},
      quality_presets: presets ?? {},
      received_files_folder: chosen,
      default_folder: chosen ? "" : folder,
    };
  }

  /** Save the A8 options (the next presentation starts with them) and the folder ("" = default). */
  async saveRemoteSupportSettings(remoteSupport, folder) {
    await this._local("PUT", "/local/settings", {
      body: { remote_support: remoteSupport, received_files_folder: folder },
    });
  }

  // ---------- The lock and the text size (A8): /local/desk, /local/lock, /local/unlock ----------

  /** {locked, lock_after_s, text_size}. */
  async deskState() {
    return this._local("GET", "/local/desk");
  }

  /** Cover every window of the app (the main window's idle timer). */
  async lock() {
    return this._local("POST", "/local/lock");
  }

  /** Uncover every window once the relay confirms the password (ApiError: wrong_password, throttled). */
  async unlock(password) {
    return this._local("POST", "/local/unlock", { body: { password } });
  }

  /** Save A8's options of this computer (text_size, idle_lock_minutes, presenting_desktop). */
  async saveDeskSettings(changes) {
    const { settings } = await this._local("PUT", "/local/settings", { body: changes });
    return settings;
  }

  /** All the app's settings (GET /local/settings). */
  async localSettings() {
    const { settings } = await this._local("GET", "/local/settings");
    return settings;
  }

  // ---------- Automatic logout (A4): the idle time is the account's; activity is /local/activity ----------

  /** {idle_s, live}: the last input and the live supports the other windows reported. */
  async appActivity() {
    return this._local("GET", "/local/activity");
  }

  /** A chat or notice window's report: {source, input, live}. */
  async reportActivity(report) {
    await this._local("POST", "/local/activity", { body: report });
  }

  // ---------- Calling the agent's attention: the account's settings, /local/attention ----------

  /**
   * The app flashes this support's window and shows a system notification, unless the window
   * is the active one: answers {active, alerted, notified, notification_error}.
   * @param {{session_id: string, event: string, title: string, body: string}} call
   */
  async callAttention(call) {
    return this._local("POST", "/local/attention", { body: call });
  }

  /** {available, reason}: whether this desktop shows system notifications. */
  async systemNotifications() {
    const { notifications } = await this._local("GET", "/local/attention");
    return notifications;
  }

  // ---------- Calls (CH9): docs/agent-local-api.md, *Calls* ----------

  /** {media: {available, reason}, open_in_browser, active}: can this app's windows call? */
  async callSupport() {
    return this._local("GET", "/local/calls");
  }

  /** Settings › Remote support's "Open calls in my web browser": {open_in_browser}. */
  async saveCallSettings(calls) {
    await this._local("PUT", "/local/settings", { body: { calls } });
  }

  /** P9: {folder, automatic, recordings: [{name, customer, session_id, started_at, duration_s, size}]}. */
  async recordings(sessionId = "") {
    const query = sessionId ? `?session_id=${encodeURIComponent(sessionId)}` : "";
    return this._local("GET", `/local/recordings${query}`);
  }

  /** P9: open a listed recording with the system's player. */
  async openRecording(name) {
    await this._local("POST", "/local/recordings/open", { body: { name } });
  }

  /** P9: Settings › Remote support's "Record presentations automatically": {automatic}. */
  async saveRecordingSettings(recording) {
    await this._local("PUT", "/local/settings", { body: { recording } });
  }

  /** A call started ("start": the camera and microphone open to this window) or ended. */
  async callState(sessionId, action) {
    return this._local("POST", "/local/calls", { body: { session_id: sessionId, action } });
  }

  /** Open the support in the system browser, signed in; `media` starts the call there. */
  async openCallInBrowser(sessionId, media = null) {
    return this._local("POST", "/local/calls/browser", {
      body: { session_id: sessionId, ...(media ? { media } : {}) },
    });
  }
}
