// The main window's two idle timers while an agent is signed in: the automatic sign-out (A4,
// idle_logout.js) and, in the desktop app, the lock while a support is live (A8, desk.js).
// main.js tells it when the sign-in or the lock changes; it reads the idle times from the
// backend and restarts the timers with them.

import { IdleLock } from "./desk.js";
import { IdleLogout } from "./idle_logout.js";

const DEFAULT_IDLE_MINUTES = 30; // when the setting cannot be read

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
      this._idleOn = false;
    } else if (!this._idleOn) {
      this._idleOn = true;
      this.startIdle();
    }
  }

  /** (Re)start the idle timer with `minutes`, or the saved setting. */
  async startIdle(minutes) {
    if (minutes === undefined) {
      try {
        minutes = await this.backend.idleLogoutMinutes();
      } catch (error) {
        console.warn(`idle time not read; using ${DEFAULT_IDLE_MINUTES} minutes:`, error.message);
        minutes = DEFAULT_IDLE_MINUTES;
      }
    }
    if (this.signedIn() && !this.chatWindow) {
      this.idle.start(minutes, this.idleOverride);
    }
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
