"""Voice and video calls in tests (CH9): a real coturn on loopback, and reading a page's call.

Pages expose their call through a test hook: the agent and customer pages through
``window.__rsTest.call()`` / ``callStats()``, the viewer through ``window.__rsViewer``.
Chromium runs with fake media devices (``--use-fake-device-for-media-stream``, in
tests/conftest.py's CHROMIUM_ARGS): a test-pattern camera and a beeping microphone.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.support import ports

TURN_START_TIMEOUT_S = 30.0  # ends on readiness; long for loaded parallel runs
CALL_TIMEOUT_MS = 15_000


@dataclass
class TurnServer:
    """A running coturn: give the relay ``relay_args`` and it hands out credentials."""

    url: str
    secret: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def relay_args(self) -> tuple[str, ...]:
        # "--name=value": a secret may begin with "-", which argparse would take for an option.
        return ("--turn-url", self.url, f"--turn-secret={self.secret}", "--turn-ttl", "600")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def coturn_missing() -> str | None:
    """Why coturn cannot run here, or None (scripts/test installs the Debian package)."""
    if shutil.which("turnserver") is None:
        return "turnserver (Debian package coturn) is not installed"
    return None


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (tests/support/ports.py)."""
    return ports.free_port(udp=True)


@contextmanager
def run_coturn(
    folder: Path, port: int | None = None, secret: str | None = None,
    tls: tuple[int, Path, Path] | None = None, also_ip: str | None = None,
) -> Iterator[TurnServer]:  # fmt: skip
    """Start ``turnserver`` on 127.0.0.1 with a fresh shared secret (TURN REST credentials), or
    on ``port`` with ``secret`` (a relay told of a TURN server that starts late).

    The config is the one docs/calls.md recommends, pointed at loopback: loopback peers allowed
    (both browsers are on this machine), no TLS/DTLS, a port range of its own. ``tls``:
    ``(port, certificate, key)``: TURN over TLS on that TCP port too (``tls-listening-port``,
    as a deployment puts it on 443 for networks where only 443 goes out). ``also_ip``: listen
    on that address of this machine too (Chromium never sends loopback through a proxy).
    """
    port = port or free_port()
    low = 20000 + secrets.randbelow(400) * 100
    secret = secret or secrets.token_urlsafe(24)
    log_path = folder / "turnserver.log"
    config = folder / "turnserver.conf"
    config.write_text(
        "\n".join(
            (
                f"listening-port={port}",
                "listening-ip=127.0.0.1",
                *((f"listening-ip={also_ip}",) if also_ip else ()),
                "relay-ip=127.0.0.1",
                f"min-port={low}",
                f"max-port={low + 99}",
                "use-auth-secret",
                f"static-auth-secret={secret}",
                "realm=remotesales.test",
                "fingerprint",
                "allow-loopback-peers",
                *(
                    (f"tls-listening-port={tls[0]}", f"cert={tls[1]}", f"pkey={tls[2]}", "no-dtls")
                    if tls
                    else ("no-tls", "no-dtls")
                ),
                "no-cli",
                "no-multicast-peers",
                f"pidfile={folder / 'turnserver.pid'}",
                f"userdb={folder / 'turndb.sqlite'}",
                "simple-log",
                f"log-file={log_path}",
                "",
            )
        )
    )
    process = subprocess.Popen(
        ["turnserver", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    server = TurnServer(f"turn:127.0.0.1:{port}?transport=udp", secret, process, log_path)
    try:
        deadline = time.monotonic() + TURN_START_TIMEOUT_S
        while True:  # listening on TCP means its UDP listener is up too
            if process.poll() is not None:
                raise RuntimeError(
                    f"turnserver exited with {process.returncode}:\n{server.log_text()}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"turnserver did not listen:\n{server.log_text()}") from None
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call_hook(page: Page) -> str:
    """The page's test hook object (the viewer has its own)."""
    return "window.__rsViewer" if "/view" in page.url else "window.__rsTest"


def call_state(page: Page) -> dict[str, Any] | None:
    return page.evaluate(f"{call_hook(page)}.call()")


def call_stats(page: Page) -> dict[str, Any]:
    """getStats() of every peer link, summarised (ui/common/call/call_model.js qualityOf)."""
    return page.evaluate(f"{call_hook(page)}.callStats()") or {}


def wait_call(page: Page, condition: str, timeout_ms: int = CALL_TIMEOUT_MS) -> None:
    """Wait until the JS ``condition`` holds for ``call`` (the page's call testState())."""
    hook = call_hook(page)
    page.wait_for_function(
        f"() => {{ const call = {hook}.call(); return Boolean(call && ({condition})); }}",
        timeout=timeout_ms,
    )


def wait_stats(
    page: Page, peer: str, condition: str, window_ms: int = 1000, timeout_ms: int = CALL_TIMEOUT_MS
) -> dict[str, Any]:
    """Sample getStats() of the link to ``peer`` every ``window_ms`` until ``condition`` holds
    for ``a`` (the earlier sample) and ``b`` (the later one); returns the last pair."""
    return page.evaluate(
        f"""async () => {{
            const hook = {call_hook(page)};
            const deadline = performance.now() + {timeout_ms};
            let a = (await hook.callStats())[{peer!r}];
            while (performance.now() < deadline) {{
                await new Promise((done) => setTimeout(done, {window_ms}));
                const b = (await hook.callStats())[{peer!r}];
                if (a && b && ({condition})) return {{ a, b }};
                a = b;
            }}
            throw new Error("stats never met: " + {condition!r} + " " + JSON.stringify(a));
        }}"""
    )  # fmt: skip


REMOTE_VIDEO_PLAYS = """() => {
    const video = document.querySelector('[data-testid="call-remote-video"]');
    return Boolean(video && video.videoWidth > 0 && !video.paused && video.currentTime > 0.2);
}"""
