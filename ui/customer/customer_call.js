// Voice and video on the customer's page (CH9): the agent's call rings here and in the viewer;
// the page that answers holds it. The tile sits in the chat panel, beside the chat (at the top
// of it on a phone). The page makes one per session socket and destroys it when it leaves the
// chat (the microphone and camera are released).

import { CallController } from "../common/call/call_controller.js";
import { CallTile } from "../common/call/call_tile.js";
import { requestJson } from "../common/http.js";

/**
 * CH9: the one-time viewer (no WebRTC in its engine) opened this page in the system browser to
 * hold a call: `#handoff=<ticket>&call=<call id>`. Returns them, taken out of the address (a
 * reload or a copied link does not carry the ticket), or null.
 */
export function takeCallHandoff(win = window) {
  const fragment = new URLSearchParams(win.location.hash.replace(/^#/, ""));
  const ticket = fragment.get("handoff");
  if (!ticket) {
    return null;
  }
  win.history.replaceState(null, "", win.location.pathname + win.location.search);
  return { ticket, callId: fragment.get("call") };
}

/**
 * Trade the ticket, once, for the viewer's seat: {session_id, customer_token, participant_id}.
 * @throws {import("../common/http.js").ApiError} handoff_unknown, handoff_used, handoff_expired,
 *   handoff_session_over, throttled
 */
export function redeemCallHandoff(ticket) {
  return requestJson("POST", "/api/customer-handoffs/redeem", { body: { ticket } });
}

export class CustomerCall {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.panel the chat panel: the tile goes first in it
   * @param {string|null} [options.autoAnswer] the call the viewer handed over: answered here
   */
  constructor({ socket, i18n, panel, autoAnswer = null }) {
    this.controller = new CallController({ socket, onChange: () => this.tile?.render(), autoAnswer });
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
