// Signing in and the signed-in home (agent and admin pages), in English and Korean.

export const SIGN_IN_STRINGS = Object.freeze({
  en: {
    "login.title": "Sign in",
    "login.subtitle": "Use your RemoteSales agent account.",
    "login.username": "ID",
    "login.password": "Password",
    "login.remember": "Remember my ID",
    "login.button": "Sign in",
    "login.signing_in": "Signing in…",
    "login.missing": "Enter your ID and password.",
    "home.greeting": "Hello, {name}",
    "home.ready": "Ready for your next customer? Start a support session to get an access code.",
    "home.new_support": "New support",
    "home.creating": "Starting…",
    "home.logout": "Log out",
  },
  ko: {
    "login.title": "로그인",
    "login.subtitle": "RemoteSales 상담원 계정으로 로그인하세요.",
    "login.username": "아이디",
    "login.password": "비밀번호",
    "login.remember": "아이디 저장",
    "login.button": "로그인",
    "login.signing_in": "로그인 중…",
    "login.missing": "아이디와 비밀번호를 입력하세요.",
    "home.greeting": "{name}님, 안녕하세요",
    "home.ready": "다음 고객을 맞을 준비가 되셨나요? 상담을 시작하면 접속 코드가 만들어집니다.",
    "home.new_support": "새 상담 시작",
    "home.creating": "시작하는 중…",
    "home.logout": "로그아웃",
  },
});
