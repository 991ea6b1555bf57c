"""Ended sessions written straight into a data folder's history archive, as the relay appends
them: for tests that need a history larger than a test can make through real sessions; and
the relay's export children seen from outside."""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

from relay_server.history.history import shard_of
from tests.support.processes import children

T0 = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC


def archived_session(n: int, agent: str, messages: int, text_chars: int) -> dict:
    """One ended session of ``agent`` whose messages are random hex of ``text_chars`` each
    (hard to compress: the export is about as large as the text)."""
    started = T0 + n * 60
    return {
        "v": 1, "id": f"big-{n:05d}", "agent_username": agent, "agent": {"name": agent.title()},
        "state": "ended", "customer_name": f"Customer {n}", "created_at": started - 30,
        "started_at": started, "ended_at": started + 50, "ended_by": "agent",
        "duration_s": 50.0, "message_count": messages, "notes": f"note {n}",
        "messages": [
            {"id": i + 1, "role": "customer", "name": f"Customer {n}",
             "text": secrets.token_hex(text_chars // 2), "sent_at": started + i}
            for i in range(messages)
        ],
        "files": [], "presentations": 0, "control_grants": 0,
    }  # fmt: skip


def write_archive(
    data_dir: Path, sessions: int, agent: str, messages: int = 5, text_chars: int = 20_000
) -> Path:
    """Append ``sessions`` sessions to the archive of ``data_dir``; returns the month file."""
    history = data_dir / "history"
    history.mkdir(parents=True, exist_ok=True)
    path = history / f"{shard_of(T0)}.jsonl"
    with open(path, "ab") as file:
        for n in range(sessions):
            record = archived_session(n, agent, messages, text_chars)
            file.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
    return path


def exporters(relay_pid: int) -> list[int]:
    """The relay's export children (``export-history``) running now."""
    found = []
    for pid in children(relay_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"export-history" in command:
            found.append(pid)
    return found


def stalled_export(relay_url: str, token: str, path: str) -> tuple[socket.socket, bytes]:
    """Start an export and read only its status line and headers, with a tiny receive
    window: the relay, then its child, wait on this client until it reads or closes.

    Returns:
        the open connection (close it to go away) and the status line.
    """
    address = urlsplit(relay_url)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((address.hostname, address.port))
    client.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = client.recv(1024)
        assert chunk, "the relay closed the connection"
        head += chunk
    return client, head.split(b"\r\n", 1)[0]
