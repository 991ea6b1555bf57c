"""The TinyDB -> PostgreSQL migration command on a data folder a real relay wrote (an ended
session with chat, notes and a file; a live account), read back through a relay on
PostgreSQL: the same history, transcript, files and logins."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import urllib.request
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.support.api import Api
from tests.support.conversation import start_conversation
from tests.support.favourites import pdf_bytes, upload_document
from tests.support.files import send_file
from tests.support.postgres import running_postgres
from tests.support.relay import ALICE, ROOT, RelayProcess
from tests.support.whiteboard import png_of

pytestmark = pytest.mark.engine  # a PostgreSQL server


def _migrate(data_dir, postgres, database, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay_server", "migrate", "--from", str(data_dir),
         "--to", postgres.url(database), "--store-password-file", str(postgres.password_file),
         *extra],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _counts(output: str) -> dict[str, int]:
    rows = (line.rsplit(None, 1) for line in output.splitlines() if not line.startswith("copied"))
    return {name.strip(): int(number) for name, number in rows}


def test_a_relays_folder_migrates_and_reads_back_the_same_through_postgresql(
    relay_factory, postgres, tmp_path
):
    """Every table and the history reach PostgreSQL with their counts printed; a second copy
    is refused without --force and changes nothing with it; the relay on PostgreSQL lists,
    searches (full text), shows and exports the session as the TinyDB relay did."""
    relay = relay_factory(agents=(ROOT,))
    talk = start_conversation(relay)
    talk.customer.chat("견적서를 보내 주세요", "c-1")
    talk.agent.recv_type("chat_message")
    talk.agent.chat("The Zephyr brochure is on its way", "a-1")
    talk.customer.recv_type("chat_message")
    talk.api.request(
        "PUT", f"/api/sessions/{talk.session_id}/notes", json={"notes": "Wants quartz"},
        token=talk.token,
    )  # fmt: skip
    send_file(talk.api, talk.token, talk.session_id, "price-list.pdf", b"%PDF-1.4 prices")
    kept = pdf_bytes("Kept offer")
    status, body = upload_document(relay, talk.token, "offer.pdf", kept)
    assert status == 201, body
    kept_id = body["document"]["id"]
    photo = png_of((10, 200, 30))
    put = urllib.request.Request(
        f"{relay.url}/api/me/photo", data=photo, method="PUT",
        headers={"Authorization": f"Bearer {talk.token}"},
    )  # fmt: skip
    with urllib.request.urlopen(put, timeout=10) as reply:
        assert reply.status == 200
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    talk.agent.close()
    talk.customer.close()
    before = talk.api.request("GET", f"/api/history/{talk.session_id}", token=talk.token)[1]
    relay.stop()

    database = postgres.create_database("migrated")
    # A relay killed while sending mail left its worker's commit marks: folded by a start
    # of the TinyDB relay, never dropped by a copy.
    commits = relay.data_dir / "mail-commits.jsonl"
    commits.write_bytes(b'{"m":"<x@example.com>","s":"committing"}\n')
    held = _migrate(relay.data_dir, postgres, database)
    assert held.returncode == 1 and "start the relay on this folder once" in held.stderr
    assert postgres.sql("SELECT count(*) FROM documents", database) == [(0,)]
    commits.write_bytes(b"")
    first = _migrate(relay.data_dir, postgres, database)
    assert first.returncode == 0, first.stderr
    counts = _counts(first.stdout)
    assert counts["accounts"] == 3 and counts["history"] == 1, first.stdout
    assert counts["tokens"] >= 1, "signed-in agents stay signed in"
    assert counts["favourite documents"] == 1, first.stdout  # every node may send it
    assert counts["photos"] == 1, first.stdout  # every node may serve it
    pieces = postgres.sql("SELECT name, data FROM shared_files ORDER BY name", database)
    assert [(name, bytes(data)) for name, data in pieces] == [
        (f"favourites/{kept_id}", kept), ("photos/alice", photo)
    ]  # fmt: skip

    refused = _migrate(relay.data_dir, postgres, database)
    assert refused.returncode == 1 and "--force" in refused.stderr
    again = _migrate(relay.data_dir, postgres, database, "--force")
    assert again.returncode == 0 and _counts(again.stdout) == counts, again.stdout
    assert postgres.sql("SELECT count(*) FROM history_records", database) == [(1,)]

    on_postgres = RelayProcess(relay.data_dir, tmp_path / "pg-relay", postgres.store_args(database))
    (tmp_path / "pg-relay").mkdir()
    try:
        on_postgres.start()
        api = Api(on_postgres.url)
        assert api.request("GET", "/ready")[1] == {
            "status": "ready",
            "store": "postgresql",
            "hub": "local",
        }
        token = api.login(ALICE.username, ALICE.password)
        (relay.data_dir / "photos" / "alice.png").unlink()  # served from the database
        photo_url = api.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"]
        with urllib.request.urlopen(f"{on_postgres.url}{photo_url}", timeout=10) as reply:
            assert reply.read() == photo
        listed = api.request("GET", "/api/history", token=token)[1]
        assert [row["id"] for row in listed["sessions"]] == [talk.session_id]
        for query in ("quartz", "zephyr", "견적서"):
            found = api.request("GET", f"/api/history?q={quote(query)}", token=token)[1]
            assert found["total"] == 1, query
        assert api.request("GET", "/api/history?q=absent", token=token)[1]["total"] == 0
        after = api.request("GET", f"/api/history/{talk.session_id}", token=token)[1]
        assert after == before
        (sent,) = after["session"]["files"]
        assert sent["sha256"] == hashlib.sha256(b"%PDF-1.4 prices").hexdigest()
        # The export's child process reads the records from PostgreSQL too.
        request = urllib.request.Request(
            f"{on_postgres.url}/api/history/export.xlsx?lang=en",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            book = load_workbook(io.BytesIO(response.read()))
        transcript = [row[-1] for row in book.worksheets[1].iter_rows(values_only=True)]
        assert "견적서를 보내 주세요" in transcript, transcript
    finally:
        on_postgres.stop()


def test_migrate_refuses_a_password_in_the_url_and_a_folder_that_is_not_a_relays(tmp_path):
    """The URL's password would show in process lists; an empty folder is not a data folder."""
    url = "postgresql://relay:secret@127.0.0.1:1/x"
    result = subprocess.run(
        [sys.executable, "-m", "relay_server", "migrate", "--from", str(tmp_path), "--to", url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "no password in the URL" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "relay_server", "migrate", "--from", str(tmp_path),
         "--to", "postgresql://relay@127.0.0.1:1/x"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "not a relay data folder" in result.stderr


def test_ready_follows_the_database_and_health_does_not(
    relay_factory, request: pytest.FixtureRequest
):
    """GET /ready is 200 while PostgreSQL answers and 503 once it is gone; /health stays 200
    (liveness), so a balancer takes the relay out of rotation without restarting it. The
    relay runs on this test's own server in place of the run's store (one --store, whatever
    --relay-store says) and on the run's hub."""
    hub = request.config.getoption("--relay-hub")
    with running_postgres() as own:  # its own server: this test stops it
        relay = relay_factory(store=own.store_args(own.create_database("ready")))
        assert relay.extra_args.count("--store") == 1, relay.extra_args
        api = Api(relay.url)
        status, body, _ = api.request("GET", "/ready")
        assert (status, body) == (200, {"status": "ready", "store": "postgresql", "hub": hub})
        own.stop()
        status, body, _ = api.request("GET", "/ready")
        assert (status, body) == (
            503,
            {"status": "not_ready", "store": "postgresql", "hub": hub},
        )
        assert api.request("GET", "/health")[0] == 200
    assert "not ready: database" in relay.log_text()
