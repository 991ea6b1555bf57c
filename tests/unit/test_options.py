"""The options' cores (AD4): every spec's checks, reset and paging of the audit trail, the
relay's live view of the values, the idle sign-out of agent tokens, and who is online."""

from __future__ import annotations

import pytest

from relay_server.accounts.registry import Accounts
from relay_server.admin.online import online_view
from relay_server.errors import Refused
from relay_server.files.transfers import FileRules
from relay_server.options.catalog import ALL_OPTIONS, GROUPS, RELAY_OPTIONS, known_file_type
from relay_server.options.live import LiveRelayOptions, command_line_values
from relay_server.options.options import Options
from relay_server.sessions.relay import RelayOptions
from relay_server.sessions.supports import Customer, SessionState, SupportSession
from relay_server.store import TinyDBStore

SPECS = {spec.key: spec for spec in ALL_OPTIONS}

GOOD = [
    ("sessions.code_lifetime_s", "120", 120),
    ("sessions.code_lifetime_s", 86400, 86400),
    ("sessions.customers_per_session", 50.0, 50),
    ("sessions.icons_enabled", False, False),
    ("files.max_file_bytes", "500M", 500 * 1024**2),
    ("files.max_file_bytes", 2048, 2048),
    ("files.file_types", " .PDF, png,,hwp ", ["hwp", "pdf", "png"]),
    ("files.file_types", ["docx"], ["docx"]),
    ("files.file_types", "", []),
    ("mail.reminder_minutes", 0, 0),
    ("agents.idle_timeout_minutes", "1440", 1440),
    ("recording.policy", "always", "always"),
]
BAD = [
    ("sessions.code_lifetime_s", 29, "from 30 to 86400"),
    ("sessions.code_lifetime_s", float("nan"), "from 30"),
    ("sessions.code_lifetime_s", True, "whole number"),
    ("sessions.customers_per_session", 51, "from 1 to 50"),
    ("sessions.customers_per_session", None, "whole number"),
    ("sessions.icons_enabled", 1, "true or false"),
    ("files.max_file_bytes", "2X", "not a size"),
    ("files.max_file_bytes", "2T", "from 1K to 1T"),
    ("files.file_types", "exe1234567890", "not a file extension"),
    ("files.file_types", "qqqz", "not a known file type"),
    ("files.file_types", {"pdf": 1}, "extensions separated by commas"),
    ("files.file_types", ",".join(f"a{i}" for i in range(101)), "at most 100"),
    ("mail.reminder_minutes", 10081, "from 0 to 10080"),
    ("recording.policy", "", "one of off, agent_choice, always"),
]


@pytest.mark.parametrize(("key", "given", "stored"), GOOD)
def test_good_values_are_stored_in_their_type(key, given, stored):
    """Text from a form becomes the number, size or list the relay reads."""
    assert SPECS[key].checked(given) == stored


@pytest.mark.parametrize(("key", "given", "reason"), BAD)
def test_bad_values_are_refused_naming_the_field(key, given, reason):
    """bad_setting with the field and key in its details and the reason in its message."""
    with pytest.raises(Refused) as caught:
        SPECS[key].checked(given)
    assert caught.value.code == "bad_setting"
    assert caught.value.details == {"field": key.split(".", 1)[1], "key": key}
    assert reason in caught.value.message


def test_every_option_is_in_a_section_and_its_default_passes_its_own_check():
    """Sections are the admin site's groups; a default is a value the check keeps as it is."""
    for spec in ALL_OPTIONS:
        assert spec.group in GROUPS
        if not spec.secret:
            assert spec.checked(spec.default) == spec.default, spec.key
    assert known_file_type("hwp") and known_file_type("pdf") and not known_file_type("qqqz")


def test_reset_goes_back_to_the_command_line_and_the_audit_pages_newest_first(tmp_path):
    """A reset forgets the admin's value (audited with reset_to); pages do not overlap."""
    store = TinyDBStore(tmp_path)
    try:
        options = Options(store, RELAY_OPTIONS, {"sessions.customers_per_session": 3})
        options.set({"sessions.customers_per_session": 5}, "root", 10.0)
        options.set({"recording.policy": "always"}, "root", 11.0)
        assert options.reset(["sessions.customers_per_session", "recording.policy"], "ann", 12.0)
        assert options.get("sessions.customers_per_session") == 3
        assert options.source("sessions.customers_per_session").value == "command_line"
        assert options.reset(["recording.policy"], "ann", 13.0) == []  # nothing set: no entry
        with pytest.raises(Refused):
            options.reset(["recording.nonsense"], "ann", 13.0)
        first, second = options.audit("", 2, 0), options.audit("", 2, 2)
        assert [e["at"] for e in first + second] == [12.0, 12.0, 11.0, 10.0]
        assert first[0]["actor"] == "ann" and {e["reset_to"] for e in first} == {
            "command_line", "default",
        }  # fmt: skip
        assert options.audit_count() == 4
        reopened = Options(store, RELAY_OPTIONS, {"sessions.customers_per_session": 3})
        assert reopened.source("sessions.customers_per_session").value == "command_line"
    finally:
        store.close()


def test_the_relay_reads_each_option_at_the_moment_of_use(tmp_path):
    """LiveRelayOptions answers the admin's value as soon as it is set; the command line's
    values are only those that differ from the defaults; other fields stay the start-up ones."""
    store = TinyDBStore(tmp_path)
    try:
        start = RelayOptions(customers_per_session=4, public_url="https://relay.example")
        given = command_line_values(start, RelayOptions())
        assert given == {"sessions.customers_per_session": 4}
        options = Options(store, ALL_OPTIONS, given)
        live = LiveRelayOptions(start, options.get)
        assert (live.customers_per_session, live.public_url) == (4, "https://relay.example")
        options.set({"files.max_file_bytes": "1M", "files.file_types": "pdf"}, "root", 1.0)
        assert live.file_rules == FileRules(1024**2, ("pdf",))
        options.set({"sessions.icons_enabled": False, "agents.idle_timeout_minutes": 5}, "r", 2)
        assert live.icons_enabled is False and live.idle_timeout_s == 300.0
    finally:
        store.close()


def test_an_idle_token_is_signed_out_and_activity_keeps_it(tmp_path):
    """With a timeout, a token unused for longer is refused and removed; a request or an
    open session socket (touch) restarts its count; 0 never signs out."""
    store = TinyDBStore(tmp_path)
    timeout = [0.0]
    try:
        accounts = Accounts(store, hasher=lambda p: "x", idle_timeout_s=lambda: timeout[0])
        account = {"username": "alice", "role": "agent"}
        token, _ = accounts.issue_token(account, 1000.0)
        assert accounts.authenticate(token, 5000.0) is not None  # 0: never
        timeout[0] = 600.0
        assert accounts.authenticate(token, 5500.0) is not None  # 500 s since the last use
        accounts.touch({"alice"}, 6000.0)
        assert accounts.signed_in(6100.0) == {"alice": 6000.0}
        assert accounts.authenticate(token, 6500.0) is not None
        assert accounts.signed_in(7200.0) == {}
        assert accounts.authenticate(token, 7200.0) is None
        timeout[0] = 0.0
        assert accounts.authenticate(token, 7300.0) is None  # gone for good
    finally:
        store.close()


def _session(session_id: str, username: str, state: SessionState, **fields) -> SupportSession:
    return SupportSession(session_id, username, {"name": username.title()}, state, 100.0, **fields)


def test_online_view_orders_agents_and_counts_sessions():
    """In-session agents first, then waiting, then only signed in; admins are left out; a
    waiting session shows its live code; durations run from the start (or creation)."""
    kim = Customer("tok", "Kim", "#000", "code", 150.0)
    sessions = [
        _session("s1", "bob", SessionState.WAITING, code="123456789", code_expires_at=900.0),
        _session("s2", "alice", SessionState.ACTIVE, customers=[kim], started_at=150.0),
    ]
    roles = {"alice": "agent", "bob": "agent", "carol": "agent", "root": "admin"}
    accounts = {name: {"role": role} for name, role in roles.items()}
    view = online_view(
        sessions, lambda sid: {"agent"} if sid == "s2" else set(),
        {"carol": 400.0, "root": 450.0, "alice": None}, accounts.get, True, 500.0,
    )  # fmt: skip
    assert [(a["username"], a["status"]) for a in view["agents"]] == [
        ("alice", "in_session"), ("bob", "waiting"), ("carol", "signed_in"),
    ]  # fmt: skip
    assert view["counts"] == {"agents": 3, "waiting": 1, "in_session": 1, "customers": 1}
    first, second = view["sessions"]
    assert (first["session_id"], first["duration_s"], first["agent_online"]) == ("s2", 350.0, True)
    assert first["customers"] == [{"name": "Kim", "joined_at": 150.0, "online": False}]
    assert (second["code"], second["waiting"]) == ("123 456 789", True)
    later = online_view(sessions, lambda s: set(), {}, accounts.get, True, 1000.0)
    assert later["sessions"][1]["code"] is None  # expired
