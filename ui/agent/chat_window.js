// A desktop chat window (`#...&session=<id>`): the login is the main window's, and the window
// shows this one support, or a message saying where it went (signed out, continued in the
// browser, a failure).

import { byId } from "../common/dom.js";
import { i18n } from "../common/i18n.js";
import { offerDesktopActions } from "./call_handoff.js";
import { ActivityReporter } from "./idle_logout.js";

export class ChatWindow {
  /** @param {object} app the AgentApp (its backend, support, sign-in and panels) */
  constructor(app) {
    this.app = app;
  }

  async start() {
    const app = this.app;
    offerDesktopActions(app.support); // the connection notice's End and Call (CH9)
    new ActivityReporter({
      source: app.backend.windowSessionId,
      report: (report) => app.backend.reportActivity(report),
      isLive: () => app._supportLive(),
    }).start(); // A4: the main window counts this window's input and live support
    await this.openSupport();
  }

  /** Show this chat window's support with the app's sign-in (again after a new sign-in). */
  async openSupport() {
    const app = this.app;
    try {
      const login = await app.backend.currentLogin();
      if (!login) {
        this.showMessage("desktop.signed_out");
        return;
      }
      app._setAuth(login);
      app.windows.afterSignIn();
      const { support } = await app._api("GET", `/api/supports/${app.backend.windowSessionId}`);
      app._enter(support);
    } catch (error) {
      if (!app._authError(error)) {
        this.showMessage(null, error);
      }
    }
  }

  /** Say where the support went (an i18n key), or show the error. */
  showMessage(key, error) {
    this.app._show("home");
    byId("home-title").textContent = "";
    // Where the support went (the browser holding a call) is news, not a failure.
    byId("home-error").classList.toggle("rs-alert--info", key === "deskcall.continued_in_browser");
    if (key) {
      this.app.homeError.showKey(key);
    } else {
      this.app.homeError.show(error);
    }
  }
}
