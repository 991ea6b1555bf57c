// The wire protocol of docs/protocol.md, mirrored for the browser.
//
// tests/unit/test_protocol_agreement.py parses the object literals below line by line and
// compares them with docs/protocol.md and suite/protocol/: keep one `KEY: "value",` or
// `NAME: 1234,` per line and nothing else inside them. The limits carry the names of their
// Python constants in suite/protocol/ and are written as plain numbers, one
// `export const NAME = 1234;` per line.

export const PROTOCOL_VERSION = 1;

/** Every message type, both directions (`typing` travels both ways). */
export const MessageType = Object.freeze({
  HELLO: "hello",
  SEND_CHAT: "send_chat",
  TYPING: "typing",
  MARK_READ: "mark_read",
  END_SESSION: "end_session",
  REMOVE_CUSTOMER: "remove_customer",
  RENEW_CODE: "renew_code",
  REQUEST_PRESENTATION: "request_presentation",
  ANSWER_PRESENTATION: "answer_presentation",
  ADMIT_KNOCK: "admit_knock",
  REFUSE_KNOCK: "refuse_knock",
  REFUSE_ALL_KNOCKS: "refuse_all_knocks",
  KNOCKS_CHANGED: "knocks_changed",
  SCREEN_ACK: "screen_ack",
  PAINT_REPORT: "paint_report",
  PRESENT_START: "present_start",
  PRESENT_PAUSE: "present_pause",
  PRESENT_RESUME: "present_resume",
  PRESENT_STOP: "present_stop",
  CURSOR: "cursor",
  SET_RECORDING: "set_recording",
  RECORDING_STATE: "recording_state",
  RECORDING_POLICY: "recording_policy",
  DECODER_SUPPORT: "decoder_support",
  VIDEO_CODECS: "video_codecs",
  REQUEST_KEY_FRAME: "request_key_frame",
  VIDEO_LOST: "video_lost",
  REQUEST_CONTROL: "request_control",
  GRANT_CONTROL: "grant_control",
  REVOKE_CONTROL: "revoke_control",
  MOUSE_INPUT: "mouse_input",
  KEY_INPUT: "key_input",
  CONTROL_STATE: "control_state",
  STROKE_BEGIN: "stroke_begin",
  STROKE_POINTS: "stroke_points",
  STROKE_END: "stroke_end",
  UNDO_STROKE: "undo_stroke",
  CLEAR_DRAWING: "clear_drawing",
  STROKE_REMOVED: "stroke_removed",
  DRAWING_CLEARED: "drawing_cleared",
  DRAWING: "drawing",
  WELCOME: "welcome",
  CHAT_MESSAGE: "chat_message",
  MARKED_READ: "marked_read",
  PARTICIPANT_JOINED: "participant_joined",
  PARTICIPANT_LEFT: "participant_left",
  SESSION_UPDATED: "session_updated",
  CUSTOMER_REMOVED: "customer_removed",
  SESSION_ENDED: "session_ended",
  PRESENTATION_REQUESTED: "presentation_requested",
  PRESENTATION_ANSWERED: "presentation_answered",
  CAPTURE_CREDIT: "capture_credit",
  SCREEN_STATE: "screen_state",
  FILE_OFFERED: "file_offered",
  FILE_PROGRESS: "file_progress",
  FILE_READY: "file_ready",
  FILE_RECEIVED: "file_received",
  FILE_CANCELLED: "file_cancelled",
  FILE_FAILED: "file_failed",
  START_CALL: "start_call",
  ANSWER_CALL: "answer_call",
  HANG_UP: "hang_up",
  SET_CALL_MEDIA: "set_call_media",
  REJOIN_CALL: "rejoin_call",
  SDP_OFFER: "sdp_offer",
  SDP_ANSWER: "sdp_answer",
  ICE_CANDIDATE: "ice_candidate",
  CALL_STATE: "call_state",
  OPEN_WHITEBOARD: "open_whiteboard",
  ANSWER_WHITEBOARD: "answer_whiteboard",
  UPDATE_WHITEBOARD: "update_whiteboard",
  NEW_WHITEBOARD: "new_whiteboard",
  WHITEBOARD_STATE: "whiteboard_state",
  WHITEBOARD_UPDATED: "whiteboard_updated",
  WHITEBOARD_REFUSED: "whiteboard_refused",
  // favourites in the chat (CH7) and remote print
  SEND_LINK: "send_link",
  REQUEST_PRINT: "request_print",
  ANSWER_PRINT: "answer_print",
  PRINT_REQUESTED: "print_requested",
  PRINT_ANSWERED: "print_answered",
  ERROR: "error",
});

/** Websocket close codes; 4000–4999 are the relay's own. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  INVALID_PAYLOAD: 1007,
  MESSAGE_TOO_BIG: 1009,
  SESSION_ENDED: 4000,
  UNAUTHORIZED: 4001,
  UNSUPPORTED_VERSION: 4002,
  SESSION_NOT_FOUND: 4003,
  REMOVED: 4004,
  REPLACED: 4005,
  HANDSHAKE_FAILED: 4006,
  ACCOUNT_DISABLED: 4007,
});

/** The `code` of an `error` message (docs/protocol.md, "Error codes in `error`"). */
export const ErrorCode = Object.freeze({
  BAD_JSON: "bad_json",
  BAD_MESSAGE: "bad_message",
  UNKNOWN_TYPE: "unknown_type",
  BINARY_NOT_EXPECTED: "binary_not_expected",
  NOT_ALLOWED: "not_allowed",
  TEXT_TOO_LONG: "text_too_long",
  SESSION_ENDED: "session_ended",
  RATE_LIMITED: "rate_limited",
  DRAWING_FULL: "drawing_full",
  WHITEBOARD_FULL: "whiteboard_full",
  ELEMENT_TOO_LARGE: "element_too_large",
});

// Close codes after which a client must not reconnect by itself.
const TERMINAL_CLOSE_CODES = new Set([
  CloseCode.SESSION_ENDED,
  CloseCode.UNAUTHORIZED,
  CloseCode.UNSUPPORTED_VERSION,
  CloseCode.SESSION_NOT_FOUND,
  CloseCode.REMOVED,
  CloseCode.REPLACED,
  CloseCode.ACCOUNT_DISABLED,
]);

/** The fields of `session.reservation` (suite/protocol/session_reservation.py): the booked
 * meeting a session was opened for, or null; `invited` is in the agent's copy only. */
export const SessionReservationField = Object.freeze({
  ID: "id",
  TITLE: "title",
  AGENDA: "agenda",
  START_UTC: "start_utc",
  INVITED: "invited",
  INVITEES: "invitees",
});

// session.reservation.invitees[].state (the agent's copy; suite/protocol/session_reservation.py).
export const InviteeState = Object.freeze({
  WAITING: "waiting",
  JOINED: "joined",
  UNDELIVERED: "undelivered",
});

// Limits (suite/protocol/ names and values).
export const MAX_FRAME_BYTES = 262144; // one text frame; larger closes with 1009
export const MAX_CHAT_CHARS = 4000;
export const MAX_CLIENT_ID_CHARS = 64;
export const MAX_LINK_TITLE_CHARS = 120; // send_link: a favourite link's title (CH7)
export const MAX_NAME_CHARS = 80; // a customer's name at join
export const MAX_INPUT_TEXT_CHARS = 256; // `text` of one key_input
export const MAX_KEY_NAME_CHARS = 32;
export const MAX_WHEEL_STEPS = 20;
export const MAX_SDP_CHARS = 32768; // `sdp` of sdp_offer / sdp_answer (CH9)
export const MAX_CANDIDATE_CHARS = 1024; // `candidate` of ice_candidate

// Access codes are this many digits (relay_server's access_codes.CODE_DIGITS), shown and
// typed in groups of CODE_GROUP_DIGITS ("482 913 706").
export const ACCESS_CODE_DIGITS = 9;
export const CODE_GROUP_DIGITS = 3;

/** "482913706" → "482 913 706"; partial input is grouped as far as it goes. */
export function formatAccessCode(digits) {
  const groups = String(digits).match(new RegExp(`\\d{1,${CODE_GROUP_DIGITS}}`, "g"));
  return groups ? groups.join(" ") : "";
}

const KNOWN_TYPES = new Set(Object.values(MessageType));

/** A frame that does not follow the protocol. */
export class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtocolError";
  }
}

/**
 * Build the text of one frame.
 * @param {string} type one of MessageType
 * @param {object} [fields] the message's fields; `type` among them is ignored
 * @returns {string} JSON text
 * @throws {ProtocolError} when the type is not in the protocol
 */
export function encode(type, fields = {}) {
  if (!KNOWN_TYPES.has(type)) {
    throw new ProtocolError(`unknown message type '${type}'`);
  }
  return JSON.stringify({ ...fields, type });
}

/**
 * Parse the text of one frame.
 * Unknown fields are kept (forward compatibility); an unknown type is returned as is so the
 * caller can ignore it.
 * @param {string} text
 * @returns {{type: string}} the message object
 * @throws {ProtocolError} when the text is not a JSON object with a string `type`
 */
export function decode(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(`frame is not JSON: ${error.message}`);
  }
  if (message === null || typeof message !== "object" || Array.isArray(message)) {
    throw new ProtocolError("frame is not a JSON object");
  }
  if (typeof message.type !== "string" || message.type === "") {
    throw new ProtocolError("frame has no 'type'");
  }
  return message;
}

// wrong_node's lease hint (suite/protocol/wrong_node.py, docs/protocol.md "The session's
// owner"): the ms the owner's lease has left, in a 409 body's error object and in a refused
// websocket's close reason ("wrong_node: lease_left_ms=2140; ..."). A client tries again
// then (plus up to RETRY_JITTER_MS), from the second wrong_node of a round of tries on.
export const WRONG_NODE_LEASE_FIELD = "lease_left_ms";
export const MAX_LEASE_HINT_MS = 60000; // longer than any lease: a larger number is no hint
export const RETRY_JITTER_MS = 200;
const REASON_HINT = /^wrong_node: lease_left_ms=(\d{1,6});/;

function checkedHint(value) {
  return Number.isInteger(value) && value >= 0 && value <= MAX_LEASE_HINT_MS ? value : null;
}

/** The ms a wrong_node close reason says the owner's lease has left, or null. */
export function leaseHintOfReason(reason) {
  const match = typeof reason === "string" ? REASON_HINT.exec(reason) : null;
  return match ? checkedHint(Number.parseInt(match[1], 10)) : null;
}

/** The same from a 409 answer's error object ({code: "wrong_node", lease_left_ms, ...}). */
export function leaseHintOfError(error) {
  if (!error || typeof error !== "object" || error.code !== "wrong_node") {
    return null;
  }
  return checkedHint(error[WRONG_NODE_LEASE_FIELD]);
}

/**
 * How long to wait (ms) before trying again after a wrong_node answer.
 * @param {number|null} leaseLeftMs the answer's hint (null: absent or malformed)
 * @param {number} answersBefore wrong_node answers already seen in this round of tries
 * @param {number} backoffMs what the client would wait without a hint (its own schedule)
 * @param {number} spread a random number in [0, 1): the jitter's share
 */
export function wrongNodeDelayMs(leaseLeftMs, answersBefore, backoffMs, spread) {
  if (leaseLeftMs === null) {
    return backoffMs;
  }
  const atLeaseEnd = leaseLeftMs + spread * RETRY_JITTER_MS;
  return answersBefore === 0 ? Math.min(backoffMs, atLeaseEnd) : atLeaseEnd;
}

/** True when the relay will never accept this session's socket again. */
export function isTerminalClose(code) {
  return TERMINAL_CLOSE_CODES.has(code);
}

/**
 * `session.reservation` read loosely (unknown fields ignored): the booked meeting, or null when
 * the session has none or the object is not one (then the page shows no meeting).
 * @returns {{id: string, title: string, agenda: string[], start_utc: string, invited?: number,
 *   invitees?: Array<{name: string, email: string, state: string}>}|null}
 */
export function sessionReservation(session) {
  const value = session?.reservation;
  const F = SessionReservationField;
  if (!value || typeof value !== "object" || typeof value[F.TITLE] !== "string") {
    return null;
  }
  const agenda = Array.isArray(value[F.AGENDA]) ? value[F.AGENDA].filter((t) => typeof t === "string") : [];
  return {
    id: String(value[F.ID] ?? ""),
    title: value[F.TITLE],
    agenda,
    start_utc: typeof value[F.START_UTC] === "string" ? value[F.START_UTC] : "",
    ...(Number.isInteger(value[F.INVITED]) ? { invited: value[F.INVITED] } : {}),
    ...(Array.isArray(value[F.INVITEES]) ? { invitees: sessionInvitees(value[F.INVITEES]) } : {}),
  };
}

/** The agent's `invitees` of a session.reservation: entries of an unknown state are left out. */
function sessionInvitees(list) {
  const states = new Set(Object.values(InviteeState));
  return list
    .filter((i) => i && typeof i === "object" && states.has(i.state))
    .map((i) => ({
      name: typeof i.name === "string" ? i.name : "",
      email: typeof i.email === "string" ? i.email : "",
      state: i.state,
    }));
}
