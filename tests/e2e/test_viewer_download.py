"""The customer's "Download the viewer app" offer (P1): after accepting a presentation,
the relay page downloads the viewer program with this session's one-time ticket inside."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from suite.viewer.ticket_trailer import parse_trailer
from tests.support.api import Api
from tests.support.ui_pages import by_id

pytestmark = pytest.mark.e2e

FAKE_BUILD = b"\x7fELF stand-in viewer build " * 500


@pytest.fixture
def viewer_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "viewers"
    folder.mkdir()
    return folder


@pytest.fixture
def relay(relay_factory, viewer_dir: Path):
    """The page fixtures' relay, offering whatever the test puts in ``viewer_dir``."""
    return relay_factory("--viewer-dir", str(viewer_dir))


def accept_presentation(agent: Page, customer: Page) -> None:
    by_id(agent, "present-request").click()
    with customer.expect_popup() as popup:
        by_id(customer, "presentation-accept").click()
    popup.value.close()  # the browser viewer; this test is about the program


def test_the_offer_downloads_the_viewer_with_this_sessions_ticket(
    chat_pages, relay, viewer_dir: Path
) -> None:
    """After Accept, one click downloads RemoteSales-Viewer: the build plus a ticket that the
    relay redeems for this customer's session."""
    (viewer_dir / "remotesales-viewer-linux").write_bytes(FAKE_BUILD)
    agent, customer = chat_pages
    accept_presentation(agent, customer)
    offer = by_id(customer, "viewer-download")
    expect(offer).to_be_visible()
    expect(by_id(customer, "viewer-download-hint")).to_contain_text("deletes itself")
    with customer.expect_download() as download_info:
        by_id(customer, "viewer-download-button").click()
    download = download_info.value
    assert download.suggested_filename == "RemoteSales-Viewer"
    data = Path(download.path()).read_bytes()
    assert data.startswith(FAKE_BUILD)
    ticket = parse_trailer(data[len(FAKE_BUILD) :])
    assert ticket["relay_url"] == relay.url
    expect(by_id(customer, "viewer-download-hint")).to_contain_text(
        "Downloading RemoteSales-Viewer"
    )
    status, seat, _ = Api(relay.url).request(
        "POST", "/api/viewer/redeem", json={"ticket": ticket["ticket"]}
    )
    stored = customer.evaluate("JSON.parse(sessionStorage.getItem('rs.customer.session'))")
    assert status == 200
    assert (seat["session_id"], seat["customer_token"]) == (
        stored["session_id"],
        stored["customer_token"],
    )


def test_without_a_build_for_this_system_the_offer_says_so(chat_pages) -> None:
    """No viewer build on the relay: the hint explains it and points to the browser viewer."""
    agent, customer = chat_pages
    accept_presentation(agent, customer)
    by_id(customer, "viewer-download-button").click()
    hint = by_id(customer, "viewer-download-hint")
    expect(hint).to_have_attribute("data-error", "no_viewer_build")
    expect(hint).to_contain_text("no viewer app for your system")
    expect(by_id(customer, "viewer-download-button")).to_be_enabled()
