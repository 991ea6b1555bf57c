"""The viewer on a 390x844 touch phone, in English and Korean, as a customer walks it.

The presenter here is the agent's screen socket driven by the test (a desktop app's presenter:
control can be asked for), at 1920x1080. What a customer stumbled on: the bar held the state,
Request control, ten drawing tools, Fit / 1:1, Full screen, Send file, the language, the
whiteboard and End on one row that scrolled sideways, so most of it was off the screen with
nothing saying so.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.desktop_ui import open_desktop_support, presenting_local_app
from tests.support.files import make_file
from tests.support.phone_layout import (
    open_phone,
    outside,
    overlaps,
    phone_in_a_support,
    row_boxes,
)
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import (
    AGENT_WINDOW,
    PHONE,
    PageFactory,
    by_id,
    rows,
    screenshot,
    send_chat,
)
from tests.support.viewer_presenter import (
    PresentationSession,
    Presenter,
    sample_image,
    wait_for_stats,
)
from tests.support.waiting import wait_until
from tests.support.x11 import pointer_position
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("phone-viewer")
SCREEN = (1920, 1080)
W, H = PHONE["width"], PHONE["height"]


@pytest.fixture
def relay(shared_relay):
    return shared_relay


@pytest.fixture
def presenter(session: PresentationSession) -> Iterator[Presenter]:
    presenter = Presenter(session)
    yield presenter
    presenter.close()


@pytest.fixture
def phone_viewers(viewers):
    """Open the viewer as a 390x844 touch phone at DPR 2, in a locale."""
    return lambda locale: viewers(locale=locale, phone=True, device_scale_factor=2)


def go_live(presenter: Presenter, page: Page) -> None:
    presenter.start(SCREEN)
    presenter.frame(1, 0, 0, sample_image(*SCREEN, noise=False), SCREEN, "png")
    wait_for_stats(page, lambda s: s["lastSeq"] == 1)
    expect(page.get_by_test_id("viewer-state")).to_have_attribute("data-state", "live")


def assert_fits(layout: dict, what: str) -> None:
    items = layout["items"]
    assert not outside(items, W, H), (what, outside(items, W, H), items)
    assert not overlaps(items), (what, overlaps(items), items)
    assert not [i["name"] for i in items if i["cut"]], (what, items)


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_bar_is_one_row_and_the_rest_is_under_more(
    phone_viewers, presenter: Presenter, locale: str
) -> None:
    """At 390x844 the bar is one row with nothing to swipe to: the state, Request control,
    More and End, none cut or over another; the picture gets the rest of the screen. More
    opens a menu on the screen with the drawing tools, Fit / 1:1, Full screen, Send file,
    the language and the whiteboard; picking a pen closes it, so the finger draws."""
    page = phone_viewers(locale)
    go_live(presenter, page)
    bar = row_boxes(page, ".vw-topbar")
    assert bar["scrollWidth"] <= bar["clientWidth"], bar  # no sideways swipe
    assert bar["bar"]["height"] <= 52, bar
    assert_fits(bar, "the bar")
    request = page.get_by_test_id("viewer-request-control")
    expect(request).to_be_visible()
    expect(page.get_by_test_id("viewer-end")).to_be_visible()
    more = page.get_by_test_id("viewer-more")
    expect(more).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "false")
    main = page.locator(".vw-main").bounding_box()
    assert main is not None and main["height"] >= H - 52, main
    keep_shot(screenshot(page, f"phone-viewer-bar-{locale[:2]}"), SHOTS)

    more.click()
    expect(more).to_have_attribute("aria-expanded", "true")
    menu = page.get_by_test_id("viewer-more-menu")
    expect(menu).to_be_visible()
    for test_id in (
        "draw-tool-pen", "viewer-fit", "viewer-actual", "viewer-fullscreen", "file-send",
        "language-select",
    ):  # fmt: skip
        expect(menu.get_by_test_id(test_id)).to_be_visible()
    rows = row_boxes(page, ".vw-more__menu")
    assert_fits(rows, "the menu")
    keep_shot(screenshot(page, f"phone-viewer-more-{locale[:2]}"), SHOTS)

    menu.get_by_test_id("viewer-actual").click()  # a choice made: the menu closes
    expect(menu).to_be_hidden()
    expect(page.get_by_test_id("viewer-navigator")).to_be_visible()
    more.click()
    menu.get_by_test_id("draw-tool-pen").click()
    expect(menu).to_be_hidden()
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("draw-tool-pen")).to_have_attribute("aria-pressed", "true")
    more.click()
    page.keyboard.press("Escape")  # Escape closes it too
    expect(menu).to_be_hidden()


def test_a_phone_turned_sideways_keeps_one_row(phone_viewers, presenter: Presenter) -> None:
    """At 844x390 (the phone turned to see a wide screen bigger) the bar is one row too, with
    More (it took two rows, 93 px of the 390), and More's menu fits under it."""
    page = phone_viewers("en-US")
    page.set_viewport_size({"width": H, "height": W})
    go_live(presenter, page)
    bar = row_boxes(page, ".vw-topbar")
    assert bar["bar"]["height"] <= 52, bar
    assert bar["scrollWidth"] <= bar["clientWidth"], bar
    assert not outside(bar["items"], H, W) and not overlaps(bar["items"]), bar
    page.get_by_test_id("viewer-more").click()
    menu = row_boxes(page, ".vw-more__menu")
    assert not outside(menu["items"], H, W) and not overlaps(menu["items"]), menu
    inside = row_boxes(page, ".rs-draw-tools")  # the tools wrap in the menu, none cut off
    assert not [i["name"] for i in inside["items"] if i["right"] > menu["bar"]["right"]], inside
    keep_shot(screenshot(page, "phone-viewer-sideways-more-en"), SHOTS)


@pytest.mark.engine
@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_control_asked_from_a_phone_granted_by_the_desktop_app_and_taken_back(
    browser, relay, tmp_path, open_ui: PageFactory, locale: str
) -> None:
    """The desktop app presents a 1920x1080 screen (its real presenter on Xvfb). On the phone:
    Request control, and "requested" in its place in the one row; the agent's chat window asks
    who may control; Give both; the phone says so, still in one row, nothing cut; a tap on the
    picture puts the agent's pointer at the same spot of the screen; Take back control: the
    phone offers Request control again."""
    with Xvfb(*SCREEN) as display:
        add_local_xauth_entry(display)
        env = display.env()
        with presenting_local_app(tmp_path / "config", env, relay_url=relay.url) as real:
            pages: list[Page] = []
            try:
                support = open_desktop_support(
                    browser, real.app, open_ui, pages, AGENT_WINDOW,
                    customer_page=lambda: open_phone(browser, relay.url + "/", locale),
                )  # fmt: skip
                viewer = _accept_on_the_phone(support.chat, support.customer)
                pages.append(viewer)
                _control_walk(viewer, support.chat, env, locale)
            finally:
                for page in pages:
                    page.context.close()


def _accept_on_the_phone(chat: Page, phone: Page) -> Page:
    by_id(chat, "present-request").click()
    # The picker's first monitor listing moves its popover: confirm after it came.
    expect(by_id(chat, "share-monitor").locator('option[value=""]')).to_have_count(0)
    by_id(chat, "share-whole-confirm").click()  # the whole screen, confirmed once
    with phone.expect_popup() as popup:
        by_id(phone, "presentation-accept").click()
    viewer = popup.value
    expect(by_id(viewer, "viewer-state")).to_have_attribute("data-state", "live", timeout=30_000)
    return viewer


def _control_walk(viewer: Page, chat: Page, env: dict[str, str], locale: str) -> None:
    words = {
        "en-US": ("Control requested…", "You control mouse and keyboard"),
        "ko-KR": ("원격 제어를 요청했습니다…", "마우스와 키보드를 제어하고 있습니다"),
    }[locale]
    state = viewer.get_by_test_id("viewer-control-state")
    request = viewer.get_by_test_id("viewer-request-control")
    expect(state).to_be_hidden()  # "View only" needs no room: the picture says it
    request.tap()
    expect(state).to_have_text(words[0])
    expect(state).to_be_visible()
    expect(request).to_be_hidden()
    assert_fits(row_boxes(viewer, ".vw-topbar"), "the bar, requested")
    expect(by_id(chat, "control-text")).to_have_text("Chris Park asks to control your screen.")
    keep_shot(screenshot(chat, f"phone-viewer-agent-asked-{locale[:2]}"), SHOTS)
    by_id(chat, "control-grant-both").click()
    expect(state).to_have_text(words[1])
    expect(state).to_be_visible()
    bar = row_boxes(viewer, ".vw-topbar")
    assert_fits(bar, "the bar, granted")
    assert bar["bar"]["height"] <= 52, bar
    keep_shot(screenshot(viewer, f"phone-viewer-granted-{locale[:2]}"), SHOTS)

    # A tap at a quarter across and a third down the picture: the pointer goes there.
    box = viewer.get_by_test_id("viewer-canvas").bounding_box()
    assert box is not None
    viewer.touchscreen.tap(box["x"] + box["width"] / 4, box["y"] + box["height"] / 3)
    want = (SCREEN[0] / 4, SCREEN[1] / 3)
    wait_until(
        lambda: _near(pointer_position(env), want, slack=SCREEN[0] / box["width"] * 2),
        "the agent's pointer at the tapped spot", 10.0, 0.1,
    )  # fmt: skip

    by_id(chat, "control-revoke").click()
    expect(request).to_be_visible()
    expect(state).to_be_hidden()


def _near(point: tuple[int, int], want: tuple[float, float], slack: float) -> bool:
    return abs(point[0] - want[0]) <= slack and abs(point[1] - want[1]) <= slack


# The transcript's last item, the prompt, the message box and what the screen shows of them.
_CHAT_LAYOUT_JS = """() => {
  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height };
  };
  const list = q("chat-transcript");
  const items = list.querySelectorAll(":scope > .rs-msg");
  return {
    transcript: box(list),
    last: box(items[items.length - 1]),
    prompt: box(q("presentation-prompt")),
    input: box(q("chat-input")),
    accept: box(q("presentation-accept")),
    viewport: { width: window.innerWidth, height: window.innerHeight },
  };
}"""


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_presentation_prompt_hides_no_file_card_and_no_message_box(
    browser, relay, open_ui: PageFactory, tmp_path, locale: str
) -> None:
    """The agent (its page) sends three files, then Present screen. On the phone the prompt
    shows with its buttons on the screen, and the last file card and the message box stay in
    sight, none under the prompt; with the keyboard open too (390x480 left), where the card
    was cut in half: on a short screen the prompt is its question and buttons only."""
    with phone_in_a_support(browser, relay.url, open_ui, locale) as (agent, phone):
        for number in range(1, 7):  # a transcript taller than the screen: it scrolls
            send_chat(agent if number % 2 else phone, f"Line {number} of a talk about the offer.")
        expect(by_id(phone, "chat-transcript")).to_contain_text("Line 6")
        for number, size in enumerate((120_000, 40_000, 300_000), start=1):
            source = tmp_path / f"offer-part-{number} (2027).pdf"
            make_file(source, size)
            by_id(agent, "file-input").set_input_files(str(source))
            expect(rows(phone)).to_have_count(number, timeout=15_000)
        expect(rows(phone).last).to_have_attribute("data-state", "ready", timeout=15_000)
        by_id(agent, "present-request").click()
        expect(by_id(phone, "presentation-prompt")).to_be_visible()
        _assert_prompt_hides_nothing(phone, f"phone-viewer-prompt-over-files-{locale[:2]}")
        # The keyboard opens for an answer: on the 390x480 left the last card was cut in half.
        by_id(phone, "chat-input").focus()
        phone.set_viewport_size({"width": W, "height": 480})
        _assert_prompt_hides_nothing(phone, f"phone-viewer-prompt-keyboard-{locale[:2]}")


def _assert_prompt_hides_nothing(phone: Page, shot: str) -> None:
    """The last item of the transcript wholly in its box and not under the prompt; the
    prompt's Accept and the message box on the screen, the box under the prompt."""
    # the transcript follows its new height in a frame: two frames on, it has
    phone.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    layout = phone.evaluate(_CHAT_LAYOUT_JS)
    keep_shot(screenshot(phone, shot), SHOTS)
    last, prompt, chat = layout["last"], layout["prompt"], layout["transcript"]
    screen_h = layout["viewport"]["height"]
    assert chat["top"] - 0.5 <= last["top"] and last["bottom"] <= chat["bottom"] + 0.5, layout
    assert last["top"] >= prompt["bottom"] - 0.5 or last["bottom"] <= prompt["top"] + 0.5, layout
    assert layout["accept"]["bottom"] <= screen_h and layout["input"]["bottom"] <= screen_h
    assert layout["input"]["top"] >= prompt["bottom"], layout
