// A4 automatic logout. The main window signs the agent out after the idle time (a setting in
// minutes, 0 = off) without keyboard or mouse input in any of the app's windows, exactly as
// its Log out button does. The desktop app's other windows (chat, notice) see input the main
// window cannot: they report it to the app at most every 30 s (ActivityReporter, POST
// /local/activity), and the main window asks the app (GET /local/activity) only once its own
// idle time has run out, so an idle app makes no calls at all.
// Never while a support is live (waiting for or chatting with a customer): an agent listening
// to a customer, or waiting for one who was just sent the code, types nothing for long
// stretches, and ending that conversation would be worse than staying signed in. A live
// support also restarts the idle time, so the end of a long support does not sign out at once.
// idleDecision() is the whole rule, pure; the classes only add timers and events, and take
// an injectable clock so tests can drive them.

export const CHECK_EVERY_MS = 5000;
export const REPORT_EVERY_MS = 30000;
export const LIVE_CHANGE_CHECK_MS = 1000; // a local look at isLive(); a report only on change
export const INPUT_EVENTS = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"];
export const MAX_IDLE_MINUTES = 1440;

const realClock = Object.freeze({
  now: () => Date.now(),
  every: (ms, fn) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
});

/**
 * The rule: what to do now.
 * @param {object} facts
 * @param {number} facts.timeoutMs the idle time allowed (0 or less: off)
 * @param {number} facts.ownIdleMs since the last input in this window
 * @param {number|null} facts.appIdleS since the last input the app's other windows reported
 *   (null: none reported)
 * @param {boolean} facts.live a support is waiting or chatting (here or in another window)
 * @returns {"off"|"live"|"active"|"logout"}
 */
export function idleDecision({ timeoutMs, ownIdleMs, appIdleS, live }) {
  if (!(timeoutMs > 0)) {
    return "off";
  }
  if (live) {
    return "live";
  }
  const idleMs = typeof appIdleS === "number" ? Math.min(ownIdleMs, appIdleS * 1000) : ownIdleMs;
  return idleMs >= timeoutMs ? "logout" : "active";
}

/**
 * AD4: the idle time the app signs out after: the shorter of the agent's own setting and the
 * admin's limit for every agent (each 0 = none), so the app says why before the relay's
 * token runs out.
 * @param {number} own the agent's idle_logout_minutes
 * @param {number} admin the relay's agents.idle_timeout_minutes
 */
export function effectiveIdleMinutes(own, admin) {
  const set = [own, admin].filter((minutes) => minutes > 0);
  return set.length ? Math.min(...set) : 0;
}

/** True for a whole number of minutes the setting accepts (0 = off). */
export function validIdleMinutes(value) {
  return Number.isInteger(value) && value >= 0 && value <= MAX_IDLE_MINUTES;
}

/** Listen to the agent's input on `target`; returns a function that stops listening. */
function onInput(target, handler) {
  const options = { capture: true, passive: true };
  for (const type of INPUT_EVENTS) {
    target.addEventListener(type, handler, options);
  }
  return () => {
    for (const type of INPUT_EVENTS) {
      target.removeEventListener(type, handler, options);
    }
  };
}

/** The main window's timer: signs out through `onExpire(minutes)` when idleDecision says so. */
export class IdleLogout {
  /**
   * @param {object} options
   * @param {() => boolean} options.isLive a support is live in this window
   * @param {() => Promise<{idle_s: number|null, live: boolean}>} options.appActivity the other
   *   windows' input and live supports (the browser page has none: {idle_s: null, live: false})
   * @param {(minutes: number) => void} options.onExpire sign out and say why
   * @param {EventTarget} [options.target] where input is seen (window)
   * @param {{now: () => number, every: (ms: number, fn: Function) => Function}} [options.clock]
   */
  constructor({ isLive, appActivity, onExpire, target = window, clock = realClock }) {
    Object.assign(this, { isLive, appActivity, onExpire, target, clock });
    this.minutes = 0;
    this.timeoutMs = 0;
    this.checkMs = CHECK_EVERY_MS;
    this.lastInput = clock.now();
    this._stopTimer = null;
    this._stopInput = null;
    this._checking = false;
  }

  get running() {
    return this._stopTimer !== null;
  }

  /**
   * Run with this idle time (restarts the count). `timeoutMs` overrides the minutes (tests).
   * @param {number} minutes
   * @param {{timeoutMs?: number, checkMs?: number}} [override]
   */
  start(minutes, { timeoutMs, checkMs } = {}) {
    this.stop();
    this.minutes = minutes;
    this.timeoutMs = timeoutMs ?? minutes * 60_000;
    this.checkMs = checkMs ?? CHECK_EVERY_MS;
    this.lastInput = this.clock.now();
    if (!(this.timeoutMs > 0)) {
      return;
    }
    this._stopInput = onInput(this.target, () => {
      this.lastInput = this.clock.now();
    });
    this._stopTimer = this.clock.every(this.checkMs, () => this.check());
  }

  stop() {
    this._stopTimer?.();
    this._stopInput?.();
    this._stopTimer = null;
    this._stopInput = null;
  }

  /** Another idle time, the count going on (the admin changed the limit meanwhile). */
  setMinutes(minutes) {
    if (minutes === this.minutes || !this.running) {
      return;
    }
    const lastInput = this.lastInput;
    this.start(minutes, { checkMs: this.checkMs });
    this.lastInput = lastInput;
  }

  /** What idleDecision() says now, without acting; asks the app only when this window's own
   * idle time is used up (an app that cannot answer never signs out: "active"). */
  async decide() {
    if (!this.running) {
      return "off";
    }
    const facts = { timeoutMs: this.timeoutMs, ownIdleMs: this.clock.now() - this.lastInput };
    const decision = idleDecision({ ...facts, appIdleS: null, live: this.isLive() });
    if (decision !== "logout") {
      return decision;
    }
    try {
      const app = await this.appActivity();
      const live = this.isLive() || Boolean(app?.live);
      facts.ownIdleMs = this.clock.now() - this.lastInput; // input may have come meanwhile
      return idleDecision({ ...facts, appIdleS: app?.idle_s ?? null, live });
    } catch (error) {
      console.warn("the app's activity could not be read; not signing out:", error.message);
      return "active";
    }
  }

  /** One timer tick: decide, and sign out when it is time. */
  async check() {
    if (!this.running || this._checking) {
      return "off";
    }
    this._checking = true;
    let decision;
    try {
      decision = await this.decide();
    } finally {
      this._checking = false;
    }
    if (decision === "live") {
      this.lastInput = this.clock.now(); // the idle time counts from the end of a support
    }
    if (decision === "logout" && this.running) {
      this.stop();
      this.onExpire(this.minutes);
    }
    return decision;
  }
}

/**
 * A window other than the main one (desktop chat windows, the notice): reports input to the
 * app at most every `everyMs`, and while it holds a live support, a heartbeat as often.
 */
export class ActivityReporter {
  /**
   * @param {object} options
   * @param {string} options.source this window's name for the app (a session id, "notice")
   * @param {(report: {source: string, input: boolean, live: boolean}) => Promise} options.report
   * @param {() => boolean} [options.isLive]
   * @param {EventTarget} [options.target]
   * @param {object} [options.clock] as IdleLogout's
   * @param {number} [options.everyMs]
   */
  constructor({ source, report, isLive = () => false, target = window, clock = realClock,
    everyMs = REPORT_EVERY_MS }) { // prettier-ignore
    Object.assign(this, { source, report, isLive, target, clock, everyMs });
    this.lastSent = -Infinity;
    this.pendingInput = false;
    this.sentLive = false;
  }

  start() {
    this._stopInput = onInput(this.target, () => {
      this.pendingInput = true;
      if (this.clock.now() - this.lastSent >= this.everyMs) {
        this.flush();
      }
    });
    const heartbeat = this.clock.every(this.everyMs, () => this.flush());
    const change = this.clock.every(LIVE_CHANGE_CHECK_MS, () => {
      if (Boolean(this.isLive()) !== this.sentLive) {
        this.flush(); // a support started or ended: tell the app now, not in 30 s
      }
    });
    this._stopTimer = () => {
      heartbeat();
      change();
    };
    return this;
  }

  stop() {
    this._stopInput?.();
    this._stopTimer?.();
  }

  /** Send what is new: input since the last report, or the live state (heartbeat, or its end). */
  flush() {
    const live = Boolean(this.isLive());
    if (!this.pendingInput && !live && !this.sentLive) {
      return;
    }
    const report = { source: this.source, input: this.pendingInput, live };
    this.pendingInput = false;
    this.sentLive = live;
    this.lastSent = this.clock.now();
    this.report(report).catch((error) => {
      console.warn("activity not reported to the app:", error.message);
    });
  }
}
