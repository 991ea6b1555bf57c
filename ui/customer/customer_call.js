// Voice and video on the customer's page (CH9): the agent's call rings here and in the viewer;
// the page that answers holds it. The tile sits in the chat panel, beside the chat (at the top
// of it on a phone). The page makes one per session socket and destroys it when it leaves the
// chat (the microphone and camera are released).

import { CallController } from "../common/call/call_controller.js";
import { CallTile } from "../common/call/call_tile.js";

export class CustomerCall {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.panel the chat panel: the tile goes first in it
   */
  constructor({ socket, i18n, panel }) {
    this.controller = new CallController({ socket, onChange: () => this.tile?.render() });
    this.tile = new CallTile({ controller: this.controller, i18n, parent: panel, place: "chat" });
    panel.prepend(this.tile.element);
  }

  testState() {
    return this.controller.testState();
  }

  stats() {
    return this.controller.stats();
  }

  destroy() {
    this.controller.destroy(); // hang up; the microphone and camera are released
    this.tile.destroy();
  }
}
