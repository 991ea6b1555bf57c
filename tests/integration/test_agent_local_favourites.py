"""The desktop app's favourite folders and programs over its real local API (A9, CH7): kept in
the settings file, opened only by the id of a stored favourite, through the platform opener
(a recording `xdg-open` first on PATH stands in for the desktop's)."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.settings import LocalSettings
from tests.support.favourites import http_request
from tests.support.local_api import SECRET, TOKEN_HEADER, LocalClient, RecordingDesktop
from tests.support.relay import ALICE
from tests.support.waiting import wait_until


@pytest.fixture
def opener_log(tmp_path, monkeypatch) -> Path:
    """A fake `xdg-open` first on PATH that appends its argument to the returned log."""
    folder = tmp_path / "opener"
    folder.mkdir()
    log = folder / "opened.log"
    script = folder / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return log


@pytest.fixture
def client(tmp_path) -> Iterator[LocalClient]:
    settings = LocalSettings(tmp_path / "config")
    server = LocalServer()
    server.start(guard(build_app(settings, RecordingDesktop()), SECRET, server.port))
    yield LocalClient(server.port)
    server.stop()
    settings.close()


def opened(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_stored_favourite_opens_by_id_and_nothing_else_opens(client, tmp_path, opener_log):
    """Only the id of a stored favourite opens (its stored path); a path, an unknown id or a
    favourite whose folder is gone opens nothing, with a clear error."""
    folder = tmp_path / "Brochures"
    folder.mkdir()
    gone = tmp_path / "Old"
    favourites = [
        {"id": "f1", "kind": "folder", "title": "Brochures", "path": str(folder)},
        {"id": "f2", "kind": "folder", "title": "Old", "path": str(gone)},
    ]
    status, body, _ = client.request("PUT", "/local/favourites", {"favourites": favourites})
    assert (status, body["favourites"]) == (200, favourites)
    assert client.request("GET", "/local/favourites")[1]["favourites"] == favourites
    for request, code in (
        ({"id": str(folder)}, "favourite_not_found"),  # a path is no id
        ({"path": str(folder)}, "bad_request"),
        ({"id": "nope"}, "favourite_not_found"),
        ({"id": "f2"}, "path_missing"),
    ):
        status, body, _ = client.request("POST", "/local/open_favourite", request)
        assert body["error"]["code"] == code, (request, body)
        assert status in (400, 404)
    assert opened(opener_log) == []
    status, body, _ = client.request("POST", "/local/open_favourite", {"id": "f1"})
    assert (status, body) == (200, {"opened": "f1"})
    wait_until(lambda: opened(opener_log) == [str(folder)], "the opener got the stored path")


def test_bad_favourites_are_refused_and_nothing_is_stored(client):
    """A relative path, an unknown kind or a missing field is a 400 naming the item."""
    good = {"id": "f1", "kind": "folder", "title": "A", "path": "/srv/a"}
    client.request("PUT", "/local/favourites", {"favourites": [good]})
    for bad, words in (
        ({**good, "path": "docs/a"}, "full path"),
        ({**good, "kind": "url"}, "'folder' or 'program'"),
        ({"id": "f1", "title": "A", "path": "/srv/a"}, "{id, kind, title, path}"),
    ):
        status, body, _ = client.request("PUT", "/local/favourites", {"favourites": [bad]})
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad
        assert words in body["error"]["message"], body
    assert client.request("GET", "/local/favourites")[1]["favourites"] == [good]


def test_the_desktop_app_adds_a_document_larger_than_its_proxy_limit(client, relay):
    """A favourite document of 3 MiB goes through the app's relay proxy (other bodies stop at
    1 MiB) and is kept on the relay with its sha256; a 3 MiB body elsewhere is refused."""
    status, login, _ = client.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200, login
    data = bytes(range(256)) * (3 * 4096)
    headers = {
        TOKEN_HEADER: SECRET,
        "Authorization": f"Bearer {login['token']}",
        "Content-Type": "application/pdf",
    }
    path = "/local/relay/me/favourites/documents?name=brochure.pdf"
    status, body = http_request(client.port, "POST", path, data, headers)
    assert status == 201, body
    assert body["document"]["sha256"] == hashlib.sha256(data).hexdigest()
    status, body = http_request(
        client.port, "PUT", "/local/relay/me/favourites/links", data, headers
    )
    assert (status, body["error"]["code"]) == (413, "too_large")
