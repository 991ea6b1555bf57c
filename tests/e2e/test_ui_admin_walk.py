"""What an administrator stumbled on walking the admin site (1280x800, English and Korean):
a test mail before any mail server is saved tells the admin what to fill in on this very page
(not "an admin must set the mail server"), an empty audit log says what will appear there and
shows no pager around "0 changes", accounts made with the users command are in the audit log
as made on the relay's command line, the recording option says what it does (not "applies when
recording becomes available"), and a history file without a checksum shows no "SHA-256
undefined"; the audit log lists what an admin did to accounts, not only options."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.api import Api
from tests.support.history_records import history_record, seoul, write_history
from tests.support.relay import ALICE, ROOT, RelayProcess, add_agent
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import by_id, open_page, screenshot

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("admin-walk")
WIDE = {"width": 1280, "height": 800}
SAY = {
    "en-US": (
        "No mail server is saved yet",
        "Saving a change under Options or Mail",
        'each agent\'s "Record presentations automatically" setting',
        "on the relay's command line",
    ),
    "ko-KR": (
        "저장된 메일 서버가 없습니다",
        "옵션이나 메일에서 설정을 저장하거나",
        '각 상담원의 "프레젠테이션 자동 녹화" 설정',
        "릴레이 명령줄에서",
    ),
}


@pytest.fixture(scope="module")
def relay(tmp_path_factory) -> Iterator[RelayProcess]:
    """alice and root, and one past session of alice's with a file that has no checksum."""
    work = tmp_path_factory.mktemp("admin-walk")
    data = work / "data"
    data.mkdir()
    for agent in (ALICE, ROOT):
        add_agent(data, agent)
    write_history(data, [history_record("a1", "alice", seoul("2025-01-06 10:00"), 600, files=1)])
    process = RelayProcess(data, work)
    process.start()
    yield process
    process.stop()


def test_an_empty_audit_log_says_what_will_appear(browser, relay_factory) -> None:
    """A relay started with --demo made its accounts itself: nothing in the audit log yet,
    which says what will appear there, with no pager around "0 changes"."""
    demo = relay_factory("--demo", default_agents=False)
    found = re.search(r"Demo admin: ID '([^']+)', password '([^']+)'", demo.log_text())
    assert found, demo.log_text()
    for locale in SAY:
        page = open_page(browser, demo.url + "/admin", viewport=WIDE, locale=locale)
        by_id(page, "login-username").fill(found.group(1))
        by_id(page, "login-password").fill(found.group(2))
        by_id(page, "login-button").click()
        by_id(page, "nav-audit").click()
        expect(by_id(page, "audit-table")).to_contain_text(SAY[locale][1])
        expect(by_id(page, "audit-row")).to_have_count(0)
        expect(by_id(page, "audit-pages")).to_be_hidden()
        keep_shot(screenshot(page, f"admin-walk-audit-empty-1280x800-{locale[:2]}"), SHOTS)
        page.context.close()


@pytest.fixture
def admin(browser, relay, request) -> Iterator:
    pages: list[Page] = []

    def open_admin(locale: str) -> Page:
        page = open_page(browser, relay.url + "/admin", viewport=WIDE, locale=locale)
        pages.append(page)
        by_id(page, "login-username").fill(ROOT.username)
        by_id(page, "login-password").fill(ROOT.password)
        by_id(page, "login-button").click()
        expect(by_id(page, "nav-accounts")).to_be_visible()
        return page

    yield open_admin
    for page in pages:
        page.context.close()


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_admins_stumbles_are_gone(admin, locale: str) -> None:
    """Test mail without a server, the empty audit log, a file without a checksum."""
    page = admin(locale)
    short = locale[:2]
    by_id(page, "nav-mail").click()
    by_id(page, "mail-test-to").fill("kim@example.com")
    by_id(page, "mail-test-button").click()
    expect(by_id(page, "mail-test-error")).to_contain_text(SAY[locale][0])
    expect(by_id(page, "mail-host")).to_be_focused()
    keep_shot(screenshot(page, f"admin-walk-mail-test-unset-1280x800-{short}"), SHOTS)

    by_id(page, "nav-audit").click()
    rows = by_id(page, "audit-row")  # root and alice, made with the users command
    expect(rows).to_have_count(2)
    for row in (rows.first, rows.last):
        expect(row).to_contain_text(SAY[locale][3])
    expect(by_id(page, "audit-pages")).to_be_hidden()
    keep_shot(screenshot(page, f"admin-walk-audit-cli-1280x800-{short}"), SHOTS)

    # Recording exists (P9): its option no longer says "when recording becomes available".
    by_id(page, "nav-options").click()
    expect(by_id(page, "options-groups")).to_contain_text(SAY[locale][2])
    expect(by_id(page, "options-groups")).not_to_contain_text("becomes available")

    by_id(page, "nav-history").click()
    page.locator("#history tbody tr").first.click()
    expect(by_id(page, "history-file-list")).to_contain_text("quote-0.pdf")
    expect(by_id(page, "history-file-list")).not_to_contain_text("undefined")
    keep_shot(screenshot(page, f"admin-walk-history-file-1280x800-{short}"), SHOTS)


def test_the_audit_log_shows_what_an_admin_did_to_an_account(admin, relay) -> None:
    """alice disabled and enabled again: both in the audit log, with the admin and the address,
    in English at 1280x800 and in Korean at 1920x1080."""
    api = Api(relay.url)
    token = api.login(ROOT.username, ROOT.password)
    for action in ("disable", "enable"):
        assert api.request("POST", f"/api/admin/accounts/alice/{action}", token=token)[0] == 200
    for locale, size, said in (
        ("en-US", WIDE, ("Account alice", "Disabled", "Enabled again")),
        ("ko-KR", {"width": 1920, "height": 1080}, ("계정 alice", "사용 중지", "다시 사용")),
    ):
        page = admin(locale)
        page.set_viewport_size(size)
        by_id(page, "nav-audit").click()
        rows = page.get_by_test_id("audit-row")
        expect(rows.first).to_contain_text(said[0])
        expect(rows.first).to_contain_text(said[2])
        expect(rows.first).to_contain_text(f"{ROOT.username}127.0.0.1")
        expect(rows.nth(1)).to_contain_text(said[1])
        shot = f"admin-walk-audit-accounts-{size['width']}x{size['height']}-{locale[:2]}"
        keep_shot(screenshot(page, shot), SHOTS)
