"""The admin's options (AD4) and *Online* (AD5) on a real relay: each option changed through
the API takes effect on the next code, join or upload without a restart, every change is in
the paged audit log, admin values survive a restart and win over the command line, and an
admin sees who is online and ends a session for everyone."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.conversation import start_conversation
from tests.support.relay import ALICE, BOB, ROOT

OPTIONS = "/api/admin/options"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One relay for the module (root is an admin), started with --customers-per-session 3."""
    from tests.support.relay import RelayProcess, add_agent

    work_dir = tmp_path_factory.mktemp("options-relay")
    data_dir = work_dir / "data"
    data_dir.mkdir()
    for agent in (ALICE, BOB, ROOT):
        add_agent(data_dir, agent)
    relay = RelayProcess(data_dir, work_dir, ["--customers-per-session", "3"])
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def api(shared) -> Api:
    return Api(shared.url)


@pytest.fixture
def root(api) -> str:
    return api.login(ROOT.username, ROOT.password)


def option(api: Api, token: str, key: str) -> dict:
    status, body, _ = api.request("GET", OPTIONS, token=token)
    assert status == 200, body
    found = [o for g in body["groups"] for o in g["options"] if o["key"] == key]
    assert len(found) == 1, key
    return found[0]


def put(api: Api, token: str, values: dict) -> tuple[int, dict]:
    status, body, _ = api.request("PUT", OPTIONS, json={"values": values}, token=token)
    return status, body


def set_ok(api: Api, token: str, values: dict) -> dict:
    status, body = put(api, token, values)
    assert status == 200, body
    return body


def reset(api: Api, token: str, *keys: str) -> None:
    status, body, _ = api.request(
        "POST", f"{OPTIONS}/reset", json={"keys": list(keys)}, token=token
    )
    assert status == 200, body


def test_options_list_every_section_with_value_and_source(api, root):
    """GET lists the six sections in order; the command line's value shows as command_line,
    the others as default; a secret shows only whether it is set."""
    status, body, _ = api.request("GET", OPTIONS, token=root)
    assert status == 200
    assert [g["group"] for g in body["groups"]] == [
        "sessions", "files", "mail", "reminders", "agents", "recording",
    ]  # fmt: skip
    seats = option(api, root, "sessions.customers_per_session")
    assert (seats["value"], seats["source"], seats["command_line"]) == (3, "command_line", 3)
    assert (seats["minimum"], seats["maximum"], seats["default"]) == (1, 50, 10)
    assert option(api, root, "recording.policy")["value"] == "off"
    assert option(api, root, "mail.reminder_minutes")["source"] == "default"
    password = option(api, root, "mail.password")
    assert password["set"] is False and "value" not in password


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("sessions.code_lifetime_s", 5, "from 30 to 86400"),
        ("sessions.customers_per_session", 0, "from 1 to 50"),
        ("sessions.customers_per_session", "many", "whole number"),
        ("sessions.customers_per_session", 2.5, "whole number"),
        ("sessions.icons_enabled", "false", "true or false"),
        ("files.max_file_bytes", "lots", "not a size"),
        ("files.max_file_bytes", 10, "from 1K"),
        ("files.file_types", "pdf, zzzq", "'.zzzq' is not a known file type"),
        ("files.file_types", "p df", "not a file extension"),
        ("agents.idle_timeout_minutes", -1, "from 0 to 1440"),
        ("recording.policy", "sometimes", "off, agent_choice, always"),
        ("sessions.nonsense", 1, "no such setting"),
        ("mail.password", "secret", "Mail page"),
    ],
)
def test_a_bad_value_is_refused_with_its_field_and_changes_nothing(api, root, key, value, reason):
    """400 bad_setting naming the key and why; a good value beside it is not stored either."""
    before = option(api, root, "mail.reminder_minutes")["value"]
    status, body = put(api, root, {"mail.reminder_minutes": before + 7, key: value})
    assert status == 400, body
    assert body["error"]["code"] == "bad_setting"
    assert body["error"]["key"] == key
    assert reason in body["error"]["message"]
    assert option(api, root, "mail.reminder_minutes")["value"] == before


def test_code_lifetime_and_icons_apply_to_the_next_code_and_join(api, root):
    """A shorter code lifetime shapes the very next support's code; icons off hide the
    waiting icons and refuse an icon join at once; on again, the icon join works."""
    set_ok(api, root, {"sessions.code_lifetime_s": 45})
    alice = api.login(ALICE.username, ALICE.password)
    support = api.new_support(alice)
    assert support["code_expires_at"] - support["created_at"] == pytest.approx(45, abs=1)
    set_ok(api, root, {"sessions.icons_enabled": False})
    assert api.request("GET", "/api/waiting")[1] == {"icons_enabled": False, "agents": []}
    status, body, _ = api.request("POST", "/api/join", json={"icon": support["icon"]})
    assert (status, body["error"]["code"]) == (403, "icons_disabled")
    set_ok(api, root, {"sessions.icons_enabled": True})
    waiting = api.request("GET", "/api/waiting")[1]
    assert support["icon"] in [agent["icon"] for agent in waiting["agents"]]
    reset(api, root, "sessions.code_lifetime_s", "sessions.icons_enabled")


def test_customers_per_session_applies_to_the_next_seat(shared, api, root):
    """With one seat set on the admin site the agent's next Invite another is refused as
    full; back to the command line's 3, it hands out a code."""
    talk = start_conversation(shared)
    set_ok(api, root, {"sessions.customers_per_session": 1})
    talk.agent.send({"type": "renew_code"})
    assert "full (1 customers)" in talk.agent.recv_type("error")["message"]
    reset(api, root, "sessions.customers_per_session")
    assert option(api, root, "sessions.customers_per_session")["source"] == "command_line"
    talk.agent.send({"type": "renew_code"})
    assert talk.agent.recv_type("session_updated")["session"]["code"]
    talk.agent.send({"type": "end_session"})
    talk.customer.recv_type("session_ended")


def test_file_limits_apply_to_the_next_offer(shared, api, root):
    """A smaller size cap and a type list refuse the next offer (413, 415); a reset allows it."""
    talk = start_conversation(shared)
    path = f"/api/sessions/{talk.session_id}/files"

    def check(name: str, size: int) -> tuple[int, dict]:
        offer = {"name": name, "size": size, "check": True}
        status, body, _ = api.request("POST", path, json=offer, token=talk.token)
        return status, body

    assert check("deck.png", 5000)[0] == 200
    set_ok(api, root, {"files.max_file_bytes": "4K"})
    status, body = check("deck.png", 5000)
    assert (status, body["error"]["code"]) == (413, "file_too_large")
    set_ok(api, root, {"files.max_file_bytes": "1M", "files.file_types": ".PDF, hwp"})
    assert option(api, root, "files.file_types")["value"] == ["hwp", "pdf"]
    status, body = check("deck.png", 5000)
    assert (status, body["error"]["code"]) == (415, "file_type_not_allowed")
    assert check("deck.pdf", 5000)[0] == 200
    reset(api, root, "files.max_file_bytes", "files.file_types")
    assert check("deck.png", 5000)[0] == 200
    talk.agent.send({"type": "end_session"})
    talk.customer.recv_type("session_ended")


def test_every_change_is_audited_newest_first_and_paged(api, root):
    """Each change and reset is one entry (who, when, from which address, old → new); pages
    hold per_page."""
    set_ok(api, root, {"recording.policy": "agent_choice"})
    set_ok(api, root, {"recording.policy": "always", "mail.reminder_minutes": 30})
    reset(api, root, "recording.policy")
    status, body, _ = api.request("GET", "/api/admin/audit?per_page=3", token=root)
    assert status == 200
    first = body["entries"]
    assert [(e["key"], e["old"], e["new"], e["actor"]) for e in first][:1] == [
        ("recording.policy", "always", "off", "root")
    ]
    assert first[0]["reset_to"] == "default"
    keys = {(e["key"], e["old"], e["new"]) for e in first[1:]}
    assert keys == {("recording.policy", "agent_choice", "always"),
                    ("mail.reminder_minutes", 15, 30)}  # fmt: skip
    assert {e["address"] for e in first} == {"127.0.0.1"}
    assert all(a["at"] >= b["at"] for a, b in zip(first, first[1:], strict=False))
    assert body["total"] >= 4 and body["per_page"] == 3
    page2 = api.request("GET", "/api/admin/audit?per_page=3&page=2", token=root)[1]["entries"]
    assert page2 and page2[0]["at"] <= first[-1]["at"]
    assert not {e["key"] + str(e["at"]) for e in page2} & {e["key"] + str(e["at"]) for e in first}
    assert api.request("GET", "/api/admin/audit?per_page=500", token=root)[0] == 400
    reset(api, root, "mail.reminder_minutes")


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", OPTIONS, None),
        ("PUT", OPTIONS, {"values": {"recording.policy": "always"}}),
        ("POST", f"{OPTIONS}/reset", {"keys": ["recording.policy"]}),
        ("GET", "/api/admin/audit", None),
        ("GET", "/api/admin/online", None),
        ("POST", "/api/admin/sessions/x/end", None),
    ],
)
def test_agents_may_not_read_or_change_options_or_online(api, root, method, path, json):
    """No token: 401; an agent's token: 403 not_admin; the policy stays as it was."""
    assert api.request(method, path, json=json)[0] == 401
    bob = api.login(BOB.username, BOB.password)
    status, body, _ = api.request(method, path, json=json, token=bob)
    assert (status, body["error"]["code"]) == (403, "not_admin")
    assert option(api, root, "recording.policy")["value"] == "off"


def test_online_shows_agents_and_sessions_and_an_admin_ends_one(shared, api, root):
    """Online lists the agent in session with its customer and duration, a waiting session
    with its code; ending it as admin sends session_ended (ended_by admin) to everyone, and
    the history record names the admin."""
    talk = start_conversation(shared)
    bob = api.login(BOB.username, BOB.password)
    waiting = api.new_support(bob)
    status, online, _ = api.request("GET", "/api/admin/online", token=root)
    assert status == 200
    by_id = {s["session_id"]: s for s in online["sessions"]}
    live = by_id[talk.session_id]
    assert (live["state"], live["agent_username"], live["waiting"]) == ("active", "alice", False)
    assert [c["name"] for c in live["customers"]] == ["Kim Customer"]
    assert live["customers"][0]["online"] and live["agent_online"]
    assert live["duration_s"] >= 0
    assert by_id[waiting["session_id"]]["code"].replace(" ", "") == waiting["code"]
    statuses = {a["username"]: a["status"] for a in online["agents"]}
    assert statuses["alice"] == "in_session" and statuses["bob"] == "waiting"
    assert "root" not in statuses
    assert next(a for a in online["agents"] if a["username"] == "alice")["last_active_at"]

    status, body, _ = api.request("POST", f"/api/admin/sessions/{talk.session_id}/end", token=root)
    assert status == 200, body
    for side in (talk.customer, talk.agent):
        assert side.recv_type("session_ended")["ended_by"] == "admin"
    status, body, _ = api.request("POST", f"/api/admin/sessions/{talk.session_id}/end", token=root)
    assert (status, body["error"]["code"]) == (404, "session_not_found")
    record = api.request("GET", f"/api/admin/history/{talk.session_id}", token=root)[1]
    session = record.get("session", record)
    assert (session["ended_by"], session["ended_by_admin"]) == ("admin", "root")
    online = api.request("GET", "/api/admin/online", token=root)[1]
    assert talk.session_id not in {s["session_id"] for s in online["sessions"]}


def test_admin_values_survive_a_restart_and_win_over_the_command_line(relay_factory):
    """--customers-per-session 3 shows as command line; an admin's 5 wins, survives a restart
    with the same flag, and a reset gives the command line's 3 back."""
    relay = relay_factory("--customers-per-session", "3", agents=(ROOT,))
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)
    set_ok(api, root, {"sessions.customers_per_session": 5, "recording.policy": "always"})
    relay.restart()
    api = Api(relay.url)
    root = api.login(ROOT.username, ROOT.password)
    seats = option(api, root, "sessions.customers_per_session")
    assert (seats["value"], seats["source"], seats["command_line"]) == (5, "admin", 3)
    assert option(api, root, "recording.policy")["value"] == "always"
    talk = start_conversation(relay)
    for _ in range(4):  # five seats: four more codes than the first
        talk.agent.send({"type": "renew_code"})
        code = talk.agent.recv_type("session_updated")["session"]["code"]
        api.join(code=code, name="Guest")
        talk.agent.recv_type("session_updated")
    reset(api, root, "sessions.customers_per_session")
    seats = option(api, root, "sessions.customers_per_session")
    assert (seats["value"], seats["source"]) == (3, "command_line")
