"""The relay's SMTP client against a real TLS SMTP server on loopback (aiosmtpd): STARTTLS and
implicit TLS, the server's certificate always checked (against the admin's CA file or the
system's trusted CAs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relay_server.mail.settings import SmtpSettings
from relay_server.mail.smtp_client import SmtpConnection, TemporaryFailure
from relay_server.mail.templates import MailContent, render
from tests.support.certificates import Certificates, make_certificates
from tests.support.smtp_server import SmtpServer


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(scope="module", params=["starttls", "tls"])
def tls_server(request, certificates) -> Iterator[SmtpServer]:
    """One aiosmtpd per mode: STARTTLS required before MAIL, or TLS from the first byte."""
    with SmtpServer(
        security=request.param,
        certificate=(certificates.server_cert, certificates.server_key),
    ) as server:
        yield server


def settings_for(server: SmtpServer, ca_file: str, host: str = "127.0.0.1") -> SmtpSettings:
    return SmtpSettings(host, server.port, server.security, "", "", "relay@example.com",
                        "RemoteSales", ca_file)  # fmt: skip


def message(to: str) -> bytes:
    content = MailContent("TLS check", "over TLS\n", "<p>over TLS</p>")
    return render(content, "relay@example.com", "RemoteSales").for_recipient(
        to, f"<{to.partition('@')[0]}@example.com>", 0.0
    )


def test_mail_goes_over_tls_when_the_ca_file_is_trusted(tls_server, certificates):
    """With the CA file set, the relay verifies the server's certificate and the mail
    arrives over STARTTLS or implicit TLS."""
    to = f"{tls_server.security}@example.com"
    connection = SmtpConnection(settings_for(tls_server, str(certificates.ca_cert)))
    try:
        answer = connection.send(message(to), "relay@example.com", to)
    finally:
        connection.close()
    assert answer.startswith("250")
    assert tls_server.wait_for_address(to).part("plain").strip() == "over TLS"


def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(tls_server):
    """Without the CA file (the system's trusted CAs only) the self-made CA is not trusted:
    the connection fails with a temporary failure that names the cause, before any mail."""
    before = tls_server.attempts
    with pytest.raises(TemporaryFailure, match="certificate is not trusted"):
        SmtpConnection(settings_for(tls_server, ""))
    assert tls_server.attempts == before


def test_a_certificate_for_another_name_is_refused(tls_server, certificates):
    """The name is checked too: the certificate made for the address 127.0.0.1 does not pass
    when the relay is set to reach the same machine as "localhost"."""
    with pytest.raises(TemporaryFailure, match="not trusted"):
        SmtpConnection(settings_for(tls_server, str(certificates.ca_cert), host="localhost"))


def test_a_missing_ca_file_says_so(tls_server, tmp_path):
    """A CA file that cannot be read is a temporary failure naming the file (an admin fixes
    it; the mail waits)."""
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(TemporaryFailure, match="nope.pem cannot be used"):
        SmtpConnection(settings_for(tls_server, missing))


def test_plain_settings_against_a_server_that_requires_starttls_wait(tls_server):
    """A relay set to no TLS is refused by a server that requires STARTTLS: a temporary
    failure that says to set STARTTLS (the mail waits for the admin), nothing sent in clear."""
    if tls_server.security != "starttls":
        pytest.skip("only a STARTTLS server talks before TLS")
    plain = SmtpSettings("127.0.0.1", tls_server.port, "none", "", "", "relay@example.com",
                         "RemoteSales", "")  # fmt: skip
    connection = SmtpConnection(plain)
    try:
        with pytest.raises(TemporaryFailure, match="STARTTLS"):
            connection.send(message("plain@example.com"), "relay@example.com", "plain@example.com")
    finally:
        connection.close()
    assert not tls_server.messages_to("plain@example.com")
