// The viewer's End button (the guide's 종료): the customer ends the support session from the
// presentation, as from the chat, after a confirmation. `end_session` goes on the viewer's own
// screen socket (docs/protocol.md); `session_ended` then shows the end notice as usual.

import { byId } from "../common/dom.js";
import { MessageType } from "../common/protocol.js";

export class ViewerEnd {
  /** @param {() => import("../common/session_socket.js").SessionSocket | null} socket */
  constructor(socket) {
    this.socket = socket;
    this.button = byId("end-button");
    this.dialog = byId("end-dialog");
    this.button.addEventListener("click", () => this.dialog.showModal());
    this.dialog.addEventListener("close", () => {
      if (this.dialog.returnValue === "confirm") {
        this.socket()?.send(MessageType.END_SESSION);
      }
      this.dialog.returnValue = "";
    });
  }

  /** Offered only while the session can still be ended (connected, not ended). */
  setEnabled(enabled) {
    this.button.disabled = !enabled;
    if (!enabled && this.dialog.open) {
      this.dialog.close();
    }
  }
}
