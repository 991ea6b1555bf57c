// The main window's two idle timers while an agent is signed in: the automatic sign-out (A4,
// idle_logout.js) and, in the desktop app, the lock while a support is live (A8, desk.js).
// main.js tells it when the sign-in or the lock changes; it reads the idle times from the
// backend and restarts the timers with them.
// The sign-out follows the shorter of the agent's setting and the admin's limit for every
// agent (AD4, agents.idle_timeout_minutes), which an admin may change at any time: the limit
// is read again at most every LIMIT_REFRESH_MS, and only after the agent's input since the
// last read, so an idle app still makes no calls (a call would count as activity on the
// relay) and a changed limit applies without a restart.

import { IdleLock } from "./desk.js";
import { IdleLogout, effectiveIdleMinutes } from "./idle_logout.js";

const DEFAULT_IDLE_MINUTES = 30; // when the setting cannot be read
export const LIMIT_REFRESH_MS = 60_000;

export class SignInTimers {
  /**
   * @param {object} options
   * @param {object} options.backend has appActivity(), idleLogoutMinutes(), deskState(), lock()
   * @param {boolean} options.chatWindow a desktop chat window: no timers (the main window's)
   * @param {() => boolean} options.signedIn
   * @param {() => boolean} options.isLive a support is waiting or chatting in this window
   * @param {(minutes: number) => void} options.onExpire sign out and say why
   */
  constructor({ backend, chatWindow, signedIn, isLive, onExpire }) {
    Object.assign(this, { backend, chatWindow, signedIn });
    // A8: the desktop app locks its windows after the idle time while a support is live.
    this.lock = backend.mode === "desktop" && !chatWindow
      ? new IdleLock({
        appActivity: () => backend.appActivity(),
        onLock: () => backend.lock().catch((error) => console.warn("not locked:", error.message)),
      })
      : null;
    // A4: sign out after the idle time (the main window decides; idle_logout.js).
    this.idle = new IdleLogout({ isLive, appActivity: () => backend.appActivity(), onExpire });
    this._idleOn = false;
    this.idleOverride = {}; // tests: {timeoutMs, checkMs}
    this.refreshMs = LIMIT_REFRESH_MS; // tests may shorten it
    this._ownMinutes = DEFAULT_IDLE_MINUTES;
    this._adminMinutes = 0;
    this._readAt = -Infinity; // when the admin's limit was last read (Date.now())
    this._refresh = null;
  }

  /** The sign-in changed (`changed`: signed in or out, not just another token). */
  signInChanged(changed) {
    this._syncIdle();
    if (changed) {
      this.startLock();
    }
  }

  /** A8: while locked the timer rests until unlocked. */
  lockChanged(locked) {
    if (this.lock) {
      this.lock.paused = locked;
      this.lock.reset();
    }
  }

  /** The main window's idle timer runs exactly while signed in. */
  _syncIdle() {
    if (this.chatWindow) {
      return;
    }
    if (!this.signedIn()) {
      this.idle.stop();
      this._stopRefresh();
      this._idleOn = false;
    } else if (!this._idleOn) {
      this._idleOn = true;
      this.startIdle();
    }
  }

  /** (Re)start the idle timer with the agent's `minutes` (or the saved setting), bounded by
   * the admin's limit. */
  async startIdle(minutes) {
    if (minutes === undefined) {
      try {
        minutes = await this.backend.idleLogoutMinutes();
      } catch (error) {
        console.warn(`idle time not read; using ${DEFAULT_IDLE_MINUTES} minutes:`, error.message);
        minutes = DEFAULT_IDLE_MINUTES;
      }
    }
    this._ownMinutes = minutes;
    await this._readAdminLimit();
    if (this.signedIn() && !this.chatWindow) {
      this.idle.start(this.idleMinutes(), this.idleOverride);
      this._readAt = this.idle.lastInput; // the limit was just read
      this._startRefresh();
    }
  }

  /** The idle time the sign-out follows now (minutes, 0 = off). */
  idleMinutes() {
    return effectiveIdleMinutes(this._ownMinutes, this._adminMinutes);
  }

  async _readAdminLimit() {
    this._readAt = Date.now();
    try {
      this._adminMinutes = (await this.backend.adminIdleMinutes?.()) ?? 0;
    } catch (error) {
      console.warn("the admin's idle limit was not read:", error.message); // the last one holds
    }
  }

  _startRefresh() {
    this._stopRefresh();
    const id = setInterval(async () => {
      if (this.idle.lastInput <= this._readAt || !this.signedIn()) {
        return; // no input since the last read: ask nothing (it would count as activity)
      }
      await this._readAdminLimit();
      if (this.signedIn()) {
        this.idle.setMinutes(this.idleMinutes());
      }
    }, this.refreshMs);
    this._refresh = () => clearInterval(id);
  }

  _stopRefresh() {
    this._refresh?.();
    this._refresh = null;
  }

  /** (Re)start the lock's timer with the app's idle time (desktop main window, signed in). */
  async startLock() {
    if (!this.lock) {
      return;
    }
    if (!this.signedIn()) {
      this.lock.stop();
      return;
    }
    const desk = await this.backend.deskState().catch(() => null);
    if (this.signedIn()) {
      this.lock.start(desk?.lock_after_s ?? 0);
    }
  }
}
