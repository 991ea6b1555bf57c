// Who is in a session (several customers per session): each participant's id, name, colour
// and whether it is online, kept from `welcome` (`you`, `session.participants`),
// `participant_joined` / `participant_left` and `session_updated` / `customer_removed`.
// Pure: no DOM. Ids and colours come from the relay (docs/participants.md); the agent's
// participant id is "agent", a customer's is its customer id.

import { MessageType } from "../protocol.js";

const COLOR_RE = /^#[0-9a-f]{6}$/i;

export class Participants {
  constructor() {
    this.me = null; // this page's participant id, from welcome.you
    this._byId = new Map(); // id → {participant_id, role, name, color, online}
    this._listeners = new Set();
  }

  /** Follow one session socket; returns the function that stops following. */
  follow(socket) {
    const offs = [
      socket.on(MessageType.WELCOME, (welcome) => {
        this.me = typeof welcome.you?.participant_id === "string" ? welcome.you.participant_id : null;
        const roster = welcome.session?.participants;
        // The roster is made just before this socket is seated: it is online, of course.
        this.setRoster(
          Array.isArray(roster)
            ? roster.map((p) => (p?.participant_id === this.me ? { ...p, online: true } : p))
            : roster,
        );
      }),
      socket.on(MessageType.SESSION_UPDATED, (update) => this.setRoster(update.session?.participants)),
      socket.on(MessageType.CUSTOMER_REMOVED, (update) => this.setRoster(update.session?.participants)),
      socket.on(MessageType.PARTICIPANT_JOINED, (joined) => this._seen(joined, true)),
      socket.on(MessageType.PARTICIPANT_LEFT, (left) => this._seen(left, false)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Replace the roster (a `session.participants` list); ignored when absent. */
  setRoster(list) {
    if (!Array.isArray(list)) {
      return;
    }
    this._byId = new Map();
    for (const entry of list) {
      if (entry && typeof entry.participant_id === "string") {
        this._byId.set(entry.participant_id, { ...entry, color: safeColor(entry.color) });
      }
    }
    this._changed();
  }

  _seen(message, online) {
    const id = message.participant_id;
    if (typeof id !== "string" || id === "") {
      return;
    }
    const known = this._byId.get(id);
    if (message.removed === true) {
      this._byId.delete(id); // removed by the agent: gone for good
      this._changed();
      return;
    }
    if (known === undefined && !online) {
      return; // removed meanwhile: not listed any more
    }
    this._byId.set(id, {
      participant_id: id,
      role: message.role,
      name: message.name,
      ...known,
      ...(message.color ? { color: safeColor(message.color) } : {}),
      online,
    });
    this._changed();
  }

  /** The colour of a participant ("" when unknown). */
  colorOf(id) {
    return this._byId.get(id)?.color ?? "";
  }

  /** True when a chat message (or typing) came from this page's own participant. */
  isOwn(message, role) {
    if (this.me && typeof message.participant_id === "string" && message.participant_id) {
      return message.participant_id === this.me;
    }
    return message.role === role; // chat stored before several customers had ids
  }

  /** The seated customers, in join order. */
  customers() {
    return [...this._byId.values()].filter((p) => p.role === "customer");
  }

  /** Everyone listed, the agent first. */
  all() {
    return [...this._byId.values()];
  }

  onChange(listener) {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  _changed() {
    for (const listener of this._listeners) {
      listener(this);
    }
  }
}

function safeColor(color) {
  return typeof color === "string" && COLOR_RE.test(color) ? color : "";
}
