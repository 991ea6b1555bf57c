// Presenting in one support, the agent's side (P1–P5): "Present screen" with pause / resume /
// stop (request.js's PresentationControls), and either the desktop app's presenter with its
// screen and window choice (share_picker.js) and drawing (drawing_panel.js), or, in a browser
// without the app, the page presenting itself through getDisplayMedia (browser_presenter.js).
// SupportView makes one per support it enters.

import { byId } from "../common/dom.js";
import { PresentationControls } from "../common/screen/request.js";
import { BrowserPresenter } from "./browser_presenter.js";
import { DrawingPanel } from "./drawing_panel.js";
import { SharePicker } from "./share_picker.js";

export class SupportPresenting {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket
   * @param {string} options.sessionId
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./browser_backend.js").BrowserBackend} options.backend
   * @param {import("../common/chat/chat_view.js").ChatView} options.chatView
   * @param {() => object} options.auth the sign-in (the browser presenter's screen socket)
   * @param {() => boolean} options.ended the support is over
   * @param {(state: string) => void} options.onState idle, asking, presenting, paused, ...
   */
  constructor({ socket, sessionId, i18n, backend, chatView, auth, ended, onState }) {
    Object.assign(this, { sessionId, chatView, ended });
    this._presentState = "idle";
    this._starting = null; // the presenter's "start" call while it is under way
    // Screen and window choice: desktop only (GET /local/screens), shown while presenting.
    this.sharePicker = backend.screens
      ? new SharePicker({
          backend,
          sessionId,
          i18n,
          anchor: byId("tools-share"),
          // Until "start" is answered the presenter is not there yet: its "idle" is no news.
          onSync: (state) => this._starting || this.presentation?.sync(state),
        })
      : null;
    // P5: drawing on the desktop over the shared screen: desktop only, shown while presenting.
    this.drawingPanel = backend.drawing
      ? new DrawingPanel({ backend, sessionId, i18n, anchor: byId("tools-draw") })
      : null;
    // Without the desktop app's presenter the page presents itself (getDisplayMedia).
    this.browserPresenter =
      !backend.presentation && BrowserPresenter.supported()
        ? new BrowserPresenter({ sessionId, auth, onEnded: () => this._browserShareEnded() })
        : null;
    // Pause / resume / stop need a presenter: offered when the backend drives one (desktop).
    this.presentation = new PresentationControls({
      socket,
      chatView,
      i18n,
      anchor: byId("tools-present"),
      onControl: backend.presentation
        ? (action) => this._desktopControl(backend, action)
        : (action) => this._browserControl(action),
      prepare: backend.presentation ? null : () => this._pickScreen(),
      onState: (state) => {
        this._followBrowserPresenter(state);
        this.sharePicker?.setState(state);
        this.drawingPanel?.setPresenting(state === "presenting" || state === "paused");
        onState(state);
      },
    });
  }

  _desktopControl(backend, action) {
    const call =
      action === "start" && this.sharePicker
        ? this.sharePicker.start((choice) => backend.presentation(action, this.sessionId, choice))
        : backend.presentation(action, this.sessionId, {});
    if (action === "start") {
      // A slow presenter start (seconds under load) must not read as a stop.
      this._starting = call;
      const done = () => this._starting === call && (this._starting = null);
      call.then(done, done);
    }
    return call;
  }

  /** In the "Present screen" click: the browser's picker; false when nothing was chosen. */
  async _pickScreen() {
    if (this.browserPresenter === null) {
      // getDisplayMedia exists only in secure contexts: over plain http, say that instead.
      const key = window.isSecureContext ? "browser_present.unsupported" : "browser_present.insecure";
      this.chatView.addNotice(key);
      return false;
    }
    try {
      await this.browserPresenter.pick();
      return true;
    } catch (error) {
      const cancelled = error?.code === "cancelled";
      this.chatView?.addNotice(cancelled ? "browser_present.cancelled" : "browser_present.failed", {
        message: error?.message ?? String(error),
      });
      return false;
    }
  }

  _browserControl(action) {
    const presenter = this.browserPresenter;
    if (action === "start" && !presenter?.start()) {
      this.chatView.addNotice("browser_present.share_again");
      queueMicrotask(() => this.presentation?.sync("idle"));
    } else if (action === "pause" || action === "resume" || action === "stop") {
      presenter?.[action]();
    }
  }

  /** Declined, or stopped: the capture the click picked is let go. */
  _followBrowserPresenter(state) {
    const before = this._presentState;
    this._presentState = state;
    if (state === "idle" && before !== "idle") {
      this.browserPresenter?.release();
    }
  }

  /** The browser's own "Stop sharing" (or the shared window closed) ended the capture. */
  _browserShareEnded() {
    if (this.ended() || !this.presentation) {
      return;
    }
    this.chatView?.addNotice("browser_present.ended", {}, { subtle: true });
    this.presentation.sync("idle");
  }

  destroy() {
    this.browserPresenter?.stop(); // present_stop, and the browser's capture ends
    this.browserPresenter = null;
    this.presentation?.destroy();
    this.presentation = null;
    this.drawingPanel?.destroy();
    this.drawingPanel = null;
    this.sharePicker?.destroy();
    this.sharePicker = null;
  }
}
