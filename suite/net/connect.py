"""The one way the suite's Python code opens a connection to the relay (A7): the I/O shell of
``suite/net/policy.py``.

:class:`Connector` turns a URL into a connected socket the way the policy says: DIRECT or through
an HTTP CONNECT tunnel (manual proxy, the environment's, or the one a PAC file names, tried in
the PAC's order), then TLS checked against the system store plus the configured CA file. Its
users: the agent's ``RelayClient`` (urllib, through :func:`opener`), the file transfers
(:meth:`Connector.http_connection`), the presenter's screen websocket and the agent window's
websocket tunnel (:meth:`Connector.open_socket` + :meth:`Connector.ssl_context`), and the
one-time viewer (``system`` mode: the customer's environment).

Every failure is a :class:`~suite.net.policy.NetworkError` whose ``cause`` says what to fix.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from suite.net.policy import (
    MAX_CONNECT_REPLY_BYTES,
    NetworkError,
    NetworkPolicy,
    Proxy,
    connect_failure,
    connect_reply_status,
    connect_request,
    environment_proxy,
    parse_pac_answer,
)

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
# A child process (the presenter) reads the agent app's policy here (JSON, password included:
# the environment, not the command line that other local users can read).
POLICY_ENV = "REMOTESALES_NETWORK"
PAC_TIMEOUT_S = 5.0
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH_CODES = (62, 64)
PAC_CONTENT_TYPES = (
    "application/x-ns-proxy-autoconfig",
    "application/x-javascript-config",
    "application/javascript",
    "text/javascript",
    "text/plain",
)


class Connector:
    """Opens connections to the relay under one :class:`NetworkPolicy`. Thread-safe.

    Args:
        policy: the settings to follow.
        timeout_s: for the TCP connect, the CONNECT answer and the TLS handshake.
    """

    def __init__(self, policy: NetworkPolicy, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.policy = policy
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._pac: Any = None  # pypac.parser.PACFile once read

    # -- TLS -------------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context: the system's store plus the CA file; no checks at all when
        ``verify_tls`` is off.

        Raises:
            NetworkError: ``tls_failed``/``ca_file`` when the CA file cannot be read.
        """
        with self._lock:
            if self._context is None:
                self._context = self._make_context()
            return self._context

    def _make_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.policy.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if self.policy.ca_file:
            try:
                context.load_verify_locations(cafile=self.policy.ca_file)
            except (OSError, ssl.SSLError) as error:
                raise NetworkError(
                    "tls_failed",
                    "ca_file",
                    f"the CA file {self.policy.ca_file} cannot be read as PEM certificates "
                    f"({error}): choose the file your administrator gave you",
                    reason=str(error),
                ) from None
        return context

    # -- routes ----------------------------------------------------------------------------

    def routes(self, url: str) -> list[Proxy | None]:
        """The ways to try for ``url``, in order (None = DIRECT).

        Raises:
            NetworkError: ``pac_failed`` when the PAC file cannot be read or run.
        """
        mode = self.policy.proxy_mode
        if mode == "manual":
            return [self.policy.manual_proxy()]
        if mode == "system":
            proxies = urllib.request.getproxies()
            return [environment_proxy(url, proxies, _bypass)]
        if mode == "pac":
            host = urllib.parse.urlsplit(url).hostname or ""
            # A PAC file sees http(s) URLs; the websocket's ws(s) is the same host and port.
            http_url = url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
            try:
                answer = self._pac_file().find_proxy_for_url(http_url, host)
            except NetworkError:
                raise
            except Exception as error:  # a PAC script can throw anything
                raise NetworkError(
                    "unreachable", "pac_failed",
                    f"the proxy configuration (PAC) failed for {host}: {error}",
                    reason=str(error),
                ) from None  # fmt: skip
            routes = parse_pac_answer(str(answer))
            if self.policy.proxy_username:
                # The PAC names the proxy; the login for it is the manual proxy's user.
                routes = [
                    Proxy(r.host, r.port, self.policy.proxy_username, self.policy.proxy_password)
                    if r is not None and not r.username
                    else r
                    for r in routes
                ]
            return routes
        return [None]

    def _pac_file(self) -> Any:
        with self._lock:
            if self._pac is None:
                self._pac = self._read_pac()
            return self._pac

    def _read_pac(self) -> Any:
        import pypac  # the agent's desktop extra; the one-time viewer never uses PAC
        from pypac.parser import PACFile

        url = self.policy.pac_url
        try:
            if url.startswith("file://"):
                path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
                return PACFile(Path(path).read_text(encoding="utf-8"))
            pac = pypac.get_pac(
                url=url or None,
                from_os_settings=not url,
                from_dns=not url,
                timeout=PAC_TIMEOUT_S,
                allowed_content_types=list(PAC_CONTENT_TYPES),
            )
        except Exception as error:  # requests' and dukpy's errors, a missing file
            raise NetworkError(
                "unreachable", "pac_failed",
                f"the proxy configuration (PAC) at {url or 'WPAD'} could not be read: {error}",
                reason=str(error),
            ) from None  # fmt: skip
        if pac is None:
            where = url or "WPAD (wpad.<your domain>)"
            raise NetworkError(
                "unreachable",
                "pac_failed",
                f"no proxy configuration (PAC) was found at {where}: check the PAC address",
            )
        return pac

    # -- sockets ---------------------------------------------------------------------------

    def open_socket(self, url: str) -> socket.socket:
        """A TCP socket to ``url``'s host and port (through the proxy the policy picks), not
        yet TLS-wrapped: a websocket library wraps it with :meth:`ssl_context`.

        Raises:
            NetworkError: with the cause of the last route tried.
        """
        parts = urllib.parse.urlsplit(url)
        secure = parts.scheme in ("https", "wss")
        host = parts.hostname or ""
        port = parts.port or (443 if secure else 80)
        last: NetworkError | None = None
        for proxy in self.routes(url):
            try:
                if proxy is None:
                    return self._direct(host, port)
                return self._tunnel(host, port, proxy)
            except NetworkError as error:
                last = error
                logger.info("route %s to %s:%s failed: %s", proxy or "DIRECT", host, port, error)
        assert last is not None
        raise last

    def open(self, url: str) -> socket.socket:
        """:meth:`open_socket`, then TLS for https:// and wss:// (the handshake done here)."""
        sock = self.open_socket(url)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("https", "wss"):
            return sock
        return self.wrap(sock, parts.hostname or "")

    def wrap(self, sock: socket.socket, host: str) -> ssl.SSLSocket:
        """TLS over ``sock`` for ``host``, the certificate checked by the policy."""
        try:
            context = self.ssl_context()
            sock.settimeout(self.timeout_s)
            return context.wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as error:
            sock.close()
            raise self.certificate_error(error, host) from None
        except (ssl.SSLError, OSError) as error:
            sock.close()
            why = getattr(error, "reason", None) or str(error) or type(error).__name__
            raise NetworkError(
                "tls_failed", "handshake",
                f"the secure connection to {host} failed ({why}); if the relay does not use "
                "SSL, turn SSL off for it in Settings › Network",
                reason=str(why),
            ) from None  # fmt: skip
        except NetworkError:
            sock.close()
            raise

    def certificate_error(self, error: ssl.SSLCertVerificationError, host: str) -> NetworkError:
        why = error.verify_message or error.reason or str(error)
        if error.verify_code in _NAME_MISMATCH_CODES:
            return NetworkError(
                "tls_failed", "hostname",
                f"the relay's certificate is not for {host} ({why}): check the address, or ask "
                "your administrator for the name in the certificate",
                reason=why,
            )  # fmt: skip
        hint = (
            "the CA file set in Settings › Network did not sign it"
            if self.policy.ca_file
            else "set the CA file your administrator gave you in Settings › Network"
        )
        return NetworkError(
            "tls_failed", "untrusted",
            f"the relay's certificate is not trusted ({why}): {hint}",
            reason=why,
        )  # fmt: skip

    def _direct(self, host: str, port: int) -> socket.socket:
        try:
            return socket.create_connection((host, port), timeout=self.timeout_s)
        except socket.gaierror:
            raise NetworkError(
                "unreachable", "dns",
                f"cannot reach {host}: the host name is unknown (DNS). Check the address and your "
                "network",
            ) from None  # fmt: skip
        except ConnectionRefusedError:
            raise NetworkError(
                "unreachable", "refused",
                f"cannot reach {host}:{port}: the connection was refused. Check the address and "
                "your network, or whether the relay runs",
            ) from None  # fmt: skip
        except TimeoutError:
            raise NetworkError(
                "unreachable", "timeout",
                f"cannot reach {host}:{port}: no answer within {self.timeout_s:g} s. Check the "
                "address and your network; a firewall may block it (you may need a proxy)",
            ) from None  # fmt: skip
        except OSError as error:
            raise NetworkError(
                "unreachable", "refused", f"cannot connect to {host}:{port}: {error}",
                reason=str(error),
            ) from None  # fmt: skip

    def _tunnel(self, host: str, port: int, proxy: Proxy) -> socket.socket:
        where = f"{proxy.host}:{proxy.port}"
        try:
            sock = socket.create_connection((proxy.host, proxy.port), timeout=self.timeout_s)
        except OSError as error:
            why = "its host name is unknown" if isinstance(error, socket.gaierror) else (
                "it refused the connection" if isinstance(error, ConnectionRefusedError)
                else "no answer in time" if isinstance(error, TimeoutError) else str(error)
            )  # fmt: skip
            raise NetworkError(
                "unreachable", "proxy_unreachable",
                f"the proxy {where} could not be reached ({why}): check the proxy's address "
                "and port in Settings › Network",
                reason=why,
            ) from None  # fmt: skip
        try:
            sock.sendall(connect_request(host, port, proxy))
            head = _read_head(sock)
            status = connect_reply_status(head)
        except OSError as error:
            sock.close()
            raise NetworkError(
                "unreachable", "proxy_unreachable",
                f"the proxy {where} broke off while connecting to the relay ({error})",
                reason=str(error),
            ) from None  # fmt: skip
        except NetworkError:
            sock.close()
            raise
        if not 200 <= status < 300:
            sock.close()
            raise connect_failure(status, proxy, f"{host}:{port}")
        return sock

    def http_connection(
        self, scheme: str, host: str, port: int, timeout_s: float
    ) -> http.client.HTTPConnection:
        """An ``http.client`` connection that connects through this policy."""
        return _PolicyConnection(self, scheme, host, port, timeout_s)


def environment_connector(timeout_s: float = CONNECT_TIMEOUT_S) -> Connector:
    """The connector of ``$REMOTESALES_NETWORK`` (set by the agent app for its children), else
    the environment's proxy and the system's store (the one-time viewer on a customer's PC).

    Raises:
        NetworkSettingsError: the variable holds no policy.
    """
    text = os.environ.get(POLICY_ENV)
    policy = NetworkPolicy.from_json(text) if text else NetworkPolicy(proxy_mode="system")
    return Connector(policy, timeout_s)


def _bypass(host: str) -> bool:
    return bool(urllib.request.proxy_bypass(host)) if host else False


def _read_head(sock: socket.socket) -> bytes:
    """The proxy's reply up to the blank line, read byte by byte so no tunnel byte is eaten."""
    head = bytearray()
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            raise ConnectionResetError("the proxy closed the connection")
        head += byte
        if len(head) > MAX_CONNECT_REPLY_BYTES:
            raise ConnectionResetError("the proxy's answer has no end")
    return bytes(head)


class _PolicyConnection(http.client.HTTPConnection):
    """``http.client`` connection whose socket comes from a :class:`Connector`."""

    def __init__(
        self, connector: Connector, scheme: str, host: str, port: int | None, timeout_s: float
    ) -> None:
        super().__init__(host, port, timeout=timeout_s)
        self._connector = connector
        self._scheme = scheme
        if scheme == "https" and port is None:
            self.port = 443

    def connect(self) -> None:
        url = f"{self._scheme}://{_netloc(self.host, self.port)}"
        self.sock = self._connector.open(url)
        self.sock.settimeout(self.timeout)


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _policy_factory(connector: Connector, scheme: str, default_port: int):
    """What ``AbstractHTTPHandler.do_open`` calls for a connection: one through the policy."""

    def factory(host: str, timeout: float = CONNECT_TIMEOUT_S, **_: Any) -> _PolicyConnection:
        parts = urllib.parse.urlsplit("//" + host)
        return _PolicyConnection(
            connector, scheme, parts.hostname or host, parts.port or default_port, timeout
        )

    return factory


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, connector: Connector) -> None:
        super().__init__()
        self._factory = _policy_factory(connector, "http", 80)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._factory, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, connector: Connector) -> None:
        super().__init__()
        self._factory = _policy_factory(connector, "https", 443)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._factory, req)


def opener(connector: Connector) -> urllib.request.OpenerDirector:
    """A urllib opener whose every request follows ``connector`` (urllib's own environment
    proxies are off: the policy decides)."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler(connector), _HTTPSHandler(connector)
    )
