"""``--hub``: what the relay nodes share live, from the command line.

- ``--hub local`` (default): one node; the hub is in the process.
- ``--hub redis://host:port/db`` (or ``rediss://`` for TLS): several nodes share one Redis. As
  for the store, the password never goes in the URL (process lists show it):
  ``--hub-password-file`` (its first line) or ``$REMOTESALES_HUB_PASSWORD``.
"""

from __future__ import annotations

import argparse
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from relay_server.hub.interface import Hub, HubError
from relay_server.password_file import read_password

PASSWORD_ENV = "REMOTESALES_HUB_PASSWORD"
REDIS_SCHEMES = ("redis://", "rediss://")


@dataclass(frozen=True, slots=True)
class HubChoice:
    kind: str  # "local" or "redis"
    url: str = ""
    password: str | None = None

    def describe(self) -> str:
        return self.url or "local"


def add_hub_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub",
        metavar="local|redis://HOST:PORT/DB",
        help="what relay nodes share live (default local: one node); no password in the URL",
    )
    parser.add_argument(
        "--hub-password-file",
        type=Path,
        metavar="FILE",
        help=f"the Redis password's file (its first line); else ${PASSWORD_ENV}",
    )


def parse_hub(hub: str | None, password_file: Path | None = None) -> HubChoice:
    """What ``--hub`` and ``--hub-password-file`` ask for.

    Raises:
        ValueError: a malformed choice, with the reason (the caller prints it, exit 2).
    """
    if hub is None or hub == "local":
        if password_file is not None:
            raise ValueError("--hub-password-file is for a Redis hub")
        return HubChoice("local")
    if not hub.startswith(REDIS_SCHEMES):
        raise ValueError(f"--hub {hub!r}: give local or redis://host:port/db")
    try:
        parts = urlsplit(hub)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise ValueError(f"--hub: not a Redis URL ({error})") from None
    if parts.password is not None:
        raise ValueError(
            "--hub: no password in the URL (process lists show it); use --hub-password-file "
            f"or ${PASSWORD_ENV}"
        )
    password = read_password("--hub-password-file", password_file, PASSWORD_ENV)
    return HubChoice("redis", hub, password)


def node_name() -> str:
    """A name for this node, unique per process: host, pid and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def open_hub(choice: HubChoice, node_id: str | None = None) -> Hub:
    """Open the chosen hub.

    Raises:
        HubError: Redis is unreachable or refuses the password.
    """
    if choice.kind == "local":
        from relay_server.hub.local import LocalHub

        return LocalHub(node_id=node_id)
    # Imported here: redis must come after gevent's monkey-patching, and a one-node relay
    # never loads it.
    from relay_server.hub.redis_hub import RedisHub

    return RedisHub(choice.url, node_id or node_name(), choice.password)


__all__ = ["HubChoice", "HubError", "add_hub_arguments", "node_name", "open_hub", "parse_hub"]
