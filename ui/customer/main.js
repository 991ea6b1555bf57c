// The relay page (C1, C2, C4): join by access code or icon number, chat with the agent, see the
// end screen. One page, three steps, no reload. A reload during the chat reconnects into it
// (the session is kept in sessionStorage until the end).

import { ChatView } from "../common/chat/chat_view.js";
import { byId, element, setAvatar, showOnly, showUnreadInTitle } from "../common/dom.js";
import { EndView } from "../common/end_view.js";
import { ErrorMessage } from "../common/error_message.js";
import { ApiError, requestJson } from "../common/http.js";
import { i18n } from "../common/i18n.js";
import { fillIcons } from "../common/icons.js";
import {
  ACCESS_CODE_DIGITS,
  CloseCode,
  MAX_NAME_CHARS,
  MessageType,
  formatAccessCode,
} from "../common/protocol.js";
import { SessionSocket } from "../common/session_socket.js";
import { attachChatFiles } from "../common/files/customer_files.js";
import { attachPrintRequests } from "../common/print/print_requests.js";
import { PresentationPrompt } from "../common/screen/request.js";
import { loadJson, saveJson } from "../common/storage.js";
import { CALL_STRINGS } from "../common/strings/call_strings.js";
import { CHAT_STRINGS } from "../common/strings/chat_strings.js";
import { CUSTOMER_STRINGS } from "../common/strings/customer_strings.js";
import { FAVOURITE_STRINGS } from "../common/strings/favourite_strings.js";
import { FILE_STRINGS } from "../common/strings/file_strings.js";
import { KNOCK_STRINGS } from "../common/strings/knock_strings.js";
import { PARTICIPANT_STRINGS } from "../common/strings/participant_strings.js";
import { RESERVATION_STRINGS } from "../common/strings/reservation_strings.js";
import { RosterView } from "../common/chat/roster_view.js";
import { SCREEN_STRINGS } from "../common/strings/screen_strings.js";
import { WHITEBOARD_STRINGS } from "../common/strings/whiteboard_strings.js";
import { WhiteboardSession } from "../common/whiteboard/whiteboard_session.js";

import { CustomerCall, redeemCallHandoff, takeCallHandoff } from "./customer_call.js"; // CH9
import { forgetLinkInAddress, linkSecret, showInvitation } from "./invitation_link.js";
import { MeetingPage } from "./meeting_page.js";
import { RecordingMark } from "../common/recording_mark.js"; // P9
import { RECORDING_STRINGS } from "../common/strings/recording_strings.js";
import { ViewerDownloadOffer } from "./viewer_download.js"; // one-time viewer (P1)

i18n.addStrings(
  RECORDING_STRINGS,
  CALL_STRINGS,
  CHAT_STRINGS,
  CUSTOMER_STRINGS,
  FAVOURITE_STRINGS,
  FILE_STRINGS,
  KNOCK_STRINGS,
  PARTICIPANT_STRINGS,
  RESERVATION_STRINGS,
  SCREEN_STRINGS,
  WHITEBOARD_STRINGS,
);

const STORAGE_KEY = "rs.customer.session";
const KNOCK_STORAGE_KEY = "rs.customer.knock"; // a reload keeps waiting for the agent
const WAITING_REFRESH_MS = 5000;
const KNOCK_POLL_WAIT_S = 20; // the relay answers at once when the agent does
const KNOCK_RETRY_MS = 2000; // after a failed poll (network); the knock itself lives 5 min

function loadStored() {
  const stored = loadJson(window.sessionStorage, STORAGE_KEY);
  return stored?.session_id && stored?.customer_token ? stored : null;
}

class CustomerApp {
  constructor() {
    this.step = "join";
    this.session = null; // {session_id, customer_token, last_seen_id, agent}
    this.socket = null;
    this.chatView = null;
    this.presentation = null;
    this.ended = false;
    this._waitingTimer = null;
    this._waitingGeneration = 0;
    this._waitingShown = "";
    this._busy = false;
    this.panels = [
      byId("join-panel"),
      byId("knock-panel"),
      byId("chat-panel"),
      byId("end-panel"),
      byId("notice-panel"),
      byId("meeting-panel"),
    ];
    this._knock = null; // {secret, via, agent} while asking the agent to let us in
    this.joinError = new ErrorMessage(byId("join-error"), i18n, {
      onWaitChange: () => this._renderJoinButton(),
    });
    this.endView = new EndView(byId("end-panel"), {
      i18n,
      role: "customer",
      actionKey: "end.join_again",
      onAction: () => this.showJoin(),
    });
  }

  start() {
    i18n.attachSwitcher(byId("language-select"));
    i18n.apply();
    fillIcons();
    i18n.onChange(() => this._renderStatus());
    this._wireJoinForm();
    this._wireEndDialog();
    byId("knock-cancel").addEventListener("click", () => this._cancelKnock());
    const query = new URLSearchParams(window.location.search);
    const code = query.get("code") ?? "";
    // A personal invitation link (?invite=<secret>): one seat, no code to type.
    this.invitation = linkSecret(query, "invite");
    showInvitation(this.invitation !== null);
    byId("code-input").value = formatAccessCode(code.replace(/\D/g, "").slice(0, ACCESS_CODE_DIGITS));
    const stored = loadStored();
    const knock = loadJson(window.sessionStorage, KNOCK_STORAGE_KEY);
    const meet = linkSecret(query, "meet"); // a reservation's personal link (A11)
    const handoff = takeCallHandoff(); // CH9: the one-time viewer's call, held in this browser
    if (handoff) {
      this._enterFromHandoff(handoff);
    } else if (stored) {
      this.enterChat(stored);
    } else if (meet) {
      this._showMeeting(meet);
    } else if (knock?.secret) {
      this._showKnock(knock);
    } else {
      this.showJoin();
    }
  }

  /** CH9: the viewer's seat from its one-time link; the handed-over call is answered here. */
  async _enterFromHandoff({ ticket, callId }) {
    try {
      const seat = await redeemCallHandoff(ticket);
      this._autoAnswer = callId;
      this.enterChat({ session_id: seat.session_id, customer_token: seat.customer_token, last_seen_id: 0 });
    } catch (error) {
      this.showJoin();
      this.joinError.show(error);
    }
  }

  // ---------- Step 1: join ----------

  showJoin(errorKey) {
    this._leaveChat();
    this.step = "join";
    showOnly(this.panels, byId("join-panel"));
    if (errorKey) {
      this.joinError.showKey(errorKey);
    } else {
      this.joinError.clear();
    }
    this._refreshWaiting();
    const input = byId("code-input");
    if (this._codeDigits().length === ACCESS_CODE_DIGITS) {
      byId("join-button").focus();
    } else {
      input.focus();
    }
  }

  _wireJoinForm() {
    const input = byId("code-input");
    // The limits come from protocol.js, not the markup; room for the spaces or dashes of a
    // typed or pasted "482 913 706" / "482-913-706" (the input handler keeps the digits).
    input.maxLength = 2 * ACCESS_CODE_DIGITS + 2;
    byId("name-input").maxLength = MAX_NAME_CHARS;
    input.addEventListener("input", () => {
      // Grouped as typed ("482 913 706"), the caret kept after the same digit.
      const caret = input.selectionStart ?? input.value.length;
      const digitsBefore = input.value.slice(0, caret).replace(/\D/g, "").length;
      const shown = formatAccessCode(input.value.replace(/\D/g, "").slice(0, ACCESS_CODE_DIGITS));
      if (shown !== input.value) {
        input.value = shown;
        let position = 0;
        for (let seen = 0; position < shown.length && seen < digitsBefore; position += 1) {
          if (/\d/.test(shown[position])) {
            seen += 1;
          }
        }
        input.setSelectionRange(position, position);
      }
      input.removeAttribute("aria-invalid");
      if (!this.joinError.waiting) {
        this.joinError.clear();
      }
    });
    byId("join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.invitation) {
        this._join({ invitation: this.invitation });
        return;
      }
      const code = this._codeDigits();
      if (code.length !== ACCESS_CODE_DIGITS) {
        input.setAttribute("aria-invalid", "true");
        this.joinError.showKey("join.code_incomplete");
        input.focus();
        return;
      }
      this._join({ code });
    });
  }

  async _join(target) {
    if (this._busy || this.joinError.waiting) {
      return;
    }
    this._busy = true;
    this._renderJoinButton();
    const name = byId("name-input").value.trim();
    try {
      const joined = await requestJson("POST", "/api/join", {
        body: name ? { ...target, name } : target,
      });
      if (joined.status === "knocking") {
        this._showKnock({ secret: joined.knock_secret, via: joined.knock.via, agent: joined.agent });
        return;
      }
      if (target.invitation) {
        // Used up: a reload or "Join again" must not send it again.
        this.invitation = null;
        showInvitation(false);
        forgetLinkInAddress();
      }
      this.enterChat({
        session_id: joined.session_id,
        customer_token: joined.customer_token,
        last_seen_id: 0,
        agent: joined.agent,
      });
    } catch (error) {
      if (!(error instanceof ApiError)) {
        console.error("join failed", error);
      }
      this.joinError.show(error);
      if (target.code && ["invalid_code", "code_used", "code_expired"].includes(error.code)) {
        byId("code-input").setAttribute("aria-invalid", "true");
      }
      if (error.code === "icon_not_found") {
        this._refreshWaiting();
      }
    } finally {
      this._busy = false;
      this._renderJoinButton();
    }
  }

  /** A reservation's link: wait on its page, enter when the agent opens the meeting. */
  _showMeeting(secret) {
    this.step = "meeting";
    showOnly(this.panels, byId("meeting-panel"));
    const page = new MeetingPage({
      secret,
      i18n,
      onJoined: (joined) => {
        forgetLinkInAddress();
        this.enterChat({
          session_id: joined.session_id,
          customer_token: joined.customer_token,
          last_seen_id: 0,
          agent: joined.agent,
        });
      },
      onError: (error) => {
        forgetLinkInAddress();
        this.showJoin();
        this.joinError.show(error);
      },
    });
    page.start();
  }

  _codeDigits() {
    return byId("code-input").value.replace(/\D/g, "");
  }

  // ---------- Step 1b: knocking (the agent lets us in) ----------

  _showKnock(knock) {
    this._leaveChat();
    clearTimeout(this._waitingTimer);
    this._waitingGeneration += 1;
    this.step = "knock";
    this._knock = knock;
    saveJson(window.sessionStorage, KNOCK_STORAGE_KEY, knock);
    showOnly(this.panels, byId("knock-panel"));
    const name = knock.agent?.name || i18n.t("customer.agent_unknown");
    i18n.bind(byId("knock-title"), "knock.title", { name });
    i18n.bind(byId("knock-body"), knock.via === "code" ? "knock.body_code" : "knock.body");
    byId("knock-title").focus();
    this._pollKnock(knock);
  }

  async _pollKnock(knock) {
    while (this._knock === knock) {
      let answer;
      try {
        answer = await requestJson(
          "GET",
          `/api/knocks/${encodeURIComponent(knock.secret)}?wait_s=${KNOCK_POLL_WAIT_S}`,
        );
      } catch (error) {
        if (this._knock !== knock) {
          return;
        }
        if (error instanceof ApiError && error.code === "knock_not_found") {
          this._endKnock("knock.lost");
          return;
        }
        console.warn("asking for the knock's answer failed:", error.message);
        await new Promise((resolve) => setTimeout(resolve, KNOCK_RETRY_MS));
        continue;
      }
      if (this._knock !== knock) {
        return;
      }
      const state = answer.knock?.state;
      if (state === "admitted") {
        this._forgetKnock();
        this.enterChat({
          session_id: answer.session_id,
          customer_token: answer.customer_token,
          last_seen_id: 0,
          agent: answer.agent ?? knock.agent,
        });
        return;
      }
      if (state === "refused") {
        const reason = answer.knock.reason;
        this._endKnock(reason === "agent" ? "knock.refused" : `knock.${reason}`);
        return;
      }
      if (state === "expired" || state === "withdrawn") {
        this._endKnock(state === "expired" ? "knock.expired" : undefined);
        return;
      }
    }
  }

  _forgetKnock() {
    this._knock = null;
    saveJson(window.sessionStorage, KNOCK_STORAGE_KEY, null);
  }

  /** Back to the form, saying why (an i18n key) when there is something to say. */
  _endKnock(errorKey) {
    this._forgetKnock();
    this.showJoin(errorKey);
  }

  async _cancelKnock() {
    const knock = this._knock;
    this._endKnock();
    if (knock) {
      try {
        await requestJson("DELETE", `/api/knocks/${encodeURIComponent(knock.secret)}`);
      } catch (error) {
        console.warn("withdrawing the knock failed:", error.message); // it expires by itself
      }
    }
  }

  _renderJoinButton() {
    const button = byId("join-button");
    button.disabled = this._busy || this.joinError.waiting;
    i18n.bind(button, this._busy ? "join.joining" : "join.button");
    for (const iconButton of byId("icons-grid").querySelectorAll("button")) {
      iconButton.disabled = button.disabled;
    }
  }

  async _refreshWaiting() {
    clearTimeout(this._waitingTimer);
    const generation = ++this._waitingGeneration; // a newer refresh supersedes this one
    if (this.step !== "join" || this.invitation) {
      return;
    }
    try {
      const waiting = await requestJson("GET", "/api/waiting");
      if (generation === this._waitingGeneration && this.step === "join") {
        this._renderWaiting(waiting);
      }
    } catch (error) {
      console.warn("could not list waiting agents:", error.message);
    }
    if (generation === this._waitingGeneration && this.step === "join") {
      this._waitingTimer = setTimeout(() => this._refreshWaiting(), WAITING_REFRESH_MS);
    }
  }

  _renderWaiting(waiting) {
    const section = byId("icons-section");
    section.hidden = !waiting.icons_enabled;
    const agents = waiting.icons_enabled ? (waiting.agents ?? []) : [];
    const shown = JSON.stringify(agents);
    if (shown === this._waitingShown) {
      return; // unchanged: keep the buttons (and keyboard focus) where they are
    }
    this._waitingShown = shown;
    const grid = byId("icons-grid");
    grid.replaceChildren(
      ...agents.map((agent) => {
        const button = element("button", "cust-icon", {
          type: "button",
          "data-testid": `agent-icon-${agent.icon}`,
          "data-i18n-aria-label": "join.icon_aria",
        });
        button.dataset.i18nParams = JSON.stringify({ icon: agent.icon, name: agent.name });
        button.setAttribute("aria-label", i18n.t("join.icon_aria", agent));
        const subtitle = [agent.title, agent.company].filter(Boolean).join(" · ");
        const number = element("span", "cust-icon__number", { "aria-hidden": "true" }, String(agent.icon));
        button.append(number, element("span", "cust-icon__name", {}, agent.name));
        if (agent.photo_url) {
          const photo = element("img", "cust-icon__photo", {
            src: agent.photo_url,
            alt: "",
            "data-testid": "agent-icon-photo",
          });
          photo.addEventListener("error", () => photo.remove());
          number.after(photo);
        }
        button.append(element("span", "cust-icon__meta", {}, subtitle));
        button.addEventListener("click", () => this._join({ icon: agent.icon }));
        const item = element("li");
        item.append(button);
        return item;
      }),
    );
    byId("icons-empty").hidden = agents.length > 0;
    this._renderJoinButton();
  }

  // ---------- Step 2: chat ----------

  enterChat(session) {
    this._leaveChat();
    clearTimeout(this._waitingTimer);
    this._waitingGeneration += 1;
    this.step = "chat";
    this.ended = false;
    this.session = session;
    this._save();
    this._renderAgent(session.agent);
    showOnly(this.panels, byId("chat-panel"));
    // The transcript lives in the page, so a fresh page asks for the whole history; the
    // socket resumes from its last seen id on its own reconnects.
    const socket = new SessionSocket({
      role: "customer",
      sessionId: session.session_id,
      token: session.customer_token,
    });
    this.socket = socket;
    this.chatView = new ChatView(byId("chat-container"), {
      socket,
      role: "customer",
      i18n,
      onUnread: (count) => showUnreadInTitle(count),
    });
    // Several customers: who else is here, each with the colour of their messages.
    this.roster?.destroy();
    this.roster = new RosterView({
      participants: this.chatView.participants,
      i18n,
      anchor: byId("chat-container"),
    });
    this.presentation = new PresentationPrompt({
      socket,
      chatView: this.chatView,
      i18n,
      anchor: byId("chat-container"),
    });
    // Files both ways (P4): the agent's files to download, and a "Send file" button.
    this.files?.destroy();
    this.files = attachChatFiles({
      i18n,
      session,
      socket,
      chatView: this.chatView,
      buttonBefore: byId("end-button"),
      dropTarget: byId("chat-panel"),
    });
    // Remote print: the agent's request waits for this customer's Print (or Decline).
    this._offPrint?.();
    this._offPrint = attachPrintRequests({
      i18n, socket, chatView: this.chatView, role: "customer", request: this.files.request,
    });
    new ViewerDownloadOffer({ prompt: this.presentation, token: session.customer_token, i18n });
    // CH3: the shared whiteboard: asked above the chat, then beside it (above it on a phone).
    this.whiteboard?.destroy();
    this.whiteboard = new WhiteboardSession({
      socket,
      i18n,
      role: "customer",
      chatView: this.chatView,
      host: byId("chat-split"),
      layout: byId("chat-split"),
      buttonBefore: byId("end-button"),
      promptAnchor: byId("chat-container"),
      request: (method, path, options) =>
        requestJson(method, path, {
          ...options,
          headers: { Authorization: `Customer ${session.customer_token}` },
        }),
      fetchBmp: async () => {
        const reply = await fetch(`/api/sessions/${encodeURIComponent(session.session_id)}/whiteboard.bmp`, {
          headers: { Authorization: `Customer ${session.customer_token}` },
        });
        if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
        return reply.blob();
      },
    });
    // Voice and video (CH9): rings here and in the viewer; the page that answers holds it.
    this.call = new CustomerCall({ socket, i18n, panel: byId("chat-panel"), autoAnswer: this._autoAnswer });
    this._autoAnswer = null;
    socket.on("status", (status) => this._onStatus(status));
    this.recordingMark ??= new RecordingMark({ i18n, parent: byId("agent-role").parentElement });
    this.recordingMark.set(false);
    this.recordingMark.attach(socket);
    socket.on(MessageType.WELCOME, (welcome) => {
      this._renderAgent(welcome.session?.agent ?? this.session.agent);
      this._rememberSeen();
    });
    socket.on(MessageType.CHAT_MESSAGE, () => this._rememberSeen());
    socket.on(MessageType.SESSION_UPDATED, (update) => this._renderAgent(update.session?.agent));
    socket.on(MessageType.SESSION_ENDED, (ended) => this.showEnd(ended));
    socket.connect();
    this.chatView.focus();
  }

  _renderAgent(agent) {
    if (!agent) {
      return;
    }
    this.session.agent = { ...this.session.agent, ...agent };
    this._save();
    agent = this.session.agent;
    const name = agent.name || i18n.t("customer.agent_unknown");
    byId("agent-name").textContent = name;
    const avatar = byId("agent-avatar");
    const shown = JSON.stringify([name, agent.photo_url ?? ""]);
    if (avatar.dataset.shown !== shown) {
      avatar.dataset.shown = shown; // redraw only on a change: no flicker on every update
      setAvatar(avatar, name, agent.photo_url); // photo_url is relative to the relay: this origin
    }
    byId("agent-role").textContent = [agent.title, agent.company].filter(Boolean).join(" · ");
    this._renderContact(agent);
  }

  /** The agent's phone and e-mail as tel: / mailto: links (profile text, never markup). */
  _renderContact({ phone, email }) {
    const links = [];
    if (typeof phone === "string" && phone.trim()) {
      const dial = phone.replace(/[^0-9+]/g, "");
      links.push(element("a", "cust-chat__contact-link", { href: `tel:${dial}`, "data-testid": "agent-phone" }, phone));
    }
    if (typeof email === "string" && /^[^\s@<>"]+@[^\s@<>"]+$/.test(email)) {
      const href = `mailto:${encodeURIComponent(email).replace("%40", "@")}`;
      links.push(element("a", "cust-chat__contact-link", { href, "data-testid": "agent-email" }, email));
    }
    const box = byId("agent-contact");
    box.replaceChildren(...links);
    box.hidden = links.length === 0;
  }

  _onStatus({ status, code }) {
    this._renderStatus();
    byId("end-button").disabled = status !== "online";
    if (status !== "closed" || this.ended) {
      return;
    }
    if (code === CloseCode.SESSION_ENDED) {
      this.showEnd({ agent_name: this.session?.agent?.name });
    } else if (code === CloseCode.UNAUTHORIZED || code === CloseCode.SESSION_NOT_FOUND) {
      this._forget();
      this.showJoin("join.session_lost");
    } else if (code === CloseCode.REMOVED) {
      this._forget();
      this._showNotice("customer.removed_title", "customer.removed_body", "end.join_again", () =>
        this.showJoin(),
      );
    } else if (code === CloseCode.REPLACED) {
      const session = this.session;
      this._showNotice("customer.replaced_title", "customer.replaced_body", "common.use_here", () =>
        this.enterChat(session),
      );
    } else if (code === CloseCode.UNSUPPORTED_VERSION) {
      this._showNotice("error.unsupported_version", null, "common.reload", () =>
        window.location.reload(),
      );
    }
  }

  _renderStatus() {
    const badge = byId("connection-status");
    const status = this.socket?.status ?? "closed";
    badge.dataset.status = status;
    i18n.bind(badge, `status.${status}`);
  }

  _wireEndDialog() {
    const dialog = byId("end-dialog");
    byId("end-button").addEventListener("click", () => {
      // With other customers in the session, ending only lets this one leave.
      const others = (this.chatView?.participants.customers().length ?? 0) > 1;
      i18n.bind(byId("end-dialog-title"), others ? "people.leave_confirm_title" : "end.confirm_title");
      i18n.bind(byId("end-dialog-body"), others ? "people.leave_confirm_body" : "end.confirm_body");
      i18n.bind(byId("end-dialog").querySelector("[data-testid=end-confirm]"), others ? "people.leave_yes" : "end.confirm_yes");
      dialog.showModal();
    });
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "confirm") {
        this.socket?.send(MessageType.END_SESSION);
      }
      dialog.returnValue = "";
    });
  }

  _rememberSeen() {
    if (this.session && this.socket) {
      this.session.last_seen_id = this.socket.lastSeenId;
      this._save();
    }
  }

  _save() {
    saveJson(window.sessionStorage, STORAGE_KEY, this.session);
  }

  _forget() {
    saveJson(window.sessionStorage, STORAGE_KEY, null);
  }

  _leaveChat() {
    this.call?.destroy(); // CH9: release the microphone and camera
    this.call = null;
    this.socket?.close();
    this.chatView?.destroy();
    this.roster?.destroy();
    this.roster = null;
    this.presentation?.destroy();
    this.whiteboard?.destroy(); // CH3
    this.whiteboard = null;
    this.socket = null;
    this.chatView = null;
    this.presentation = null;
    if (byId("end-dialog").open) {
      byId("end-dialog").close();
    }
  }

  // ---------- Step 3: the end ----------

  showEnd(ended) {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this._forget();
    this.chatView?.setEnabled(false);
    this._leaveChat();
    this.step = "end";
    byId("code-input").value = "";
    window.history.replaceState(null, "", window.location.pathname);
    showOnly(this.panels, byId("end-panel"));
    this.endView.show(ended);
  }

  _showNotice(titleKey, bodyKey, actionKey, onAction) {
    this._leaveChat();
    this.step = "notice";
    showOnly(this.panels, byId("notice-panel"));
    i18n.bind(byId("notice-title"), titleKey);
    const body = byId("notice-body");
    body.hidden = !bodyKey;
    if (bodyKey) {
      i18n.bind(body, bodyKey);
    }
    const action = byId("notice-action");
    i18n.bind(action, actionKey);
    action.onclick = onAction;
    byId("notice-title").focus();
  }

  /** What the e2e tests read through window.__rsTest.state(). */
  testState() {
    return {
      step: this.step,
      status: this.socket?.status ?? "closed",
      sessionId: this.session?.session_id ?? null,
      lastSeenId: this.socket?.lastSeenId ?? 0,
      ...(this.chatView?.snapshot() ?? {}),
    };
  }
}

const app = new CustomerApp();
window.__rsTest = Object.freeze({
  dropSocket: () => app.socket?.drop(),
  state: () => app.testState(),
  call: () => app.call?.testState() ?? null, // CH9
  callStats: () => app.call?.stats() ?? null,
});
app.start();
