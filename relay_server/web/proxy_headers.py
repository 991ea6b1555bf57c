"""Who is asking and which address they used: the client IP and the relay's public base URL.

Pure: both read a WSGI environ and nothing else. ``X-Forwarded-*`` headers are read only when
the relay runs behind trusted proxies (``--trust-proxy``), because any client can write them:

- The client IP is the entry the *trusted* proxy appended to ``X-Forwarded-For``: with
  ``trusted_hops`` proxies in a row, the ``trusted_hops``-th entry from the right. Entries left
  of it were written by the client (or an untrusted proxy) and are never used; a client that
  writes ``X-Forwarded-For: 198.51.0.7`` is still counted under the address the proxy saw.
- The base URL (``relay_url``, hence ``join_url`` and the invitation) comes from
  ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` under the same rule, else from the request's own
  scheme and ``Host``; a scheme other than http/https or a host that is not a plain host name
  or IP address (with an optional port) is never used, so no ``javascript:`` link is produced.

Two headers go the other way, to the load balancer in front of several relays
(docs/deployment.md, *Several relays behind HAProxy*): every response names the node that
answered (``X-Relay-Node``, with ``--node-name``), and the answer that creates a session or a
file transfer names it (``X-Relay-Affinity``), so that the balancer sends everything later
addressed to that session or transfer to the node that holds it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

NODE_HEADER = "X-Relay-Node"
AFFINITY_HEADER = "X-Relay-Affinity"
# A node's name: what HAProxy's logs and an operator read; no spaces, no header tricks.
NODE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")

SCHEMES = ("http", "https")
# A DNS name or an IPv4 address, or an IPv6 address in brackets; an optional port.
HOST_RE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z"
)
MAX_HOST_CHARS = 260


def client_ip(environ: Mapping[str, Any], trusted_hops: int) -> str:
    """The client's IP address: the peer's, or the one the trusted proxy forwarded.

    Args:
        environ: the WSGI environ of the request.
        trusted_hops: how many proxies in front of the relay append to ``X-Forwarded-For``
            (0: trust none, use the peer address).
    """
    peer = str(environ.get("REMOTE_ADDR", ""))
    if trusted_hops <= 0:
        return peer
    entries = _entries(environ.get("HTTP_X_FORWARDED_FOR", ""))
    if not entries:
        return peer
    # Fewer entries than trusted hops: the request skipped the outer proxies, and the left-most
    # entry is still one a trusted proxy appended.
    chosen = entries[max(0, len(entries) - trusted_hops)]
    try:
        return str(ipaddress.ip_address(chosen))
    except ValueError:
        return peer  # not an address: a proxy we trust never writes this


def base_url(environ: Mapping[str, Any], trusted_hops: int) -> str:
    """``scheme://host[:port]`` the client used to reach the relay (http or https only).

    Args:
        environ: the WSGI environ of the request.
        trusted_hops: as for :func:`client_ip`; 0 ignores every ``X-Forwarded-*`` header.
    """
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    scheme = scheme if scheme in SCHEMES else "http"
    host = str(environ.get("HTTP_HOST", ""))
    if trusted_hops > 0:
        forwarded_scheme = _trusted_entry(environ.get("HTTP_X_FORWARDED_PROTO", ""), trusted_hops)
        if forwarded_scheme.lower() in SCHEMES:
            scheme = forwarded_scheme.lower()
        forwarded_host = _trusted_entry(environ.get("HTTP_X_FORWARDED_HOST", ""), trusted_hops)
        if _valid_host(forwarded_host):
            host = forwarded_host
    if not _valid_host(host):
        server = str(environ.get("SERVER_NAME", ""))
        port = str(environ.get("SERVER_PORT", ""))
        host = f"{server}:{port}" if port else server
        if not _valid_host(host):
            host = "localhost"
    return f"{scheme}://{host}"


def _entries(header: Any) -> list[str]:
    if not isinstance(header, str):
        return []
    return [entry.strip() for entry in header.split(",") if entry.strip()]


def _trusted_entry(header: Any, trusted_hops: int) -> str:
    entries = _entries(header)
    return entries[max(0, len(entries) - trusted_hops)] if entries else ""


def _valid_host(host: str) -> bool:
    return 0 < len(host) <= MAX_HOST_CHARS and HOST_RE.match(host) is not None
