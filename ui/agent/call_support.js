// CH9: can this window hold a call, or does it go to the system browser? `callSupport()` is a
// pure probe of the page's engine (WebRTC, getUserMedia) plus what the backend says (the
// desktop app: whether it answers the engine's camera and microphone requests, and the agent's
// "Open calls in my web browser" setting). desktop_call.js acts on the answer.

/** Why a call cannot run here; each is a string key `deskcall.why_<reason>`. */
export const CallFallback = Object.freeze({
  NO_WEBRTC: "no_webrtc",
  NO_MEDIA: "no_media",
  NO_CAMERA_ACCESS: "no_camera_access",
  SETTING: "setting",
});

/**
 * What this engine can do for a call. Pure: `win` is the window (tests pass a stand-in).
 * @param {object} win
 * @param {{media?: {available: boolean, reason?: string|null}, open_in_browser?: boolean}} app
 *   the desktop app's answer (GET /local/calls); `{}` in a browser
 * @returns {{webrtc: boolean, getUserMedia: boolean, permission: boolean, here: boolean,
 *   reason: string|null, detail: string|null}}
 */
export function callSupport(win, app = {}) {
  const webrtc = typeof win.RTCPeerConnection === "function";
  const getUserMedia = typeof win.navigator?.mediaDevices?.getUserMedia === "function";
  const permission = app.media ? Boolean(app.media.available) : true;
  let reason = null;
  if (app.open_in_browser) {
    reason = CallFallback.SETTING;
  } else if (!webrtc) {
    reason = CallFallback.NO_WEBRTC;
  } else if (!getUserMedia) {
    reason = CallFallback.NO_MEDIA;
  } else if (!permission) {
    reason = CallFallback.NO_CAMERA_ACCESS;
  }
  return {
    webrtc,
    getUserMedia,
    permission,
    here: reason === null,
    reason,
    detail: app.media?.reason ?? null,
  };
}
