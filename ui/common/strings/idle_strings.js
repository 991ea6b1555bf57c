// Strings of the automatic sign-out (A4): the login form's reason and the setting in
// Settings › Network, in English and Korean. The pages that use them add them (i18n.addStrings).

export const IDLE_STRINGS = Object.freeze({
  en: {
    "idle.signed_out": "Signed out after {minutes} minutes without activity. Sign in again to continue.",
    "idle.title": "Automatic sign-out",
    "idle.minutes": "Sign out after this many minutes without activity",
    "idle.hint":
      "0 turns it off. Input in any RemoteSales window counts as activity. It never signs you out while a support is waiting for or chatting with a customer: listening without typing is part of the job.",
    "idle.admin_limit":
      "Your administrator signs every agent out after {minutes} minutes without activity; the shorter time applies.",
    "idle.save": "Save",
    "idle.saved": "Saved. You are signed out after {minutes} minutes without activity.",
    "idle.saved_off": "Saved. Automatic sign-out is off.",
    "idle.invalid": "Enter a whole number of minutes from 0 to {max} (0 turns it off).",
    "idle.save_failed": "Not saved: {message}",
  },
  ko: {
    "idle.signed_out": "{minutes}분 동안 사용하지 않아 로그아웃되었습니다. 계속하려면 다시 로그인하세요.",
    "idle.title": "자동 로그아웃",
    "idle.minutes": "다음 시간(분) 동안 사용하지 않으면 로그아웃",
    "idle.hint":
      "0을 입력하면 꺼집니다. RemoteSales 창 어디에서든 입력하면 사용 중으로 봅니다. 고객을 기다리거나 대화 중인 상담이 있으면 로그아웃하지 않습니다. 입력 없이 고객의 말을 듣는 것도 상담이기 때문입니다.",
    "idle.admin_limit":
      "관리자가 모든 상담원을 {minutes}분 동안 사용하지 않으면 로그아웃하도록 정했습니다. 둘 중 짧은 시간이 적용됩니다.",
    "idle.save": "저장",
    "idle.saved": "저장했습니다. {minutes}분 동안 사용하지 않으면 로그아웃됩니다.",
    "idle.saved_off": "저장했습니다. 자동 로그아웃이 꺼졌습니다.",
    "idle.invalid": "0에서 {max} 사이의 정수(분)를 입력하세요 (0이면 꺼짐).",
    "idle.save_failed": "저장하지 못했습니다: {message}",
  },
});
