"""The README's first command, ``scripts/run``, as a person runs it on this machine.

It must start the relay on a fresh data folder with a demo agent whose printed credentials log
in, keep the same credentials on the next run, open the desktop agent app against that relay
when there is a display, and stop everything on Ctrl-C.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.agent_app import free_port
from tests.support.api import Api
from tests.support.cdp import CdpPage, by_test_id, wait_for_target
from tests.support.desktop_flow import private_display
from tests.support.relay import REPO_ROOT
from tests.support.x11 import find_windows
from tests.support.xvfb import Xvfb

CREDENTIALS_RE = re.compile(r"Demo agent: ID '([^']+)', password '([^']+)'")
ADMIN_CREDENTIALS_RE = re.compile(r"Demo admin: ID '([^']+)', password '([^']+)'")
RELAY_PAGE_RE = re.compile(r"Relay page \(customers\): (http://\S+)/")
READY_LINE = "run: press Ctrl-C to stop"
START_TIMEOUT_S = 120  # the first run may install the project into .venv


def _as_from_a_terminal() -> None:
    """In the child, before exec: Ctrl-C as a shell started from a terminal gets it (default
    action, not blocked). By the time this module runs in the whole suite, the test process
    had SIGINT ignored or blocked, which the child inherits: a shell that starts with SIGINT
    ignored may not trap it, so scripts/run could not answer Ctrl-C (whole-suite runs only)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RunScript:
    """``scripts/run`` in its own process group, its output collected line by line."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        env = {**env, "RELAY_PORT": "0", "RELAY_DATA": str(data), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "run")], cwd=REPO_ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_as_from_a_terminal,
        )  # fmt: skip
        self.output: list[str] = []

    def read_until_ready(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith(READY_LINE):
                return "".join(self.output)
        raise AssertionError(f"scripts/run ended before it was ready:\n{''.join(self.output)}")

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def run_script(tmp_path) -> Iterator[Callable[[dict[str, str]], RunScript]]:
    started: list[RunScript] = []

    def start(env: dict[str, str]) -> RunScript:
        script = RunScript(tmp_path / "data", env)
        started.append(script)
        return script

    yield start
    for script in started:
        script.kill()


def _without_display() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _started(output: str) -> tuple[str, str, str]:
    credentials = CREDENTIALS_RE.search(output)
    relay_page = RELAY_PAGE_RE.search(output)
    assert credentials and relay_page, output
    return relay_page.group(1), credentials.group(1), credentials.group(2)


def test_run_starts_a_relay_whose_demo_agent_logs_in_and_ctrl_c_stops_it(run_script):
    run = run_script(_without_display())
    output = run.read_until_ready()
    relay_url, username, password = _started(output)
    assert Api(relay_url).login(username, password)
    # The demo admin (AD1) signs in and reaches the admin API.
    admin = ADMIN_CREDENTIALS_RE.search(output)
    assert admin and f"Admin page:             {relay_url}/admin" in output, output
    admin_token = Api(relay_url).login(admin.group(1), admin.group(2))
    assert Api(relay_url).request("GET", "/api/admin/me", token=admin_token)[0] == 200
    with urllib.request.urlopen(relay_url + "/", timeout=10) as page:
        assert page.status == 200 and b"<html" in page.read().lower()
    assert run.interrupt() == 130
    with pytest.raises(OSError):
        urllib.request.urlopen(relay_url + "/health", timeout=5)

    again = run_script(_without_display())
    relay_url_2, username_2, password_2 = _started(again.read_until_ready())
    assert (username_2, password_2) == (username, password)  # the same demo account
    assert Api(relay_url_2).login(username, password)
    assert again.interrupt() == 130


def test_run_after_a_password_reset_does_not_print_the_old_demo_password(run_script):
    """After an admin reset the demo agent's password, the next run does not
    print the old one (which no longer logs in): it says the password was changed."""
    run = run_script(_without_display())
    output = run.read_until_ready()
    relay_url, username, old_password = _started(output)
    admin = ADMIN_CREDENTIALS_RE.search(output)
    assert admin, output
    api = Api(relay_url)
    admin_token = api.login(admin.group(1), admin.group(2))
    status, _, _ = api.request(
        "PUT",
        f"/api/admin/accounts/{username}/password",
        json={"password": "a-new-demo-password"},
        token=admin_token,
    )
    assert status == 200
    assert run.interrupt() == 130

    again = run_script(_without_display())
    output = again.read_until_ready()
    assert old_password not in output
    assert CREDENTIALS_RE.search(output) is None
    assert f"Demo agent: ID '{username}', its password was changed" in output
    assert ADMIN_CREDENTIALS_RE.search(output)  # the admin's own password still works
    assert again.interrupt() == 130


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    yield from private_display()


@pytest.mark.e2e
def test_run_with_a_display_opens_the_agent_app_on_that_relay(run_script, xvfb, tmp_path):
    env = xvfb.env()
    env["REMOTESALES_CONFIG_DIR"] = str(tmp_path / "agent-config")
    env["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{(devtools := free_port())}"
    run = run_script(env)
    output = run.read_until_ready()
    relay_url, _, _ = _started(output)
    assert "agent desktop app started" in output
    target = wait_for_target(devtools, lambda t: "/ui/agent/index.html" in t["url"])
    with CdpPage(target) as main:
        main.wait_for_selector(by_test_id("login-relay-url"))
        field = f"document.querySelector('{by_test_id('login-relay-url')}')"
        main.wait_for(f"{field}.value !== ''", timeout_s=15)  # filled from the settings
        shown = main.evaluate(f"{field}.value")
    assert shown.rstrip("/") == relay_url
    assert find_windows(env, "^RemoteSales$")
    assert run.interrupt() == 130
    assert not find_windows(env, "^RemoteSales$")
