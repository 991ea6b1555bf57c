"""The connection policy (A7): settings checks, routes from PAC and the environment, CONNECT."""

from __future__ import annotations

import base64

import pytest

from suite.net.policy import (
    NetworkError,
    NetworkPolicy,
    NetworkSettingsError,
    Proxy,
    chromium_proxy_flags,
    connect_failure,
    connect_reply_status,
    connect_request,
    environment_proxy,
    parse_pac_answer,
    validate,
    validate_password,
)

GOOD = [
    {},
    {"ca_file": ""},
    {"ca_file": "/etc/ssl/company-ca.pem"},
    {"proxy": {"mode": "none"}},
    {"proxy": {"mode": "system"}},
    {"proxy": {"mode": "manual", "host": "proxy.corp", "port": 3128}},
    {"proxy": {"mode": "manual", "host": "10.0.0.1", "port": 8080, "username": "kim"}},
    {"proxy": {"mode": "pac", "pac_url": "http://wpad.corp/proxy.pac"}},
    {"proxy": {"mode": "pac", "pac_url": ""}},  # WPAD
]

BAD = [
    ([], "must be an object"),
    ({"colour": 1}, "has no option 'colour'"),
    ({"ca_file": "relative/ca.pem"}, "full path"),
    ({"ca_file": 5}, "must be text"),
    ({"proxy": {"mode": "socks"}}, "must be one of none, system, manual, pac"),
    ({"proxy": {"mode": "manual", "host": "proxy.corp"}}, "needs"),
    ({"proxy": {"mode": "manual", "host": "proxy.corp", "port": 70000}}, "1-65535"),
    ({"proxy": {"mode": "manual", "host": "proxy.corp", "port": "80"}}, "1-65535"),
    ({"proxy": {"mode": "manual", "host": "bad host", "port": 80}}, "host name"),
    ({"proxy": {"mode": "manual", "host": "p", "port": 1, "username": "a:b"}}, "':'"),
    ({"proxy": {"mode": "pac", "pac_url": "ftp://x/p.pac"}}, "http://"),
    ({"proxy": {"mode": "none", "password": "x"}}, "has no option 'password'"),
]


@pytest.mark.parametrize("value", GOOD)
def test_valid_network_settings_pass(value):
    """Every documented shape of the network settings is accepted."""
    validate("network", value)


@pytest.mark.parametrize(("value", "words"), BAD)
def test_invalid_network_settings_name_the_problem(value, words):
    """A wrong network setting is refused with a message naming the field."""
    with pytest.raises(NetworkSettingsError) as caught:
        validate("network", value)
    assert words in caught.value.message


def test_password_checks():
    """The proxy password may be empty, is at most 200 characters and has no control chars."""
    assert validate_password("") == ""
    assert validate_password("s3cret 비밀") == "s3cret 비밀"
    for bad in ("x" * 201, "a\nb", 5):
        with pytest.raises(NetworkSettingsError):
            validate_password(bad)


def test_policy_from_settings_defaults_to_the_system_proxy():
    """No proxy chosen means the system's (environment) proxy, as a browser does."""
    assert NetworkPolicy.from_settings({}).proxy_mode == "system"
    policy = NetworkPolicy.from_settings(
        {"ca_file": "/ca.pem", "proxy": {"mode": "manual", "host": "p", "port": 3128,
                                         "username": "kim"}},
        verify_tls=True, password="pw",
    )  # fmt: skip
    assert policy.manual_proxy() == Proxy("p", 3128, "kim", "pw")
    assert policy.ca_file == "/ca.pem"


def test_policy_round_trips_through_json_for_a_child():
    """The presenter child gets the same policy, password included, from its environment."""
    policy = NetworkPolicy(True, "/ca.pem", "pac", "", 0, "kim", "pw", "http://x/p.pac")
    assert NetworkPolicy.from_json(policy.to_json()) == policy
    with pytest.raises(NetworkSettingsError):
        NetworkPolicy.from_json('{"nonsense": 1}')


def test_password_is_not_in_the_repr():
    """A logged policy or proxy never shows the password."""
    assert "pw" not in repr(NetworkPolicy(proxy_password="pw"))
    assert "pw" not in repr(Proxy("h", 1, "u", "pw"))


@pytest.mark.parametrize(
    ("answer", "routes"),
    [
        ("DIRECT", [None]),
        ("PROXY proxy.corp:3128", [Proxy("proxy.corp", 3128)]),
        ("PROXY a:1; PROXY b:2; DIRECT", [Proxy("a", 1), Proxy("b", 2), None]),
        ("PROXY a", [Proxy("a", 80)]),
        ("SOCKS s:1080; DIRECT", [None]),  # SOCKS is not supported: skipped
        ("SOCKS s:1080", [None]),
        ("", [None]),
        ("  proxy   a:8080 ;;", [Proxy("a", 8080)]),
        ("PROXY a:notaport; DIRECT", [None]),
    ],
)
def test_pac_answers_become_routes(answer, routes):
    """FindProxyForURL's answer is read into the proxies to try, in order (None = DIRECT)."""
    assert parse_pac_answer(answer) == routes


def test_environment_proxy_by_scheme_and_bypass():
    """https and wss take https_proxy, http and ws take http_proxy; no_proxy and loopback go
    direct; user and password in the proxy URL are kept."""
    proxies = {"https": "http://kim:pw@sec:3128", "http": "http://plain:8080"}
    never = lambda host: False  # noqa: E731
    assert environment_proxy("https://relay.corp/", proxies, never) == Proxy(
        "sec", 3128, "kim", "pw"
    )
    assert environment_proxy("wss://relay.corp/ws", proxies, never).host == "sec"
    assert environment_proxy("http://relay.corp/", proxies, never) == Proxy("plain", 8080)
    assert environment_proxy("https://relay.corp/", proxies, lambda h: h == "relay.corp") is None
    assert environment_proxy("https://127.0.0.1:8443/", proxies, never) is None
    assert environment_proxy("https://localhost/", proxies, never) is None
    assert environment_proxy("https://relay.corp/", {}, never) is None
    assert environment_proxy("https://relay.corp/", {"all": "p:1"}, never) == Proxy("p", 1)


def test_connect_request_with_and_without_basic_auth():
    """CONNECT names host:port (IPv6 in brackets) and carries Basic auth only with a user."""
    plain = connect_request("relay.corp", 443, Proxy("p", 3128))
    assert plain == b"CONNECT relay.corp:443 HTTP/1.1\r\nHost: relay.corp:443\r\n\r\n"
    signed = connect_request("::1", 8443, Proxy("p", 3128, "kim", "pw"))
    assert signed.startswith(b"CONNECT [::1]:8443 HTTP/1.1\r\n")
    token = base64.b64encode(b"kim:pw").decode()
    assert f"Proxy-Authorization: Basic {token}\r\n".encode() in signed


def test_connect_replies():
    """A proxy's status is read; 407 is a login problem, others a refusal, junk is no proxy."""
    assert connect_reply_status(b"HTTP/1.1 200 Connection established\r\n\r\n") == 200
    assert connect_reply_status(b"HTTP/1.0 407 Proxy Authentication Required\r\n") == 407
    with pytest.raises(NetworkError) as caught:
        connect_reply_status(b"SSH-2.0-OpenSSH\r\n\r\n")
    assert caught.value.cause == "proxy_refused"
    auth = connect_failure(407, Proxy("p", 1, "kim", "bad"), "r:443")
    assert (auth.code, auth.cause) == ("unreachable", "proxy_auth")
    assert "user name or password" in auth.message
    refused = connect_failure(403, Proxy("p", 1), "r:443")
    assert refused.cause == "proxy_refused" and "HTTP 403" in refused.message


@pytest.mark.parametrize(
    ("policy", "flags"),
    [
        (NetworkPolicy(proxy_mode="manual", proxy_host="proxy.corp", proxy_port=8080,
                       proxy_username="kim", proxy_password="s"),
         ["--proxy-server=http://proxy.corp:8080"]),
        (NetworkPolicy(proxy_mode="manual", proxy_host="::1", proxy_port=3128),
         ["--proxy-server=http://[::1]:3128"]),
        (NetworkPolicy(proxy_mode="pac", pac_url="http://wpad.corp/proxy.pac"),
         ["--proxy-pac-url=http://wpad.corp/proxy.pac"]),
        (NetworkPolicy(proxy_mode="pac"), ["--proxy-auto-detect"]),
        (NetworkPolicy(proxy_mode="none"), ["--no-proxy-server"]),
        (NetworkPolicy(proxy_mode="system"), []),
    ],
)  # fmt: skip
def test_chromium_follows_the_proxy_choice_without_credentials(policy, flags):
    """QtWebEngine's switches name the proxy, the PAC or WPAD, or none; never a password."""
    assert chromium_proxy_flags(policy) == flags
