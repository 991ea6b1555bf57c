// CH9: the desktop app opened this page in the system browser to hold a call its own window
// cannot (docs/architecture.md, *Calls in the desktop app*). The address carries a one-time
// sign-in ticket in its fragment (`/agent#handoff=<ticket>[&call=audio|video]`), which browsers
// never send to a server. The page takes it out of the address at once (so a reload or a copied
// link does not carry it), trades it with the relay for a sign-in of its own and opens that
// support. Used, expired and unknown tickets come back as relay error codes (error.handoff_*).

import { requestJson } from "../common/http.js";

const CALL_MEDIA = new Set(["audio", "video"]);

/**
 * The handoff in this address, removed from it; null when there is none.
 * @param {{location: Location, history: History}} [win]
 * @returns {{ticket: string, call: "audio"|"video"|null}|null}
 */
export function takeHandoff(win = window) {
  const fragment = new URLSearchParams(win.location.hash.replace(/^#/, ""));
  const ticket = fragment.get("handoff");
  if (ticket === null) {
    return null;
  }
  const call = fragment.get("call");
  win.history.replaceState(null, "", win.location.pathname + win.location.search);
  return { ticket, call: CALL_MEDIA.has(call) ? call : null };
}

/**
 * Trade the ticket for a sign-in: {token, agent, session_id}.
 * @throws {import("../common/http.js").ApiError} handoff_unknown, handoff_used, handoff_expired,
 *   handoff_session_over, throttled, relay_unreachable
 */
export async function redeemHandoff(ticket) {
  return requestJson("POST", "/api/handoffs/redeem", { body: { ticket } });
}
