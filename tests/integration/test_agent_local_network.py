"""The local API's network routes (A7): settings, the password's store, the connection test
and the first run's provisioning file, over real HTTP with a real relay."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_network import PROVISIONING_ENV
from suite.agent.app.local_server import LocalServer
from suite.agent.app.network_settings import PASSWORD_FILE, AgentNetwork, ProxyPasswordStore
from suite.agent.app.settings import LocalSettings
from tests.support.local_api import SECRET, LocalClient, RecordingDesktop
from tests.support.network import closed_port_url


@pytest.fixture
def local(tmp_path) -> Iterator[tuple[LocalClient, LocalSettings]]:
    """The real local server and routes; the password in a file (no keyring in tests)."""
    settings = LocalSettings(tmp_path / "config")
    network = AgentNetwork(settings, ProxyPasswordStore(settings.folder, use_keyring=False))
    server = LocalServer()
    server.start(
        guard(build_app(settings, RecordingDesktop(), network=network), SECRET, server.port)
    )
    yield LocalClient(server.port), settings
    server.stop()
    settings.close()


def call(client: LocalClient, method: str, path: str, body=None):
    status, answer, _ = client.request(method, path, body)
    return status, answer


MANUAL = {"mode": "manual", "host": "proxy.example.com", "port": 3128, "username": "kim"}


def test_settings_round_trip_and_the_password_stays_in_its_file(local, tmp_path):
    """PUT stores address and proxy; the password goes to a 0600 file, never to settings.json
    nor back to the page (only `has_password`)."""
    client, settings = local
    status, body = call(client, "PUT", "/local/network", {
        "relay_url": "relay.example.com:8443", "network": {"proxy": MANUAL},
        "proxy_password": "pässword",
    })  # fmt: skip
    assert status == 200, body
    assert body["relay_url"] == "https://relay.example.com:8443"
    assert body["network"]["proxy"] == MANUAL
    assert (body["has_password"], body["password_store"]) == (True, "file")
    assert "pässword" not in json.dumps(body)
    assert "pässword" not in settings.path.read_text(encoding="utf-8")
    secret = settings.folder / PASSWORD_FILE
    assert secret.read_text(encoding="utf-8") == "pässword"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    status, body = call(client, "PUT", "/local/network", {"proxy_password": ""})
    assert (status, body["has_password"], secret.exists()) == (200, False, False)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"network": {"proxy": {"mode": "socks"}}}, "must be one of"),
        ({"network": {"proxy": {"mode": "manual", "host": "p"}}}, "needs"),
        ({"network": {"ca_file": "ca.pem"}}, "full path"),
        ({"relay_url": "ftp://relay"}, "https://"),
        ({"proxy_password": "a\nb"}, "control characters"),
        ({"colour": "red"}, "unknown field"),
    ],
)
def test_bad_network_settings_are_refused_and_nothing_is_written(local, change, words):
    """Every wrong field is a 400 naming it; the settings stay as they were."""
    client, settings = local
    before = settings.get()
    status, body = call(client, "PUT", "/local/network", change)
    assert status == 400, body
    assert words in body["error"]["message"]
    assert settings.get() == before


def test_connection_test_names_the_cause(local, relay):
    """The test of what the form says: a real relay answers ok; a closed port is refused; an
    unreachable proxy is its own cause; nothing of it is saved."""
    client, settings = local
    status, body = call(client, "POST", "/local/network/test", {"relay_url": relay.url})
    assert (status, body["ok"], body["relay_url"]) == (200, True, relay.url)
    status, body = call(client, "POST", "/local/network/test", {"relay_url": closed_port_url()})
    assert (status, body["error"]["code"], body["error"]["cause"]) == (
        502,
        "unreachable",
        "refused",
    )
    gone = int(closed_port_url().rsplit(":", 1)[1])
    proxy = {"mode": "manual", "host": "127.0.0.1", "port": gone}
    status, body = call(client, "POST", "/local/network/test", {
        "relay_url": "https://relay.example.com", "network": {"proxy": proxy},
    })  # fmt: skip
    assert (status, body["error"]["cause"]) == (502, "proxy_unreachable"), body
    assert settings.get()["relay_url"] == ""


def test_first_run_reads_the_provisioning_file(local, tmp_path, monkeypatch):
    """No relay yet: the first run is needed and the administrator's file prefills it; a broken
    file is reported, never applied; once a relay is set the first run is over."""
    client, settings = local
    provisioning = tmp_path / "remotesales-agent.json"
    monkeypatch.setenv(PROVISIONING_ENV, str(provisioning))
    status, body = call(client, "GET", "/local/first_run")
    assert (status, body["needed"], body["path"], body["settings"]) == (200, True, None, {})
    provisioning.write_text(json.dumps({
        "relay_url": "relay.example.com", "network": {"proxy": {"mode": "pac", "pac_url": ""}},
    }))  # fmt: skip
    body = call(client, "GET", "/local/first_run")[1]
    assert body["path"] == str(provisioning)
    assert body["settings"]["relay_url"] == "https://relay.example.com"
    provisioning.write_text('{"relay_url": "x", "proxy_password": "no"}')
    body = call(client, "GET", "/local/first_run")[1]
    assert body["path"] is None and "proxy_password" in body["error"]
    settings.update({"relay_url": "https://relay.example.com"})
    assert call(client, "GET", "/local/first_run")[1]["needed"] is False


def test_the_ca_file_is_chosen_in_a_native_dialog(tmp_path):
    """Choose… opens the app's open dialog and answers the chosen path (or that it was
    cancelled); without windows the route says there is no dialog."""
    chosen: list[str] = []

    class Chooser(RecordingDesktop):
        def choose_path(self, kind: str):
            chosen.append(kind)
            return tmp_path / "company-ca.pem" if len(chosen) == 1 else None

    settings = LocalSettings(tmp_path / "config")
    for desktop, answers in (
        (Chooser(), [(200, str(tmp_path / "company-ca.pem"), False), (200, "", True)]),
        (RecordingDesktop(), [(501, None, None)]),
    ):
        server = LocalServer()
        server.start(guard(build_app(settings, desktop), SECRET, server.port))
        try:
            for status, path, cancelled in answers:
                got, body = call(LocalClient(server.port), "POST", "/local/network/choose_ca_file")
                assert got == status, body
                if status == 200:
                    assert (body["path"], body["cancelled"]) == (path, cancelled)
                else:
                    assert body["error"]["code"] == "no_dialog"
        finally:
            server.stop()
    settings.close()
    assert chosen == ["file", "file"]
