"""The real agent app behind a company proxy (A7) under Xvfb at 1920x1080.

The relay serves TLS with a certificate a private CA signed; tinyproxy asks for Basic auth and
allows CONNECT to the relay's port only. The app starts with no relay: the first-run questions,
prefilled from an administrator's provisioning file, check the connection (a missing proxy
password and an unreachable proxy each get their own message) before the login form. Then the
agent signs in, chats, presents and receives a file, with a Chromium customer on the same
proxy, and every connection the relay has comes from tinyproxy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.settings import LocalSettings
from tests.support import proxy_fixtures
from tests.support.agent_app import AgentApp
from tests.support.cdp import CdpPage, by_test_id, visible_js
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    driving,
    keep_shot,
    main_page,
    open_support_window,
    present_whole_screen,
    sign_in,
    xauth_display,
)
from tests.support.network import closed_port_url
from tests.support.shots import reviewers_folder
from tests.support.tinyproxy import peer_pids
from tests.support.xvfb import Xvfb

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

# The proxy's module fixtures (tests/support/proxy_fixtures.py).
certificates = proxy_fixtures.certificates
tls_relay = proxy_fixtures.tls_relay
proxy = proxy_fixtures.proxy

SHOTS = reviewers_folder("network")


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    yield from xauth_display()


def _text(page: CdpPage, test_id: str) -> str:
    return page.evaluate(f"document.querySelector('{by_test_id(test_id)}')?.textContent ?? ''")


SETTINGS = '[data-testid="settings-network"] '  # the Network tab's form (the first run has one)


def in_settings(test_id: str) -> str:
    return SETTINGS + by_test_id(test_id)


def _wait_text(
    page: CdpPage, test_id: str, words: str, timeout_s: float = 20, scope: str = ""
) -> None:
    page.wait_for(
        f"(document.querySelector('{scope}{by_test_id(test_id)}')?.textContent ?? '')"
        f".includes({json.dumps(words)})",
        timeout_s=timeout_s,
    )


def _shot(page: CdpPage, artifacts_dir: Path, name: str) -> None:
    path = page.screenshot(artifacts_dir / f"{name}.png")
    keep_shot(path, SHOTS)


def _scroll_top(page: CdpPage) -> None:
    page.evaluate("document.querySelectorAll('*').forEach((el) => { el.scrollTop = 0; })")


def _language(page: CdpPage, code: str) -> None:
    page.evaluate(
        "(() => { const s = document.querySelector('[data-testid=language-select]');"
        f" s.value = {json.dumps(code)}; s.dispatchEvent(new Event('change')); }})()"
    )


def test_first_run_then_the_whole_app_through_the_proxy(
    xvfb, tls_relay, proxy, certificates, tmp_path, browser, artifacts_dir: Path
):
    """From the first run (provisioned, checked: no password → the proxy's login message,
    a closed proxy port → unreachable proxy) to login, chat, presenting and a received file,
    all through tinyproxy; the Network tab's test connects, and without the CA file says the
    relay's certificate is not trusted."""
    from playwright.sync_api import expect

    from tests.support.ui_pages import bubble_with_text, customer_join, send_chat

    provisioning = tmp_path / "remotesales-agent.json"
    provisioning.write_text(json.dumps({
        "relay_url": tls_relay.url,
        "network": {
            "ca_file": str(certificates.ca_cert),
            "proxy": {"mode": "manual", "host": "127.0.0.1", "port": proxy.port,
                      "username": proxy.username},
        },
    }))  # fmt: skip
    settings = LocalSettings(tmp_path / "config")
    settings.update({"received_files_folder": str(tmp_path / "received")})
    settings.close()
    app = AgentApp(
        xvfb, tmp_path, extra_env={"REMOTESALES_PROVISIONING": str(provisioning)}
    ).start()
    with driving(app, artifacts_dir, "desktop-network") as windows:
        main = main_page(app)
        windows.pages.append(main)
        main.wait_for(visible_js(by_test_id("first-run")))
        main.wait_for(f"document.querySelector('{by_test_id('net-host')}').value === '127.0.0.1'")
        assert main.evaluate("[innerWidth, innerHeight]") == [1100, 760]
        _wait_text(main, "first-run-provisioned", str(provisioning))
        _shot(main, artifacts_dir, "first-run-en")
        _language(main, "ko")
        _wait_text(main, "net-continue", "연결 확인 후 계속")
        _shot(main, artifacts_dir, "first-run-ko")
        _language(main, "en")

        # The provisioning file names the proxy's user but no password: tinyproxy refuses.
        main.click(by_test_id("net-continue"))
        _wait_text(main, "net-result", "The proxy refused the user name or password")
        _shot(main, artifacts_dir, "first-run-proxy-password-refused-en")
        closed = closed_port_url().rsplit(":", 1)[1]
        main.fill(by_test_id("net-proxy-port"), closed)
        main.fill(by_test_id("net-proxy-password"), proxy.password)
        main.click(by_test_id("net-continue"))
        _wait_text(main, "net-result", "The proxy could not be reached")
        main.fill(by_test_id("net-proxy-port"), str(proxy.port))
        main.click(by_test_id("net-continue"))

        # Checked and saved: the login form, with the relay's address filled in.
        main.wait_for(visible_js(by_test_id("login-username")))
        main.wait_for(
            f"document.querySelector('{by_test_id('login-relay-url')}').value"
            f" === {json.dumps(tls_relay.url)}"
        )
        before = len(proxy.connects())
        sign_in(main)
        chat = open_support_window(app, main, windows.pages)
        code = chat.wait_for(ACCESS_CODE_JS)

        # The customer's Chromium goes through the same proxy (the relay's TLS port only).
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, ignore_https_errors=True,
            proxy={"server": f"http://127.0.0.1:{proxy.port}", "bypass": "<-loopback>",
                   "username": proxy.username, "password": proxy.password},
        )  # fmt: skip
        customer = context.new_page()
        windows.customers.append(customer)
        customer.goto(tls_relay.url + "/")
        customer_join(customer, code, name="Soyeon Choi")
        send_chat(customer, "Hello from behind the firewall")
        chat.wait_for(
            "[...document.querySelectorAll('[data-testid=chat-message]')]"
            ".some((el) => el.textContent.includes('Hello from behind the firewall'))"
        )
        chat.fill(by_test_id("chat-input"), "Welcome, I can read you")
        chat.press("Enter")
        expect(bubble_with_text(customer, "Welcome, I can read you")).to_be_visible()

        # Presenting: the presenter child's screen socket goes through the proxy too.
        present_whole_screen(chat, customer, windows)

        # A file from the customer: the app's Python downloads it through the proxy.
        source = tmp_path / "order_form.txt"
        source.write_bytes(b"order form " * 500)
        customer.get_by_test_id("file-input").set_input_files(str(source))
        chat.wait_for(
            "[...document.querySelectorAll('[data-testid=file-status]')]"
            ".some((el) => el.textContent.startsWith('Saved as'))",
            timeout_s=30,
        )

        # Every connection the relay holds now comes from tinyproxy: the app's websocket
        # (through its tunnel), the presenter's, the customer's and the viewer's.
        assert peer_pids(tls_relay.pid) == {proxy.process.pid}, peer_pids(tls_relay.pid)
        # (Chromium's own background requests try the proxy too; it refuses their port.)
        to_relay = [c for c in proxy.connects()[before:] if c == f"127.0.0.1:{tls_relay.port}"]
        assert len(to_relay) >= 6, proxy.connects()[before:]

        # Settings › Network says where it connects and that it works.
        main.click(by_test_id("settings-button"))
        main.click(by_test_id("tab-network"))
        main.wait_for(
            f"document.querySelector('{in_settings('net-proxy-host')}').value === '127.0.0.1'"
        )
        main.click(in_settings("net-test"))
        _wait_text(main, "net-result", "is a RemoteSales server", scope=SETTINGS)
        _shot(main, artifacts_dir, "settings-network-tested-en")
        _scroll_top(main)
        _shot(main, artifacts_dir, "settings-network-en")
        # Without the CA file the relay's certificate is refused, with the way out; with it, fine.
        main.fill(in_settings("net-ca-file"), " ")
        main.click(in_settings("net-test"))
        _wait_text(main, "net-result", "not trusted (", scope=SETTINGS)
        _shot(main, artifacts_dir, "settings-network-untrusted-en")
        main.fill(in_settings("net-ca-file"), str(certificates.ca_cert))
        main.click(in_settings("net-test"))
        _wait_text(main, "net-result", "is a RemoteSales server", scope=SETTINGS)
        main.click(in_settings("net-ssl"))
        main.wait_for(visible_js(in_settings("net-ssl-warning")))
        _shot(main, artifacts_dir, "settings-network-ssl-off-warning-en")
        main.click(in_settings("net-ssl"))
        _language(main, "ko")
        _wait_text(main, "net-test", "연결 테스트", scope=SETTINGS)
        main.click(in_settings("net-test"))
        _wait_text(main, "net-result", "RemoteSales 서버입니다", scope=SETTINGS)
        _shot(main, artifacts_dir, "settings-network-tested-ko")
        _scroll_top(main)
        _shot(main, artifacts_dir, "settings-network-ko")
        _language(main, "en")
        windows.close()
        assert app.stop() == 0
