"""The one-time viewer's page follows the network choice (A7), not the system's proxy.

The viewer's own Python connections (ticket, files) go through ``suite.net.connect``'s policy:
``$REMOTESALES_NETWORK`` when the agent's app starts it, else the environment's proxy. Its
WebKitGTK page would otherwise use the desktop's proxy settings (GNOME's, through GLib), which
may differ. So before the page loads, the route the policy gives for the relay (a proxy, or
none; a PAC file already evaluated by pypac) is set on the page's WebKit data manager
(``WebsiteDataManager.set_network_proxy_settings``), and a proxy's user and password answer
WebKit's proxy login (``authenticate``). A CA file in the choice is honoured too: a relay
certificate the system store refuses is checked against it (``load-failed-with-tls-errors``)
and, if it chains there, allowed for that host and the page loaded again. Only the GTK backend
(Linux): WebView2 and WKWebView keep the system's proxy (docs/architecture.md).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable
from typing import Any

from suite.net.policy import Proxy

logger = logging.getLogger(__name__)


def proxy_uri(proxy: Proxy) -> str:
    """The proxy as WebKit's default proxy URI (credentials are given on request, not here)."""
    host = f"[{proxy.host}]" if ":" in proxy.host else proxy.host
    return f"http://{host}:{proxy.port}"


def follow_route(proxy: Proxy | None, ca_file: str = "") -> Callable[[Any], None]:
    """A pywebview ``before_show`` handler (it runs on GTK's thread before the page loads)
    that gives the window's WebKit ``proxy`` (None: no proxy at all) and the ``ca_file``."""

    def before_show(window: Any) -> None:
        from webview.platforms.gtk import BrowserView, webkit  # the GTK backend only

        view = BrowserView.instances[window.uid].webview
        if ca_file:
            view.connect("load-failed-with-tls-errors", _trust_ca_file(ca_file))
        manager = view.get_context().get_website_data_manager()
        if proxy is None:
            manager.set_network_proxy_settings(webkit.NetworkProxyMode.NO_PROXY, None)
            logger.info("the page connects directly (the network choice)")
            return
        settings = webkit.NetworkProxySettings.new(proxy_uri(proxy), None)
        manager.set_network_proxy_settings(webkit.NetworkProxyMode.CUSTOM, settings)
        logger.info("the page connects through %s (the network choice)", proxy_uri(proxy))
        if proxy.username:

            def authenticate(_view: Any, request: Any) -> bool:
                if not request.is_for_proxy():
                    return False
                request.authenticate(
                    webkit.Credential.new(
                        proxy.username, proxy.password, webkit.CredentialPersistence.FOR_SESSION
                    )
                )
                return True

            view.connect("authenticate", authenticate)

    return before_show


def _trust_ca_file(ca_file: str) -> Callable[..., bool]:
    def failed(view: Any, uri: str, certificate: Any, _errors: Any) -> bool:
        from gi.repository import Gio  # type: ignore[import-not-found]  # Debian python3-gi

        host = urllib.parse.urlsplit(uri).hostname or ""
        try:
            database = Gio.TlsFileDatabase.new(ca_file)
            problems = database.verify_chain(
                certificate, Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                Gio.NetworkAddress.new(host, 443), None, Gio.TlsDatabaseVerifyFlags.NONE, None,
            )  # fmt: skip
        except Exception:  # GLib.Error: an unreadable CA file
            logger.exception("the CA file %s could not check %s", ca_file, host)
            return False
        if problems:
            logger.warning("%s: its certificate is not from the CA file (%s)", host, problems)
            return False
        logger.info("%s: its certificate chains to the CA file; loading again", host)
        view.get_context().allow_tls_certificate_for_host(certificate, host)
        view.load_uri(uri)
        return True

    return failed
