// CH9: the desktop app's side of a call in a chat window. Before the page opens the microphone
// and camera it tells the app that the agent started or accepted a call (POST /local/calls:
// only then does the app's permission handler let this window use them), and when the call is
// over that it ended. Where this window cannot call (call_support.js), it says why and opens
// the support in the system browser, signed in through a one-time link
// (POST /local/calls/browser), and remembers that it did: the browser's socket then takes the
// agent's place in the support, and this window says where the support went.

import { callSupport } from "./call_support.js";
import { DesktopCallBar } from "./desktop_call_bar.js";

export class DesktopCall {
  /**
   * @param {object} options
   * @param {import("./desktop_backend.js").DesktopBackend} options.backend
   * @param {string} options.sessionId
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.before the bar goes right before this element
   */
  constructor({ backend, sessionId, i18n, before }) {
    Object.assign(this, { backend, sessionId, i18n });
    this.armed = false;
    this.handedOff = false; // the support was opened in the system browser
    this._lastMedia = null;
    this._lastSupport = null;
    this.bar = new DesktopCallBar({ i18n, onOpenAgain: () => this._openInBrowser() });
    before.before(this.bar.element);
  }

  /** Ask the engine and the app: see callSupport(). */
  async support() {
    return callSupport(window, await this.backend.callSupport());
  }

  /**
   * The agent starts a call: here when this window can (`startHere`; the call controller
   * awaits arm() before it opens the devices), else in the system browser.
   * @param {"audio"|"video"} media
   * @param {(media: string) => Promise<void>} startHere
   * @returns {Promise<"here"|"browser">}
   */
  async startCall(media, startHere) {
    const support = await this.support();
    if (!support.here) {
      this._lastMedia = media;
      this._lastSupport = support;
      await this._openInBrowser();
      return "browser";
    }
    await startHere(media);
    return "here";
  }

  /** The agent started or accepted a call here: the app lets this page open the devices. */
  async arm() {
    await this.backend.callState(this.sessionId, "start");
    this.armed = true;
  }

  /** The call is over here: the app no longer lets this page open the devices. */
  async disarm() {
    if (!this.armed) {
      return;
    }
    this.armed = false;
    await this.backend.callState(this.sessionId, "end").catch((error) => {
      console.warn("the app was not told that the call ended:", error.message);
    });
  }

  async _openInBrowser() {
    const support = this._lastSupport;
    this.bar.show(support, "opening");
    try {
      this.handedOff = true; // before the browser's socket replaces this window's
      await this.backend.openCallInBrowser(this.sessionId, this._lastMedia);
      this.bar.show(support, "opened");
    } catch (error) {
      this.handedOff = false;
      const key = `error.${error.code}`;
      this.bar.show(support, "failed", this.i18n.has(key) ? this.i18n.t(key) : error.message);
    }
  }

  destroy() {
    this.disarm();
    this.bar.element.remove();
  }
}
