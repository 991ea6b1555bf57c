"""A valid body of every message a client may send, by type (without its ``type``).

The relay fuzz (tests/integration/test_fuzz_relay.py) mutates these; the protocol's unit tests
(tests/unit/test_protocol.py) check every field of every message against hostile values.
"""

from __future__ import annotations

from typing import Any

from suite.protocol import PROTOCOL_VERSION

TEMPLATES: dict[str, dict[str, Any]] = {
    "hello": {"protocol_version": PROTOCOL_VERSION, "role": "customer", "session_id": "s",
              "token": "t", "last_seen_id": 0, "channel": "chat"},
    "send_chat": {"client_id": "c-1", "text": "hello"},
    "typing": {"active": True},
    "mark_read": {"up_to_id": 1},
    "end_session": {},
    "remove_customer": {},
    "renew_code": {},
    "request_presentation": {},
    "answer_presentation": {"accept": False},
    "send_link": {"client_id": "l-1", "title": "Shop", "url": "https://shop.example/"},
    "request_print": {"transfer_id": "t-1"},
    "answer_print": {"transfer_id": "t-1", "accept": False},
    "grant_control": {"mouse": True, "keyboard": True},
    "admit_knock": {"knock_id": "k-1"},
    "refuse_knock": {"knock_id": "k-1"},
    "refuse_all_knocks": {},
    "screen_ack": {"seq": 1},
    "paint_report": {"seq": 1, "capture_ms": 1.5, "painted_ms": 2.5},
    "decoder_support": {"video": ["vp9"]},
    "video_lost": {"seq": 7},
    "present_start": {"screen_w": 640, "screen_h": 480},
    "present_pause": {},
    "present_resume": {},
    "present_stop": {},
    "set_recording": {"recording": True},
    "cursor": {"x": 10, "y": 20, "visible": True, "shape": "default"},
    "request_control": {},
    "revoke_control": {"mouse": True, "keyboard": True},
    "mouse_input": {"action": "down", "x": 3, "y": 4, "button": "left", "dx": 0, "dy": 1},
    "key_input": {"action": "down", "key": "a", "code": "KeyA", "modifiers": ["shift"],
                  "text": "a"},
    "stroke_begin": {"id": "s-1", "tool": "pen", "color": "#112233", "width": 3,
                     "points": [[1, 2]]},
    "stroke_points": {"id": "s-1", "points": [[3, 4], [5, 6]]},
    "stroke_end": {"id": "s-1", "points": [[7, 8]]},
    "undo_stroke": {},
    "clear_drawing": {},
    "start_call": {"media": "video"},
    "answer_call": {"call_id": "c-1", "accept": True},
    "hang_up": {"call_id": "c-1"},
    "set_call_media": {"call_id": "c-1", "muted": True, "camera_off": False},
    "rejoin_call": {"call_id": "c-1", "media": "video", "muted": False, "camera_off": False},
    "sdp_offer": {"call_id": "c-1", "to": "agent", "sdp": "v=0"},
    "sdp_answer": {"call_id": "c-1", "to": "agent", "sdp": "v=0"},
    "ice_candidate": {"call_id": "c-1", "to": "agent", "candidate": "candidate:1 1 udp 1 h 9",
                      "sdp_mid": "0", "sdp_m_line_index": 0},
    "open_whiteboard": {},
    "answer_whiteboard": {"accept": True},
    "update_whiteboard": {"board": 1, "elements": [
        {"id": "e-1", "kind": "rectangle", "version": 1, "nonce": 7, "deleted": False, "z": 1,
         "color": "#e11d48", "width": 4, "x": 10, "y": 20, "w": 30, "h": 40}]},
    "new_whiteboard": {"board": 1},
}  # fmt: skip
