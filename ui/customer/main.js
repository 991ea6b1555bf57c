// The relay page (C1, C2, C4): join by access code or icon number, chat with the agent, see the
// end screen. One page, three steps, no reload. A reload during the chat reconnects into it
// (the session is kept in sessionStorage until the end).

import { ChatView } from "../common/chat/chat_view.js";
import { RosterView } from "../common/chat/roster_view.js";
import { byId, showOnly, showUnreadInTitle } from "../common/dom.js";
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
  sessionReservation,
} from "../common/protocol.js";
import { SessionSocket } from "../common/session_socket.js";
import { sessionTestState, showConnectionStatus } from "../common/session_page.js";
import { attachChatFiles } from "../common/files/customer_files.js";
import { attachPrintRequests } from "../common/print/print_requests.js";
import { RecordingMark } from "../common/recording_mark.js"; // P9
import { PresentationPrompt } from "../common/screen/request.js";
import { loadJson, saveJson } from "../common/storage.js";
import { WhiteboardSession } from "../common/whiteboard/whiteboard_session.js";
import "./page_strings.js";
import { endContact, renderAgentCard } from "./agent_card.js";
import { saveChatButton } from "./chat_save.js";
import { MeetingSummary } from "../common/reservations/meeting_summary.js";
import { codeDigits, wireCodeInput } from "./code_input.js";
import { CustomerCall, redeemCallHandoff, takeCallHandoff } from "./customer_call.js"; // CH9
import { forgetLinkInAddress, linkSecret, showInvitation } from "./invitation_link.js";
import { KnockWait, storedKnock } from "./knock_wait.js";
import { MeetingPage } from "./meeting_page.js";
import { ViewerDownloadOffer } from "./viewer_download.js"; // one-time viewer (P1)
import { WaitingAgents } from "./waiting_agents.js";

const STORAGE_KEY = "rs.customer.session";

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
    this._busy = false;
    this.panels = [
      byId("join-panel"),
      byId("knock-panel"),
      byId("chat-panel"),
      byId("end-panel"),
      byId("notice-panel"),
      byId("meeting-panel"),
    ];
    this.knocking = new KnockWait({
      onAdmitted: (answer) => this._enterJoined(answer),
      onEnded: (errorKey) => this.showJoin(errorKey),
    });
    this.waiting = new WaitingAgents({
      section: byId("icons-section"),
      grid: byId("icons-grid"),
      empty: byId("icons-empty"),
      i18n,
      wanted: () => this.step === "join" && !this.invitation,
      onPick: (icon) => this._join({ icon }),
      onRendered: () => this._renderJoinButton(),
    });
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
    byId("knock-cancel").addEventListener("click", () => this.knocking.cancel());
    const query = new URLSearchParams(window.location.search);
    const code = query.get("code") ?? "";
    // A personal invitation link (?invite=<secret>): one seat, no code to type.
    this.invitation = linkSecret(query, "invite");
    showInvitation(this.invitation !== null);
    byId("code-input").value = formatAccessCode(codeDigits(code));
    const stored = loadStored();
    const knock = storedKnock();
    const meet = linkSecret(query, "meet"); // a reservation's personal link (A11)
    const handoff = takeCallHandoff(); // CH9: the one-time viewer's call, held in this browser
    if (handoff) {
      this._enterFromHandoff(handoff);
    } else if (stored) {
      this.enterChat(stored);
    } else if (meet) {
      this._showMeeting(meet);
    } else if (knock) {
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
    this.waiting.refresh();
    const input = byId("code-input");
    if (this._codeDigits().length === ACCESS_CODE_DIGITS) {
      byId("join-button").focus();
    } else {
      input.focus();
    }
  }

  _wireJoinForm() {
    const input = byId("code-input");
    byId("name-input").maxLength = MAX_NAME_CHARS;
    wireCodeInput(input, () => {
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
      this._enterJoined(joined);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        console.error("join failed", error);
      }
      this.joinError.show(error);
      if (target.code && ["invalid_code", "code_used", "code_expired"].includes(error.code)) {
        byId("code-input").setAttribute("aria-invalid", "true");
      }
      if (error.code === "icon_not_found") {
        this.waiting.refresh();
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
        this._enterJoined(joined);
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
    return codeDigits(byId("code-input").value);
  }

  /** The relay's answer with a seat (a join, an admitted knock, an opened meeting). */
  _enterJoined(joined) {
    this.enterChat({
      session_id: joined.session_id,
      customer_token: joined.customer_token,
      last_seen_id: 0,
      agent: joined.agent,
    });
  }

  // ---------- Step 1b: knocking (the agent lets us in) ----------

  _showKnock(knock) {
    this._leaveChat();
    this.waiting.stop();
    this.step = "knock";
    showOnly(this.panels, byId("knock-panel"));
    const name = knock.agent?.name || i18n.t("customer.agent_unknown");
    i18n.bind(byId("knock-title"), "knock.title", { name });
    i18n.bind(byId("knock-body"), knock.via === "code" ? "knock.body_code" : "knock.body");
    byId("knock-title").focus();
    this.knocking.start(knock);
  }

  _renderJoinButton() {
    const button = byId("join-button");
    button.disabled = this._busy || this.joinError.waiting;
    i18n.bind(button, this._busy ? "join.joining" : "join.button");
    for (const iconButton of byId("icons-grid").querySelectorAll("button")) {
      iconButton.disabled = button.disabled;
    }
  }

  // ---------- Step 2: chat ----------

  enterChat(session) {
    this._leaveChat();
    this.waiting.stop();
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
    // A11: the booked meeting this session is, with its agenda (null for a plain support).
    // Its panel opens below a waiting presentation request ("Show me" stays in reach).
    this.meeting ??= new MeetingSummary({
      i18n,
      slot: byId("meeting-slot"),
      keepClear: () => [this.presentation?.element],
    });
    this.meeting.set(null);
    socket.on(MessageType.WELCOME, (welcome) => {
      this._renderAgent(welcome.session?.agent ?? this.session.agent);
      this.meeting.set(sessionReservation(welcome.session));
      this._rememberSeen();
    });
    socket.on(MessageType.CHAT_MESSAGE, () => this._rememberSeen());
    socket.on(MessageType.SESSION_UPDATED, (update) => {
      this._renderAgent(update.session?.agent);
      this.meeting.set(sessionReservation(update.session));
    });
    // The agent asks to present: the open agenda folds away so "Show me" is in sight (the
    // prompt sits under the header, where the panel floats).
    socket.on(MessageType.PRESENTATION_REQUESTED, () => this.meeting.close());
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
    renderAgentCard(this.session.agent, i18n);
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
    showConnectionStatus(byId("connection-status"), this.socket?.status ?? "closed", i18n);
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
    const agent = this.session?.agent ?? {};
    const transcript = this.chatView?.transcriptText((at) => i18n.formatTime(at)) ?? "";
    this._forget();
    this.chatView?.setEnabled(false);
    this._leaveChat();
    this.step = "end";
    byId("code-input").value = "";
    window.history.replaceState(null, "", window.location.pathname);
    showOnly(this.panels, byId("end-panel"));
    this.endView.show(ended, () => [...endContact(agent), ...saveChatButton(transcript, i18n)]);
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
      sessionId: this.session?.session_id ?? null,
      ...sessionTestState(this.socket, this.chatView),
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
