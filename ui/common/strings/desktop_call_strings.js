// Strings of calls in the desktop app (CH9): why a call goes to the system browser, the
// browser's sign-in link from the app, the setting, and the notice's Call action, in English
// and Korean. The agent page and the notice add them (i18n.addStrings).

export const DESKTOP_CALL_STRINGS = Object.freeze({
  en: {
    "deskcall.why_no_webrtc":
      "This window's web engine cannot make calls (it has no WebRTC), so the call opens in your web browser.",
    "deskcall.why_no_media":
      "This window cannot use a microphone or camera, so the call opens in your web browser.",
    "deskcall.why_no_camera_access":
      "This app cannot reach your microphone and camera here ({detail}), so the call opens in your web browser.",
    "deskcall.why_setting": "You chose to have calls in your web browser, so the call opens there.",
    "deskcall.opening": "Opening the call in your web browser…",
    "deskcall.opened":
      "The call is open in your web browser, signed in to this support. Chat and notes continue there.",
    "deskcall.open_again": "Open in my browser again",
    "deskcall.open_failed": "The call could not be opened in your browser: {message}",
    "deskcall.continued_in_browser":
      "This support continues in your web browser, where the call is. Close this window or use it here again.",
    "deskcall.signed_in_from_app": "Signed in from the RemoteSales app for this support.",
    "deskcall.settings_title": "Calls",
    "deskcall.setting_in_browser": "Open calls in my web browser",
    "deskcall.setting_hint":
      "For when this app's window cannot use your microphone or camera. The browser opens signed in to the same support.",
    "deskcall.setting_saved": "Saved.",
    "notice.call": "Call",
    "notice.call_label": "Call {name} (video)",
    "error.handoff_unknown": "This sign-in link is not valid. Open the call again from the RemoteSales app.",
    "error.handoff_used": "This sign-in link was already used. Open the call again from the RemoteSales app.",
    "error.handoff_expired":
      "This sign-in link has expired: it works for one minute. Open the call again from the RemoteSales app.",
    "error.handoff_session_over": "The support of this sign-in link has ended.",
    "error.too_many_handoffs": "Too many browser sign-ins were asked for at once. Wait a minute and try again.",
    "error.no_browser": "No web browser could be started. Set a default web browser in your system settings.",
    "error.too_many_calls": "Too many calls at once in this app.",
  },
  ko: {
    "deskcall.why_no_webrtc":
      "이 창의 웹 엔진은 통화를 지원하지 않아(WebRTC 없음) 웹 브라우저에서 통화를 엽니다.",
    "deskcall.why_no_media": "이 창에서는 마이크와 카메라를 쓸 수 없어 웹 브라우저에서 통화를 엽니다.",
    "deskcall.why_no_camera_access":
      "이 앱에서는 마이크와 카메라에 접근할 수 없어({detail}) 웹 브라우저에서 통화를 엽니다.",
    "deskcall.why_setting": "통화를 웹 브라우저에서 하도록 설정해 두어 브라우저에서 엽니다.",
    "deskcall.opening": "웹 브라우저에서 통화를 여는 중…",
    "deskcall.opened":
      "웹 브라우저에서 이 상담에 로그인된 상태로 통화를 열었습니다. 채팅과 메모도 브라우저에서 이어집니다.",
    "deskcall.open_again": "브라우저에서 다시 열기",
    "deskcall.open_failed": "브라우저에서 통화를 열지 못했습니다: {message}",
    "deskcall.continued_in_browser":
      "이 상담은 통화 중인 웹 브라우저에서 이어집니다. 이 창을 닫거나 여기서 다시 이어갈 수 있습니다.",
    "deskcall.signed_in_from_app": "이 상담을 위해 RemoteSales 앱에서 로그인했습니다.",
    "deskcall.settings_title": "통화",
    "deskcall.setting_in_browser": "통화를 웹 브라우저에서 열기",
    "deskcall.setting_hint":
      "이 앱 창에서 마이크나 카메라를 쓸 수 없을 때 사용하세요. 브라우저는 같은 상담에 로그인된 상태로 열립니다.",
    "deskcall.setting_saved": "저장했습니다.",
    "notice.call": "통화",
    "notice.call_label": "{name}님과 영상 통화",
    "error.handoff_unknown": "유효하지 않은 로그인 링크입니다. RemoteSales 앱에서 통화를 다시 여세요.",
    "error.handoff_used": "이미 사용한 로그인 링크입니다. RemoteSales 앱에서 통화를 다시 여세요.",
    "error.handoff_expired":
      "로그인 링크가 만료되었습니다(1분 동안만 유효). RemoteSales 앱에서 통화를 다시 여세요.",
    "error.handoff_session_over": "이 로그인 링크의 상담은 이미 끝났습니다.",
    "error.too_many_handoffs": "브라우저 로그인 요청이 너무 많습니다. 1분 후에 다시 시도하세요.",
    "error.no_browser": "웹 브라우저를 열 수 없습니다. 시스템 설정에서 기본 웹 브라우저를 지정하세요.",
    "error.too_many_calls": "이 앱에서 동시에 진행 중인 통화가 너무 많습니다.",
  },
});
