// Calling the agent's attention: a customer joined, wrote, asked for control or
// knocked while the agent looks elsewhere. The views call `Attention.call(event, ...)` (through
// `watchSession`, which turns one session's socket messages into these events); this module
// alone decides what happens:
//   - nothing while the agent looks at the window (focused and visible);
//   - otherwise a chime (chime.js; Settings › Alerts: sound on/off, volume) and a notification:
//     on the relay page the browser's Notification API (when the agent allowed it, asked at a
//     click, never on load), in the desktop app POST /local/attention, where the app checks
//     whether the chat window is active, flashes it (urgency hint / taskbar) and shows the
//     desktop's own notification (docs/agent-local-api.md, "Attention").
// The settings live with the other local settings, through the backend: the desktop app's
// settings file (`attention`) or this browser's localStorage (`rs.agent.attention`).

import { MessageType } from "../common/protocol.js";
import { loadJson, saveJson } from "../common/storage.js";
import { Chime } from "./chime.js";

export const ATTENTION_EVENTS = Object.freeze(["customer_joined", "message", "control_request", "knock"]);
export const DEFAULT_ATTENTION = Object.freeze({ sound: true, volume: 60, notifications: true });
const MAX_BODY_CHARS = 500; // suite/agent/app/system_notifications.py: MAX_BODY_CHARS
const KEPT_LOG = 50;
// + session id, in sessionStorage: the pending knocks the agent was told about (a reload or a
// chat window opened again gets the same list after its welcome: not news).
const TOLD_KNOCKS_KEY = "rs.agent.knocks_told.";

/** The settings with every field valid: what is missing or wrong takes its default. */
export function normalizeAttention(value) {
  const given = value && typeof value === "object" ? value : {};
  const flag = (name) => (typeof given[name] === "boolean" ? given[name] : DEFAULT_ATTENTION[name]);
  const volume = given.volume;
  return {
    sound: flag("sound"),
    volume: Number.isInteger(volume) && volume >= 0 && volume <= 100 ? volume : DEFAULT_ATTENTION.volume,
    notifications: flag("notifications"),
  };
}

/** The page is not what the agent looks at: hidden (another tab, minimised) or not focused. */
function pageAway() {
  return document.hidden || !document.hasFocus();
}

export class Attention {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {object} options.backend attentionSettings(); the desktop's also callAttention()
   */
  constructor({ i18n, backend }) {
    this.i18n = i18n;
    this.backend = backend;
    this.chime = new Chime();
    this.chime.unlockOnGesture();
    this.log = []; // what each call did, newest last (window.__rsTest.attention())
  }

  /** Whether this page shows notifications itself (the browser's API), not the desktop app. */
  get usesBrowserNotifications() {
    return !this.backend.callAttention;
  }

  /**
   * The browser's notification permission: "granted", "denied", "default" or "unsupported".
   * With `ask`, a "default" one is asked for: call it only in a click or key handler.
   */
  async permission(ask = false) {
    if (!this.usesBrowserNotifications || !("Notification" in window)) {
      return "unsupported";
    }
    if (ask && Notification.permission === "default") {
      try {
        return await Notification.requestPermission();
      } catch {
        return Notification.permission;
      }
    }
    return Notification.permission;
  }

  /**
   * Something happened that the agent should see.
   * @param {"customer_joined"|"message"|"control_request"|"knock"|"test"} event
   * @param {{sessionId: string, name?: string, text?: string}} details
   * @param {{force?: boolean}} [options] force: also while the window is in front (Try it)
   */
  async call(event, { sessionId, name, text = "" }, { force = false } = {}) {
    const settings = normalizeAttention(
      await this.backend.attentionSettings().catch((error) => {
        console.warn("alert settings not read; using the defaults:", error.message);
        return DEFAULT_ATTENTION;
      }),
    );
    // Nameless: a knock is someone not yet let in ("A customer"), else the one in the chat.
    const nameless = event === "knock" ? "knock.anonymous" : "attention.someone";
    const words = this.words(event, name || this.i18n.t(nameless), text);
    let away = force || pageAway();
    let notified = false;
    if (this.backend.callAttention) {
      // Desktop: the app knows whether the chat window is the active one.
      const answer = await this.backend
        .callAttention({ session_id: sessionId, event: force ? "test" : event, ...words })
        .catch((error) => {
          console.warn("the app was not told:", error.message);
          return {};
        });
      if (typeof answer.active === "boolean" && !force) {
        away = !answer.active;
      }
      notified = answer.notified === true;
    } else if (away && settings.notifications) {
      notified = this._showNotification(words, sessionId);
    }
    const sounded = away && settings.sound && this.chime.play(event, settings.volume);
    this.log.push({ event, away, sounded, notified, title: words.title });
    this.log.splice(0, Math.max(0, this.log.length - KEPT_LOG));
    return { away, sounded, notified };
  }

  /** {title, body} of a notification, in the agent's language. */
  words(event, name, text) {
    const t = (key) => this.i18n.t(key, { name });
    switch (event) {
      case "customer_joined":
        return { title: t("attention.joined_title"), body: t("attention.joined_body") };
      case "message":
        return { title: t("attention.message_title"), body: text.slice(0, MAX_BODY_CHARS) };
      case "control_request":
        return { title: t("attention.control_title"), body: t("attention.control_body") };
      case "knock":
        return { title: t("attention.knock_title"), body: t("attention.knock_body") };
      default:
        return { title: t("attention.test_title"), body: t("attention.test_body") };
    }
  }

  _showNotification({ title, body }, sessionId) {
    if (!("Notification" in window) || Notification.permission !== "granted") {
      return false;
    }
    try {
      // One per support: a newer one replaces the last (tag) and still makes itself heard.
      const notification = new Notification(title, {
        body,
        tag: `remotesales-${sessionId}`,
        renotify: true,
        icon: "/ui/common/favicon.svg",
      });
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
      return true;
    } catch (error) {
      // Chrome on Android allows only service-worker notifications: the sound still plays.
      console.warn("no notification:", error.message);
      return false;
    }
  }
}

/**
 * Turn one session's socket messages into attention events. Replays after a reconnect and
 * the history a reloaded window gets are not news: only messages past the welcome's last id,
 * first joins (not `rejoined`), a request that was not pending and knocks not told before:
 * the list after each welcome is the state, and a knock in it that came while the socket was
 * connecting is news once (remembered per session in sessionStorage, so a reload is not).
 * @param {import("../common/session_socket.js").SessionSocket} socket
 * @param {object} options
 * @param {Attention} options.attention
 * @param {() => string} options.sessionId
 * @param {() => string} options.customerName the name shown in the chat header
 * @returns {() => void} stops listening
 */
export function watchSession(socket, { attention, sessionId, customerName }) {
  let lastMessageId = 0;
  let requested = false;
  let knocks = null; // the ids told, read from sessionStorage at the first list
  const call = (event, name, text) =>
    attention.call(event, { sessionId: sessionId(), name: name || customerName(), text });
  // Who knocks is not the customer in the chat: their own name or none.
  const callKnock = (name) => attention.call("knock", { sessionId: sessionId(), name: name || "" });
  const off = [
    socket.on(MessageType.WELCOME, (welcome) => {
      const ids = [welcome.last_id, ...(welcome.missed ?? []).map((message) => message.id)];
      lastMessageId = Math.max(lastMessageId, ...ids.filter(Number.isInteger));
    }),
    socket.on(MessageType.CHAT_MESSAGE, (message) => {
      if (!Number.isInteger(message.id) || message.id <= lastMessageId) {
        return;
      }
      lastMessageId = message.id;
      if (message.role === "customer") {
        call("message", message.name, String(message.text ?? ""));
      }
    }),
    socket.on(MessageType.PARTICIPANT_JOINED, (joined) => {
      if (joined.role === "customer" && joined.rejoined !== true) {
        call("customer_joined", joined.name);
      }
    }),
    socket.on(MessageType.CONTROL_STATE, (state) => {
      const now = state.requested === true;
      if (now && !requested) {
        call("control_request", state.requested_by?.name);
      }
      requested = now;
    }),
    socket.on(MessageType.KNOCKS_CHANGED, (update) => {
      const list = update.knocks ?? [];
      const key = TOLD_KNOCKS_KEY + sessionId();
      knocks ??= new Set(loadJson(window.sessionStorage, key) ?? []);
      const fresh = list.filter((knock) => !knocks.has(knock.id));
      knocks = new Set(list.map((knock) => knock.id)); // the pending ones
      saveJson(window.sessionStorage, key, [...knocks]);
      if (fresh.length > 0) {
        callKnock(fresh[fresh.length - 1].name);
      }
    }),
  ];
  return () => off.forEach((stop) => stop());
}
