// One place on a form where failures are told in the user's language: relay error codes map
// to "error.<code>" strings, and `throttled` counts the remaining wait down as mm:ss.

const TICK_MS = 1000;

export class ErrorMessage {
  /**
   * @param {HTMLElement} box an element with aria-live="assertive" (the countdown silences it
   *   between ticks so a screen reader is not told the time every second)
   * @param {import("./i18n.js").i18n} i18n
   * @param {object} [options]
   * @param {(waiting: boolean) => void} [options.onWaitChange] told when a throttle wait
   *   starts and ends, e.g. to disable the submit button
   */
  constructor(box, i18n, { onWaitChange } = {}) {
    this.box = box;
    this.i18n = i18n;
    this.onWaitChange = onWaitChange ?? (() => {});
    this._timer = null;
  }

  /** True while a throttle wait is running. */
  get waiting() {
    return this._timer !== null;
  }

  /**
   * Show what went wrong.
   * @param {Error & {code?: string, status?: number, retryAfterS?: number|null}} error
   */
  show(error) {
    const code = error?.code;
    if (code === "throttled" && typeof error.retryAfterS === "number") {
      this._countdown(error.retryAfterS);
      return;
    }
    if (code === "bad_credentials" && typeof error.triesLeft === "number") {
      // Before a lock (5 wrong passwords for this ID from this address) the relay says how
      // many tries are left.
      this.showKey("error.bad_credentials_tries", { tries: error.triesLeft });
    } else if (code === "relay_uses_http" && typeof error.url === "string") {
      // The agent app: an address typed without a scheme answers over plain http only.
      this.showKey("error.relay_uses_http", { url: error.url });
    } else if (error?.networkCause && this.i18n.has(`net.cause.${error.networkCause}`)) {
      // A7: what exactly failed between the agent app and the relay (DNS, proxy, certificate).
      this.showKey(`net.cause.${error.networkCause}`, { reason: error.networkReason ?? "" });
    } else if (code === "server_error") {
      this.showKey("error.server_error", { status: error.status || "?" });
    } else if (code && this.i18n.has(`error.${code}`)) {
      // {message} lets a string add the server's reason (e.g. why a certificate failed).
      this.showKey(`error.${code}`, { message: error.message ?? "" });
    } else {
      console.error(error);
      this.showKey("error.unknown", { message: error?.message ?? String(error) });
    }
  }

  /** Show a message by its i18n key. */
  showKey(key, params) {
    this._stop();
    this.box.classList.remove("rs-alert--success");
    this.box.setAttribute("aria-live", "assertive");
    this.i18n.bind(this.box, key, params);
  }

  clear() {
    this._stop();
    delete this.box.dataset.i18n;
    delete this.box.dataset.i18nParams;
    this.box.classList.remove("rs-alert--success");
    this.box.textContent = "";
  }

  _countdown(seconds) {
    this._stop();
    if (seconds <= 0) {
      this.showKey("error.throttled_done");
      return;
    }
    const deadline = Date.now() + seconds * 1000;
    const tick = () => {
      const remaining = (deadline - Date.now()) / 1000;
      if (remaining <= 0) {
        this._stop();
        this.box.setAttribute("aria-live", "assertive");
        this.box.classList.add("rs-alert--success");
        this.i18n.bind(this.box, "error.throttled_done");
        return;
      }
      this.i18n.bind(this.box, "error.throttled", { wait: this.i18n.formatCountdown(remaining) });
      this.box.dataset.retryAfterS = String(Math.ceil(remaining));
    };
    this.box.classList.remove("rs-alert--success");
    this.box.setAttribute("aria-live", "assertive");
    tick();
    this._timer = setInterval(() => {
      this.box.setAttribute("aria-live", "off");
      tick();
    }, TICK_MS);
    this.onWaitChange(true);
  }

  _stop() {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
      delete this.box.dataset.retryAfterS;
      this.onWaitChange(false);
    }
  }
}
