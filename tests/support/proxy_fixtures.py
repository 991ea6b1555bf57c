"""Module fixtures for tests behind a company proxy (A7): a private CA's certificates, a relay
serving TLS with them, and tinyproxy with Basic auth allowing CONNECT to that relay only.

A test module takes them by importing the fixtures it uses:
``from tests.support.proxy_fixtures import certificates, proxy, tls_relay``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.certificates import Certificates, make_certificates
from tests.support.relay import RelayProcess
from tests.support.tinyproxy import TinyProxy, start_tinyproxy, start_tls_relay


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_relay(
    tmp_path_factory: pytest.TempPathFactory, certificates: Certificates
) -> Iterator[RelayProcess]:
    relay = start_tls_relay(tmp_path_factory.mktemp("tls-relay"), certificates)
    yield relay
    relay.stop()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, tls_relay: RelayProcess) -> Iterator[TinyProxy]:
    started = start_tinyproxy(tmp_path_factory.mktemp("proxy"), [tls_relay.port])
    yield started
    started.stop()
