// CH9: the agent's page and the calls the desktop app hands over. The desktop app opens this
// page in the system browser with a one-time sign-in ticket (handoff.js) when its own window
// cannot hold a call: the page signs in with it, opens that support and starts the call there.
// A desktop chat window offers the connection notice its End and Call (window.rsDesktop).

import { redeemHandoff } from "./handoff.js";

/**
 * Sign in with the ticket, open its support and start the call; a bad ticket says why on the
 * login form (or on the home panel when this tab is signed in already).
 * @param {object} app the page's AgentApp (main.js)
 * @param {{ticket: string, call: "audio"|"video"|null}} handoff from takeHandoff()
 */
export async function startFromHandoff(app, { ticket, call }) {
  try {
    const answer = await redeemHandoff(ticket);
    app._setAuth({ token: answer.token, agent: answer.agent, wsUrl: null });
    app.windows.afterSignIn();
    const { support } = await app._api("GET", `/api/supports/${answer.session_id}`);
    app._enter(support);
    app.support.fromHandoff(call);
  } catch (error) {
    if (app.auth) {
      app.showHome();
      app.homeError.show(error);
      return;
    }
    app.showLogin();
    app.loginForm.error.show(error);
  }
}

/**
 * What the desktop app's connection notice calls in this chat window: End, and Call (CH9).
 * @param {import("./support_view.js").SupportView} support
 */
export function offerDesktopActions(support) {
  window.rsDesktop = Object.freeze({
    endSession: () => support.endSession(),
    startCall: (media) => support.startCall(media), // CH9: the notice's Call
  });
}
