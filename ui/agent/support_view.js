// One support session on the agent's side (A3, CH1, CH4, CH5, C4, P8): the websocket, the
// waiting panel, the chat with short messages, the notes beside it, remove / end, and the end
// screen (where the notes stay editable). The page shows one support at a time; in the desktop
// app every support has a window of its own, each running one SupportView.

import { ChatView } from "../common/chat/chat_view.js";
import { ControlPanel } from "./control_panel.js";
import { byId, setAvatar, showUnreadInTitle } from "../common/dom.js";
import { EndView } from "../common/end_view.js";
import { CloseCode, MessageType, sessionReservation } from "../common/protocol.js";
import { SessionSocket } from "../common/session_socket.js";
import { ShortMessages } from "../common/chat/short_messages.js";
import { NotesPanel } from "./notes_panel.js";
import { InvitationMail } from "./invitation_mail.js";
import { WaitingPanel } from "./waiting_panel.js";
import { MeetingSummary } from "../common/reservations/meeting_summary.js";
import { KnockList } from "./knock_list.js";
import { attachAgentFiles } from "./agent_files.js";
import { watchSession } from "./attention.js";
import { SupportCall } from "./support_call.js";
import { SupportPeople } from "./support_people.js";
import { SupportPresenting } from "./support_presenting.js";
import { showConnectionStatus } from "../common/session_page.js";
import { WhiteboardSession } from "../common/whiteboard/whiteboard_session.js";
import { FavouritesMenu } from "./favourites_menu.js";
import { attachPrintRequests } from "../common/print/print_requests.js";
import { attachPrintButtons } from "./print_files.js";

export class SupportView {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./browser_backend.js").BrowserBackend} options.backend
   * @param {() => {token: string, agent: object, wsUrl: string|null}} options.auth
   * @param {() => Array<{key: string, text: string}>} options.shortMessages
   * @param {(step: string) => void} options.show shows the panel of a step
   * @param {(error: Error) => boolean} options.onAuthError a 401: back to the login
   * @param {(errorKey: string, resumeId?: string) => void} options.onLost the session is gone
   *   (or taken by another window, then `resumeId` lets the agent take it back)
   * @param {string} [options.endActionKey] the end screen's button (browser: "New support")
   * @param {() => void} [options.onEndAction]
   * @param {string} [options.endActionTestId] its data-testid (default "end-new-support")
   * @param {import("./attention.js").Attention} [options.attention] sound and notifications
   */
  constructor(options) {
    this.i18n = options.i18n;
    this.options = options;
    this.sessionId = null;
    this.session = null;
    this.socket = null;
    this.chatView = null;
    this.notes = null;
    this.ended = false;
    this.presenting = null; // "Present screen" (support_presenting.js)
    this._reported = "[]";
    this.waiting = new WaitingPanel({
      i18n: this.i18n,
      onRenew: () => this.socket?.send(MessageType.RENEW_CODE),
    });
    // A3: e-mail the invitation, with each mail's state.
    this.invitationMail = new InvitationMail({
      i18n: this.i18n,
      api: (method, path, apiOptions) =>
        options.backend.api(method, path, { ...apiOptions, token: options.auth()?.token }),
    });
    this.meeting = new MeetingSummary({ i18n: this.i18n, slot: byId("meeting-slot") });
    this.knocks = new KnockList({
      i18n: this.i18n,
      onAdmit: (knockId) => this.socket?.send(MessageType.ADMIT_KNOCK, { knock_id: knockId }),
      onRefuse: (knockId) => this.socket?.send(MessageType.REFUSE_KNOCK, { knock_id: knockId }),
      onRefuseAll: () => this.socket?.send(MessageType.REFUSE_ALL_KNOCKS),
    });
    this.endView = new EndView(byId("end-summary"), {
      i18n: this.i18n,
      role: "agent",
      actionKey: options.endActionKey,
      actionTestId: options.endActionTestId ?? "end-new-support",
      onAction: options.onEndAction,
    });
    this._shortMessages = new ShortMessages(options.shortMessages, () => {
      const agent = options.auth()?.agent ?? {};
      return {
        customer: this.session?.customer_name || "",
        agent: agent.name || agent.username || "",
        company: agent.company || "",
      };
    });
    this._wireButtons();
    this.i18n.onChange(() => this.renderStatus());
  }

  /** Open a support (the HTTP `support` object) and connect to it. */
  enter(support) {
    this.leave();
    const auth = this.options.auth();
    this.ended = false;
    this.sessionId = support.session_id;
    const socket = new SessionSocket({
      role: "agent",
      sessionId: support.session_id,
      token: auth.token,
      url: auth.wsUrl || undefined,
    });
    this.socket = socket;
    this.chatView = new ChatView(byId("chat-container"), {
      socket,
      role: "agent",
      i18n: this.i18n,
      onUnread: (count) => showUnreadInTitle(count),
      shortMessages: this._shortMessages,
      // The desktop app opens chat links in the system browser; a browser page in a new tab.
      openLink: this.options.backend.openLink ? (url) => this.options.backend.openLink(url) : undefined,
    });
    // Several customers: their row (give control, remove), "Invite another", personal links.
    this.people = new SupportPeople({
      socket,
      i18n: this.i18n,
      chatView: this.chatView,
      api: (method, path, options) =>
        this.options.backend.api(method, path, { ...options, token: this.options.auth()?.token }),
      sessionId: support.session_id,
      canGrant: Boolean(this.options.backend.presentation),
      onCustomers: (customers) => {
        this.controlPanel?.setCustomers(customers);
        // "Both of you" is wrong with several customers in (a meeting): say everyone.
        this.i18n.bind(byId("end-dialog-body"), customers.length > 1 ? "end.confirm_body_all" : "end.confirm_body");
      },
    });
    this.notes = new NotesPanel({
      i18n: this.i18n,
      api: (method, path, options) =>
        this.options.backend.api(method, path, { ...options, token: this.options.auth()?.token }),
      sessionId: support.session_id,
      onAuthError: (error) => this.options.onAuthError(error),
    });
    byId("notes-slot").replaceChildren(this.notes.element);
    const backend = this.options.backend;
    // Presenting (P1–P5): the desktop app's presenter, or the page's own getDisplayMedia.
    this.presenting?.destroy();
    this.presenting = new SupportPresenting({
      socket,
      sessionId: this.sessionId,
      i18n: this.i18n,
      backend,
      chatView: this.chatView,
      auth: () => this.options.auth(),
      ended: () => this.ended,
      onState: (state) => {
        this.controlPanel?.setPresenting(state === "presenting"); // control handover (P3)
        this.people?.setPresenting(state === "presenting");
      },
    });
    // CH9: voice and video calls (support_call.js; in the desktop app also the camera gate and
    // the system-browser fallback).
    this.calls = new SupportCall({
      socket,
      sessionId: this.sessionId,
      i18n: this.i18n,
      backend,
      canCall: () => this.session?.state === "active" && this.socket?.online === true,
      notice: (key) => this.chatView?.addNotice(key),
    });
    // Control handover (P3): request, grant, take back (ui/agent/control_panel.js).
    this.controlPanel = new ControlPanel({
      socket,
      i18n: this.i18n,
      anchor: byId("chat-container"),
      canGrant: Boolean(backend.presentation), // the browser page presents view only
    });
    // Files both ways (P4): "Send file", "Received files" and the transfer list.
    this.files?.destroy();
    this.files = attachAgentFiles({
      i18n: this.i18n,
      backend,
      token: auth.token,
      sessionId: this.sessionId,
      socket,
      chatView: this.chatView,
      buttonBefore: byId("tools-files"),
      dropTarget: byId("chat-panel"),
    });
    // CH3: the shared whiteboard, beside the conversation once a customer agrees.
    this.whiteboard = new WhiteboardSession({
      socket,
      i18n: this.i18n,
      role: "agent",
      chatView: this.chatView,
      host: byId("chat-container").closest(".agent-chat__layout"),
      layout: byId("chat-container").closest(".agent-chat__layout"),
      buttonBefore: byId("tools-files"),
      request: (method, path, options) =>
        this.options.backend.api(method, path, { ...options, token: this.options.auth()?.token }),
      // Through the backend: the desktop app's pages reach the relay through its local proxy.
      fetchBmp: () =>
        this.options.backend.api("GET", `/api/sessions/${encodeURIComponent(support.session_id)}/whiteboard.bmp`, {
          asBlob: true,
          token: this.options.auth()?.token,
        }),
    });
    // Favourites in the chat (CH7) and the answers to print requests (remote print).
    this.favouritesMenu?.destroy();
    this.favouritesMenu = this.options.favourites
      ? new FavouritesMenu({
          i18n: this.i18n,
          favourites: this.options.favourites,
          socket,
          sessionId: this.sessionId,
          anchor: byId("tools-files"),
        })
      : null;
    attachPrintRequests({ i18n: this.i18n, socket, chatView: this.chatView, role: "agent" });
    attachPrintButtons({ i18n: this.i18n, socket, root: byId("chat-panel") });
    this._setNotesOpen(false);
    this.notes.load();
    socket.on("status", (status) => this._onStatus(status));
    socket.on(MessageType.WELCOME, (welcome) => this._apply(welcome.session));
    socket.on(MessageType.SESSION_UPDATED, (update) => this._apply(update.session));
    socket.on(MessageType.KNOCKS_CHANGED, (update) => this.knocks.set(update.knocks ?? []));
    socket.on(MessageType.CUSTOMER_REMOVED, (update) => {
      const name =
        this.people?.nameOf(update.participant_id) || this.session?.customer_name || this.i18n.t("role.customer");
      this.chatView.addNotice("agent.removed_notice", { name });
      this._apply(update.session);
    });
    socket.on(MessageType.PARTICIPANT_JOINED, (joined) => {
      if (joined.role === "customer") {
        // session_updated brings every customer's name; until then the newcomer's will do.
        const known = this.session?.state === "active" && this.session?.customer_name;
        this._apply({ ...this.session, state: "active", customer_name: known || joined.name });
      }
    });
    socket.on(MessageType.SESSION_ENDED, (ended) => this.showEnd(ended));
    // P9: a line in the chat when the recording starts or stops (also when the admin's policy
    // stops it in the middle); customers see their mark come and go.
    socket.on(MessageType.RECORDING_STATE, (state) =>
      this.chatView?.addNotice(state.recording ? "recording.started_notice" : "recording.stopped_notice"),
    );
    // A join, a message, a control request or a knock calls the agent.
    if (this.options.attention) {
      watchSession(socket, {
        attention: this.options.attention,
        sessionId: () => support.session_id,
        customerName: () => this.session?.customer_name || "",
      });
    }
    // The HTTP `support` object has the same code and invitation fields as `session`.
    const { session_id: id, ...fields } = support;
    this._apply({ id, ...fields, customer_name: null });
    socket.connect();
    this.renderStatus();
  }

  /** End the session for both sides (the End button's confirm, or the connection notice). */
  endSession() {
    return this.socket?.send(MessageType.END_SESSION) ?? false;
  }

  /** Show the waiting panel or the chat, whichever the session's state asks for. */
  _apply(session) {
    if (!session || this.ended) {
      return;
    }
    this.session = { ...this.session, ...session };
    // A11: an opened reservation's meeting, named in the waiting panel and the chat's header.
    const meeting = sessionReservation(this.session);
    this.waiting.setReservation(meeting);
    this.meeting.set(meeting);
    this._report();
    this.options.onSession?.(this.session); // the window's title names the customer
    this.calls?.render(); // a call needs a customer in the session
    if (this.session.state === "ended") {
      return; // session_ended follows with the summary
    }
    if (this.session.state === "waiting") {
      // The agent's `session` carries the code and links; the HTTP `support` has no agent
      // profile, so the signed-in agent's name stands in until `welcome` brings it.
      this.waiting.setSupport({ agent: this.options.auth()?.agent, ...this.session });
      this.invitationMail.setSession(this.sessionId);
      this._show("waiting");
      return;
    }
    const name = this.session.customer_name || this.i18n.t("role.customer");
    byId("customer-name").textContent = name;
    // Several customers: the avatar counts them instead of mixing their initials.
    const count = (this.session.participants ?? []).filter((p) => p.role === "customer").length;
    setAvatar(byId("customer-avatar"), count > 1 ? String(count) : name);
    this.renderSince();
    if (this.step !== "chat") {
      this._show("chat");
      this.chatView.focus();
    }
  }

  /** "In chat since 10:03 PM", in the current language (main.js calls it after a switch). */
  renderSince() {
    const since = this.session?.started_at;
    const time = typeof since === "number" ? this.i18n.formatTime(since) : null;
    this.i18n.bindOrClear(byId("customer-since"), time && "agent.customer_since", { time });
  }

  _show(step) {
    this.step = step;
    this.options.show(step);
    this.waiting.setActive(step === "waiting");
    // Knocks (admission mode) can come while customers are in ("Invite another"): the list
    // then sits above the conversation instead of in the waiting panel.
    const knocks = byId("knocks");
    this._knocksHome ??= { parent: knocks.parentElement, next: knocks.nextSibling };
    if (step === "chat") {
      byId("chat-container").before(knocks);
    } else if (knocks.parentElement !== this._knocksHome.parent) {
      this._knocksHome.parent.insertBefore(knocks, this._knocksHome.next);
    }
  }

  /** Tell the connection notice whether a customer is connected (desktop; once per change). */
  _report() {
    const live = !this.ended && this.session?.state === "active";
    const sessions = live
      ? [
          {
            session_id: this.sessionId,
            customer_name: this.session.customer_name || "",
            started_at: this.session.started_at ?? null,
          },
        ]
      : [];
    const report = JSON.stringify(sessions);
    if (report === this._reported || !this.sessionId) {
      return;
    }
    this._reported = report;
    this.options.backend.reportNotice(this.sessionId, sessions).catch((error) => {
      console.warn("the connection notice was not told:", error.message);
    });
  }

  _onStatus({ status, code }) {
    this.renderStatus();
    this.calls?.render();
    for (const id of ["end-button", "remove-customer", "cancel-support", "invite-another"]) {
      byId(id).disabled = status !== "online";
    }
    if (status !== "closed" || this.ended) {
      return;
    }
    const sessionId = this.sessionId;
    if (code === CloseCode.SESSION_ENDED) {
      const agent = this.options.auth()?.agent;
      this.showEnd({ agent_name: agent?.name, customer_name: this.session?.customer_name });
    } else if (code === CloseCode.UNAUTHORIZED) {
      this.options.onAuthError({ code: "unauthorized", status: 401 });
    } else if (code === CloseCode.ACCOUNT_DISABLED) {
      this.options.onAuthError({ code: "account_disabled_now", status: 401 });
    } else if (code === CloseCode.SESSION_NOT_FOUND) {
      this.options.onLost("error.session_not_found");
    } else if (code === CloseCode.REPLACED) {
      // CH9: after the call went to the system browser, that browser took this place.
      const why = this.calls?.handedOff ? "deskcall.continued_in_browser" : "agent.replaced";
      this.options.onLost(why, sessionId);
    } else if (code === CloseCode.UNSUPPORTED_VERSION) {
      this.options.onLost("error.unsupported_version");
    }
  }

  renderStatus() {
    const badge = byId("connection-status");
    badge.hidden = this.socket === null;
    if (this.socket) {
      showConnectionStatus(badge, this.socket.status, this.i18n);
    }
  }

  _wireButtons() {
    const bind = (buttonIds, dialogId, onConfirm) => {
      const dialog = byId(dialogId);
      for (const id of buttonIds) {
        byId(id).addEventListener("click", () => dialog.showModal());
      }
      dialog.addEventListener("close", () => {
        if (dialog.returnValue === "confirm") {
          onConfirm();
        }
        dialog.returnValue = "";
      });
    };
    bind(["end-button", "cancel-support"], "end-dialog", () => this.endSession());
    byId("notes-toggle").addEventListener("click", () => {
      const open = byId("chat-panel").dataset.notes !== "open";
      this._setNotesOpen(open);
      if (open) {
        this.notes?.focus();
      } else {
        this.chatView?.focus();
      }
    });
  }

  /** Narrow windows show the notes or the chat; wide ones always both. */
  _setNotesOpen(open) {
    byId("chat-panel").dataset.notes = open ? "open" : "closed";
    byId("notes-toggle").setAttribute("aria-expanded", String(open));
  }

  showEnd(ended) {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this._report();
    const notes = this.notes;
    this.notes = null; // kept on the end screen, still editable
    this.leave();
    this.notes = notes;
    this._show("end");
    byId("end-notes").replaceChildren(...(notes ? [notes.element] : []));
    this.endView.show(ended);
  }

  /** CH9: the support's CallController (its recording hook: audioTracks(), docs/calls.md). */
  get call() {
    return this.calls?.controller ?? null;
  }

  /** CH9: the agent starts a call (the chat's buttons, or the desktop notice's Call). */
  startCall(media) {
    return this.calls?.start(media);
  }

  /** CH9: this page was opened by the desktop app's sign-in link; `media` starts a call here. */
  fromHandoff(media) {
    this.calls?.fromHandoff(media);
  }

  /** Close the socket and let go of the session (its notes save what is left first). */
  leave() {
    this.calls?.destroy(); // CH9: hang up and release the microphone and camera first
    this.calls = null;
    this.invitationMail.setSession(null);
    this.socket?.close();
    this.chatView?.destroy();
    this.presenting?.destroy(); // present_stop, and the browser's capture ends
    this.presenting = null;
    this.controlPanel?.destroy();
    this.controlPanel = null;
    this.people?.destroy();
    this.people = null;
    this.files?.destroy(); // P4
    this.favouritesMenu?.destroy(); // CH7
    this.favouritesMenu = null;
    this.files = null;
    this.whiteboard?.destroy(); // CH3
    this.whiteboard = null;
    this.notes?.release();
    this.socket = null;
    this.chatView = null;
    this.notes = null;
    this.session = null;
    this.step = null;
    if (!this.ended) {
      this._report();
    }
    this.sessionId = null;
    this._reported = "[]";
    this.knocks.clear();
    this.waiting.setActive(false);
    for (const dialog of document.querySelectorAll("dialog[open]")) {
      dialog.close();
    }
    this.renderStatus();
  }

  /** The page's own screen capture (no desktop app), for the tests. */
  get browserPresenter() {
    return this.presenting?.browserPresenter ?? null;
  }

  /** True while notes typed in this page have not reached the relay. */
  get unsavedNotes() {
    return Boolean(this.notes?.dirty);
  }
}
