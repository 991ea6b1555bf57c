// The presentation request in the two chats (CH6, P1, P2), on the chat socket:
//   agent   "Present screen" → request_presentation
//   customer sees presentation_requested → "Show me" (opens /view) or "No, thanks"
//            → answer_presentation {accept}
//   both    presentation_answered {accept} → a line in each transcript
// Pause / resume / stop act on the presenter (the agent app's screen socket), not on the chat:
// the agent page offers them only when its backend can reach a presenter (onControl).

import { element } from "../dom.js";
import { MessageType } from "../protocol.js";

export const VIEWER_PATH = "/view";
const VIEWER_WINDOW_NAME = "rs-viewer"; // one viewer window per tab: a second open focuses it

/** The customer's side: a prompt above the transcript with Accept / Decline. */
export class PresentationPrompt {
  /**
   * @param {object} options
   * @param {import("../session_socket.js").SessionSocket} options.socket the chat socket
   * @param {import("../chat/chat_view.js").ChatView} options.chatView for lines in the transcript
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.anchor the prompt is inserted just before this element
   * @param {string} [options.viewerUrl]
   */
  constructor({ socket, chatView, i18n, anchor, viewerUrl = VIEWER_PATH }) {
    this.socket = socket;
    this.chatView = chatView;
    this.i18n = i18n;
    this.viewerUrl = viewerUrl;
    this.viewerWindow = null;
    this.element = element("div", "rs-present-prompt", {
      "data-testid": "presentation-prompt",
      role: "region",
      "aria-live": "polite",
    });
    this.element.hidden = true;
    anchor.before(this.element);
    this._unsubscribe = [
      socket.on(MessageType.PRESENTATION_REQUESTED, (message) => this._requested(message)),
      socket.on(MessageType.PRESENTATION_ANSWERED, (message) => this._answered(message)),
    ];
  }

  destroy() {
    for (const unsubscribe of this._unsubscribe) {
      unsubscribe();
    }
    this.element.remove();
  }

  /** Open (or bring forward) the viewer window; false when the browser blocked it. */
  openViewer() {
    // No "noopener": the new window must get a copy of this tab's sessionStorage, which holds
    // the session id and customer token the viewer connects with.
    this.viewerWindow = window.open(this.viewerUrl, VIEWER_WINDOW_NAME);
    this.viewerWindow?.focus();
    return this.viewerWindow !== null;
  }

  _requested({ agent_name: name }) {
    const text = element("p", "rs-present-prompt__text", { id: "present-prompt-text" });
    this.i18n.bind(text, "present.requested", { name: name || "" });
    const hint = element("p", "rs-present-prompt__hint", { id: "present-prompt-hint" });
    this.i18n.bind(hint, "present.requested_hint");
    const accept = this._button("present.accept", "presentation-accept", "rs-button--primary", () =>
      this._answer(true),
    );
    const decline = this._button("present.decline", "presentation-decline", "rs-button--secondary", () =>
      this._answer(false),
    );
    const actions = element("div", "rs-present-prompt__actions");
    actions.append(accept, decline);
    this.element.setAttribute("aria-labelledby", "present-prompt-text");
    this.element.setAttribute("aria-describedby", "present-prompt-hint");
    this.element.dataset.state = "asked";
    this.element.replaceChildren(text, hint, actions);
    this.element.hidden = false;
  }

  _answer(accept) {
    // Open the window inside the click: a popup opened after the relay's answer would be blocked.
    const opened = accept ? this.openViewer() : false;
    this.socket.send(MessageType.ANSWER_PRESENTATION, { accept });
    if (!accept) {
      this.element.hidden = true;
      this.element.replaceChildren();
      return;
    }
    const text = element("p", "rs-present-prompt__text");
    this.i18n.bind(text, opened ? "present.accepted" : "present.popup_blocked");
    const open = this._button("present.open", "presentation-open", "rs-button--secondary", () =>
      this.openViewer(),
    );
    const actions = element("div", "rs-present-prompt__actions");
    actions.append(open);
    this.element.dataset.state = "accepted";
    this.element.replaceChildren(text, actions);
    (opened ? this.chatView : null)?.focus();
  }

  _answered({ accept }) {
    this.chatView.addNotice(accept ? "present.accepted" : "present.declined", {}, { subtle: true });
  }

  _button(key, testId, variant, onClick) {
    const button = element("button", `rs-button rs-button--small ${variant}`, {
      type: "button",
      "data-testid": testId,
    });
    this.i18n.bind(button, key);
    button.addEventListener("click", onClick);
    return button;
  }
}

/** The agent's side: "Present screen", then pause / resume / stop when a presenter is there. */
export class PresentationControls {
  /**
   * @param {object} options
   * @param {import("../session_socket.js").SessionSocket} options.socket the chat socket
   * @param {import("../chat/chat_view.js").ChatView} options.chatView
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.anchor the buttons are inserted just before this element
   * @param {(action: "start"|"pause"|"resume"|"stop") => unknown} [options.onControl] drives
   *   the presenter (the desktop app); without it only the request is offered
   * @param {(state: string) => void} [options.onState] told the state after every change
   * @param {() => Promise<boolean>} [options.prepare] runs inside the "Present screen" click,
   *   before the request is sent (the browser page picks its screen there); false: not sent
   */
  constructor({ socket, chatView, i18n, anchor, onControl = null, onState = () => {}, prepare = null }) {
    this.onState = onState;
    this.prepare = prepare;
    this._preparing = false;
    this.socket = socket;
    this.chatView = chatView;
    this.i18n = i18n;
    this.onControl = onControl;
    this.state = "idle"; // idle → asked → presenting ⇄ paused → idle
    this.element = element("div", "rs-present-controls", { role: "group" });
    this.element.dataset.i18nAriaLabel = "present.controls";
    this.element.setAttribute("aria-label", i18n.t("present.controls"));
    this.request = this._button("present.request", "present-request", () => this._request());
    this.pause = this._button("present.pause", "present-pause", () => this._toggle());
    this.stop = this._button("present.stop", "present-stop", () => this._stop());
    this.element.append(this.request, this.pause, this.stop);
    anchor.before(this.element);
    this._unsubscribe = [
      socket.on(MessageType.PRESENTATION_ANSWERED, (message) => this._answered(message)),
      socket.on("status", () => this._render()),
    ];
    this._render();
  }

  destroy() {
    for (const unsubscribe of this._unsubscribe) {
      unsubscribe();
    }
    this.element.remove();
  }

  /**
   * Follow the presenter's state when something else changed it (the connection notice).
   * @param {"idle"|"live"|"paused"} presenterState
   */
  sync(presenterState) {
    const state = { idle: "idle", live: "presenting", paused: "paused" }[presenterState];
    const presenting = this.state === "presenting" || this.state === "paused";
    if (state && presenting && state !== this.state) {
      this.state = state;
      this._render();
    }
  }

  async _request() {
    if (this.prepare !== null) {
      this._preparing = true;
      this._render();
      let ready = false;
      try {
        ready = await this.prepare();
      } catch (error) {
        console.error("preparing the presentation failed", error);
      }
      this._preparing = false;
      if (!ready) {
        this._render();
        return;
      }
    }
    if (this.socket.send(MessageType.REQUEST_PRESENTATION)) {
      this.state = "asked";
      this.chatView.addNotice("present.waiting_answer", {}, { subtle: true });
      this._render();
    }
  }

  _answered({ accept }) {
    if (accept) {
      this.state = "presenting";
      this.chatView.addNotice("present.customer_accepted");
      this._control("start");
    } else {
      this.state = "idle";
      this.chatView.addNotice("present.customer_declined");
    }
    this._render();
  }

  _toggle() {
    const pausing = this.state === "presenting";
    this.state = pausing ? "paused" : "presenting";
    this._control(pausing ? "pause" : "resume");
    if (pausing) {
      this.chatView.addNotice("present.paused_notice", {}, { subtle: true });
    }
    this._render();
  }

  _stop() {
    this.state = "idle";
    this._control("stop");
    this.chatView.addNotice("present.stopped_notice", {}, { subtle: true });
    this._render();
  }

  _control(action) {
    try {
      Promise.resolve(this.onControl?.(action)).catch((error) =>
        console.error(`presenter '${action}' failed`, error),
      );
    } catch (error) {
      console.error(`presenter '${action}' failed`, error);
    }
  }

  _render() {
    const online = this.socket.online;
    const presenting = this.state === "presenting" || this.state === "paused";
    const canControl = this.onControl !== null;
    this.request.hidden = presenting && canControl;
    this.request.disabled = !online || this.state === "asked" || this._preparing;
    this.pause.hidden = !(presenting && canControl);
    this.stop.hidden = !(presenting && canControl);
    const paused = this.state === "paused";
    this.i18n.bind(this.pause.lastChild, paused ? "present.resume" : "present.pause");
    const icon = paused ? "present-resume" : "present-pause"; // Resume shows play, not pause
    if (this.pause.dataset.icon !== icon) {
      this.pause.dataset.icon = icon;
      this.pause.firstChild.innerHTML = ICONS[icon]; // constant markup
    }
    this.pause.setAttribute("aria-pressed", String(paused));
    this.element.dataset.state = this.state;
    this.onState(this.state);
  }

  _button(key, testId, onClick) {
    const button = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": testId,
    });
    const icon = element("span", "rs-icon", { "aria-hidden": "true" });
    icon.innerHTML = ICONS[testId]; // constant markup
    const label = element("span");
    this.i18n.bind(label, key);
    button.append(icon, label);
    button.addEventListener("click", onClick);
    return button;
  }
}

const SVG = (paths) =>
  '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" ' +
  `focusable="false">${paths}</svg>`;

const ICONS = Object.freeze({
  "present-request": SVG('<rect x="3" y="4" width="18" height="12.5" rx="2"/><path d="M8.5 20.5h7M12 16.5v4M12 13V7.5M9.5 10 12 7.5l2.5 2.5"/>'),
  "present-pause": SVG('<path d="M9 6v12M15 6v12"/>'),
  "present-resume": SVG('<path d="M8 5.5v13l10.5-6.5z"/>'),
  "present-stop": SVG('<rect x="6" y="6" width="12" height="12" rx="2"/>'),
});
