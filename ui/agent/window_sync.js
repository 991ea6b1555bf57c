// One agent, several windows: what one window does that the others must follow. Messages are
// {kind, ...}:
//   signed_in {auth?}   someone signed in (or the token was renewed): use that sign-in
//   signed_out {username?} someone signed out: every window (of that agent) signs out
//   language {language} the language changed: every window switches
//   short_messages, preferences   the account's data changed: read it again
//   hello / auth {auth} (browser tabs) a new tab asks whether a tab is signed in; one answers
//   activity {source, input, live} (browser tabs) input and live supports, for A4's idle time
// In a browser the tabs of one origin talk over a BroadcastChannel (never to other sites, and
// the token never goes to storage that outlives the tab). The desktop app's windows each have a
// private profile, so they cannot: there the app relays the message (POST /local/broadcast) and
// runs window.rsAppEvents.receive(message) in every window; the app itself sends signed_in and
// signed_out when /local/login and /local/logout change its one sign-in.

const CHANNEL = "rs.agent";

class Listeners {
  constructor() {
    this._handlers = new Set();
  }

  add(handler) {
    this._handlers.add(handler);
    return () => this._handlers.delete(handler);
  }

  dispatch(message) {
    if (!message || typeof message.kind !== "string") {
      return;
    }
    for (const handler of this._handlers) {
      try {
        handler(message);
      } catch (error) {
        console.warn("a window-sync message was not handled:", error);
      }
    }
  }
}

/** The tabs of this browser on the relay's origin (BroadcastChannel). */
export class BrowserWindowSync {
  constructor() {
    this._listeners = new Listeners();
    this._channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
    if (this._channel) {
      this._channel.onmessage = (event) => this._listeners.dispatch(event.data);
    }
  }

  /** Tell the other tabs (never this one). */
  post(message) {
    this._channel?.postMessage(message);
  }

  /** Call handler(message) for every message from another tab; returns an unsubscribe. */
  onMessage(handler) {
    return this._listeners.add(handler);
  }
}

/** The desktop app's windows, through the app. */
export class DesktopWindowSync {
  /** @param {(method: string, path: string, options?: object) => Promise<object>} local */
  constructor(local) {
    this._local = local;
    this._listeners = new Listeners();
    this._id = `w${Math.random().toString(36).slice(2, 12)}`;
    window.rsAppEvents = Object.freeze({
      receive: (message) => {
        if (message?.from !== this._id) {
          this._listeners.dispatch(message);
        }
      },
    });
  }

  /** Tell the app's other windows (the app answers once every window was told). */
  post(message) {
    this._local("POST", "/local/broadcast", { body: { ...message, from: this._id } }).catch((error) =>
      console.warn("the other windows were not told:", error.message),
    );
  }

  onMessage(handler) {
    return this._listeners.add(handler);
  }
}

/**
 * A window without the sign-in (help, notice): follow the language the others choose, and
 * tell them when the agent picks one here (`save`: a signed-in window saves it with the account).
 * @param {BrowserWindowSync|DesktopWindowSync} sync
 * @param {import("../common/i18n.js").i18n} i18n
 */
export function followLanguage(sync, i18n) {
  let remote = false;
  sync.onMessage((message) => {
    if (message.kind === "language") {
      remote = true;
      try {
        i18n.setLanguage(message.language);
      } finally {
        remote = false;
      }
    }
  });
  i18n.onChange((language) => {
    if (!remote) {
      sync.post({ kind: "language", language, save: true });
    }
  });
}
