// The string tables the relay page loads (test_ui_modules checks the set: no agent or admin
// string): importing this module adds them to i18n once, before any view is built.

import { i18n } from "../common/i18n.js";
import { CALL_STRINGS } from "../common/strings/call_strings.js";
import { CHAT_STRINGS } from "../common/strings/chat_strings.js";
import { CUSTOMER_STRINGS } from "../common/strings/customer_strings.js";
import { FAVOURITE_STRINGS } from "../common/strings/favourite_strings.js";
import { FILE_STRINGS } from "../common/strings/file_strings.js";
import { KNOCK_STRINGS } from "../common/strings/knock_strings.js";
import { PARTICIPANT_STRINGS } from "../common/strings/participant_strings.js";
import { RECORDING_STRINGS } from "../common/strings/recording_strings.js";
import { RESERVATION_STRINGS } from "../common/strings/reservation_strings.js";
import { SCREEN_STRINGS } from "../common/strings/screen_strings.js";
import { WHITEBOARD_STRINGS } from "../common/strings/whiteboard_strings.js";

i18n.addStrings(
  RECORDING_STRINGS,
  CALL_STRINGS,
  CHAT_STRINGS,
  CUSTOMER_STRINGS,
  FAVOURITE_STRINGS,
  FILE_STRINGS,
  KNOCK_STRINGS,
  PARTICIPANT_STRINGS,
  RESERVATION_STRINGS,
  SCREEN_STRINGS,
  WHITEBOARD_STRINGS,
);
