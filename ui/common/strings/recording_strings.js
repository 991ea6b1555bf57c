// Strings of recording (P9): the customer's mark, the agent's setting and recording list.

export const RECORDING_STRINGS = Object.freeze({
  en: {
    "recording.mark": "This session is being recorded",
  },
  ko: {
    "recording.mark": "이 상담은 녹화되고 있습니다",
  },
});
