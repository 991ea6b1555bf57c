// The desktop app's windows follow the app's desk state (A8; suite/agent/app/local_desk.py):
// the text size (every window at once, remembered in the settings) and the lock, which covers
// every window (main, chats, notice, help) until the agent's password is typed. Each window
// reads GET /local/desk when it opens and then follows the app's messages (text_size, locked,
// unlocked, signed_out). The main window also runs the idle timer that locks (IdleLock).
// lockDecision() is the rule, pure; IdleLock adds the timers and takes an injectable clock.

import { LockCover } from "./lock_cover.js";

export const TEXT_SIZES = [90, 100, 115, 130];
export const LOCK_CHECK_MS = 5000;
const INPUT_EVENTS = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"];

const realClock = Object.freeze({
  now: () => Date.now(),
  every: (ms, fn) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
});

/** The windows' text size: the root font size every rem in the styles follows. */
export function applyTextSize(percent, root = document.documentElement) {
  const size = TEXT_SIZES.includes(percent) ? percent : 100;
  root.style.fontSize = size === 100 ? "" : `${size}%`;
  root.dataset.textSize = String(size);
}

/**
 * The lock's rule: lock once nobody typed or clicked in any window for `timeoutMs` while a
 * support is live (a customer waiting or chatting); without a live support there is nothing
 * on screen worth hiding and the automatic sign-out (A4) takes over.
 * @returns {"off"|"quiet"|"active"|"lock"}
 */
export function lockDecision({ timeoutMs, idleMs, live }) {
  if (!(timeoutMs > 0)) {
    return "off";
  }
  if (!live) {
    return "quiet";
  }
  return idleMs >= timeoutMs ? "lock" : "active";
}

/** The main window's timer: calls onLock() when lockDecision() says so. */
export class IdleLock {
  /**
   * @param {object} options
   * @param {() => Promise<{idle_s: number|null, live: boolean}>} options.appActivity the other
   *   windows' input and live supports (GET /local/activity)
   * @param {() => void} options.onLock
   * @param {EventTarget} [options.target]
   * @param {object} [options.clock]
   */
  constructor({ appActivity, onLock, target = window, clock = realClock }) {
    Object.assign(this, { appActivity, onLock, target, clock });
    this.timeoutMs = 0;
    this.lastInput = clock.now();
    this._stop = null;
    this._busy = false;
    this.paused = false; // while the cover shows: nothing to do
    this._onInput = () => {
      this.lastInput = this.clock.now();
    };
  }

  /** Run with this idle time in seconds (0: off); restarts the count. */
  start(seconds, checkMs = LOCK_CHECK_MS) {
    this.stop();
    this.timeoutMs = seconds * 1000;
    this.lastInput = this.clock.now();
    if (!(this.timeoutMs > 0)) {
      return;
    }
    for (const type of INPUT_EVENTS) {
      this.target.addEventListener(type, this._onInput, { capture: true, passive: true });
    }
    const stopTimer = this.clock.every(Math.min(checkMs, this.timeoutMs), () => this.check());
    this._stop = () => {
      stopTimer();
      for (const type of INPUT_EVENTS) {
        this.target.removeEventListener(type, this._onInput, { capture: true });
      }
    };
  }

  stop() {
    this._stop?.();
    this._stop = null;
  }

  /** Restart the count (after unlocking: the agent is back). */
  reset() {
    this.lastInput = this.clock.now();
  }

  async check() {
    if (!this._stop || this._busy || this.paused) {
      return "off";
    }
    const ownIdleMs = this.clock.now() - this.lastInput;
    if (ownIdleMs < this.timeoutMs) {
      return "active"; // input here: no need to ask the app
    }
    this._busy = true;
    try {
      const app = await this.appActivity();
      const appIdleMs = typeof app?.idle_s === "number" ? app.idle_s * 1000 : Infinity;
      const idleMs = Math.min(this.clock.now() - this.lastInput, appIdleMs);
      const decision = lockDecision({ timeoutMs: this.timeoutMs, idleMs, live: Boolean(app?.live) });
      if (decision === "lock") {
        this.onLock();
      }
      return decision;
    } catch (error) {
      console.warn("the app's activity could not be read; not locking:", error.message);
      return "active";
    } finally {
      this._busy = false;
    }
  }
}

/**
 * Follow the app's desk state in this window (desktop app only).
 * @param {object} options
 * @param {import("./desktop_backend.js").DesktopBackend} options.backend
 * @param {import("../common/i18n.js").i18n} options.i18n
 * @param {(locked: boolean) => void} [options.onLockChange] e.g. hide the customer's name
 *   from the window's title bar while locked
 * @returns {{cover: LockCover, state: Promise<object|null>}}
 */
export function followDesk({ backend, i18n, onLockChange = () => {} }) {
  const cover = new LockCover({
    i18n,
    unlock: (password) => backend.unlock(password),
    onChange: onLockChange,
  });
  backend.sync.onMessage((message) => {
    if (message.kind === "text_size") {
      applyTextSize(message.percent);
    } else if (message.kind === "locked") {
      cover.show();
    } else if (message.kind === "unlocked" || message.kind === "signed_out") {
      cover.hide();
    }
  });
  const state = backend
    .deskState()
    .then((desk) => {
      applyTextSize(desk.text_size);
      if (desk.locked) {
        cover.show();
      }
      return desk;
    })
    .catch((error) => {
      console.warn("the app's desk state was not read:", error.message);
      return null;
    });
  return { cover, state };
}
