// The agent's page (A1–A6, A9, CH5): log in, the home toolbar (agent info, new support,
// settings, help, admin, logout), and the support itself (SupportView). The same page runs in
// a browser tab served by the relay and in the desktop app's windows; the differences live in
// the backend (backend.js). A desktop chat window (`#...&session=<id>`) shows only its support.
// The bearer token survives a reload (sessionStorage); a 401 anywhere returns to the login.
// One sign-in covers every window: the desktop app's windows share the app's login, and a
// second browser tab asks the first (window_sync.js, window_follow.js); signing out anywhere
// signs out all, and the language follows the account into every window. Short messages and
// preferences live with the account on the relay (account_data.js).

import { byId, showOnly } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { i18n } from "../common/i18n.js";
import { fillIcons } from "../common/icons.js";
import { loadJson, saveJson } from "../common/storage.js";
import "./page_strings.js";
import { AccountData } from "./account_data.js";
import { renderAgentBadge } from "./agent_badge.js";
import { FirstRun } from "./first_run.js";
import { Favourites } from "./favourites.js";
import { Attention, normalizeAttention } from "./attention.js";
import { createBackend } from "./backend.js";
import { startFromHandoff } from "./call_handoff.js";
import { ChatWindow } from "./chat_window.js";
import { takeHandoff } from "./handoff.js";
import { ActivityReporter } from "./idle_logout.js";
import { followDesk } from "./desk.js";
import { LoginForm } from "./login_form.js";
import { ProfilePanel } from "./profile_panel.js";
import { SettingsPanel } from "./settings_panel.js";
import { SignInTimers } from "./sign_in_timers.js";
import { SupportView } from "./support_view.js";
import { installTestHooks } from "./test_hooks.js";
import { ToolViews } from "./tool_views.js";
import { WindowFollow } from "./window_follow.js";
import { WindowTitle, windowTitle } from "./window_title.js";

const AUTH_KEY = "rs.agent.auth";
const SUPPORT_KEY = "rs.agent.support";
const VIEW_KEY = "rs.agent.view"; // the toolbar's view, shown again after a reload
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
    this.title = new WindowTitle(this.backend);
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
      onLockMinutes: () => this.timers.startLock(),
    });
    this.timers = new SignInTimers({
      backend: this.backend,
      chatWindow: this.chatWindow,
      signedIn: () => Boolean(this.auth),
      isLive: () => this._supportLive(),
      onExpire: (minutes) => this.logout("idle.signed_out", { minutes }),
    });
    this.tools = new ToolViews({
      backend: this.backend,
      api,
      token: () => this.auth?.token,
      onOpened: (support) => this._openSupport(support),
      onAuthError,
    });
    this.chatWindowPage = this.chatWindow ? new ChatWindow(this) : null;
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
      // A chat window's end card closes it (the main window starts the next support).
      endActionKey: this.chatWindow ? "end.close_window" : "end.new_support",
      endActionTestId: this.chatWindow ? "end-close-window" : "end-new-support",
      onEndAction: this.chatWindow
        ? () => this.backend.closeSupportWindow(this.backend.windowSessionId)
        : () => this.newSupport(),
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
      await this.chatWindowPage.start();
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
        const support = await this._api("GET", `/api/supports/${open.session_id}`).then(
          (answer) => answer.support,
          (error) => {
            if (error?.code === "session_not_found") {
              return null; // ended meanwhile (its end screen was shown): the last view, no error
            }
            throw error;
          },
        );
        if (support && support.state !== "ended") {
          this._enter(support);
          return;
        }
        saveJson(window.sessionStorage, SUPPORT_KEY, null);
      }
      this._showView(loadJson(window.sessionStorage, VIEW_KEY));
    } catch (error) {
      if (!this._authError(error)) {
        this.showHome();
        this.homeError.show(error);
      }
    }
  }

  /** Show this chat window's support with the app's sign-in (window_follow.js). */
  _openChatWindowSupport() {
    return this.chatWindowPage.openSupport();
  }

  _showChatWindowMessage(key, error) {
    this.chatWindowPage.showMessage(key, error);
  }

  /** A8: while locked the title bar names no customer; the timer rests until unlocked. */
  _lockChanged(locked) {
    this._locked = locked;
    this.timers.lockChanged(locked);
    this._renderTitle();
  }

  /** The page's (and the desktop chat window's) title: the customer, or what the page shows. */
  _renderTitle() {
    const facts = { locked: this._locked, step: this.step, session: this.support?.session };
    this.title.set(windowTitle(facts, (key, params) => i18n.t(key, params)));
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
    delete byId("home-info").dataset.sessionId;
    if (errorKey) {
      this.homeError.showKey(errorKey);
    } else {
      this.homeError.clear();
    }
    byId("new-support-button").focus();
  }

  /** The toolbar's view a reload left (Reservations, History, …), or home. */
  _showView(step) {
    const views = {
      reservations: () => this.showReservations(),
      history: () => this.showHistory(),
      profile: () => this._showProfile(),
      settings: () => this._showSettings(),
    };
    this.showHome();
    views[step]?.();
  }

  _showProfile() {
    this._show("profile");
    this.profile.show(this.auth.agent);
  }

  _showSettings() {
    this._show("settings");
    this.settings.show();
  }

  _wireToolbar() {
    byId("new-support-button").addEventListener("click", () => this.newSupport());
    byId("logout-button").addEventListener("click", () => this.logout());
    byId("profile-button").addEventListener("click", () => this._showProfile());
    byId("history-button").addEventListener("click", () => this.showHistory());
    byId("reservations-button").addEventListener("click", () => this.showReservations());
    byId("settings-button").addEventListener("click", () => this._showSettings());
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

  showHistory() {
    this._show("history");
    this.tools.showHistory();
  }

  showReservations() {
    this._show("reservations");
    this.tools.showReservations();
  }

  /** A support made elsewhere (an opened reservation): waits in its window, or here. */
  async _openSupport(support) {
    if (await this.backend.openSupportWindow(support.session_id)) {
      this.showHome();
      this._saySupportOpened(support);
    } else {
      this._enter(support);
    }
  }

  /** Desktop: "The support (code) opened in its own window", until that window closes. */
  _saySupportOpened(support) {
    i18n.bind(byId("home-info"), "desktop.support_opened", { code: support.code ?? "" });
    byId("home-info").dataset.sessionId = support.session_id;
  }

  /** The app closed a support's chat window: the home page no longer says it is open. */
  supportWindowClosed(sessionId) {
    const info = byId("home-info");
    if (sessionId && info.dataset.sessionId === sessionId) {
      info.textContent = "";
      delete info.dataset.i18n;
      delete info.dataset.sessionId;
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
        this._saySupportOpened(support);
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
    // The end screen too: after a meeting the agent goes on to the history, the
    // reservations or home (not only "New support"); a reload does not come back to it.
    const tools = (TOOL_STEPS.has(step) || step === "end") && !this.chatWindow;
    if (tools && step !== "end") {
      saveJson(window.sessionStorage, VIEW_KEY, step);
      saveJson(window.sessionStorage, SUPPORT_KEY, null); // a tool view: no support here now
    }
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
    this.timers.signInChanged(signedInBefore !== Boolean(this.auth));
  }

  // ---------- Automatic logout (A4) ----------

  /** A support here is waiting for or chatting with a customer. */
  _supportLive() {
    const support = this.support;
    return Boolean(support?.sessionId) && !support.ended && ["waiting", "chat"].includes(this.step);
  }

  /** (Re)start the idle timer with `minutes`, or the saved setting (window_follow.js). */
  _startIdle(minutes) {
    return this.timers.startIdle(minutes);
  }

  _renderMe() {
    return renderAgentBadge(this.auth?.agent, (url) => this.backend.photoSrc(url));
  }

  _setBusy(busy) {
    this._busy = busy;
    const button = byId("new-support-button");
    button.disabled = busy;
    i18n.bind(button.querySelector("[data-i18n]"), busy ? "home.creating" : "home.new_support");
  }

}

const app = new AgentApp();
installTestHooks(app);
app.start();
