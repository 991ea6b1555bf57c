"""Settings › Network's pure rules (ui/agent/network_form.js), loaded as the page loads them."""

from __future__ import annotations

import pytest

from tests.support.ui_pages import PageFactory

pytestmark = pytest.mark.e2e


def test_network_form_round_trip_checks_and_causes(open_ui: PageFactory) -> None:
    """Settings become form values and back into the same request; wrong fields name
    themselves; SSL off needs its confirmation; a failure's cause picks its message."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const f = await import("/ui/agent/network_form.js");
            const settings = {
                relay_url: "https://relay.example.com:8443/sales", verify_tls: true,
                network: {ca_file: "/etc/ca.pem", proxy: {mode: "manual", host: "proxy.corp",
                          port: 3128, username: "kim"}},
            };
            const values = f.formValues(settings);
            const problem = (change) => f.formProblem({...values, ...change})?.key ?? null;
            return {
                values,
                body: f.requestBody(values, {password: "pw"}),
                keep: "proxy_password" in f.requestBody(values),
                clear: f.requestBody(values, {clearPassword: true}).proxy_password,
                ipv6: f.requestBody({...values, host: "::1", port: ""}).relay_url,
                plain: f.requestBody({...values, ssl: false}).relay_url,
                empty: f.formValues({relay_url: "", verify_tls: true, network: {}}),
                ok: problem({}),
                noHost: problem({host: " "}),
                url: problem({host: "https://relay"}),
                port: problem({port: "70000"}),
                sslOff: problem({ssl: false}),
                sslOffConfirmed: problem({ssl: false, sslOffConfirmed: true}),
                proxyPort: problem({proxyPort: ""}),
                caFile: problem({caFile: "ca.pem"}),
                pac: problem({mode: "pac", pacUrl: "ftp://x"}),
                causes: [
                    f.causeKey({networkCause: "proxy_auth"}),
                    f.causeKey({networkCause: "untrusted"}),
                    f.causeKey({networkCause: "made_up"}),
                    f.causeKey({code: "not_a_relay"}),
                ],
            };
        }"""
    )
    assert result["values"]["host"] == "relay.example.com/sales"
    assert (result["values"]["port"], result["values"]["ssl"]) == ("8443", True)
    assert result["body"] == {
        "relay_url": "https://relay.example.com:8443/sales",
        "network": {
            "ca_file": "/etc/ca.pem",
            "proxy": {"mode": "manual", "host": "proxy.corp", "port": 3128, "username": "kim"},
        },
        "proxy_password": "pw",
    }
    assert result["keep"] is False and result["clear"] == ""
    assert result["ipv6"] == "https://[::1]"
    assert result["plain"] == "http://relay.example.com:8443/sales"
    assert result["empty"]["mode"] == "system" and result["empty"]["ssl"] is True
    assert result["ok"] is None and result["sslOffConfirmed"] is None
    assert result["noHost"] == result["url"] == "net.invalid_host"
    assert result["port"] == "net.invalid_port"
    assert result["sslOff"] == "net.confirm_needed"
    assert result["proxyPort"] == "net.invalid_proxy_port"
    assert result["caFile"] == "net.invalid_ca_file"
    assert result["pac"] == "net.invalid_pac"
    assert result["causes"] == ["net.cause.proxy_auth", "net.cause.untrusted", None, None]
