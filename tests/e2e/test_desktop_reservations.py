"""Reservations (A11) in the real agent desktop app under Xvfb: the main window lists a
booked reservation with its material, a double-click opens it into a support window of its
own in the waiting state, and the invitee's page enters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.agent_app import AgentApp
from tests.support.api import Api
from tests.support.cdp import CdpPage, by_test_id, visible_js, wait_for_target
from tests.support.desktop_flow import SignedInApp, keep_shot, private_display, signed_in_app
from tests.support.relay import ALICE
from tests.support.reservations import book, upload_material
from tests.support.shots import reviewers_folder
from tests.support.ui_pages import by_id, open_page
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("reservations")


@pytest.fixture
def relay(shared_relay):
    """One relay for the module, the signed-in app's: each test books its own reservations
    (found by title), and shared_relay puts alice's account data back after it."""
    return shared_relay


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """A private 1920x1080 X display for this module's windows."""
    yield from private_display()


@pytest.fixture(scope="module")
def shared_app(
    xvfb, one_relay_per_module, tmp_path_factory, artifacts_dir: Path
) -> Iterator[SignedInApp]:
    """One app, signed in as alice, for both tests (each books and opens its own
    reservations): one app start fewer."""
    yield from signed_in_app(
        lambda: AgentApp(
            xvfb, tmp_path_factory.mktemp("signed-in-app"), relay_url=one_relay_per_module.url
        ).start(),
        artifacts_dir,
    )


def test_desktop_app_opens_a_reservation_by_double_click(
    relay, shared_app: SignedInApp, browser, artifacts_dir: Path
):
    """Double-clicking the booked reservation in the main window opens its support in a
    window of its own; the invitee waiting on the link enters by itself and both see the
    material in the conversation."""
    api = Api(relay.url)
    token = api.login(ALICE.username, ALICE.password)
    reservation = book(api, token, title="Zephyr quartz pricing")
    status, _ = upload_material(api, token, reservation["id"], "price-list.pdf", b"%PDF-1.4 x" * 50)
    assert status == 201
    link = reservation["invitees"][1]["link_url"]
    with shared_app.use("desktop-reservations") as (app, main, windows):
        main.wait_for(visible_js(by_test_id("reservations-button")))
        main.click(by_test_id("reservations-button"))
        main.wait_for(visible_js(by_test_id("reservation-row")))
        assert "Zephyr quartz pricing" in main.text(by_test_id("reservation-row"))
        keep_shot(main.screenshot(artifacts_dir / "desktop-reservations-list-en.png"), SHOTS)

        customer = open_page(browser, relay.url + link[link.index("/?meet=") :])
        windows.customers.append(customer)
        expect(by_id(customer, "meeting-status")).to_have_attribute("data-state", "waiting")

        known = {page.target["id"] for page in windows.pages}
        main.double_click(by_test_id("reservation-title"))
        chat = CdpPage(
            wait_for_target(
                app.devtools_port,
                lambda t: t["id"] not in known and "/ui/agent/index.html" in t["url"],
            )
        )
        windows.pages.append(chat)
        # The waiting state is brief: the invitee's page enters as soon as it is open.
        expect(by_id(customer, "chat-peer-name")).to_have_text(ALICE.name, timeout=30_000)
        expect(customer.get_by_test_id("file-name").first).to_have_text("price-list.pdf")
        chat.wait_for(visible_js(by_test_id("file-name")), timeout_s=30)
        # The window names the meeting it is (the relay's session.reservation).
        chat.wait_for(visible_js(by_test_id("meeting-summary-title")))
        assert chat.text(by_test_id("meeting-summary-title")) == "Zephyr quartz pricing"
        assert (
            "Zephyr quartz pricing" in customer.get_by_test_id("meeting-summary-title").inner_text()
        )
        keep_shot(chat.screenshot(artifacts_dir / "desktop-reservation-opened-en.png"), SHOTS)
        main.click(by_test_id("reservations-button"))
        main.evaluate(
            "(() => { const s = document.querySelector('#language-select');"
            " s.value = 'ko'; s.dispatchEvent(new Event('change')); })()"
        )
        main.wait_for(
            f"document.querySelector('{by_test_id('reservation-badge')}').textContent === '진행 중'"
        )
        keep_shot(main.screenshot(artifacts_dir / "desktop-reservations-open-ko.png"), SHOTS)


def test_desktop_app_books_through_three_tabs_and_opens_into_waiting(
    relay, shared_app: SignedInApp, artifacts_dir: Path
):
    """The real main window (its default size) walks "Make a reservation" through its three
    tabs with the invitation's preview, in English and Korean, keeping the dialog in one place;
    a reservation opened before anyone is on its link waits in a support window of its own."""
    with shared_app.use("desktop-reservation-walk") as (app, main, windows):
        main.click(by_test_id("reservations-button"))
        for language in ("en", "ko"):
            main.evaluate(
                "(() => { const s = document.querySelector('#language-select');"
                f" s.value = '{language}'; s.dispatchEvent(new Event('change')); }})()"
            )
            main.click(by_test_id("reservation-new"))
            main.wait_for(visible_js(by_test_id("reservation-form")))
            main.fill(by_test_id("reservation-title-input"), "Zephyr quartz pricing")
            places = set()
            for tab in ("basic", "agenda", "invite"):
                main.click(by_test_id(f"reservation-tab-{tab}"))
                if tab == "agenda":
                    main.fill(by_test_id("reservation-topic"), "Prices for 2027")
                    main.press("Enter")
                if tab == "invite":
                    main.fill(by_test_id("reservation-email"), "kim@example.com")
                    main.press("Enter")
                    main.wait_for(visible_js(by_test_id("reservation-invitee-item")))
                    main.wait_for(
                        f"document.querySelector('{by_test_id('reservation-preview')}')"
                        ".textContent.includes('Zephyr quartz pricing')"
                    )
                places.add(
                    main.evaluate(
                        f"JSON.stringify(document.querySelector('{by_test_id('reservation-form')}')"
                        ".getBoundingClientRect())"
                    )
                )
                path = artifacts_dir / f"desktop-reservation-form-{tab}-{language}.png"
                keep_shot(main.screenshot(path), SHOTS)
            assert len(places) == 1, places  # one place and size on every tab
            main.click(by_test_id("reservation-form-close"))
            main.click(by_test_id("reservation-discard-confirm"))  # typed, not saved: asked
            main.wait_for(f"!{visible_js(by_test_id('reservation-form'))}")
        api = Api(relay.url)
        token = api.login(ALICE.username, ALICE.password)
        book(api, token, title="Nobody here yet")
        main.click(by_test_id("reservations-button"))
        main.wait_for(
            f"[...document.querySelectorAll('{by_test_id('reservation-title')}')]"
            ".some((e) => e.textContent === 'Nobody here yet')"
        )
        known = {page.target["id"] for page in windows.pages}
        main.evaluate(
            f"[...document.querySelectorAll('{by_test_id('reservation-title')}')]"
            ".find((e) => e.textContent === 'Nobody here yet').dataset.walk = 'target'"
        )
        main.double_click("[data-walk='target']")
        chat = CdpPage(
            wait_for_target(
                app.devtools_port,
                lambda t: t["id"] not in known and "/ui/agent/index.html" in t["url"],
            )
        )
        windows.pages.append(chat)
        chat.wait_for(visible_js("#waiting-panel"), timeout_s=30)
        # It says which reservation waits, and that its invitees need no code.
        chat.wait_for(visible_js(by_test_id("waiting-reservation")), timeout_s=15)
        note = chat.text(by_test_id("waiting-reservation"))
        assert "Nobody here yet" in note and "명 초대" in note and "코드가 필요 없습니다" in note
        # Its invitees lead, each with whether they came in; the code follows for others.
        chat.wait_for(visible_js(by_test_id("waiting-invitees")))
        invitees = chat.text(by_test_id("waiting-invitees"))
        assert "Kim Customer" in invitees and "lee@example.com" in invitees, invitees
        assert "아직 입장 전" in invitees, invitees
        chat.wait_for(visible_js(by_test_id("waiting-other-title")))
        keep_shot(chat.screenshot(artifacts_dir / "desktop-reservation-waiting-ko.png"), SHOTS)
