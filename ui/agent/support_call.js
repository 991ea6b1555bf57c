// Voice and video calls in one support (CH9), the agent's side: "Voice call" / "Video call" in
// the chat's header, the call tile floating over the chat (movable), and in the desktop app the
// camera gate and the system-browser fallback (desktop_call.js). `controller` is the page's
// CallController (its recording hook is audioTracks(), see docs/calls.md); SupportView makes
// one SupportCall per support it enters and destroys it when it leaves.

import { byId } from "../common/dom.js";
import { CallController } from "../common/call/call_controller.js";
import { CallTile, callButtons } from "../common/call/call_tile.js";
import { CallAudioTap } from "./call_audio_tap.js";
import { DesktopCall } from "./desktop_call.js";

export class SupportCall {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket
   * @param {string} options.sessionId
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {import("./browser_backend.js").BrowserBackend} options.backend
   * @param {() => boolean} options.canCall a customer is connected and the socket is online
   * @param {(key: string) => void} options.notice a line in the chat
   */
  constructor({ socket, sessionId, i18n, backend, canCall, notice }) {
    this.canCall = canCall;
    this.notice = notice;
    this._handoffCall = null; // the call the desktop app could not hold (system browser)
    // The desktop app's side of a call (camera gate, the system-browser fallback).
    this.desk = backend.callSupport
      ? new DesktopCall({ backend, sessionId, i18n, before: byId("chat-container") })
      : null;
    this.controller = new CallController({
      socket,
      onChange: () => {
        this.tile?.render();
        this.buttons?.render();
        this._changed();
      },
      // Desktop app: the camera and microphone open to this window only in a call.
      beforeMedia: this.desk ? () => this.desk.arm() : null,
    });
    // P9: in the desktop app, the call's sound goes into the presentation's recording.
    this.audioTap = backend.callAudio
      ? new CallAudioTap({ controller: this.controller, backend, sessionId })
      : null;
    this.tile = new CallTile({ controller: this.controller, i18n, parent: document.body });
    this.buttons = callButtons({
      controller: this.controller,
      i18n,
      canCall,
      onStart: (media) => this.start(media), // desktop: here, or in the system browser
    });
    // In the chat's header, beside the customer's name, as chat apps put their call buttons
    // (the tools bar below is full while presenting).
    byId("notes-toggle").before(this.buttons.element);
  }

  /** The support handed its place to the system browser (a "replaced" close is expected). */
  get handedOff() {
    return Boolean(this.desk?.handedOff);
  }

  /** The session or the socket changed: the buttons follow; a handed-off call may start. */
  render() {
    this.buttons?.render();
    this._startHandoffCall();
  }

  /**
   * The agent starts a call (the chat window's Call, or the notice's): here, or where this
   * window cannot, in the system browser (desktop_call.js).
   * @param {"audio"|"video"} media
   */
  async start(media) {
    const here = (kind) => this.controller?.start(kind);
    return this.desk ? this.desk.startCall(media, here) : here(media);
  }

  /** This page was opened by the desktop app's sign-in link; `media` starts a call here. */
  fromHandoff(media) {
    this._handoffCall = media;
    this.notice("deskcall.signed_in_from_app");
    this._startHandoffCall();
  }

  /** The call the desktop app could not hold starts here once the customer is connected. */
  _startHandoffCall() {
    const media = this._handoffCall;
    if (media && this.controller && this.canCall()) {
      this._handoffCall = null;
      this.start(media);
    }
  }

  /** The call ended here (or never began): the desktop app closes the devices to this window. */
  _changed() {
    // Over: nothing is being opened and no microphone or camera is held any more.
    if (this.desk?.armed && !this.controller.busy && !this.controller.localStream) {
      this.desk.disarm();
    }
    this._startHandoffCall();
  }

  /** Hang up and release the microphone and camera (before the socket closes). */
  destroy() {
    this.audioTap?.destroy();
    this.audioTap = null;
    this.controller?.destroy();
    this.tile?.destroy();
    this.buttons?.element.remove();
    this.controller = this.tile = this.buttons = null;
    this.desk?.destroy();
    this.desk = null;
  }
}
