// The chat beside the screen in the viewer, in English and Korean. Loaded by
// ui/viewer with the chat's own table (chat_strings.js).

export const VIEWER_CHAT_STRINGS = Object.freeze({
  en: {
    "viewer.chat": "Chat",
    "viewer.chat_show": "Show the chat",
    "viewer.chat_hide": "Hide the chat",
    "viewer.chat_title": "Chat with {name}",
    "viewer.chat_title_plain": "Chat with your agent",
    "viewer.chat_unread": "{count} new",
    "viewer.chat_panel": "Conversation with your agent",
  },
  ko: {
    "viewer.chat": "채팅",
    "viewer.chat_show": "채팅 열기",
    "viewer.chat_hide": "채팅 닫기",
    "viewer.chat_title": "{name} 상담원과 채팅",
    "viewer.chat_title_plain": "상담원과 채팅",
    "viewer.chat_unread": "새 메시지 {count}개",
    "viewer.chat_panel": "상담원과의 대화",
  },
});
