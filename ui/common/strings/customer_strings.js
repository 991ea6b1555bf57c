// The customer page's own strings (joining with a code, being removed or replaced), in
// English and Korean. Loaded by ui/customer only.

export const CUSTOMER_STRINGS = Object.freeze({
  en: {
    "join.title": "Join your support session",
    "join.subtitle": "Enter the 9-digit access code your agent gave you.",
    "join.code_label": "Access code",
    "join.code_hint": "9 digits, like 482 913 706",
    "join.name_label": "Your name (optional)",
    "join.name_placeholder": "e.g. Jane Doe",
    "join.button": "Join",
    "join.joining": "Joining…",
    "join.code_incomplete": "Enter all 9 digits of the access code.",
    "join.icons_title": "Or pick your agent's number",
    "join.icons_hint": "Your agent can tell you their number.",
    "join.icons_empty": "No agent is waiting right now.",
    "join.icon_aria": "Join {name}, number {icon}",
    "join.session_lost": "Your chat is no longer available. Join again with a new code.",

    "customer.removed_title": "You have left the session",
    "customer.removed_body": "The agent removed you from this session. If that was a mistake, ask them for a new code.",
    "customer.replaced_title": "This chat is open somewhere else",
    "customer.replaced_body": "The chat moved to another tab or window.",
    "customer.contact_label": "Contact your agent",
  },
  ko: {
    "join.title": "상담 연결하기",
    "join.subtitle": "상담원이 알려 준 9자리 접속 코드를 입력하세요.",
    "join.code_label": "접속 코드",
    "join.code_hint": "숫자 9자리 (예: 482 913 706)",
    "join.name_label": "이름 (선택)",
    "join.name_placeholder": "예: 홍길동",
    "join.button": "연결하기",
    "join.joining": "연결 중…",
    "join.code_incomplete": "접속 코드 9자리를 모두 입력하세요.",
    "join.icons_title": "또는 상담원 번호를 선택하세요",
    "join.icons_hint": "상담원에게 번호를 물어보세요.",
    "join.icons_empty": "지금 대기 중인 상담원이 없습니다.",
    "join.icon_aria": "{icon}번 {name} 상담원에게 연결",
    "join.session_lost": "대화를 더 이상 이어갈 수 없습니다. 새 접속 코드로 다시 연결하세요.",

    "customer.removed_title": "상담에서 퇴장되었습니다",
    "customer.removed_body": "상담원이 고객님을 이 상담에서 내보냈습니다. 잘못된 경우라면 상담원에게 새 접속 코드를 요청하세요.",
    "customer.replaced_title": "다른 곳에서 대화가 열려 있습니다",
    "customer.replaced_body": "대화가 다른 탭이나 창으로 옮겨졌습니다.",
    "customer.contact_label": "상담원 연락처",
  },
});
