// Calling the agent's attention: the notifications' words and Settings › Alerts,
// in English and Korean. Loaded by ui/agent (i18n.addStrings).

export const ATTENTION_STRINGS = Object.freeze({
  en: Object.freeze({
    "attention.joined_title": "{name} joined",
    "attention.joined_body": "Your customer is in the chat.",
    "attention.message_title": "New message from {name}",
    "attention.control_title": "{name} asks for control",
    "attention.control_body": "Open the chat to allow or decline.",
    "attention.knock_title": "{name} is asking to join",
    "attention.knock_body": "Open the chat to let them in or refuse.",
    "attention.someone": "Your customer",
    "attention.test_title": "RemoteSales alerts are on",
    "attention.test_body": "This is how you hear of a customer while this window is in the background.",

    "settings.alerts": "Alerts",
    "attention.title": "When a customer needs you",
    "attention.intro":
      "While this window is in the background, RemoteSales tells you when a customer joins, writes, asks for control or asks to join.",
    "attention.sound": "Play a sound",
    "attention.volume": "Volume",
    "attention.notifications": "Show a desktop notification",
    "attention.flash_note": "The chat window's taskbar entry flashes too.",
    "attention.try": "Try it",
    "attention.saved": "Saved.",
    "attention.save_failed": "Not saved: {message}",
    "attention.permission_denied":
      "This browser blocks notifications from this site. Allow them in the browser's site settings (the icon left of the address).",
    "attention.permission_ask": "Your browser will ask whether this site may show notifications: choose Allow.",
    "attention.unsupported": "This browser cannot show notifications. The sound still plays.",
    "attention.no_system_notifications":
      "This desktop shows no notifications ({reason}). The sound and the flashing taskbar entry still work.",
  }),
  ko: Object.freeze({
    "attention.joined_title": "{name} 님이 들어왔습니다",
    "attention.joined_body": "고객이 채팅에 들어왔습니다.",
    "attention.message_title": "{name} 님의 새 메시지",
    "attention.control_title": "{name} 님이 원격 제어를 요청했습니다",
    "attention.control_body": "채팅 창에서 허용하거나 거절하세요.",
    "attention.knock_title": "{name} 님이 입장을 요청했습니다",
    "attention.knock_body": "채팅 창에서 입장을 허락하거나 거절하세요.",
    "attention.someone": "고객",
    "attention.test_title": "RemoteSales 알림이 켜져 있습니다",
    "attention.test_body": "이 창이 뒤에 있을 때 고객 소식을 이렇게 알려 드립니다.",

    "settings.alerts": "알림",
    "attention.title": "고객이 나를 찾을 때",
    "attention.intro":
      "이 창이 뒤에 가려져 있을 때 고객이 들어오거나, 메시지를 보내거나, 원격 제어를 요청하거나, 입장을 요청하면 알려 드립니다.",
    "attention.sound": "소리로 알리기",
    "attention.volume": "음량",
    "attention.notifications": "바탕화면 알림 표시",
    "attention.flash_note": "작업 표시줄의 채팅 창도 깜박입니다.",
    "attention.try": "시험해 보기",
    "attention.saved": "저장했습니다.",
    "attention.save_failed": "저장하지 못했습니다: {message}",
    "attention.permission_denied":
      "이 브라우저가 이 사이트의 알림을 막고 있습니다. 주소 왼쪽의 아이콘을 눌러 사이트 설정에서 알림을 허용하세요.",
    "attention.permission_ask": "이 사이트의 알림을 허용할지 브라우저가 물으면 '허용'을 누르세요.",
    "attention.unsupported": "이 브라우저는 알림을 표시할 수 없습니다. 소리는 계속 납니다.",
    "attention.no_system_notifications":
      "이 바탕화면에는 알림이 표시되지 않습니다({reason}). 소리와 작업 표시줄 깜박임은 그대로 작동합니다.",
  }),
});
