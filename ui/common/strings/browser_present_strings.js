// Strings of presenting from the agent page in a browser (getDisplayMedia, view
// only), in English and Korean. The agent page adds them (i18n.addStrings).

export const BROWSER_PRESENT_STRINGS = Object.freeze({
  en: {
    "browser_present.control_note": "To hand over control of your screen, use the RemoteSales desktop app.",
    "browser_present.cancelled": "You didn't choose anything to share, so the customer was not asked.",
    "browser_present.failed": "Your browser could not share the screen: {message}",
    "browser_present.unsupported": "This browser can't share your screen. Use Chrome, Edge or Firefox on a computer, or the RemoteSales desktop app.",
    "browser_present.insecure": "Browsers share a screen only from a secure (https) address. Ask your administrator for it, or use the RemoteSales desktop app.",
    "browser_present.ended": "You stopped sharing your screen.",
    "browser_present.share_again": "What you chose is no longer being shared. Click Present screen to share again.",
  },
  ko: {
    "browser_present.control_note": "화면 제어를 고객에게 넘기려면 RemoteSales 데스크톱 앱을 사용하세요.",
    "browser_present.cancelled": "공유할 화면을 고르지 않아서 고객에게 요청하지 않았습니다.",
    "browser_present.failed": "브라우저에서 화면을 공유하지 못했습니다: {message}",
    "browser_present.unsupported": "이 브라우저에서는 화면을 공유할 수 없습니다. 컴퓨터의 Chrome, Edge, Firefox나 RemoteSales 데스크톱 앱을 사용하세요.",
    "browser_present.insecure": "브라우저는 보안(https) 주소에서만 화면을 공유할 수 있습니다. 관리자에게 https 주소를 문의하거나 RemoteSales 데스크톱 앱을 사용하세요.",
    "browser_present.ended": "화면 공유를 중지했습니다.",
    "browser_present.share_again": "고른 화면이 더 이상 공유되지 않습니다. 다시 공유하려면 [화면 공유]를 누르세요.",
  },
});
