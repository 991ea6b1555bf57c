// The customer's "this session is being recorded" mark (P9), in the chat page and the viewer.
//
// The agent's app says when it records (`set_recording` from its presenter); the relay tells
// every chat socket and viewer with `recording_state` and keeps it in `welcome.session.recording`
// for those who join later. The mark is a status line with a red dot, shown only while it is
// true; a change is announced to screen readers through role="status".

import { MessageType } from "./protocol.js";

export class RecordingMark {
  /**
   * @param {{i18n: object, parent: Element, before?: Element | null}} options where the mark goes
   */
  constructor({ i18n, parent, before = null }) {
    this.element = document.createElement("span");
    this.element.className = "rs-recording-mark";
    this.element.setAttribute("role", "status");
    this.element.dataset.testid = "recording-mark";
    const dot = document.createElement("span");
    dot.className = "rs-recording-mark__dot";
    dot.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    text.className = "rs-recording-mark__text";
    i18n.bind(text, "recording.mark");
    this.element.append(dot, text);
    this.element.hidden = true;
    parent.insertBefore(this.element, before);
  }

  /** Follow a session socket (chat or screen channel). */
  attach(socket) {
    socket.on(MessageType.WELCOME, (welcome) => this.set(welcome.session?.recording === true));
    socket.on(MessageType.RECORDING_STATE, (message) => this.set(message.recording === true));
    socket.on(MessageType.SESSION_ENDED, () => this.set(false));
    return this;
  }

  set(recording) {
    this.element.hidden = !recording;
  }
}
