// Strings of the desktop app's lock, text size and presenting desktop (A8): the cover over
// every window and the settings in Settings › Remote support, in English and Korean. The
// desktop app's pages add them (i18n.addStrings).

export const DESK_STRINGS = Object.freeze({
  en: {
    "desk.title": "This computer",
    "desk.text_size": "Text size",
    "desk.text_size_hint": "Every RemoteSales window changes at once.",
    "desk.text_size_option": "{percent} %",
    "desk.lock": "Lock the app when I am away",
    "desk.lock_hint":
      "While a support is live, the app's windows are covered after this much time without input. The support, your screen sharing and the chat go on; your password unlocks them.",
    "desk.lock_off": "Never",
    "desk.lock_minutes": "After {minutes} minutes",
    "desk.hide_wallpaper": "Remove the desktop wallpaper while presenting",
    "desk.hide_wallpaper_hint": "A plain background sends less data. It comes back when you stop.",
    "desk.outlines": "Show only window outlines while moving windows",
    "desk.outlines_hint": "Sends less while you drag windows. Only some desktops allow it; it is set back when you stop.",
    "desk.saved": "Saved.",
    "desk.save_failed": "Not saved: {message}",
    "lock.title": "RemoteSales is locked",
    "lock.text":
      "Your support goes on: the customer still sees your screen and can write. Type your password to see the app again.",
    "lock.password": "Password",
    "lock.unlock": "Unlock",
    "lock.checking": "Checking…",
    "lock.wrong": "That is not the password. {tries} more wrong tries lock it for 10 minutes.",
    "lock.throttled": "Too many wrong passwords. Try again in {seconds} seconds.",
    "lock.failed": "Could not check the password: {message}",
    "lock.window_title": "RemoteSales · Locked",
  },
  ko: {
    "desk.title": "이 컴퓨터",
    "desk.text_size": "글자 크기",
    "desk.text_size_hint": "RemoteSales의 모든 창에 바로 적용됩니다.",
    "desk.text_size_option": "{percent}%",
    "desk.lock": "자리를 비우면 앱 잠그기",
    "desk.lock_hint":
      "상담이 진행 중일 때 이 시간 동안 입력이 없으면 앱의 모든 창을 가립니다. 상담, 화면 공유, 채팅은 계속되며 비밀번호를 입력하면 잠금이 풀립니다.",
    "desk.lock_off": "사용 안 함",
    "desk.lock_minutes": "{minutes}분 후",
    "desk.hide_wallpaper": "화면 공유 중에는 바탕화면 배경 그림 숨기기",
    "desk.hide_wallpaper_hint": "단색 배경은 데이터를 덜 씁니다. 공유를 마치면 원래대로 돌아옵니다.",
    "desk.outlines": "창을 옮기는 동안 창 테두리만 표시",
    "desk.outlines_hint": "창을 끌 때 보내는 데이터가 줄어듭니다. 일부 데스크톱에서만 지원되며, 공유를 마치면 원래대로 돌아옵니다.",
    "desk.saved": "저장했습니다.",
    "desk.save_failed": "저장하지 못했습니다: {message}",
    "lock.title": "RemoteSales가 잠겨 있습니다",
    "lock.text":
      "상담은 계속 진행 중입니다. 고객은 지금도 화면을 보고 메시지를 보낼 수 있습니다. 앱을 다시 보려면 비밀번호를 입력하세요.",
    "lock.password": "비밀번호",
    "lock.unlock": "잠금 해제",
    "lock.checking": "확인 중…",
    "lock.wrong": "비밀번호가 맞지 않습니다. {tries}번 더 틀리면 10분 동안 잠깁니다.",
    "lock.throttled": "비밀번호를 너무 많이 틀렸습니다. {seconds}초 후에 다시 시도하세요.",
    "lock.failed": "비밀번호를 확인하지 못했습니다: {message}",
    "lock.window_title": "RemoteSales · 잠김",
  },
});
