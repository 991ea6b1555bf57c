// Knocking (the customer asks to join) and admitting (the agent lets them in), in English and
// Korean. Loaded by ui/customer and ui/agent (i18n.addStrings).

export const KNOCK_STRINGS = Object.freeze({
  en: Object.freeze({
    "knock.title": "Waiting for {name} to let you in",
    "knock.body": "Your agent sees that you are asking to join. Keep this page open.",
    "knock.body_code":
      "Many wrong codes were typed on this server recently, so your agent lets each customer in. Keep this page open.",
    "knock.cancel": "Cancel",
    "knock.refused": "The agent did not let you in. Ask your agent what to do next.",
    "knock.session_taken": "Another customer has joined that agent.",
    "knock.session_ended": "That support session has ended.",
    "knock.expired": "The agent did not answer in time. Try again, or ask for an access code.",
    "knock.lost": "Your request to join was lost (the server restarted). Please join again.",
    "knock.list_title": "Asking to join",
    "knock.asking": "{name} is asking to join",
    "knock.anonymous": "A customer",
    "knock.via_code": "with your access code",
    "knock.via_icon": "by your icon number: check that it is your customer",
    "knock.admit": "Admit",
    "knock.refuse": "Refuse",
    "knock.refuse_all": "Refuse all",
    "knock.admit_aria": "Admit {name}",
    "knock.refuse_aria": "Refuse {name}",
    "error.too_many_knocks":
      "Several people are already asking to join this agent. Try again in a minute, or ask for an access code.",
    "error.knock_not_found": "Your request to join was lost. Please join again.",
  }),
  ko: Object.freeze({
    "knock.title": "{name} 상담원의 수락을 기다리는 중",
    "knock.body": "상담원에게 연결 요청이 표시되었습니다. 이 페이지를 열어 두세요.",
    "knock.body_code":
      "최근 이 서버에 잘못된 코드가 많이 입력되어 상담원이 고객을 직접 수락합니다. 이 페이지를 열어 두세요.",
    "knock.cancel": "취소",
    "knock.refused": "상담원이 연결을 수락하지 않았습니다. 상담원에게 문의하세요.",
    "knock.session_taken": "다른 고객이 해당 상담원과 연결되었습니다.",
    "knock.session_ended": "해당 상담이 종료되었습니다.",
    "knock.expired": "상담원이 제때 응답하지 않았습니다. 다시 시도하거나 접속 코드를 요청하세요.",
    "knock.lost": "서버가 다시 시작되어 연결 요청이 취소되었습니다. 다시 연결하세요.",
    "knock.list_title": "연결 요청",
    "knock.asking": "{name}님이 연결을 요청했습니다",
    "knock.anonymous": "고객",
    "knock.via_code": "접속 코드로 요청함",
    "knock.via_icon": "아이콘 번호로 요청함: 내 고객이 맞는지 확인하세요",
    "knock.admit": "수락",
    "knock.refuse": "거절",
    "knock.refuse_all": "모두 거절",
    "knock.admit_aria": "{name}님 수락",
    "knock.refuse_aria": "{name}님 거절",
    "error.too_many_knocks":
      "이미 여러 명이 이 상담원에게 연결을 요청하고 있습니다. 잠시 후 다시 시도하거나 접속 코드를 요청하세요.",
    "error.knock_not_found": "연결 요청이 사라졌습니다. 다시 연결하세요.",
  }),
});
