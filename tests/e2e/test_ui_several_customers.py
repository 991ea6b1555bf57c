"""Several customers in one session, in real Chromium: three customers join (a code, an
"Invite another" code, a personal link), chat with their own names and colours, each views the
presentation, and one removed loses everything while the other two go on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.desktop_ui import local_call, open_desktop_support
from tests.support.several_customers import (
    close_invite,
    customer_session,
    invite_code,
    personal_link,
)
from tests.support.ui_pages import (
    PHONE,
    agent_login,
    bubble_with_text,
    by_id,
    close_pages,
    customer_join,
    customer_viewer_socket,
    screenshot,
    send_chat,
    start_support,
    wait_control_state,
)
from tests.support.viewer_presenter import (
    PresentationSession,
    Presenter,
    open_viewer,
    sample_image,
    wait_for_stats,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: each test opens its own support; invitations, links and a
    removal belong to that support alone."""
    return shared_relay


SCREEN = (320, 200)
NAMES = ("Chris Park", "Lee Second", "Min Third")


def test_three_customers_chat_view_and_one_is_removed(browser, open_ui, relay, request):
    """Three customers joined by code, Invite another and a personal link see each other in
    the roster with distinct colours, chat (the agent's End says it ends for every customer),
    and each paints the presentation; removing Lee
    shows Lee the removed notice and closes Lee's viewer, while Chris and Min keep chatting
    and receiving frames."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customers = [open_ui("/", viewport=PHONE)]
    customer_join(customers[0], code, name=NAMES[0])
    second = invite_code(agent)
    close_invite(agent)
    customers.append(open_ui("/", viewport=PHONE))
    customer_join(customers[1], second, name=NAMES[1])
    invite_code(agent)
    link = personal_link(agent)
    close_invite(agent)
    third = open_ui(link.removeprefix(relay.url), viewport=PHONE)
    expect(by_id(third, "invitation-note")).to_be_visible()
    expect(by_id(third, "code-input")).to_be_hidden()
    by_id(third, "name-input").fill(NAMES[2])
    by_id(third, "join-button").click()
    expect(by_id(third, "chat-input")).to_be_visible()
    customers.append(third)

    for page in (agent, *customers):
        chips = by_id(page, "roster-chip")
        expect(chips).to_have_count(3)
    colours = {
        by_id(agent, "roster-chip")
        .nth(i)
        .evaluate("el => getComputedStyle(el).getPropertyValue('--rs-participant-color')")
        for i in range(3)
    }
    assert len(colours) == 3, colours
    expect(by_id(customers[2], "roster-name").nth(2)).to_have_text(f"{NAMES[2]} (you)")
    by_id(agent, "end-button").click()  # with three in, ending says it ends for every one
    expect(agent.locator("#end-dialog-body")).to_have_text(
        "The chat closes for you and every customer."
    )
    by_id(agent, "end-cancel").click()

    send_chat(customers[1], "Hello from Lee")
    for page in (agent, customers[0], customers[2]):
        bubble = bubble_with_text(page, "Hello from Lee")
        expect(bubble).to_be_visible()
        expect(bubble.get_by_text(NAMES[1])).to_be_visible()
        expect(bubble).to_have_class(re.compile("rs-msg--coloured"))
    expect(bubble_with_text(customers[1], "Hello from Lee")).to_have_attribute("data-own", "true")

    token = Api(relay.url).login("alice", "alice-password-1")
    stored = [customer_session(page) for page in customers]
    sessions = [
        PresentationSession(relay.url, s["session_id"], token, s["customer_token"]) for s in stored
    ]
    presenter = Presenter(sessions[0])
    viewers = [open_viewer(browser, session) for session in sessions]
    try:
        presenter.start(SCREEN)
        presenter.frame(1, 0, 0, sample_image(*SCREEN), SCREEN, "png")
        for viewer in viewers:
            wait_for_stats(viewer, lambda s: s["framesPainted"] >= 1)

        lee_chip = by_id(agent, "roster-chip").filter(has_text=NAMES[1])
        lee_chip.get_by_test_id("roster-remove").click()
        expect(agent.locator("#remove-dialog-title")).to_contain_text(NAMES[1])
        by_id(agent, "remove-confirm").click()
        expect(by_id(customers[1], "notice")).to_be_visible()
        for page in (agent, customers[0], customers[2]):
            expect(by_id(page, "roster-chip")).to_have_count(2)
        expect(by_id(agent, "remove-customer")).to_be_hidden()  # one remove button per chip

        send_chat(customers[2], "Min is still here")
        for page in (agent, customers[0]):
            expect(bubble_with_text(page, "Min is still here")).to_be_visible()
        presenter.frame(2, 0, 0, sample_image(*SCREEN, seed=2), SCREEN, "png")
        for viewer in (viewers[0], viewers[2]):
            wait_for_stats(viewer, lambda s: s["lastSeq"] == 2)
        assert viewers[1].evaluate("window.__rsViewer.stats()")["lastSeq"] == 1
    finally:
        presenter.close()
        close_pages(viewers, request, "viewer")


def test_control_is_given_by_name_and_moves_from_one_customer_to_another(
    browser, relay, recorded_app, open_ui
) -> None:
    """In the desktop chat window with three customers, Give control on Lee's chip hands Lee's
    viewer mouse and keyboard and names Lee; Give control on Chris's chip moves both to Chris
    and takes them from Lee."""
    pages: list = []
    try:
        support = open_desktop_support(
            browser, recorded_app.app, open_ui, pages, {"width": 960, "height": 720}
        )
        chat, chris = support.chat, support.customer
        others = []
        for name in NAMES[1:]:
            code = invite_code(chat)
            close_invite(chat)
            page = open_ui("/")
            customer_join(page, code, name=name)
            others.append(page)
        expect(by_id(chat, "roster-chip")).to_have_count(3)
        by_id(chat, "present-request").click()
        with chris.expect_popup() as popup:
            by_id(chris, "presentation-accept").click()
        popup.value.close()
        with local_call(chat, "POST", "/local/presentation"):  # the first whole-screen share
            by_id(chat, "share-whole-confirm").click()
        expect(by_id(chat, "present-pause")).to_be_visible()
        chris_viewer = customer_viewer_socket(chris, relay)
        lee_viewer = customer_viewer_socket(others[0], relay)

        chip = by_id(chat, "roster-chip")
        chip.filter(has_text=NAMES[1]).get_by_test_id("roster-give-control").click()
        wait_control_state(lee_viewer, mouse=True, keyboard=True)
        expect(by_id(chat, "control-text")).to_have_text(
            f"{NAMES[1]} controls your mouse and keyboard."
        )
        expect(chip.filter(has_text=NAMES[1]).get_by_test_id("roster-has-control")).to_be_visible()
        screenshot(chat, "several-customers-desktop-control-lee")

        chip.filter(has_text=NAMES[0]).get_by_test_id("roster-give-control").click()
        wait_control_state(chris_viewer, mouse=True, keyboard=True)
        wait_control_state(lee_viewer)
        expect(by_id(chat, "control-text")).to_have_text(
            f"{NAMES[0]} controls your mouse and keyboard."
        )
        chris_viewer.close()
        lee_viewer.close()
    finally:
        for page in pages:
            page.context.close()


def test_a_personal_link_from_the_waiting_panel_lets_one_in_and_a_withdrawn_one_none(
    open_ui, relay
) -> None:
    """While waiting, "Personal link" makes a link that seats its invitee without a code; a
    second link withdrawn in the dialog tells its holder so, in Korean on a Korean page."""
    agent = open_ui("/agent")
    agent_login(agent)
    start_support(agent)
    by_id(agent, "waiting-personal-link").click()
    link = by_id(agent, "invite-link")
    expect(link).to_have_value(re.compile(r"/\?invite="))
    expect(by_id(agent, "invite-code")).to_be_hidden()
    first = link.input_value()
    close_invite(agent)
    guest = open_ui(first.removeprefix(relay.url), viewport=PHONE)
    by_id(guest, "name-input").fill("Dana Link")
    by_id(guest, "join-button").click()
    expect(by_id(guest, "chat-input")).to_be_visible()
    expect(by_id(agent, "chat-peer-name")).to_have_text("Dana Link")

    invite_code(agent)
    second = personal_link(agent)
    by_id(agent, "invite-revoke-link").click()
    expect(by_id(agent, "invite-link-status")).to_have_text("Link withdrawn")
    close_invite(agent)
    late = open_ui(second.removeprefix(relay.url), viewport=PHONE, locale="ko-KR")
    by_id(late, "join-button").click()
    expect(by_id(late, "join-error")).to_have_text(
        "취소된 초대 링크입니다. 상담원에게 새 링크를 요청하세요."
    )


PARTICIPANTS_JS = """async () => {
  const { Participants } = await import("/ui/common/chat/participants.js");
  const handlers = {};
  const socket = { on: (type, fn) => { (handlers[type] ??= []).push(fn); return () => {}; } };
  const emit = (type, message) => (handlers[type] ?? []).forEach((fn) => fn(message));
  const people = new Participants();
  people.follow(socket);
  const view = () => people.all().map((p) => `${p.participant_id}:${p.online}:${p.color}`);
  emit("welcome", { you: { participant_id: "aaa" }, session: { participants: [
    { participant_id: "agent", role: "agent", name: "Alice", color: "#1f4e8c", online: true },
    { participant_id: "aaa", role: "customer", name: "Kim", color: "#c2410c", online: false },
  ] } });
  const steps = [view()];
  emit("participant_joined", { participant_id: "bbb", role: "customer", name: "Lee",
                               color: "red;background:url(x)", rejoined: false });
  steps.push(view());
  emit("participant_left", { participant_id: "bbb", role: "customer", name: "Lee" });
  steps.push(view());
  emit("participant_left", { participant_id: "bbb", role: "customer", name: "Lee", removed: true });
  steps.push(view());
  const own = [
    people.isOwn({ participant_id: "aaa", role: "customer" }, "customer"),
    people.isOwn({ participant_id: "bbb", role: "customer" }, "customer"),
    people.isOwn({ role: "customer" }, "customer"),
  ];
  return { steps, own };
}"""


def test_the_roster_model_follows_joins_leaves_and_removals(open_ui) -> None:
    """participants.js: one's own entry is online from the welcome, a join adds (a colour that
    is not #rrggbb is dropped), a plain leave is away, a removal is gone; a message is one's
    own by participant id, by role only without one."""
    page = open_ui("/")
    result = page.evaluate(PARTICIPANTS_JS)
    assert result["steps"] == [
        ["agent:true:#1f4e8c", "aaa:true:#c2410c"],
        ["agent:true:#1f4e8c", "aaa:true:#c2410c", "bbb:true:"],
        ["agent:true:#1f4e8c", "aaa:true:#c2410c", "bbb:false:"],
        ["agent:true:#1f4e8c", "aaa:true:#c2410c"],
    ]
    assert result["own"] == [True, False, True]


def test_a_phone_on_the_whiteboard_keeps_its_message_box_when_asked_to_watch(open_ui) -> None:
    """Two customers, one on a 390x844 phone with the whiteboard open: when the agent asks to
    present, the phone shows the prompt and its message box stays on the screen (a fixed 60%
    board pushed it below the bottom edge)."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customer_join(open_ui("/"), code, name=NAMES[0])
    second = invite_code(agent)
    close_invite(agent)
    phone = open_ui("/", viewport={"width": 390, "height": 844})
    customer_join(phone, second, name=NAMES[1])
    by_id(agent, "whiteboard-button").click()
    by_id(phone, "whiteboard-accept").click()
    expect(by_id(phone, "wb-canvas")).to_be_visible()
    by_id(agent, "present-request").click()
    expect(by_id(phone, "presentation-prompt")).to_be_visible()
    box = by_id(phone, "chat-input").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box
    board = by_id(phone, "wb-canvas").bounding_box()
    assert board is not None and board["height"] >= 100, board
    screenshot(phone, "phone-board-and-presentation-prompt")
