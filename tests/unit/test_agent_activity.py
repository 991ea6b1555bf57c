"""The record of the other windows' input and live supports behind the automatic logout (A4)."""

from __future__ import annotations

from suite.agent.app.activity import LIVE_TTL_S, MAX_SOURCES, ActivityLog


def test_nothing_reported_means_no_idle_time_and_nothing_live():
    """Before any window reports, the main window relies on its own input alone."""
    assert ActivityLog().state(now=100.0) == {"idle_s": None, "live": False}


def test_idle_time_counts_from_the_latest_input_of_any_window():
    """Input in any window restarts the count; a late report of older input does not rewind it."""
    log = ActivityLog()
    log.report("chat-a", input_seen=True, live=False, now=10.0)
    assert log.state(now=25.0)["idle_s"] == 15.0
    log.report("notice", input_seen=True, live=False, now=20.0)
    log.report("chat-a", input_seen=True, live=False, now=18.0)  # delivered late
    assert log.state(now=25.0)["idle_s"] == 5.0


def test_heartbeat_without_input_keeps_live_but_not_active():
    """A live support's heartbeat (input false) keeps it live and does not count as input."""
    log = ActivityLog()
    log.report("chat-a", input_seen=True, live=False, now=0.0)
    log.report("chat-a", input_seen=False, live=True, now=500.0)
    assert log.state(now=510.0) == {"idle_s": 510.0, "live": True}


def test_a_window_that_ends_its_support_or_stops_reporting_is_no_longer_live():
    """live=false ends it at once; a closed window's live state expires after LIVE_TTL_S."""
    log = ActivityLog()
    log.report("chat-a", input_seen=False, live=True, now=0.0)
    log.report("chat-b", input_seen=False, live=True, now=0.0)
    log.report("chat-a", input_seen=False, live=False, now=1.0)
    assert log.state(now=LIVE_TTL_S - 1)["live"] is True  # chat-b still within its heartbeat
    assert log.state(now=LIVE_TTL_S)["live"] is False  # chat-b closed without a word
    log.report("chat-b", input_seen=False, live=True, now=LIVE_TTL_S + 10)
    assert log.state(now=LIVE_TTL_S + 20)["live"] is True


def test_live_windows_are_bounded():
    """A misbehaving page cannot grow the record without end: new names past the cap are ignored."""
    log = ActivityLog()
    for index in range(MAX_SOURCES + 50):
        log.report(f"w{index}", input_seen=False, live=True, now=0.0)
    assert len(log.live_until) == MAX_SOURCES
    log.report("w0", input_seen=False, live=True, now=1.0)  # known names still refresh
    assert log.live_until["w0"] == 1.0 + LIVE_TTL_S
