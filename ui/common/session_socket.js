// One participant's websocket to the relay, with the hello handshake, resume from the last
// chat id seen, and reconnection with exponential backoff and jitter.
//
// Events (subscribe with on(name, handler)):
//   "status"   {status: "connecting"|"online"|"reconnecting"|"closed", code?, reason?}
//   "welcome"  the welcome message (also every other relay message under its own type)
//   "<type>"   each relay → client message, e.g. "chat_message", "session_ended", "error"
//   "invalid"  {error} a frame that could not be decoded (logged, never fatal)
//   "binary"   an ArrayBuffer: a binary frame (the screen channel's region frames)

import {
  CloseCode,
  MessageType,
  PROTOCOL_VERSION,
  decode,
  encode,
  isTerminalClose,
  leaseHintOfReason,
  wrongNodeDelayMs,
} from "./protocol.js";

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;

/** Names of the terminal close codes, given to "closed" status listeners as `reason`. */
const CLOSE_REASONS = Object.freeze(
  Object.fromEntries(Object.entries(CloseCode).map(([name, code]) => [code, name.toLowerCase()])),
);

export class SessionSocket {
  /**
   * @param {object} options
   * @param {"agent"|"customer"} options.role
   * @param {string} options.sessionId
   * @param {string} options.token bearer token (agent) or customer token
   * @param {number} [options.lastSeenId] largest chat id already shown
   * @param {string} [options.url] defaults to /ws on this page's origin
   * @param {"chat"|"screen"} [options.channel] which of the participant's sockets this is
   */
  constructor({ role, sessionId, token, lastSeenId = 0, url, channel = "chat" }) {
    this.role = role;
    this.sessionId = sessionId;
    this.token = token;
    this.lastSeenId = lastSeenId;
    this.channel = channel;
    this.url = SessionSocket.withSessionHint(url ?? SessionSocket.defaultUrl(), sessionId);
    this.status = "closed";
    this._ws = null;
    this._handlers = new Map();
    this._attempt = 0;
    this._wrongNodes = 0; // wrong_node closes since the last welcome (protocol.js)
    this._retryTimer = null;
    this._stopped = true;
    // Coming back online should not wait out a long backoff.
    window.addEventListener("online", () => this.retryNow());
  }

  /** ws(s)://<this origin>/ws */
  static defaultUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}/ws`;
  }

  /**
   * The socket URL with `?session=<id>`: a load balancer in front of several relays sends
   * every socket of one session to the node that holds it (docs/protocol.md, "GET /ws").
   * One relay ignores it; the session that counts is the one in hello.
   */
  static withSessionHint(url, sessionId) {
    if (!sessionId) {
      return url;
    }
    const address = new URL(url, window.location.href);
    address.searchParams.set("session", sessionId);
    return address.toString();
  }

  /** Subscribe to an event; returns a function that unsubscribes. */
  on(event, handler) {
    if (!this._handlers.has(event)) {
      this._handlers.set(event, new Set());
    }
    this._handlers.get(event).add(handler);
    return () => this._handlers.get(event)?.delete(handler);
  }

  /** True once the relay has answered hello and the socket is open. */
  get online() {
    return this.status === "online";
  }

  /** Open the socket (again); a no-op while one is open or opening. */
  connect() {
    this._stopped = false;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    if (this._ws && this._ws.readyState <= WebSocket.OPEN) {
      return;
    }
    this._setStatus(this._attempt === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      console.error("websocket could not be created", error);
      this._scheduleReconnect(0, "create_failed");
      return;
    }
    this._ws = ws;
    ws.binaryType = "arraybuffer"; // screen frames are parsed in place, not read from a Blob
    ws.addEventListener("open", () => this._sendHello(ws));
    ws.addEventListener("message", (event) => this._receive(ws, event));
    ws.addEventListener("close", (event) => this._closed(ws, event));
  }

  /**
   * Send a message if the relay has welcomed us.
   * @returns {boolean} false when offline: the caller keeps what must not be lost.
   */
  send(type, fields = {}) {
    if (!this.online || this._ws?.readyState !== WebSocket.OPEN) {
      return false;
    }
    this._ws.send(encode(type, fields));
    return true;
  }

  /**
   * Send one binary frame (the screen channel's region frames, when the page presents).
   * @param {Uint8Array|ArrayBuffer} bytes
   * @returns {boolean} false when offline
   */
  sendBinary(bytes) {
    if (!this.online || this._ws?.readyState !== WebSocket.OPEN) {
      return false;
    }
    this._ws.send(bytes);
    return true;
  }

  /** Close for good (the page is leaving the session); no reconnect follows. */
  close() {
    this._stopped = true;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      ws.close(CloseCode.NORMAL, "client closed");
    }
    this._setStatus("closed", { code: CloseCode.NORMAL, reason: "client_closed" });
  }

  /** Drop the connection as a network failure would, so the reconnect path runs (tests). */
  drop() {
    if (this._ws && this._ws.readyState <= WebSocket.OPEN) {
      this._ws.close(3000, "dropped for test");
    }
  }

  /** Reconnect now, skipping the backoff wait (e.g. a "retry" button, or going online). */
  retryNow() {
    if (!this._stopped && this.status === "reconnecting" && this._retryTimer !== null) {
      this.connect();
    }
  }

  _sendHello(ws) {
    const hello = {
      protocol_version: PROTOCOL_VERSION,
      role: this.role,
      session_id: this.sessionId,
      token: this.token,
    };
    if (this.lastSeenId > 0) {
      hello.last_seen_id = this.lastSeenId;
    }
    if (this.channel !== "chat") {
      hello.channel = this.channel; // "chat" is the default: older relays never see the field
    }
    ws.send(encode(MessageType.HELLO, hello));
  }

  _receive(ws, event) {
    if (ws !== this._ws) {
      return;
    }
    if (event.data instanceof ArrayBuffer) {
      this._emit("binary", event.data);
      return;
    }
    let message;
    try {
      message = decode(event.data);
    } catch (error) {
      console.warn("ignoring a frame from the relay:", error.message);
      this._emit("invalid", { error });
      return;
    }
    if (message.type === MessageType.WELCOME) {
      this._attempt = 0;
      this._wrongNodes = 0;
      for (const missed of message.missed ?? []) {
        this._noteChatId(missed.id);
      }
      this._setStatus("online");
    } else if (message.type === MessageType.CHAT_MESSAGE) {
      this._noteChatId(message.id);
    }
    this._emit(message.type, message);
  }

  _noteChatId(id) {
    if (Number.isInteger(id) && id > this.lastSeenId) {
      this.lastSeenId = id;
    }
  }

  _closed(ws, event) {
    if (ws !== this._ws) {
      return; // an old socket closing after close() or a replacement
    }
    this._ws = null;
    if (this._stopped) {
      return;
    }
    if (isTerminalClose(event.code)) {
      this._stopped = true;
      this._setStatus("closed", { code: event.code, reason: CLOSE_REASONS[event.code] });
      return;
    }
    this._scheduleReconnect(event.code, event.reason || CLOSE_REASONS[event.code] || "dropped");
  }

  _scheduleReconnect(code, reason) {
    // Full jitter: a relay restart must not see every client come back in the same instant.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this._attempt);
    let delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    // Several relay nodes: wrong_node says when the (dead) owner's lease ends; from the
    // second such close on, come back then rather than on the growing backoff.
    const hint = leaseHintOfReason(reason);
    if (hint !== null) {
      delayMs = Math.round(wrongNodeDelayMs(hint, this._wrongNodes, delayMs, Math.random()));
      this._wrongNodes += 1;
    }
    this._attempt += 1;
    this._setStatus("reconnecting", { code, reason, delayMs });
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      this.connect();
    }, delayMs);
  }

  _setStatus(status, details = {}) {
    const changed = status !== this.status;
    this.status = status;
    if (changed || details.code !== undefined) {
      this._emit("status", { status, ...details });
    }
  }

  _emit(event, payload) {
    for (const handler of [...(this._handlers.get(event) ?? [])]) {
      try {
        handler(payload);
      } catch (error) {
        console.error(`a '${event}' handler failed`, error);
      }
    }
  }
}
