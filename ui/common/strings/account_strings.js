// Strings of what follows the agent's account across windows and tabs: signing out elsewhere,
// the short messages saved from another window, and the window titles that name the customer.

export const ACCOUNT_STRINGS = Object.freeze({
  en: {
    "account.signed_out_elsewhere": "You signed out in another window. Sign in again to continue.",
    "account.chat_signed_out":
      "You are signed out. Sign in again in the RemoteSales main window and this support opens here again.",
    "account.short_follow":
      "They are saved with your account: the same short messages in every browser and in the desktop app.",
    "account.title_chat": "{name} · RemoteSales",
    "account.title_waiting": "Waiting for a customer · RemoteSales",
    "error.short_messages_changed":
      "Your short messages were changed in another window. The list now shows that change; make yours again.",
    "error.too_many_short_messages": "An account keeps at most 200 short messages. Delete one first.",
  },
  ko: {
    "account.signed_out_elsewhere": "다른 창에서 로그아웃했습니다. 계속하려면 다시 로그인하세요.",
    "account.chat_signed_out":
      "로그아웃되었습니다. RemoteSales 메인 창에서 다시 로그인하면 이 상담이 이 창에 다시 열립니다.",
    "account.short_follow": "계정에 저장되므로 어느 브라우저에서든, 데스크톱 앱에서든 같은 단축 메시지를 쓸 수 있습니다.",
    "account.title_chat": "{name} 님 · RemoteSales",
    "account.title_waiting": "고객 기다리는 중 · RemoteSales",
    "error.short_messages_changed":
      "다른 창에서 단축 메시지가 바뀌었습니다. 바뀐 목록을 다시 불러왔으니 변경 내용을 한 번 더 입력하세요.",
    "error.too_many_short_messages": "한 계정에는 단축 메시지를 최대 200개까지 저장할 수 있습니다. 먼저 하나를 삭제하세요.",
  },
});
