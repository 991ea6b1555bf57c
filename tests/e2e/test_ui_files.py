"""Files both ways in real Chromium (P4): the agent page, the customer chat and the viewer.

The relay is real; the customer is the real page in Chromium; where the agent side is the
desktop app's Python (which the browser cannot be), it is the app's own FileTransferClient.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from suite.files.client import FileTransferClient, sha256_of
from tests.support.api import Api
from tests.support.cutting_proxy import CuttingProxy
from tests.support.files import make_file, rss_kib, spooled
from tests.support.ui_pages import (
    by_id,
    close_pages,
    customer_join,
    join_as_customer,
    open_page,
    rows,
    screenshot,
    start_support,
)

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support and customer. The 200 MB
    test (the spool and the memory it measures are its upload's alone) and the size-limit test
    start relays of their own."""
    return shared_relay


def test_the_agent_page_sends_a_file_the_customer_downloads(chat_pages, tmp_path):
    """Agent: Send file; customer: a row with a progress bar, Download gives the same bytes."""
    agent, customer = chat_pages
    source = tmp_path / "price list.pdf"
    sha = make_file(source, 3 * MIB)
    by_id(agent, "file-input").set_input_files(str(source))
    row = rows(customer).first
    expect(row.get_by_test_id("file-name")).to_have_text("price list.pdf")
    expect(row).to_have_attribute("data-state", "ready", timeout=15_000)
    with customer.expect_download() as download_info:
        row.get_by_test_id("file-download").click()
    saved = tmp_path / "downloaded.pdf"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "price list.pdf"
    assert sha256_of(saved) == sha
    expect(rows(agent).first).to_have_attribute("data-state", "received")
    expect(rows(agent).first.get_by_test_id("file-status")).to_have_text("Delivered")


def test_200_mb_dropped_into_the_viewer_reaches_the_agent(
    browser, relay_factory, request, tmp_path
):
    """The customer picks 200 MB in the viewer; the agent app's downloader gets the same sha256,
    and the relay's memory stays bounded."""
    relay = relay_factory()
    page = open_page(browser, relay.url + "/")
    try:
        _, token, support, agent = join_as_customer(page, relay)
        page.goto(relay.url + "/view")  # same tab: the viewer finds the session in sessionStorage
        source = tmp_path / "scan.bin"
        sha = make_file(source, 200 * MIB)
        before = rss_kib(relay.pid)
        started = time.monotonic()
        by_id(page, "file-input").set_input_files(str(source))
        ready = agent.recv_type("file_ready", timeout=120)["transfer"]
        uploaded = time.monotonic()
        client = FileTransferClient(relay.url, f"Bearer {token}")
        received = client.receive(ready, tmp_path / "Received Files")
        done = time.monotonic()
        after = rss_kib(relay.pid)
        growth_mb = (after["VmHWM"] - before["VmRSS"]) / 1024
        print(
            f"\nviewer → agent: 200 MiB hashed+uploaded by Chromium in {uploaded - started:.2f} s, "
            f"downloaded in {done - uploaded:.2f} s; relay RSS {before['VmRSS'] / 1024:.1f} → "
            f"peak {after['VmHWM'] / 1024:.1f} MB (+{growth_mb:.1f} MB; shared machine)"
        )
        assert sha256_of(received) == sha == ready["sha256"]
        assert growth_mb < 60
        row = rows(page).first
        expect(row).to_have_attribute("data-state", "received")
        expect(row.get_by_test_id("file-status")).to_have_text("Delivered")
        assert len(spooled(relay)) == 1  # kept for both sides until the session ends
    finally:
        close_pages([page], request)


def test_a_browser_upload_cut_by_a_dropped_connection_resumes(browser, relay, request, tmp_path):
    """The viewer's upload loses its connection half-way (a real TCP cut between Chromium and the
    relay); the page asks the relay how much arrived and goes on: the agent gets the exact file."""
    proxy = CuttingProxy(relay.port)
    page = open_page(browser, proxy.url + "/")
    try:
        _, token, _, agent = join_as_customer(page, relay)
        page.goto(proxy.url + "/view")
        expect(by_id(page, "file-send")).to_be_visible()
        source = tmp_path / "contract.pdf"
        sha = make_file(source, 24 * MIB)
        proxy.cut_busiest(up=7 * MIB + 4321)
        by_id(page, "file-input").set_input_files(str(source))
        ready = agent.recv_type("file_ready", timeout=60)["transfer"]
        assert proxy.cuts_done == 1, "the upload's connection was cut"
        received = FileTransferClient(relay.url, f"Bearer {token}").receive(
            ready, tmp_path / "Received Files"
        )
        assert sha256_of(received) == sha == ready["sha256"]
        expect(rows(page).first).to_have_attribute("data-state", "received")
    finally:
        close_pages([page], request)
        proxy.close()


def test_a_file_dropped_on_the_viewer_is_sent(browser, relay, request, tmp_path):
    """A real drop event with a DataTransfer on the viewer page sends the file."""
    page = open_page(browser, relay.url + "/")
    try:
        _, token, _, agent = join_as_customer(page, relay)
        page.goto(relay.url + "/view")
        expect(by_id(page, "file-send")).to_be_visible()
        page.evaluate(
            """() => {
                const transfer = new DataTransfer();
                const file = new File(["dropped bytes ✓"], "../../etc/passwd");
                transfer.items.add(file);
                const target = document.getElementById("viewport");
                for (const type of ["dragenter", "dragover", "drop"]) {
                    const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
                    target.dispatchEvent(new DragEvent(type, init));
                }
            }"""
        )
        ready = agent.recv_type("file_ready", timeout=15)["transfer"]
        assert ready["name"] == "passwd"
        folder = tmp_path / "Received Files"
        received = FileTransferClient(relay.url, f"Bearer {token}").receive(ready, folder)
        assert received == folder / "passwd"
        assert received.read_bytes() == "dropped bytes ✓".encode()
        expect(rows(page).first).to_have_attribute("data-state", "received")
        screenshot(page, "viewer-files")
    finally:
        close_pages([page], request)


def test_an_oversized_file_is_refused_in_the_page_before_upload(
    browser, relay_factory, request, tmp_path
):
    """With --max-file-size 1M the viewer on a phone opens its chat and shows the refusal at
    once; the relay spools nothing."""
    relay = relay_factory("--max-file-size", "1M")
    page = open_page(browser, relay.url + "/", viewport={"width": 390, "height": 844})
    try:
        _, _, support, agent = join_as_customer(page, relay)
        page.goto(relay.url + "/view")
        big = tmp_path / "video.mp4"
        make_file(big, 3 * MIB)
        by_id(page, "file-input").set_input_files(str(big))
        row = rows(page).first
        expect(row).to_have_attribute("data-state", "failed")
        expect(row).to_be_visible()  # in the viewer's chat panel, opened for it
        expect(row.get_by_test_id("file-status")).to_contain_text("This file is too large to send.")
        expect(row.get_by_test_id("file-status")).to_contain_text("1.0 MiB")
        assert spooled(relay) == []
        assert "file offered" not in relay.log_text()
    finally:
        close_pages([page], request)


def test_the_customer_cannot_cancel_the_agents_file_and_sees_the_agents_cancel(
    chat_pages, relay, tmp_path
):
    """A file the agent offered shows the customer no Cancel (the relay would refuse it: it is
    the agent's); the agent cancels it and both rows say Cancelled."""
    agent, customer = chat_pages
    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    # Offer without uploading (Python, as the agent): the customer sees it waiting.
    session_id = agent.evaluate("window.__rsTest.state()").get("sessionId")
    source = tmp_path / "contract.pdf"
    source.write_bytes(b"%PDF contract")
    client = FileTransferClient(relay.url, f"Bearer {token}")
    transfer = client.offer(session_id, source)
    row = rows(customer).first
    expect(row).to_have_attribute("data-state", "offered")
    expect(row.get_by_test_id("file-cancel")).to_be_hidden()
    expect(rows(agent).first.get_by_test_id("file-cancel")).to_be_visible()
    client.cancel(transfer["id"])
    expect(row).to_have_attribute("data-state", "cancelled")
    expect(rows(agent).first).to_have_attribute("data-state", "cancelled")
    expect(rows(agent).first.get_by_test_id("file-status")).to_have_text("Cancelled")


def test_an_uploaded_file_of_ones_own_is_withdrawn_on_every_side(
    agent_page, open_ui, relay, tmp_path
):
    """Once one's own file is uploaded, its button takes the offer back: "Withdraw" (Korean
    "보내기 취소"), not "Cancel"; pressed, both cards say the file was withdrawn. While bytes
    still move the button stays "Cancel"."""
    code = start_support(agent_page)
    customer = open_ui("/", locale="ko-KR")
    customer_join(customer, code, name="김지수")
    source = tmp_path / "견적서.pdf"
    make_file(source, 64 * 1024)
    by_id(customer, "file-input").set_input_files(str(source))
    mine = rows(customer).first
    expect(mine).to_have_attribute("data-state", "ready", timeout=15_000)
    withdraw = mine.get_by_test_id("file-cancel")
    expect(withdraw).to_have_text("보내기 취소")
    expect(withdraw).to_have_attribute("aria-label", "견적서.pdf 보내기 취소")
    theirs = rows(agent_page).first
    expect(theirs).to_have_attribute("data-state", "ready")
    # The agent may still stop the customer's file (it is not the agent's own offer).
    expect(theirs.get_by_test_id("file-cancel")).to_have_text("Cancel")

    offer = tmp_path / "brochure.pdf"
    make_file(offer, 64 * 1024)
    by_id(agent_page, "file-input").set_input_files(str(offer))
    agents = rows(agent_page).filter(has_text="brochure.pdf")
    expect(agents).to_have_attribute("data-state", "ready", timeout=15_000)
    expect(agents.get_by_test_id("file-cancel")).to_have_text("Withdraw")
    # Beside three buttons the status still reads on one line (the buttons wrap instead).
    status = agents.get_by_test_id("file-status")
    expect(status).to_have_text("Upload complete")
    lines = status.evaluate(
        "(e) => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; }"
    )
    assert lines == 1
    expect(agents.get_by_test_id("file-cancel")).to_have_attribute(
        "aria-label", "Withdraw brochure.pdf"
    )
    screenshot(agent_page, "files-withdraw-offer")
    agents.get_by_test_id("file-cancel").click()
    expect(agents).to_have_attribute("data-state", "cancelled")
    expect(agents.get_by_test_id("file-status")).to_have_text("Withdrawn")
    received = rows(customer).filter(has_text="brochure.pdf")
    expect(received).to_have_attribute("data-state", "cancelled")
    expect(received.get_by_test_id("file-status")).to_have_text("보내기 취소됨")

    withdraw.click()
    expect(mine).to_have_attribute("data-state", "cancelled")
    expect(mine.get_by_test_id("file-status")).to_have_text("보내기 취소됨")
    expect(theirs.get_by_test_id("file-status")).to_have_text("Withdrawn")
    screenshot(customer, "files-withdrawn-ko")
