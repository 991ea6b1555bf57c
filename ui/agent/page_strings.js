// The string tables the agent page loads (test_ui_modules checks the set): importing this
// module adds them to i18n once, before any view is built.

import { i18n } from "../common/i18n.js";
import { ACCOUNT_STRINGS } from "../common/strings/account_strings.js";
import { AGENT_STRINGS } from "../common/strings/agent_strings.js";
import { ATTENTION_STRINGS } from "../common/strings/attention_strings.js";
import { BROWSER_PRESENT_STRINGS } from "../common/strings/browser_present_strings.js";
import { CALL_STRINGS } from "../common/strings/call_strings.js";
import { RECORDING_STRINGS } from "../common/strings/recording_strings.js";
import { CHAT_STRINGS } from "../common/strings/chat_strings.js";
import { CONTROL_STRINGS } from "../common/strings/control_strings.js";
import { DESKTOP_CALL_STRINGS } from "../common/strings/desktop_call_strings.js";
import { DRAWING_STRINGS } from "../common/strings/drawing_strings.js";
import { FAVOURITE_STRINGS } from "../common/strings/favourite_strings.js";
import { FILE_STRINGS } from "../common/strings/file_strings.js";
import { HISTORY_STRINGS } from "../common/strings/history_strings.js";
import { RESERVATION_STRINGS } from "../common/strings/reservation_strings.js";
import { IDLE_STRINGS } from "../common/strings/idle_strings.js";
import { DESK_STRINGS } from "../common/strings/desk_strings.js";
import { KNOCK_STRINGS } from "../common/strings/knock_strings.js";
import { MAIL_STRINGS } from "../common/strings/mail_strings.js";
import { PARTICIPANT_STRINGS } from "../common/strings/participant_strings.js";
import { SCREEN_STRINGS } from "../common/strings/screen_strings.js";
import { SIGN_IN_STRINGS } from "../common/strings/sign_in_strings.js";
import { WHITEBOARD_STRINGS } from "../common/strings/whiteboard_strings.js";

i18n.addStrings(
  ACCOUNT_STRINGS,
  AGENT_STRINGS,
  ATTENTION_STRINGS,
  BROWSER_PRESENT_STRINGS,
  CALL_STRINGS,
  RECORDING_STRINGS,
  CHAT_STRINGS,
  CONTROL_STRINGS,
  DESK_STRINGS,
  DESKTOP_CALL_STRINGS,
  DRAWING_STRINGS,
  FAVOURITE_STRINGS,
  FILE_STRINGS,
  HISTORY_STRINGS,
  IDLE_STRINGS,
  KNOCK_STRINGS,
  MAIL_STRINGS,
  PARTICIPANT_STRINGS,
  RESERVATION_STRINGS,
  SCREEN_STRINGS,
  SIGN_IN_STRINGS,
  WHITEBOARD_STRINGS,
);
