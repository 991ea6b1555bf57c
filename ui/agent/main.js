// The agent's page (A1–A6, A9, CH5): log in, the home toolbar (agent info, new support,
// settings, help, admin, logout), and the support itself (SupportView). The same page runs in
// a browser tab served by the relay and in the desktop app's windows; the differences live in
// the backend (backend.js). A desktop chat window (`#...&session=<id>`) shows only its support.
// The bearer token survives a reload (sessionStorage); a 401 anywhere returns to the login.
// One sign-in covers every window: the desktop app's windows share the app's login, and a
// second browser tab asks the first (window_sync.js, window_follow.js); signing out anywhere
// signs out all, and the language follows the account into every window. Short messages and
// preferences live with the account on the relay (account_data.js).

import { byId, setAvatar, showOnly } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { i18n } from "../common/i18n.js";
import { fillIcons } from "../common/icons.js";
import { loadJson, saveJson } from "../common/storage.js";
import { AccountData } from "./account_data.js";
import { FirstRun } from "./first_run.js";
import { Favourites } from "./favourites.js";
import { Attention, normalizeAttention } from "./attention.js";
import { createBackend } from "./backend.js";
import { offerDesktopActions, startFromHandoff } from "./call_handoff.js";
import { takeHandoff } from "./handoff.js";
import { ActivityReporter, IdleLogout } from "./idle_logout.js";
import { IdleLock, followDesk } from "./desk.js";
import { LoginForm } from "./login_form.js";
import { HistoryView } from "../common/history/history_view.js";
import { ReservationsView } from "./reservations_view.js";
import { ProfilePanel } from "./profile_panel.js";
import { SettingsPanel } from "./settings_panel.js";
import { SupportView } from "./support_view.js";
import { WindowFollow } from "./window_follow.js";
import { ACCOUNT_STRINGS } from "../common/strings/account_strings.js";
import { AGENT_STRINGS } from "../common/strings/agent_strings.js";
import { ATTENTION_STRINGS } from "../common/strings/attention_strings.js";
import { BROWSER_PRESENT_STRINGS } from "../common/strings/browser_present_strings.js";
import { CALL_STRINGS } from "../common/strings/call_strings.js";
import { RECORDING_STRINGS } from "../common/strings/recording_strings.js";
import { CHAT_STRINGS } from "../common/strings/chat_strings.js";
import { CONTROL_STRINGS } from "../common/strings/control_strings.js";
import { DESKTOP_CALL_STRINGS } from "../common/strings/desktop_call_strings.js";
import { DRAWING_STRINGS } from "../common/strings/drawing_strings.js";
import { FAVOURITE_STRINGS } from "../common/strings/favourite_strings.js";
import { FILE_STRINGS } from "../common/strings/file_strings.js";
import { HISTORY_STRINGS } from "../common/strings/history_strings.js";
import { RESERVATION_STRINGS } from "../common/strings/reservation_strings.js";
import { IDLE_STRINGS } from "../common/strings/idle_strings.js";
import { DESK_STRINGS } from "../common/strings/desk_strings.js";
import { KNOCK_STRINGS } from "../common/strings/knock_strings.js";
import { MAIL_STRINGS } from "../common/strings/mail_strings.js";
import { PARTICIPANT_STRINGS } from "../common/strings/participant_strings.js";
import { SCREEN_STRINGS } from "../common/strings/screen_strings.js";
import { SIGN_IN_STRINGS } from "../common/strings/sign_in_strings.js";
import { WHITEBOARD_STRINGS } from "../common/strings/whiteboard_strings.js";

i18n.addStrings(
  ACCOUNT_STRINGS,
  AGENT_STRINGS,
  ATTENTION_STRINGS,
  BROWSER_PRESENT_STRINGS,
  CALL_STRINGS,
  RECORDING_STRINGS,
  CHAT_STRINGS,
  CONTROL_STRINGS,
  DESK_STRINGS,
  DESKTOP_CALL_STRINGS,
  DRAWING_STRINGS,
  FAVOURITE_STRINGS,
  FILE_STRINGS,
  HISTORY_STRINGS,
  IDLE_STRINGS,
  KNOCK_STRINGS,
  MAIL_STRINGS,
  PARTICIPANT_STRINGS,
  RESERVATION_STRINGS,
  SCREEN_STRINGS,
  SIGN_IN_STRINGS,
  WHITEBOARD_STRINGS,
);

const AUTH_KEY = "rs.agent.auth";
const SUPPORT_KEY = "rs.agent.support";
const STEPS = ["firstrun", "login", "home", "reservations", "history", "profile", "settings", "waiting", "chat", "end"];
const TOOL_STEPS = new Set(["home", "reservations", "history", "profile", "settings"]);

class AgentApp {
  constructor() {
    this.backend = createBackend();
    this.chatWindow = this.backend.windowSessionId !== null;
    this.auth = loadJson(window.sessionStorage, AUTH_KEY); // {token, agent, wsUrl}
    this.account = new AccountData((method, path, options) => this._api(method, path, options));
    // A9, CH7: the Settings tab and the chat's Favourites menu share one data access.
    this.favourites = new Favourites({
      api: (method, path, options) => this._api(method, path, options),
      backend: this.backend,
    });
    this.backend.useAccount(this.auth ? this.account : null);
    this.windows = new WindowFollow(this); // sign-in, language and account across windows
    this._windowTitle = null;
    this._titleSent = Promise.resolve();
    this._importing = null; // moving this browser's or PC's old short messages to the account
    this.step = "login";
    this.shortMessages = [];
    this._busy = false;
    this.panels = STEPS.map((step) => byId(`${step}-panel`));
    const onAuthError = (error) => this._authError(error);
    // Sound, notification and window flash when a customer needs the agent.
    this.attention = new Attention({ i18n, backend: this.backend });
    const api = (method, path, options) => this._api(method, path, options);
    this.loginForm = new LoginForm({
      i18n,
      backend: this.backend,
      onLogin: (auth) => {
        if (auth.token === this.auth?.token) {
          return; // the app's signed_in message was quicker: this sign-in is in use already
        }
        this._setAuth(auth);
        if (this.backend.mode === "browser") {
          this.backend.sync.post({ kind: "signed_in", auth }); // the desktop app tells its windows
        }
        this.windows.afterSignIn();
        this.showHome();
      },
    });
    this.homeError = new ErrorMessage(byId("home-error"), i18n);
    this.profile = new ProfilePanel({
      i18n,
      api,
      photoSrc: (url) => this.backend.photoSrc(url),
      onAgent: (agent) => this._setAuth({ ...this.auth, agent }),
      onAuthError,
    });
    this.settings = new SettingsPanel({
      i18n,
      // P9: the admin's recording policy, asked with this sign-in's token.
      recordingPolicy: async () => (await this._api("GET", "/api/me/preferences")).recording_policy,
      loadShortMessages: () => this._loadShortMessages(),
      saveShortMessages: async (messages) => {
        try {
          this.shortMessages = await this.backend.saveShortMessages(this._username(), messages);
        } catch (error) {
          if (Array.isArray(error?.messages)) {
            this.shortMessages = error.messages; // another window's list, shown again
          }
          throw error;
        }
        return this.shortMessages;
      },
      onAuthError,
      backend: this.backend,
      onIdleMinutes: (minutes) => this._startIdle(minutes),
      attention: this.attention,
      favourites: this.favourites,
      onLockMinutes: () => this._startLock(),
    });
    // A8: the desktop app locks its windows after the idle time while a support is live.
    this.lockTimer = this.backend.mode === "desktop" && !this.chatWindow
      ? new IdleLock({
        appActivity: () => this.backend.appActivity(),
        onLock: () => this.backend.lock().catch((error) => console.warn("not locked:", error.message)),
      })
      : null;
    // A4: sign out after the idle time (the main window decides; idle_logout.js).
    this.idle = new IdleLogout({
      isLive: () => this._supportLive(),
      appActivity: () => this.backend.appActivity(),
      onExpire: (minutes) => this.logout("idle.signed_out", { minutes }),
    });
    this._idleOn = false;
    this._idleOverride = {}; // tests: {timeoutMs, checkMs}
    this.support = new SupportView({
      i18n,
      backend: this.backend,
      auth: () => this.auth,
      shortMessages: () => this.shortMessages,
      show: (step) => this._show(step),
      onAuthError,
      onLost: (errorKey, resumeId) => this._lost(errorKey, resumeId),
      attention: this.attention,
      favourites: this.favourites,
      endActionKey: this.chatWindow ? undefined : "end.new_support",
      onEndAction: this.chatWindow ? undefined : () => this.newSupport(),
      onSession: () => this._renderTitle(),
    });
  }

  async start() {
    document.documentElement.dataset.window = this.chatWindow ? "chat" : "main";
    document.querySelector("title")?.removeAttribute("data-i18n"); // _renderTitle() names it
    i18n.attachSwitcher(byId("language-select"));
    i18n.apply();
    i18n.onChange((code) => this.windows.languageChanged(code));
    this.backend.sync.onMessage((message) => this.windows.onWindowMessage(message));
    if (this.backend.mode === "desktop") {
      this.desk = followDesk({ backend: this.backend, i18n, onLockChange: (locked) => this._lockChanged(locked) });
    }
    fillIcons();
    this._wireToolbar();
    byId("admin-button").hidden = !this.backend.canOpenAdmin;
    window.addEventListener("beforeunload", (event) => {
      if (this.support.unsavedNotes) {
        event.preventDefault(); // the browser asks before the notes are lost
      }
    });
    if (this.chatWindow) {
      await this._startChatWindow();
      return;
    }
    if (this.backend.mode === "browser") {
      // A4: the agent's other tabs count this tab's input and live support, and it theirs.
      new ActivityReporter({
        source: `tab-${Math.random().toString(36).slice(2, 10)}`,
        report: (report) => this.backend.reportActivity(report),
        isLive: () => this._supportLive(),
      }).start();
    }
    const handoff = this.backend.mode === "browser" ? takeHandoff() : null;
    if (handoff) {
      await startFromHandoff(this, handoff); // CH9: a call from the desktop app
      return;
    }
    if (!this.auth?.token) {
      const firstRun = this.chatWindow ? null : await FirstRun.needed(this.backend);
      if (firstRun) {
        // A7: no relay yet; its address and the proxy first, checked, then the login form.
        const questions = new FirstRun({ i18n, backend: this.backend, onDone: () => this.showLogin() });
        this._show("firstrun");
        await questions.show(firstRun);
        return;
      }
      this.showLogin();
      if (this.backend.mode === "desktop") {
        this.windows.adoptDesktopLogin(); // the app may be signed in already (a reloaded main window)
      } else {
        this.backend.sync.post({ kind: "hello" }); // a signed-in tab answers with its sign-in
      }
      return;
    }
    try {
      const me = await this._api("GET", "/api/me");
      this._setAuth({ ...this.auth, agent: me.agent });
      this.windows.afterSignIn();
      const open = loadJson(window.sessionStorage, SUPPORT_KEY);
      if (open?.session_id) {
        const { support } = await this._api("GET", `/api/supports/${open.session_id}`);
        if (support.state !== "ended") {
          this._enter(support);
          return;
        }
      }
      this.showHome();
    } catch (error) {
      if (!this._authError(error)) {
        this.showHome();
        this.homeError.show(error);
      }
    }
  }

  /** A desktop chat window: the login is the main window's; show this one support. */
  async _startChatWindow() {
    offerDesktopActions(this.support); // the connection notice's End and Call (CH9)
    new ActivityReporter({
      source: this.backend.windowSessionId,
      report: (report) => this.backend.reportActivity(report),
      isLive: () => this._supportLive(),
    }).start(); // A4: the main window counts this window's input and live support
    await this._openChatWindowSupport();
  }

  /** Show this chat window's support with the app's sign-in (again after a new sign-in). */
  async _openChatWindowSupport() {
    try {
      const login = await this.backend.currentLogin();
      if (!login) {
        this._showChatWindowMessage("desktop.signed_out");
        return;
      }
      this._setAuth(login);
      this.windows.afterSignIn();
      const { support } = await this._api("GET", `/api/supports/${this.backend.windowSessionId}`);
      this._enter(support);
    } catch (error) {
      if (!this._authError(error)) {
        this._showChatWindowMessage(null, error);
      }
    }
  }

  _showChatWindowMessage(key, error) {
    this._show("home");
    byId("home-title").textContent = "";
    // Where the support went (the browser holding a call) is news, not a failure.
    byId("home-error").classList.toggle("rs-alert--info", key === "deskcall.continued_in_browser");
    if (key) {
      this.homeError.showKey(key);
    } else {
      this.homeError.show(error);
    }
  }

  /** A8: while locked the title bar names no customer; the timer rests until unlocked. */
  _lockChanged(locked) {
    this._locked = locked;
    if (this.lockTimer) {
      this.lockTimer.paused = locked;
      this.lockTimer.reset();
    }
    this._renderTitle();
  }

  /** (Re)start the lock's timer with the app's idle time (desktop main window, signed in). */
  async _startLock() {
    if (!this.lockTimer) {
      return;
    }
    if (!this.auth) {
      this.lockTimer.stop();
      return;
    }
    const desk = await this.backend.deskState().catch(() => null);
    if (this.auth) {
      this.lockTimer.start(desk?.lock_after_s ?? 0, this._lockCheckMs);
    }
  }

  /** The page's (and the desktop chat window's) title: the customer, or what the page shows. */
  _renderTitle() {
    const session = this.support?.session;
    let title = i18n.t("app.agent_title");
    if (this._locked) {
      title = i18n.t("lock.window_title");
    } else if (this.step === "chat" && session) {
      title = i18n.t("account.title_chat", { name: session.customer_name || i18n.t("role.customer") });
    } else if (this.step === "waiting") {
      title = i18n.t("account.title_waiting");
    }
    const unread = document.title.match(/^\(\d+\) /)?.[0] ?? "";
    document.title = unread + title;
    if (title !== this._windowTitle) {
      this._windowTitle = title;
      // One at a time, in order: two requests in flight could land the older title last.
      this._titleSent = this._titleSent
        .then(() => this.backend.setWindowTitle(title))
        .catch((error) => console.warn("the window title was not set:", error.message));
    }
  }

  /**
   * Browser: "New support" is the click at which the page asks whether it may show
   * notifications (never on load), once, and only while the agent wants them.
   */
  async _askNotificationPermission() {
    const { notifications } = normalizeAttention(await this.backend.attentionSettings().catch(() => ({})));
    if (notifications && (await this.attention.permission()) === "default") {
      this.attention.permission(true);
    }
  }

  // ---------- Login, home, toolbar ----------

  showLogin(messageKey, params) {
    this.support.leave();
    this._setAuth(null);
    this._show("login");
    this.loginForm.reset(messageKey, params);
  }

  showHome(errorKey) {
    this.support.leave();
    saveJson(window.sessionStorage, SUPPORT_KEY, null);
    this._show("home");
    const agent = this.auth.agent ?? {};
    i18n.bind(byId("home-title"), "home.greeting", { name: agent.name || agent.username });
    byId("home-role").textContent = [agent.title, agent.company].filter(Boolean).join(" · ");
    byId("home-action").hidden = true;
    byId("home-info").textContent = "";
    delete byId("home-info").dataset.i18n;
    if (errorKey) {
      this.homeError.showKey(errorKey);
    } else {
      this.homeError.clear();
    }
    byId("new-support-button").focus();
  }

  _wireToolbar() {
    byId("new-support-button").addEventListener("click", () => this.newSupport());
    byId("logout-button").addEventListener("click", () => this.logout());
    byId("profile-button").addEventListener("click", () => {
      this._show("profile");
      this.profile.show(this.auth.agent);
    });
    byId("history-button").addEventListener("click", () => this.showHistory());
    byId("reservations-button").addEventListener("click", () => this.showReservations());
    byId("settings-button").addEventListener("click", () => {
      this._show("settings");
      this.settings.show();
    });
    for (const back of document.querySelectorAll("[data-back-home]")) {
      back.addEventListener("click", () => this.showHome());
    }
    const open = (action) => () =>
      action().catch((error) => {
        this.showHome();
        this.homeError.show(error);
      });
    byId("help-button").addEventListener("click", open(() => this.backend.openHelp()));
    byId("admin-button").addEventListener("click", open(() => this.backend.openAdmin()));
  }

  /** A10: the agent's past sessions (built on first use, searched again on every visit). */
  showHistory() {
    this._show("history");
    if (!this.history) {
      this.history = new HistoryView({
        root: byId("history-panel"),
        i18n,
        api: (method, path, options) => this._api(method, path, options),
        download: (path) => this.backend.saveExport(path, this.auth?.token),
        onAuthError: (error) => this._authError(error),
        // P9: the desktop app lists this PC's recordings of the session (never the relay's).
        localRecordings: this.backend.recordings
          ? {
              list: async (sessionId) => (await this.backend.recordings(sessionId)).recordings,
              open: (name) => this.backend.openRecording(name),
            }
          : null,
      });
    }
    this.history.search(this.history.page);
  }

  /** A11: the agent's reservations (built on first use, loaded again on every visit). */
  showReservations() {
    this._show("reservations");
    if (!this.reservations) {
      this.reservations = new ReservationsView({
        root: byId("reservations-panel"),
        i18n,
        api: (method, path, options) => this._api(method, path, options),
        upload: (path, file, onProgress) =>
          this.backend.uploadBytes(path, file, { token: this.auth?.token, onProgress }),
        onOpened: (support) => this._openSupport(support),
        onAuthError: (error) => this._authError(error),
      });
    }
    this.reservations.refresh();
  }

  /** A support made elsewhere (an opened reservation): waits in its window, or here. */
  async _openSupport(support) {
    if (await this.backend.openSupportWindow(support.session_id)) {
      this.showHome();
      i18n.bind(byId("home-info"), "desktop.support_opened", { code: support.code ?? "" });
    } else {
      this._enter(support);
    }
  }

  async newSupport() {
    if (this._busy) {
      return;
    }
    if (this.step !== "home") {
      this.showHome();
    }
    this._askNotificationPermission();
    this._setBusy(true);
    try {
      const { support } = await this._api("POST", "/api/supports");
      if (await this.backend.openSupportWindow(support.session_id)) {
        // Desktop: the support waits and chats in a window of its own.
        i18n.bind(byId("home-info"), "desktop.support_opened", { code: support.code ?? "" });
      } else {
        this._enter(support);
      }
    } catch (error) {
      if (!this._authError(error)) {
        this.homeError.show(error);
      }
    } finally {
      this._setBusy(false);
    }
  }

  /** The Log out button, and the automatic logout (A4) with its reason for the login form. */
  async logout(messageKey, params) {
    const token = this.auth?.token;
    const username = this._username();
    if (this.support.socket?.online && this.support.step === "waiting") {
      this.support.endSession(); // do not leave a live code behind
    }
    this.showLogin(messageKey, params);
    if (token && this.backend.mode === "browser") {
      // The other tabs of this agent sign out too (the desktop app tells its own windows).
      this.backend.sync.post({ kind: "signed_out", username });
    }
    if (token) {
      this.backend.logout(token).catch((error) => {
        console.warn("logout did not reach the relay:", error.message);
      });
    }
  }

  // ---------- Supports ----------

  _enter(support) {
    if (!this.chatWindow) {
      saveJson(window.sessionStorage, SUPPORT_KEY, { session_id: support.session_id });
    }
    this.support.enter(support);
  }

  _lost(errorKey, resumeId) {
    if (this.chatWindow) {
      this.support.leave();
      this._showChatWindowMessage(errorKey);
    } else {
      this.showHome(errorKey);
    }
    if (resumeId) {
      const action = byId("home-action");
      i18n.bind(action, "common.use_here");
      action.hidden = false;
      action.onclick = () => this._resume(resumeId);
    }
  }

  async _resume(sessionId) {
    try {
      const { support } = await this._api("GET", `/api/supports/${sessionId}`);
      this._enter(support);
    } catch (error) {
      if (!this._authError(error)) {
        this.homeError.show(error);
      }
    }
  }

  // ---------- Helpers ----------

  _show(step) {
    this.step = step;
    showOnly(this.panels, byId(`${step}-panel`));
    this._renderTitle();
    const tools = TOOL_STEPS.has(step) && !this.chatWindow;
    byId("agent-toolbar").hidden = !tools;
    for (const button of document.querySelectorAll("#agent-toolbar [data-step]")) {
      if (button.dataset.step === step) {
        button.setAttribute("aria-current", "page");
      } else {
        button.removeAttribute("aria-current");
      }
    }
    this._renderMe();
  }

  _api(method, path, options = {}) {
    return this.backend.api(method, path, { ...options, token: this.auth?.token });
  }

  /** A 401 from the relay means the token is gone: back to the login. True when handled. */
  _authError(error) {
    if (error?.code !== "unauthorized" && !(error?.status === 401 && error?.code !== "bad_token")) {
      return false;
    }
    // An admin disabled the account (close 4007): say so, not that the sign-in expired.
    const disabled = error.code === "account_disabled_now";
    if (this.chatWindow) {
      this.support.leave();
      this._showChatWindowMessage(disabled ? "error.account_disabled_now" : "desktop.signed_out");
    } else {
      this.showLogin(disabled ? "error.account_disabled_now" : "error.unauthorized");
    }
    return true;
  }

  async _loadShortMessages() {
    try {
      await this._importing;
      this.shortMessages = await this.backend.loadShortMessages(this._username());
    } catch (error) {
      console.warn("short messages not loaded:", error.message);
    }
    return this.shortMessages;
  }

  _username() {
    return this.auth?.agent?.username ?? "";
  }

  _setAuth(auth) {
    if (auth?.token !== this.auth?.token) {
      this.account.refresh(); // another sign-in: read the account's data again
    }
    const signedInBefore = Boolean(this.auth);
    this.auth = auth?.token ? auth : null;
    this.backend.useAccount(this.auth ? this.account : null);
    saveJson(window.sessionStorage, AUTH_KEY, this.auth);
    this._renderMe();
    this._syncIdle();
    if (signedInBefore !== Boolean(this.auth)) {
      this._startLock();
    }
  }

  // ---------- Automatic logout (A4) ----------

  /** A support here is waiting for or chatting with a customer. */
  _supportLive() {
    const support = this.support;
    return Boolean(support?.sessionId) && !support.ended && ["waiting", "chat"].includes(this.step);
  }

  /** The main window's idle timer runs exactly while signed in. */
  _syncIdle() {
    if (this.chatWindow || !this.idle) {
      return;
    }
    if (!this.auth) {
      this.idle.stop();
      this._idleOn = false;
    } else if (!this._idleOn) {
      this._idleOn = true;
      this._startIdle();
    }
  }

  /** (Re)start the idle timer with `minutes`, or the saved setting. */
  async _startIdle(minutes) {
    if (minutes === undefined) {
      try {
        minutes = await this.backend.idleLogoutMinutes();
      } catch (error) {
        console.warn("idle time not read; using 30 minutes:", error.message);
        minutes = 30;
      }
    }
    if (this.auth && !this.chatWindow) {
      this.idle.start(minutes, this._idleOverride);
    }
  }

  async _renderMe() {
    const agent = this.auth?.agent;
    byId("agent-me").hidden = !agent;
    if (!agent) {
      return;
    }
    const name = agent.name || agent.username;
    byId("agent-me-name").textContent = name;
    const src = agent.photo_url ? await this.backend.photoSrc(agent.photo_url).catch(() => "") : "";
    for (const id of ["agent-me-avatar", "home-avatar"]) {
      const avatar = byId(id);
      const shown = JSON.stringify([name, src]);
      if (avatar.dataset.shown !== shown) {
        avatar.dataset.shown = shown;
        setAvatar(avatar, name, src);
      }
    }
  }

  _setBusy(busy) {
    this._busy = busy;
    const button = byId("new-support-button");
    button.disabled = busy;
    i18n.bind(button.querySelector("[data-i18n]"), busy ? "home.creating" : "home.new_support");
  }

  /** What the e2e tests read through window.__rsTest.state(). */
  testState() {
    const support = this.support;
    return {
      mode: this.backend.mode,
      step: this.step,
      status: support.socket?.status ?? "closed",
      sessionId: support.sessionId,
      sessionState: support.session?.state ?? null,
      code: support.session?.code ?? null,
      lastSeenId: support.socket?.lastSeenId ?? 0,
      ...(support.chatView?.snapshot() ?? {}),
    };
  }
}

const app = new AgentApp();
window.__rsTest = Object.freeze({
  dropSocket: () => app.support.socket?.drop(),
  state: () => app.testState(),
  presenter: () => app.support.browserPresenter?.testState() ?? null,
  call: () => app.support.call?.testState() ?? null, // CH9
  callStats: () => app.support.call?.stats() ?? null,
  callAudioChunks: () => app.support.calls?.audioTap?.chunksSent ?? 0, // P9: into the recording
  // What the browser's "Stop sharing" does to the capture: the track ends and fires "ended".
  endCapture: () => {
    const track = app.support.browserPresenter?.stream?.getVideoTracks()[0];
    track?.stop();
    track?.dispatchEvent(new Event("ended"));
  },
  // A4 in seconds instead of minutes, checked every checkMs (tests only; the setting is minutes).
  idleSeconds: (seconds, checkMs = 200) => {
    app._idleOverride = { timeoutMs: seconds * 1000, checkMs };
    return app._startIdle();
  },
  idleDecision: () => app.idle.decide(), // what a check would do now, without doing it
  attention: () => [...app.attention.log], // what each alert did
});
app.start();
