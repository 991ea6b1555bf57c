// The agent's page (A1, A3, A4, CH1, C4): log in, start a support session, wait with the
// access code, chat with the customer, remove the customer or end. The bearer token and the
// open session survive a reload (sessionStorage); a 401 anywhere returns to the login form.

import { ChatView } from "/ui/common/chat_view.js";
import { initials, showOnly, showUnreadInTitle } from "/ui/common/dom.js";
import { EndView } from "/ui/common/end_view.js";
import { ErrorMessage } from "/ui/common/error_message.js";
import { requestJson } from "/ui/common/http.js";
import { i18n } from "/ui/common/i18n.js";
import { fillIcons } from "/ui/common/icons.js";
import { CloseCode, MessageType } from "/ui/common/protocol.js";
import { SessionSocket } from "/ui/common/session_socket.js";
import { loadJson, saveJson } from "/ui/common/storage.js";
import { LoginForm } from "/ui/agent/login_form.js";
import { WaitingPanel } from "/ui/agent/waiting_panel.js";

const AUTH_KEY = "rs.agent.auth";
const SUPPORT_KEY = "rs.agent.support";

const $ = (id) => document.getElementById(id);

class AgentApp {
  constructor() {
    this.auth = loadJson(window.sessionStorage, AUTH_KEY); // {token, agent}
    this.step = "login";
    this.sessionId = null;
    this.session = null; // the websocket `session` object
    this.socket = null;
    this.chatView = null;
    this.ended = false;
    this._busy = false;
    this.panels = ["login-panel", "home-panel", "waiting-panel", "chat-panel", "end-panel"].map($);
    this.loginForm = new LoginForm({
      i18n,
      onLogin: (auth) => {
        this.auth = auth;
        this._saveAuth();
        this.showHome();
      },
    });
    this.homeError = new ErrorMessage($("home-error"), i18n);
    this.waiting = new WaitingPanel({
      i18n,
      onRenew: () => this.socket?.send(MessageType.RENEW_CODE),
    });
    this.endView = new EndView($("end-panel"), {
      i18n,
      role: "agent",
      actionKey: "end.new_support",
      actionTestId: "end-new-support",
      onAction: () => this.newSupport(),
    });
  }

  async start() {
    i18n.attachSwitcher($("language-select"));
    i18n.apply();
    fillIcons();
    i18n.onChange(() => this._renderStatus());
    this._wireHome();
    this._wireDialogs();
    if (!this.auth?.token) {
      this.showLogin();
      return;
    }
    try {
      const me = await this._api("GET", "/api/me");
      this.auth.agent = me.agent;
      this._saveAuth();
      const open = loadJson(window.sessionStorage, SUPPORT_KEY);
      if (open?.session_id) {
        const { support } = await this._api("GET", `/api/supports/${open.session_id}`);
        if (support.state !== "ended") {
          this.enterSupport(support);
          return;
        }
      }
      this.showHome();
    } catch (error) {
      this._handleError(error, this.homeError, () => this.showHome());
    }
  }

  // ---------- Login, home, logout ----------

  showLogin(messageKey) {
    this._leaveSupport();
    this.auth = null;
    this._saveAuth();
    this.step = "login";
    this._renderMe();
    showOnly(this.panels, $("login-panel"));
    this.loginForm.reset(messageKey);
  }

  showHome(errorKey) {
    this._leaveSupport();
    this.step = "home";
    this._renderMe();
    showOnly(this.panels, $("home-panel"));
    const agent = this.auth.agent ?? {};
    i18n.bind($("home-title"), "home.greeting", { name: agent.name || agent.username });
    $("home-role").textContent = [agent.title, agent.company].filter(Boolean).join(" · ");
    $("home-avatar").textContent = initials(agent.name || agent.username);
    $("home-action").hidden = true;
    if (errorKey) {
      this.homeError.showKey(errorKey);
    } else {
      this.homeError.clear();
    }
    $("new-support-button").focus();
  }

  _wireHome() {
    $("new-support-button").addEventListener("click", () => this.newSupport());
    $("logout-button").addEventListener("click", () => this.logout());
  }

  async newSupport() {
    if (this._busy) {
      return;
    }
    if (this.step !== "home") {
      this.showHome();
    }
    this._setBusy($("new-support-button"), "home.creating", "home.new_support", true);
    try {
      const { support } = await this._api("POST", "/api/supports");
      this.enterSupport(support);
    } catch (error) {
      this._handleError(error, this.homeError);
    } finally {
      this._setBusy($("new-support-button"), "home.creating", "home.new_support", false);
    }
  }

  async logout() {
    const token = this.auth?.token;
    if (this.socket?.online && this.step === "waiting") {
      this.socket.send(MessageType.END_SESSION); // do not leave a live code behind
    }
    this.showLogin();
    if (token) {
      requestJson("POST", "/api/logout", { token }).catch((error) => {
        console.warn("logout did not reach the relay:", error.message);
      });
    }
  }

  // ---------- A support session ----------

  enterSupport(support) {
    this._leaveSupport();
    this.ended = false;
    this.sessionId = support.session_id;
    saveJson(window.sessionStorage, SUPPORT_KEY, { session_id: support.session_id });
    const socket = new SessionSocket({
      role: "agent",
      sessionId: support.session_id,
      token: this.auth.token,
    });
    this.socket = socket;
    this.chatView = new ChatView($("chat-container"), {
      socket,
      role: "agent",
      i18n,
      onUnread: (count) => showUnreadInTitle(count),
    });
    socket.on("status", (status) => this._onStatus(status));
    socket.on(MessageType.WELCOME, (welcome) => this._applySession(welcome.session));
    socket.on(MessageType.SESSION_UPDATED, (update) => this._applySession(update.session));
    socket.on(MessageType.CUSTOMER_REMOVED, (update) => {
      const name = this.session?.customer_name || i18n.t("role.customer");
      this.chatView.addNotice("agent.removed_notice", { name });
      this._applySession(update.session);
    });
    socket.on(MessageType.PARTICIPANT_JOINED, (joined) => {
      if (joined.role === "customer") {
        this._applySession({ ...this.session, state: "active", customer_name: joined.name });
      }
    });
    socket.on(MessageType.SESSION_ENDED, (ended) => this.showEnd(ended));
    // The HTTP `support` object has the same code and invitation fields as `session`.
    const { session_id: id, ...fields } = support;
    this._applySession({ id, ...fields, customer_name: null });
    socket.connect();
    this._renderStatus();
  }

  /** Show the waiting panel or the chat, whichever the session's state asks for. */
  _applySession(session) {
    if (!session || this.ended) {
      return;
    }
    const previous = this.session;
    this.session = { ...previous, ...session };
    if (this.session.state === "ended") {
      return; // session_ended follows with the summary
    }
    if (this.session.state === "waiting") {
      // The agent's `session` carries the code and the invitation text built for it.
      this.waiting.setSupport(this.session);
      this._show("waiting");
      return;
    }
    const name = this.session.customer_name || i18n.t("role.customer");
    $("customer-name").textContent = name;
    $("customer-avatar").textContent = initials(name);
    const since = this.session.started_at;
    $("customer-since").textContent =
      typeof since === "number" ? i18n.t("agent.customer_since", { time: i18n.formatTime(since) }) : "";
    if (this.step !== "chat") {
      this._show("chat");
      this.chatView.focus();
    }
  }

  _show(step) {
    this.step = step;
    showOnly(this.panels, $(`${step}-panel`));
    this.waiting.setActive(step === "waiting");
  }

  _onStatus({ status, code }) {
    this._renderStatus();
    const online = status === "online";
    for (const id of ["end-button", "remove-customer", "cancel-support"]) {
      $(id).disabled = !online;
    }
    if (status !== "closed" || this.ended) {
      return;
    }
    if (code === CloseCode.SESSION_ENDED) {
      this.showEnd({ agent_name: this.auth?.agent?.name, customer_name: this.session?.customer_name });
    } else if (code === CloseCode.UNAUTHORIZED) {
      this.showLogin("error.unauthorized");
    } else if (code === CloseCode.SESSION_NOT_FOUND) {
      saveJson(window.sessionStorage, SUPPORT_KEY, null);
      this.showHome("error.session_not_found");
    } else if (code === CloseCode.REPLACED) {
      const sessionId = this.sessionId;
      this.showHome("agent.replaced");
      const action = $("home-action");
      i18n.bind(action, "common.use_here");
      action.hidden = false;
      action.onclick = () => this._resume(sessionId);
    } else if (code === CloseCode.UNSUPPORTED_VERSION) {
      this.showHome("error.unsupported_version");
    }
  }

  async _resume(sessionId) {
    try {
      const { support } = await this._api("GET", `/api/supports/${sessionId}`);
      this.enterSupport(support);
    } catch (error) {
      this._handleError(error, this.homeError);
    }
  }

  _renderStatus() {
    const badge = $("connection-status");
    badge.hidden = this.socket === null;
    if (this.socket) {
      badge.dataset.status = this.socket.status;
      i18n.bind(badge, `status.${this.socket.status}`);
    }
  }

  _wireDialogs() {
    const bind = (buttonIds, dialogId, onConfirm) => {
      const dialog = $(dialogId);
      for (const id of buttonIds) {
        $(id).addEventListener("click", () => dialog.showModal());
      }
      dialog.addEventListener("close", () => {
        if (dialog.returnValue === "confirm") {
          onConfirm();
        }
        dialog.returnValue = "";
      });
    };
    bind(["end-button", "cancel-support"], "end-dialog", () =>
      this.socket?.send(MessageType.END_SESSION),
    );
    bind(["remove-customer"], "remove-dialog", () =>
      this.socket?.send(MessageType.REMOVE_CUSTOMER),
    );
  }

  showEnd(ended) {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this._leaveSupport();
    this.step = "end";
    showOnly(this.panels, $("end-panel"));
    this.endView.show(ended);
  }

  _leaveSupport() {
    this.socket?.close();
    this.chatView?.destroy();
    this.socket = null;
    this.chatView = null;
    this.session = null;
    this.sessionId = null;
    this.waiting.setActive(false);
    saveJson(window.sessionStorage, SUPPORT_KEY, null);
    for (const dialog of document.querySelectorAll("dialog[open]")) {
      dialog.close();
    }
    this._renderStatus();
  }

  // ---------- Helpers ----------

  async _api(method, path) {
    return requestJson(method, path, { token: this.auth?.token });
  }

  /** Show an API failure; a 401 means the token is gone, so back to the login form. */
  _handleError(error, box, after) {
    if (error.code === "unauthorized" || error.status === 401) {
      this.showLogin("error.unauthorized");
      return;
    }
    after?.();
    box.show(error);
  }

  _renderMe() {
    const agent = this.auth?.agent;
    $("agent-me").hidden = !agent;
    $("logout-button").hidden = !agent;
    if (agent) {
      $("agent-me-name").textContent = agent.name || agent.username;
      $("agent-me-avatar").textContent = initials(agent.name || agent.username);
    }
  }

  _saveAuth() {
    saveJson(window.sessionStorage, AUTH_KEY, this.auth?.token ? this.auth : null);
  }

  _setBusy(button, busyKey, idleKey, busy) {
    this._busy = busy;
    button.disabled = busy;
    const label = button.querySelector("[data-i18n]") ?? button;
    i18n.bind(label, busy ? busyKey : idleKey);
  }

  /** What the e2e tests read through window.__rsTest.state(). */
  testState() {
    return {
      step: this.step,
      status: this.socket?.status ?? "closed",
      sessionId: this.sessionId,
      sessionState: this.session?.state ?? null,
      code: this.session?.code ?? null,
      lastSeenId: this.socket?.lastSeenId ?? 0,
      ...(this.chatView?.snapshot() ?? {}),
    };
  }
}

const app = new AgentApp();
window.__rsTest = Object.freeze({
  dropSocket: () => app.socket?.drop(),
  state: () => app.testState(),
});
app.start();
