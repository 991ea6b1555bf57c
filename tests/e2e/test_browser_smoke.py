"""The shared browser fixture drives Debian's Chromium against a real relay."""

import json

import pytest

from tests.support.relay import RelayProcess

pytestmark = pytest.mark.e2e


def test_chromium_loads_the_relay_health_page(page, relay: RelayProcess) -> None:
    """Chromium opens GET /health on the relay and sees status "ok"."""
    response = page.goto(f"{relay.url}/health")

    assert response is not None and response.status == 200
    assert json.loads(response.text())["status"] == "ok"
