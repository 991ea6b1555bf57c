"""The pure rules of recording (P9): policy, file names, the recording's clock, chat cues."""

from __future__ import annotations

import time

import pytest

from suite.recording.rules import (
    CUE_MS,
    MAX_CUE_CHARS,
    Cue,
    Timeline,
    chat_cue,
    chat_text,
    customer_name,
    recording_name,
    setting_view,
    should_record,
    webvtt,
)


@pytest.mark.parametrize(
    ("policy", "wants", "records", "shown", "editable"),
    [
        ("off", True, False, False, False),
        ("off", False, False, False, False),
        ("agent_choice", True, True, True, True),
        ("agent_choice", False, False, True, True),
        ("always", False, True, True, False),
        ("always", True, True, True, False),
        (None, True, False, False, False),  # a relay that says nothing: nothing recorded
        ("sometimes", True, False, False, False),
    ],
)
def test_the_policy_bounds_the_agents_setting(policy, wants, records, shown, editable):
    """off never records and hides the setting; always records and locks it; agent_choice
    follows the agent; an unknown policy counts as off."""
    assert should_record(policy, wants) is records
    view = setting_view(policy, wants)
    assert (view["on"], view["shown"], view["editable"]) == (records, shown, editable)


def test_the_file_is_named_after_the_customer_and_the_start_time():
    """``<customer> <YYYY-MM-DD HH.MM.SS>.webm`` in local time."""
    at = time.mktime((2026, 3, 14, 9, 26, 53, 0, 0, -1))
    assert recording_name("Kim Customer", at) == "Kim Customer 2026-03-14 09.26.53.webm"
    assert recording_name("김고객", at) == "김고객 2026-03-14 09.26.53.webm"


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd", "a/b\\c", "CON", "  ", "x\u202egpj.exe", "a:b*c?", "é" * 300]
)
def test_a_hostile_customer_name_makes_a_plain_file_name(hostile):
    """A customer's name cannot climb folders, hide characters or overflow the name limit;
    the time and the extension always survive."""
    name = recording_name(hostile, 0.0)
    assert "/" not in name and "\\" not in name and "\u202e" not in name and ":" not in name
    assert name.endswith(".webm") and len(name.encode()) <= 200
    assert time.strftime("%Y-%m-%d", time.localtime(0.0)) in name


def test_the_customer_comes_from_the_session():
    """customer_name first, else the customers of the roster, else "customer"."""
    assert customer_name({"customer_name": "Lee, Park"}) == "Lee, Park"
    roster = [{"role": "agent", "name": "Alice"}, {"role": "customer", "name": "Lee"}]
    assert customer_name({"customer_name": "", "participants": roster}) == "Lee"
    assert customer_name({}) == "customer"


def test_the_timeline_leaves_paused_time_out():
    """Milliseconds since the start, minus the paused stretches; a moment inside a pause maps
    to where the pause began."""
    timeline = Timeline(100.0)
    assert timeline.media_ms(101.5) == 1500
    timeline.pause(102.0)
    assert timeline.media_ms(105.0) == 2000
    timeline.resume(110.0)
    assert timeline.media_ms(111.0) == 3000
    assert timeline.media_ms(99.0) == 0


def test_a_chat_line_becomes_a_cue_at_its_time():
    """``sender: text`` from sent_at, shown for CUE_MS; files and links read as such; other
    messages and malformed ones give no cue."""
    timeline = Timeline(1000.0)
    line = {"type": "chat_message", "name": "Kim", "text": "hello\n\nthere", "sent_at": 1002.5}
    assert chat_cue(line, timeline) == Cue(2500, 2500 + CUE_MS, "Kim: hello\nthere")
    file = {**line, "file": {"name": "offer.pdf"}}
    assert chat_text(file) == "Kim: [offer.pdf]"
    link = {**line, "text": "https://x.example", "link": {"title": "Price list"}}
    assert chat_text(link) == "Kim: Price list https://x.example"
    assert chat_text({**line, "text": "a --> b"}) == "Kim: a -> b"
    assert len(chat_text({**line, "text": "x" * 5000}) or "") <= MAX_CUE_CHARS + len("Kim: ")
    assert chat_cue({**line, "type": "typing"}, timeline) is None
    assert chat_cue({**line, "sent_at": "soon"}, timeline) is None
    assert chat_cue({**line, "text": " \n "}, timeline) is None


def test_cues_as_webvtt():
    """The sidecar form of the cues is valid WebVTT with HH:MM:SS.mmm times."""
    text = webvtt([Cue(1500, 4000, "Kim: hi"), Cue(3_723_004, 3_724_000, "Lee: bye")])
    assert text.startswith("WEBVTT\n\n00:00:01.500 --> 00:00:04.000\nKim: hi\n")
    assert "01:02:03.004 --> 01:02:04.000\nLee: bye" in text
