"""The connection policy (A7): network settings in, how to reach a URL out. Pure.

Every connection the agent app, its presenter and the one-time viewer open to the relay asks
this module how (``suite/net/connect.py`` does the I/O):

- **TLS**: verified against the system's store, or against the CA file an administrator gave
  (``ca_file``); ``verify_tls`` off is for test relays only (the settings window asks twice).
- **Proxy** (``proxy.mode``): ``none``; ``system`` (the environment's ``https_proxy`` /
  ``http_proxy`` / ``no_proxy``, as the desktop session sets them); ``manual`` (an HTTP proxy
  that allows CONNECT, with an optional user and password: Basic auth); ``pac`` (a PAC file at
  ``pac_url``, or WPAD discovery when the URL is empty), evaluated by ``pypac`` in the shell and
  read here by :func:`parse_pac_answer`.

Whatever the mode, a proxy is used through an HTTP CONNECT tunnel (also for an http:// relay):
one path for HTTP, websockets and file transfers, and the proxy sees only the relay's host and
port, never the requests.

Failures are :class:`NetworkError` with a ``cause`` a person can act on (:data:`CAUSES`).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from suite.errors import CodedError

PROXY_MODES = ("none", "system", "manual", "pac")
MAX_HOST_CHARS = 253
MAX_PATH_CHARS = 4096
MAX_URL_CHARS = 2000
MAX_USER_CHARS = 200
MAX_PASSWORD_CHARS = 200
MAX_CONNECT_REPLY_BYTES = 16 * 1024
_HOST_RE = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")

# What went wrong, for the person who must fix it; ``NetworkError.details["cause"]``.
CAUSES: dict[str, str] = {
    "dns": "the host name is unknown (DNS)",
    "refused": "the connection was refused: nothing listens at that address and port",
    "timeout": "no answer in time",
    "closed": "the server closed the connection without an answer",
    "proxy_unreachable": "the proxy could not be reached",
    "proxy_auth": "the proxy refused the user name or password (407)",
    "proxy_refused": "the proxy refused to connect to the relay",
    "pac_failed": "the proxy configuration (PAC) could not be read",
    "untrusted": "the relay's certificate is not trusted; set the CA file",
    "hostname": "the relay's certificate is for another host name",
    "handshake": "the secure connection failed",
    "ca_file": "the CA file cannot be read",
}


class NetworkError(CodedError):
    """A connection to the relay failed before any HTTP answer.

    ``code`` is ``unreachable`` or ``tls_failed`` (what the login form always knew);
    ``details["cause"]`` is one of :data:`CAUSES` and ``details["reason"]`` the low-level text.
    """

    def __init__(self, code: str, cause: str, message: str, reason: str = "") -> None:
        super().__init__(code, message, 502, cause=cause, reason=reason or CAUSES[cause])

    @property
    def cause(self) -> str:
        return str(self.details["cause"])


class NetworkSettingsError(CodedError):
    """The network settings are not usable; nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_request", message, 400)


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy that tunnels with CONNECT."""

    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` value (Basic), or None without a user name."""
        if not self.username:
            return None
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


@dataclass(frozen=True)
class NetworkPolicy:
    """The network settings of A7 (``settings.json``'s ``network`` plus ``verify_tls``).

    The proxy password is not stored with the rest (the OS keyring holds it, see
    ``suite/agent/app/secrets.py``); it is handed in here.
    """

    verify_tls: bool = True
    ca_file: str = ""
    proxy_mode: str = "none"
    proxy_host: str = ""
    proxy_port: int = 0
    proxy_username: str = ""
    proxy_password: str = field(default="", repr=False)
    pac_url: str = ""

    @classmethod
    def from_settings(
        cls, network: Mapping[str, Any], verify_tls: bool = True, password: str = ""
    ) -> NetworkPolicy:
        """The policy of a validated ``network`` settings object (see :func:`validate`)."""
        proxy = network.get("proxy") or {}
        return cls(
            verify_tls=verify_tls,
            ca_file=str(network.get("ca_file", "")),
            proxy_mode=str(proxy.get("mode", "system")),
            proxy_host=str(proxy.get("host", "")),
            proxy_port=int(proxy.get("port", 0) or 0),
            proxy_username=str(proxy.get("username", "")),
            proxy_password=password,
            pac_url=str(proxy.get("pac_url", "")),
        )

    def to_json(self) -> str:
        """The whole policy, password included, for a child process's environment."""
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> NetworkPolicy:
        """Read :meth:`to_json`'s output back.

        Raises:
            NetworkSettingsError: not a policy.
        """
        try:
            data = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError) as error:
            raise NetworkSettingsError(f"not a network policy: {error}") from None

    def manual_proxy(self) -> Proxy:
        return Proxy(self.proxy_host, self.proxy_port, self.proxy_username, self.proxy_password)


def validate(key: str, value: Any) -> None:
    """Check a ``network`` settings object: ``{ca_file?, proxy?: {mode, host?, port?,
    username?, pac_url?}}``; unknown keys are refused.

    Raises:
        NetworkSettingsError: naming the field.
    """
    if not isinstance(value, dict):
        raise NetworkSettingsError(f"'{key}' must be an object")
    for name, option in value.items():
        if name == "ca_file":
            _text(f"{key}.ca_file", option, MAX_PATH_CHARS)
            if option and not option.startswith("/") and not re.match(r"^[A-Za-z]:\\", option):
                raise NetworkSettingsError(f"'{key}.ca_file' must be a full path or empty")
        elif name == "proxy":
            _validate_proxy(f"{key}.proxy", option)
        else:
            raise NetworkSettingsError(f"'{key}' has no option '{name}'")


def _validate_proxy(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise NetworkSettingsError(f"'{key}' must be an object")
    mode = value.get("mode", "none")
    if mode not in PROXY_MODES:
        raise NetworkSettingsError(f"'{key}.mode' must be one of {', '.join(PROXY_MODES)}")
    for name, option in value.items():
        if name == "mode":
            continue
        if name == "host":
            _text(f"{key}.host", option, MAX_HOST_CHARS)
            if option and not _HOST_RE.match(option):
                raise NetworkSettingsError(f"'{key}.host' must be a host name or an IP address")
        elif name == "port":
            if isinstance(option, bool) or not isinstance(option, int) or not 0 <= option <= 65535:
                raise NetworkSettingsError(f"'{key}.port' must be a whole number 1-65535")
        elif name == "username":
            _text(f"{key}.username", option, MAX_USER_CHARS)
            if ":" in option:
                raise NetworkSettingsError(f"'{key}.username' must not contain ':'")
        elif name == "pac_url":
            _text(f"{key}.pac_url", option, MAX_URL_CHARS)
            scheme = urllib.parse.urlsplit(option).scheme
            if option and scheme not in ("http", "https", "file"):
                raise NetworkSettingsError(
                    f"'{key}.pac_url' must start with http://, https:// or file://"
                )
        else:
            raise NetworkSettingsError(f"'{key}' has no option '{name}'")
    if mode == "manual" and (not value.get("host") or not value.get("port")):
        raise NetworkSettingsError(f"a manual proxy needs '{key}.host' and '{key}.port'")


def _text(key: str, value: Any, max_chars: int) -> None:
    if not isinstance(value, str) or len(value) > max_chars or "\0" in value:
        raise NetworkSettingsError(f"'{key}' must be text of at most {max_chars} characters")


def validate_password(value: Any) -> str:
    """The manual proxy's password as typed (``""`` = none).

    Raises:
        NetworkSettingsError: not text, too long, or holding a control character.
    """
    if not isinstance(value, str) or len(value) > MAX_PASSWORD_CHARS:
        raise NetworkSettingsError(
            f"the proxy password must be text of at most {MAX_PASSWORD_CHARS} characters"
        )
    if any(ord(c) < 0x20 for c in value):
        raise NetworkSettingsError("the proxy password must not hold control characters")
    return value


def parse_pac_answer(answer: str) -> list[Proxy | None]:
    """What ``FindProxyForURL`` returned ("PROXY a:3128; DIRECT") as routes to try in
    order; None is DIRECT. SOCKS entries are skipped (not supported: HTTP CONNECT only);
    an answer with no usable entry is DIRECT.
    """
    routes: list[Proxy | None] = []
    for part in answer.split(";"):
        words = part.split()
        if not words:
            continue
        kind = words[0].upper()
        if kind == "DIRECT":
            routes.append(None)
        elif kind in ("PROXY", "HTTP") and len(words) == 2:
            proxy = _host_port(words[1], 80)
            if proxy is not None:
                routes.append(proxy)
    return routes or [None]


def _host_port(text: str, default_port: int) -> Proxy | None:
    if "://" in text:
        parts = urllib.parse.urlsplit(text)
    else:
        parts = urllib.parse.urlsplit("//" + text)
    try:
        port = parts.port or default_port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return Proxy(
        parts.hostname,
        port,
        urllib.parse.unquote(parts.username or ""),
        urllib.parse.unquote(parts.password or ""),
    )


def environment_proxy(
    url: str, proxies: Mapping[str, str], bypass: Callable[[str], bool]
) -> Proxy | None:
    """The environment's proxy for ``url`` (``https_proxy`` for https and wss, ``http_proxy``
    for http and ws, ``all_proxy`` else), or None when there is none or ``no_proxy`` (through
    ``bypass``) lists the host. ``proxies`` is ``urllib.request.getproxies()``.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if is_loopback(host) or bypass(host):
        return None  # a proxy elsewhere could not reach this machine's relay anyway
    secure = parts.scheme in ("https", "wss")
    chosen = proxies.get("https" if secure else "http") or proxies.get("all")
    if not chosen:
        return None
    return _host_port(chosen, 80)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connect_request(host: str, port: int, proxy: Proxy) -> bytes:
    """The CONNECT request that opens a tunnel to ``host:port`` through ``proxy``."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    authorization = proxy.authorization()
    if authorization:
        lines.append(f"Proxy-Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def connect_reply_status(head: bytes) -> int:
    """The status code of a proxy's reply head (up to the blank line).

    Raises:
        NetworkError: ``proxy_refused`` when it is not an HTTP answer.
    """
    first = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    match = re.match(r"^HTTP/1\.[01] (\d{3})", first)
    if not match:
        raise NetworkError(
            "unreachable",
            "proxy_refused",
            f"the proxy did not answer CONNECT as an HTTP proxy ({first[:80]!r})",
        )
    return int(match.group(1))


def connect_failure(status: int, proxy: Proxy, target: str) -> NetworkError:
    """The error for a CONNECT answered with ``status`` (not 2xx)."""
    where = f"{proxy.host}:{proxy.port}"
    # 407 is the standard answer; some proxies (tinyproxy 1.11) answer a bad login with 401.
    if status in (401, 407):
        who = "no user name was given" if not proxy.username else "the user name or password"
        return NetworkError(
            "unreachable",
            "proxy_auth",
            f"the proxy {where} asks for a login and refused it ({who}): check the proxy's "
            "user name and password in Settings › Network",
            reason=f"HTTP {status}",
        )
    if status >= 500:
        return NetworkError(
            "unreachable",
            "proxy_refused",
            f"the proxy {where} could not connect to {target} (HTTP {status}): check the "
            "relay's address, or whether the relay runs",
            reason=f"HTTP {status}",
        )
    return NetworkError(
        "unreachable",
        "proxy_refused",
        f"the proxy {where} refused to connect to {target} (HTTP {status}): the proxy may not "
        "allow that port; ask your administrator",
        reason=f"HTTP {status}",
    )


def chromium_proxy_flags(policy: NetworkPolicy) -> list[str]:
    """The Chromium switches that make a QtWebEngine follow ``policy``'s proxy for what does
    not go through our own connections: WebRTC's TURN over TCP/TLS (a call behind a proxy).

    ``manual``: ``--proxy-server`` (Chromium tunnels TURN with CONNECT; no credentials can be
    given this way, so a proxy that asks for a password carries no call media); ``pac``:
    ``--proxy-pac-url``, or ``--proxy-auto-detect`` (WPAD) when the URL is empty; ``none``:
    ``--no-proxy-server``; ``system``: nothing (Qt's system proxy). The pages themselves talk
    only to the app on loopback, which Chromium never sends through a proxy.
    """
    if policy.proxy_mode == "manual" and policy.proxy_host and policy.proxy_port:
        host = f"[{policy.proxy_host}]" if ":" in policy.proxy_host else policy.proxy_host
        return [f"--proxy-server=http://{host}:{policy.proxy_port}"]
    if policy.proxy_mode == "pac":
        return [f"--proxy-pac-url={policy.pac_url}"] if policy.pac_url else ["--proxy-auto-detect"]
    if policy.proxy_mode == "none":
        return ["--no-proxy-server"]
    return []
