"""The history export's child process through a real relay: a large export streamed whole,
the cap on exports at once, a client that goes away, and a child that fails."""

from __future__ import annotations

import http.client
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from tests.support import history_archive
from tests.support.api import Api
from tests.support.history_archive import write_archive
from tests.support.relay import ALICE, ROOT, RelayProcess, add_agent
from tests.support.waiting import wait_until

SESSIONS = 200  # x 5 messages of 20,000 random hex characters: a ~10 MB workbook
EXPORT = "/api/admin/history/export.xlsx"


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Iterator[tuple[RelayProcess, str, Path]]:
    """A relay whose history holds 200 large sessions of Alice's, and the admin's token."""
    work = tmp_path_factory.mktemp("export")
    data = work / "data"
    data.mkdir()
    for agent in (ROOT, ALICE):
        add_agent(data, agent)
    month = write_archive(data, SESSIONS, ALICE.username)
    relay = RelayProcess(data, work)
    relay.start()
    try:
        yield relay, Api(relay.url).login(ROOT.username, ROOT.password), month
    finally:
        relay.stop()


def exporters(relay: RelayProcess) -> list[int]:
    return history_archive.exporters(relay.pid)


def stalled_download(relay: RelayProcess, token: str) -> tuple[socket.socket, bytes]:
    return history_archive.stalled_export(relay.url, token, EXPORT)


def download(relay: RelayProcess, token: str) -> tuple[int, bytes, dict]:
    address = urlsplit(relay.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        connection.request("GET", EXPORT, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.headers)
    finally:
        connection.close()


def test_a_large_export_streams_whole_from_the_child(big):
    """Every one of 200 large sessions is in the workbook, streamed without a length."""
    relay, token, _ = big
    status, data, headers = download(relay, token)
    assert status == 200 and len(data) > 5_000_000
    assert "Content-Length" not in headers and headers["Transfer-Encoding"] == "chunked"
    sessions, transcripts = load_workbook(io.BytesIO(data), read_only=True).worksheets
    assert sum(1 for _ in sessions.iter_rows(min_row=2)) == SESSIONS
    assert sum(1 for _ in transcripts.iter_rows(min_row=2)) == SESSIONS * 5
    assert exporters(relay) == []


def test_a_client_that_goes_away_stops_its_child(big):
    """Closing the connection mid-download kills the export's child process."""
    relay, token, _ = big
    client, status = stalled_download(relay, token)
    assert status.endswith(b"200 OK")
    child = wait_until(lambda: exporters(relay), "the export's child")
    client.close()
    wait_until(lambda: not set(child) & set(exporters(relay)), "the child to be stopped")


def test_a_third_export_at_once_is_refused_busy(big):
    """Two exports run at once; a third is 429 export_busy with Retry-After, and once the two
    are gone an export runs again."""
    relay, token, _ = big
    stalled = [stalled_download(relay, token)[0] for _ in range(2)]
    try:
        wait_until(lambda: len(exporters(relay)) == 2, "two export children")
        status, body, headers = Api(relay.url).request("GET", EXPORT, token=token)
        assert (status, body["error"]["code"]) == (429, "export_busy")
        assert int(headers["Retry-After"]) > 0
    finally:
        for client in stalled:
            client.close()
    wait_until(lambda: not exporters(relay), "the stalled exports to stop")
    wait_until(lambda: download(relay, token)[0] == 200, "an export after the busy ones")


def test_a_child_that_fails_at_once_is_a_clear_error(big):
    """A month file the child cannot read: 500 export_failed, and nothing is left running."""
    relay, token, month = big
    moved = month.with_suffix(".away")
    month.rename(moved)
    try:
        status, body, _ = Api(relay.url).request("GET", EXPORT, token=token)
    finally:
        moved.rename(month)
    assert (status, body["error"]["code"]) == (500, "export_failed")
    assert "relay's log" in body["error"]["message"]
    assert exporters(relay) == []


def test_a_child_that_fails_midway_cuts_the_download_short(big):
    """A record damaged after the export began ends the response without its last chunk: the
    client sees a cut download, never a complete-looking file."""
    relay, token, month = big
    original = month.read_bytes()
    lines = original.split(b"\n")
    middle = sum(len(line) + 1 for line in lines[: SESSIONS // 2])
    with open(month, "r+b") as file:  # the record's first bytes: no longer its JSON
        file.seek(middle)
        file.write(b"#")
    try:
        with pytest.raises(http.client.IncompleteRead):
            download(relay, token)
    finally:
        month.write_bytes(original)
    assert json.loads(lines[SESSIONS // 2])["id"].startswith("big-")
    assert exporters(relay) == []
