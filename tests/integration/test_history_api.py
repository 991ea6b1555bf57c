"""Support and usage history (A10, AD2) through a real relay: list, search, detail, export,
who may read what, and the move of old stored sessions into the history."""

from __future__ import annotations

import hashlib
import io
import subprocess
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from relay_server.sessions.chat_log import chat_table
from relay_server.store import TinyDBStore
from tests.support.api import Api
from tests.support.conversation import start_conversation
from tests.support.files import send_file
from tests.support.relay import ALICE, ROOT, RelayProcess, add_agent

FORMULA_NOTE = '=HYPERLINK("http://x","y")'


def _end(talk) -> None:
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    talk.agent.close()
    talk.customer.close()


def _download(api: Api, path: str, token: str) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(
        api.base_url + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture
def ended(relay_factory):
    """A relay with one ended session of Alice's: a Korean and an English message, notes and
    a file the agent sent."""
    relay = relay_factory(agents=(ROOT,))
    talk = start_conversation(relay)
    talk.customer.chat("견적서를 보내 주세요", "c-1")
    talk.agent.recv_type("chat_message")
    talk.agent.chat("The Zephyr brochure is on its way", "a-1")
    talk.customer.recv_type("chat_message")
    path = f"/api/sessions/{talk.session_id}/notes"
    talk.api.request(
        "PUT", path, json={"notes": f"Wants quartz pricing\n{FORMULA_NOTE}"}, token=talk.token
    )
    send_file(talk.api, talk.token, talk.session_id, "price-list.pdf", b"%PDF-1.4 prices")
    _end(talk)
    return relay, talk


def test_history_lists_searches_and_shows_an_ended_session(ended):
    """The agent's history lists the session, note and transcript words find it, the detail
    has it all."""
    relay, talk = ended
    api, token = talk.api, talk.token
    status, listed, _ = api.request("GET", "/api/history", token=token)
    assert status == 200 and listed["total"] == 1
    (row,) = listed["sessions"]
    assert row["id"] == talk.session_id and row["customers"] == "Kim Customer"
    assert row["message_count"] == 2 and row["duration_s"] > 0
    for query in ("quartz", "zephyr", "견적서", "QUARTZ pricing"):
        found = api.request("GET", f"/api/history?q={quote(query)}", token=token)[1]
        assert found["total"] == 1, query
    for query in ("q=absent", "presented=yes", "files=no", "customer=Lee", "min_duration_s=3600"):
        assert api.request("GET", f"/api/history?{query}", token=token)[1]["total"] == 0, query
    status, detail, _ = api.request("GET", f"/api/history/{talk.session_id}", token=token)
    session = detail["session"]
    # The file keeps its place in the transcript (its entry names it); message_count counts
    # only what people wrote.
    assert [m["text"] for m in session["messages"]] == [
        "견적서를 보내 주세요",
        "The Zephyr brochure is on its way",
        "price-list.pdf",
    ]
    assert session["messages"][-1]["file"]["name"] == "price-list.pdf"
    assert session["notes"].startswith("Wants quartz pricing")
    (sent,) = session["files"]
    assert (sent["name"], sent["size"], sent["sender"]) == ("price-list.pdf", 15, "agent")
    assert sent["sha256"] == hashlib.sha256(b"%PDF-1.4 prices").hexdigest()
    assert row["file_count"] == 1 and session["recordings"] == []
    assert "customer_token" not in session and "code" not in session
    assert api.request("GET", "/api/history?presented=maybe", token=token)[0] == 400
    assert api.request("GET", "/api/history?per_page=1000", token=token)[0] == 400


def test_agents_read_only_their_own_history_and_admins_everyones(ended):
    """Bob gets 403 on Alice's session and the admin routes; the admin reads and filters all."""
    relay, talk = ended
    api = talk.api
    bob = api.login("bob", "bob-password-1")
    assert api.request("GET", "/api/history", token=bob)[1]["total"] == 0
    status, body, _ = api.request("GET", f"/api/history/{talk.session_id}", token=bob)
    assert (status, body["error"]["code"]) == (403, "not_your_session")
    assert api.request("GET", "/api/history/unknown-id", token=bob)[0] == 404
    for path in ("/api/admin/history", f"/api/admin/history/{talk.session_id}"):
        status, body, _ = api.request("GET", path, token=bob)
        assert (status, body["error"]["code"]) == (403, "not_admin"), path
    assert _download(api, "/api/admin/history/export.xlsx", bob)[0] == 403
    assert api.request("GET", "/api/history", token=None)[0] == 401
    root = api.login(ROOT.username, ROOT.password)
    assert api.request("GET", "/api/admin/history", token=root)[1]["total"] == 1
    assert api.request("GET", "/api/admin/history?agent=bob", token=root)[1]["total"] == 0
    assert (
        api.request("GET", f"/api/admin/history?agent=alice&q={quote('견적서')}", token=root)[1][
            "total"
        ]
        == 1
    )
    status, detail, _ = api.request("GET", f"/api/admin/history/{talk.session_id}", token=root)
    assert status == 200 and "quartz" in detail["session"]["notes"]


def test_export_is_a_real_workbook_whose_formulas_stay_text(ended, tmp_path):
    """The .xlsx has both sheets, Excel dates and durations, a frozen filtered header, and the
    =HYPERLINK note as text."""
    relay, talk = ended
    status, data, headers = _download(
        talk.api, "/api/history/export.xlsx?tz_offset_min=540&lang=en", talk.token
    )
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(data))
    sessions, transcripts = book.worksheets
    assert sessions.freeze_panes == "A2" and sessions.auto_filter.ref == "A1:K2"
    header = [c.value for c in sessions[1]]
    assert header[:3] == ["Start", "End", "Duration"]
    row = sessions[2]
    assert isinstance(row[0].value, datetime) and isinstance(row[2].value, timedelta)
    assert row[4].value == "Kim Customer" and row[7].value == 2
    notes = row[5]
    assert notes.data_type == "s" and notes.value.endswith(FORMULA_NOTE)
    messages = [[c.value for c in r] for r in transcripts.iter_rows(min_row=2)]
    assert [m[4] for m in messages] == [
        "견적서를 보내 주세요", "The Zephyr brochure is on its way", "price-list.pdf",
    ]  # fmt: skip
    alone = tmp_path / "note.xlsx"
    # A note that is nothing but the formula: the cell is text, never a formula.
    path = f"/api/sessions/{talk.session_id}/notes"
    talk.api.request("PUT", path, json={"notes": FORMULA_NOTE}, token=talk.token)
    alone.write_bytes(_download(talk.api, "/api/history/export.xlsx", talk.token)[1])
    cell = load_workbook(alone).worksheets[0]["F2"]
    assert (cell.value, cell.data_type) == (FORMULA_NOTE, "s")
    assert cell.quotePrefix


@pytest.mark.engine
def test_libreoffice_opens_the_export(ended, tmp_path):
    """Slow engine test: LibreOffice headless converts the export to CSV without an error."""
    relay, talk = ended
    book = tmp_path / "history.xlsx"
    book.write_bytes(_download(talk.api, "/api/history/export.xlsx", talk.token)[1])
    done = subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(book)],
        capture_output=True, text=True, timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    csv_text = (tmp_path / "history.csv").read_text()
    assert "Kim Customer" in csv_text and "HYPERLINK" in csv_text


def test_sessions_stored_before_the_history_move_into_it(tmp_path):
    """An ended session in the old store (record, chat table, notes) is in the history after a
    start, and has left the store."""
    data = tmp_path / "data"
    data.mkdir()
    add_agent(data, ALICE)
    store = TinyDBStore(data)
    store.insert(
        "session_records",
        {
            "id": "old-1", "agent_username": "alice", "agent": {"name": "Alice Kim"},
            "state": "ended", "customer_name": "Park Old", "created_at": 1.7e9,
            "started_at": 1.7e9 + 10, "ended_at": 1.7e9 + 130, "ended_by": "agent",
            "message_count": 1, "duration_s": 120.0,
        },
    )  # fmt: skip
    message = {"client_id": "c", "role": "customer", "name": "Park Old", "text": "legacy question"}
    store.insert(chat_table("old-1"), {**message, "sent_at": 1.7e9 + 20})
    note = {"session_id": "old-1", "username": "alice", "notes": "migrated note"}
    store.insert("notes", {**note, "updated_at": 1.7e9 + 200})
    store.close()
    relay = RelayProcess(data, tmp_path)
    relay.start()
    try:
        api = Api(relay.url)
        token = api.login("alice", "alice-password-1")
        for query in ("legacy", "migrated"):
            found = api.request("GET", f"/api/history?q={query}", token=token)[1]
            assert [s["id"] for s in found["sessions"]] == ["old-1"], query
    finally:
        relay.stop()
    store = TinyDBStore(data)
    try:
        assert store.all("session_records") == []
        assert not store.has_table(chat_table("old-1"))
    finally:
        store.close()
