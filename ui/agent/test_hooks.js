// What the e2e tests read and do through window.__rsTest (never used by the page itself).

import { sessionTestState } from "../common/session_page.js";

/** The page's state as the tests read it through window.__rsTest.state(). */
function testState(app) {
  const support = app.support;
  return {
    mode: app.backend.mode,
    step: app.step,
    sessionId: support.sessionId,
    sessionState: support.session?.state ?? null,
    code: support.session?.code ?? null,
    ...sessionTestState(support.socket, support.chatView),
  };
}

/** Install window.__rsTest for `app` (the AgentApp). */
export function installTestHooks(app) {
  window.__rsTest = Object.freeze({
    dropSocket: () => app.support.socket?.drop(),
    state: () => testState(app),
    presenter: () => app.support.browserPresenter?.testState() ?? null,
    call: () => app.support.call?.testState() ?? null, // CH9
    callStats: () => app.support.call?.stats() ?? null,
    // What the browser's "Stop sharing" does to the capture: the track ends and fires "ended".
    endCapture: () => {
      const track = app.support.browserPresenter?.stream?.getVideoTracks()[0];
      track?.stop();
      track?.dispatchEvent(new Event("ended"));
    },
    // A4 in seconds instead of minutes, checked every checkMs (tests only; the setting is minutes).
    idleSeconds: (seconds, checkMs = 200) => {
      app.timers.idleOverride = { timeoutMs: seconds * 1000, checkMs };
      return app.timers.startIdle();
    },
    idleDecision: () => app.timers.idle.decide(), // what a check would do now, without doing it
    // AD4: the minutes the sign-out follows now; the admin's limit read again every refreshMs.
    idleMinutes: () => app.timers.idle.minutes,
    idleRefreshMs: (refreshMs) => {
      app.timers.refreshMs = refreshMs;
      return app.timers.startIdle();
    },
    attention: () => [...app.attention.log], // what each alert did
  });
}
