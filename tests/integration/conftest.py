"""Fixtures of the agent-app integration tests: a private display, a conversation, the local
API logged in to the relay with real presenter children.

`relay` comes from tests/conftest.py; the helpers these fixtures use live in tests/support/.
A test module overrides one by defining a fixture of the same name (test_agent_monitors.py
brings its own two-monitor `display`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from suite.agent.app.local_api import build_app
from suite.agent.app.local_guard import guard
from suite.agent.app.local_server import LocalServer
from suite.agent.app.local_state import LocalState
from suite.agent.app.presentations import Presentations
from suite.agent.app.settings import LocalSettings
from tests.support.conversation import Conversation, start_conversation
from tests.support.local_api import SECRET, LocalClient, RecordingDesktop
from tests.support.relay import ALICE, RelayProcess
from tests.support.smtp_server import SmtpServer, mail_relay_process
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb


@pytest.fixture(scope="module")
def display() -> Iterator[Xvfb]:
    """A private 640x480 Xvfb (with an Xauthority entry python-xlib can read)."""
    with Xvfb(640, 480) as xvfb:
        add_local_xauth_entry(xvfb)
        yield xvfb


@pytest.fixture
def conversation(relay) -> Iterator[Conversation]:
    """Alice's support with a customer joined, both chat sockets open."""
    conversation = start_conversation(relay)
    yield conversation
    conversation.agent.close()
    conversation.customer.close()


@pytest.fixture
def app(tmp_path, display, relay) -> Iterator[tuple[LocalClient, Presentations, LocalState]]:
    """The local API, logged in to the relay as Alice, with presenters on the test display."""
    settings = LocalSettings(tmp_path / "config")
    state = LocalState()
    presentations = Presentations(env=display.env())
    server = LocalServer()
    routes = build_app(settings, RecordingDesktop(), state=state, presentations=presentations)
    server.start(guard(routes, SECRET, server.port))
    client = LocalClient(server.port)
    status, body, _ = client.request(
        "POST", "/local/login",
        {"relay_url": relay.url, "username": ALICE.username, "password": ALICE.password},
    )  # fmt: skip
    assert status == 200, body
    yield client, presentations, state
    presentations.stop_all()
    server.stop()
    settings.close()


# The mail tests' SMTP server and relay, one of each per module.
@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def mail_relay(smtp, tmp_path_factory, relay_backend) -> Iterator[RelayProcess]:
    """One relay for the module, sending through ``smtp``, retrying after 0.3 s (on the
    run's ``--relay-store`` and ``--relay-hub``)."""
    work = tmp_path_factory.mktemp("mail-relay")
    with mail_relay_process(smtp, work, *relay_backend()) as relay:
        yield relay
