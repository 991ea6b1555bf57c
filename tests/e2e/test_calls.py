"""Voice and video calls between the agent page and the customer page (CH9), in real Chromium
with fake media devices, set up through the real relay: directly (host candidates), and only
through a real coturn with credentials from the relay."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.support.calls import (
    REMOTE_VIDEO_PLAYS,
    call_state,
    coturn_missing,
    free_port,
    run_coturn,
    wait_call,
    wait_stats,
)
from tests.support.several_customers import close_invite, invite_code
from tests.support.ui_pages import (
    PageFactory,
    agent_login,
    by_id,
    customer_join,
    open_page,
    start_support,
)
from tests.support.viewer_presenter import PresentationSession, open_viewer

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module for the tests on ``relay`` (``open_ui``): each opens its own
    support and customer. The TURN tests start relays of their own (``relay_factory``)."""
    return shared_relay


# ui/common/call/peer_link.js: RELAY_FALLBACK_AFTER_MS, GIVE_UP_AFTER_MS.
RELAY_FALLBACK_MS = 4000
GIVE_UP_MS = 15000

CONNECTED = (
    "call.phase === 'active' && "
    "Object.values(call.links).some((s) => s === 'connected' || s === 'relaying')"
)


def _call(agent: Page, customer: Page, media: str = "video") -> str:
    """The agent calls, the customer answers; returns the customer's participant id."""
    by_id(agent, f"call-start-{media}").click()
    expect(by_id(customer, "call-prompt")).to_be_visible(timeout=10_000)
    by_id(customer, "call-accept").click()
    for page in (agent, customer):
        wait_call(page, CONNECTED)
    return (call_state(agent) or {})["peers"][0]["id"]


TURN_CONNECT_TIMEOUT_MS = 45_000


def _call_through_turn(agent: Page, customer: Page) -> None:
    """The agent calls and the customer answers on pages whose direct paths fail: Playwright's
    clock skips the pages' wait before the relay; media then flows both ways through TURN."""
    for page in (agent, customer):
        page.clock.install()
    by_id(agent, "call-start-video").click()
    by_id(customer, "call-accept").click()
    for page in (agent, customer):
        wait_call(page, "Object.keys(call.links).length > 0")
        page.clock.run_for(RELAY_FALLBACK_MS)
    # TURN over TCP: a TCP allocation and ICE's checks of the failing direct pairs first; at
    # the start of a whole run (the builds beside two workers, load ~10) it took over 15 s once.
    for page in (agent, customer):
        wait_call(page, CONNECTED, timeout_ms=TURN_CONNECT_TIMEOUT_MS)
    customer_id = (call_state(agent) or {})["peers"][0]["id"]
    flowing = "b.framesDecoded > a.framesDecoded && b.audioPackets > a.audioPackets"
    seen = wait_stats(agent, customer_id, flowing)["b"]
    assert (seen["localCandidateType"], seen["remoteCandidateType"]) == ("relay", "relay")
    assert wait_stats(customer, "agent", flowing)["b"]["localCandidateType"] == "relay"


def test_a_video_call_between_the_agent_and_customer_pages(open_ui: PageFactory) -> None:
    """Each side's remote video plays, frames and audio packets arrive (getStats), mute silences
    the other side, camera off stops its frames, and hang-up ends the call on both pages."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customer = open_ui("/")
    customer_join(customer, code)
    customer_id = _call(agent, customer)

    for page in (agent, customer):
        page.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=10_000)
    flowing = "b.framesDecoded > a.framesDecoded && b.audioPackets > a.audioPackets"
    on_agent = wait_stats(agent, customer_id, flowing)
    assert on_agent["b"]["localCandidateType"] == "host"  # direct: no STUN/TURN configured
    wait_stats(customer, "agent", flowing)

    # The fake microphone beeps: energy arrives until the customer mutes, then none.
    wait_stats(agent, customer_id, "b.audioEnergy > a.audioEnergy", window_ms=1500)
    by_id(customer, "call-mute").click()
    expect(by_id(customer, "call-mute")).to_have_attribute("aria-pressed", "true")
    expect(by_id(agent, "call-peer-muted")).to_be_visible()
    wait_stats(
        agent,
        customer_id,
        "b.audioEnergy - a.audioEnergy < 1e-6 && b.audioPackets > a.audioPackets",
        window_ms=1500,
    )

    # Camera off sends no frames at all (not black ones): the agent decodes none.
    by_id(customer, "call-camera").click()
    wait_call(customer, "call.cameraOff && !call.localTracks.includes('video')")
    wait_stats(agent, customer_id, "b.framesDecoded === a.framesDecoded", window_ms=1500)
    by_id(customer, "call-camera").click()
    wait_stats(agent, customer_id, "b.framesDecoded > a.framesDecoded")

    by_id(agent, "call-hangup").click()
    wait_call(customer, "call.phase === 'ended' && call.localTracks.length === 0")
    wait_call(agent, "call.phase !== 'active' && call.localTracks.length === 0")
    expect(by_id(customer, "call-status")).to_have_text("Call ended")
    expect(by_id(agent, "call-start-video")).to_be_enabled()


def test_a_call_only_through_coturn_with_the_relays_credentials(
    browser, relay_factory, tmp_path, request
) -> None:
    """With TURN configured on the relay and iceTransportPolicy "relay" the call connects
    through a real coturn (the selected pair is relay on both sides) and media flows."""
    missing = coturn_missing()
    if missing:
        print(f"skipped: {missing}")
        pytest.skip(missing)
    with run_coturn(tmp_path) as turn:
        relay = relay_factory(*turn.relay_args)
        # ?ice=relay: the pages use only TURN candidates (as on a network that blocks UDP
        # between peers); the test hook reads it (tests and benchmarks only).
        agent = open_page(browser, relay.url + "/agent?ice=relay")
        customer = open_page(browser, relay.url + "/?ice=relay")
        try:
            agent_login(agent)
            code = start_support(agent)
            customer_join(customer, code)
            _call_through_turn(agent, customer)
            expect(by_id(customer, "call-status")).to_have_text("Connected through the relay")
            # coturn takes only credentials made with its secret (use-auth-secret): relay
            # candidates exist only because the relay's REST credentials were accepted.
            by_id(customer, "call-hangup").click()
            wait_call(agent, "call.phase === 'ended'")
        finally:
            for page in (agent, customer):
                page.context.close()


def test_a_network_without_udp_falls_back_to_turn_over_tcp_by_itself(
    browser, relay_factory, tmp_path
) -> None:
    """Where UDP may not be used (Chromium's WebRTC IP handling policy
    disable_non_proxied_udp, as an enterprise policy sets it), the pages with their default ICE
    policy find no direct path and connect through the relay's TURN server over TCP on their
    own: the selected pair is relay on both sides, media flows and the tile says so."""
    from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH

    missing = coturn_missing()
    if missing:
        print(f"skipped: {missing}")
        pytest.skip(missing)
    with run_coturn(tmp_path) as turn:
        over_tcp = turn.url.replace("transport=udp", "transport=tcp")
        relay = relay_factory(*turn.relay_args, "--turn-url", over_tcp)
        no_udp = [*CHROMIUM_ARGS, "--webrtc-ip-handling-policy=disable_non_proxied_udp"]
        browsers = [
            browser.browser_type.launch(executable_path=CHROMIUM_PATH, args=no_udp)
            for _ in range(2)
        ]
        try:
            agent = open_page(browsers[0], relay.url + "/agent")
            customer = open_page(browsers[1], relay.url + "/")
            agent_login(agent)
            code = start_support(agent)
            customer_join(customer, code)
            _call_through_turn(agent, customer)
            expect(by_id(agent, "call-status")).to_have_text("Connected through the relay")
            expect(by_id(customer, "call-status")).to_have_text("Connected through the relay")
        finally:
            for launched in browsers:
                launched.close()


TRYING_THROUGH_THE_RELAY = "No direct connection: trying through the relay…"
RECORD_STATUS_LINES = """() => {
    window.__statusLines = [];
    const status = document.querySelector('[data-testid="call-status"]');
    new MutationObserver(() => {
        const line = status.textContent;
        if (line && window.__statusLines.at(-1) !== line) window.__statusLines.push(line);
    }).observe(status, { childList: true, characterData: true, subtree: true });
}"""


def test_no_path_at_all_tries_the_relay_then_says_the_call_could_not_connect(
    browser, relay_factory
) -> None:
    """No UDP (Chromium's disable_non_proxied_udp policy) and the relay's TURN server
    unreachable: no candidate pair at all, yet the pages do not say "Connecting…" for ever:
    after 4 s they try through the relay (ICE restart, TURN only), and when that finds no path
    either they say the call could not connect.

    The pages' clocks are Playwright's (``page.clock``): the test jumps over the 4 s and the 15 s
    waits once each step has begun instead of sitting through them (19 s of the 25 s the test
    took); the timers, the ICE restart and the status lines are the pages' own."""
    from tests.conftest import CHROMIUM_ARGS, CHROMIUM_PATH

    port = free_port()  # nothing listens there: the TURN server is down
    relay = relay_factory(
        "--turn-url", f"turn:127.0.0.1:{port}?transport=tcp", "--turn-secret", "s"
    )
    no_udp = [*CHROMIUM_ARGS, "--webrtc-ip-handling-policy=disable_non_proxied_udp"]
    browsers = [
        browser.browser_type.launch(executable_path=CHROMIUM_PATH, args=no_udp) for _ in range(2)
    ]
    try:
        agent = open_page(browsers[0], relay.url + "/agent")
        customer = open_page(browsers[1], relay.url + "/")
        agent_login(agent)
        code = start_support(agent)
        customer_join(customer, code)
        for page in (agent, customer):  # every line the tile's status shows, in order
            page.evaluate(RECORD_STATUS_LINES)
            page.clock.install()  # time still flows; the call's timers start after this
        by_id(agent, "call-start-video").click()
        by_id(customer, "call-accept").click()
        for page in (agent, customer):
            wait_call(page, "Object.keys(call.links).length > 0")
            page.clock.run_for(RELAY_FALLBACK_MS)
        for page in (agent, customer):
            page.wait_for_function(
                f"() => window.__statusLines.includes({json.dumps(TRYING_THROUGH_THE_RELAY)})"
            )
            page.clock.run_for(GIVE_UP_MS)
        for page in (agent, customer):
            wait_call(page, "Object.values(call.links).includes('failed')", timeout_ms=40_000)
            lines = page.evaluate("window.__statusLines")
            assert lines[lines.index("Connecting…") :] == [
                "Connecting…",
                TRYING_THROUGH_THE_RELAY,
                "The call could not connect. Check your network, then call again.",
            ], lines
        by_id(agent, "call-hangup").click()
        wait_call(customer, "call.phase === 'ended'")
    finally:
        for launched in browsers:
            launched.close()


def test_the_customer_answers_in_the_viewer_and_the_chat_page_says_so(
    open_ui: PageFactory, browser, relay
) -> None:
    """The call rings in the chat page and the viewer; answered in the viewer, it plays there
    (picture-in-picture) while the chat page says the call is in the viewer."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customer = open_ui("/")
    customer_join(customer, code)
    stored = json.loads(customer.evaluate("sessionStorage.getItem('rs.customer.session')"))
    session = PresentationSession(relay.url, stored["session_id"], "", stored["customer_token"])
    viewer = open_viewer(browser, session)
    try:
        expect(by_id(viewer, "viewer-state")).not_to_have_attribute("data-status", "connecting")
        by_id(agent, "call-start-video").click()
        expect(by_id(customer, "call-prompt")).to_be_visible()
        expect(by_id(viewer, "call-prompt")).to_be_visible()
        by_id(viewer, "call-accept").click()
        wait_call(viewer, CONNECTED)
        wait_call(agent, CONNECTED)
        viewer.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=10_000)
        expect(by_id(customer, "call-status")).to_have_text(
            "You are in this call in the screen viewer."
        )
        expect(by_id(customer, "call-prompt")).to_be_hidden()
        assert (call_state(customer) or {})["localTracks"] == []  # no second microphone
        by_id(viewer, "call-hangup").click()
        wait_call(agent, "call.phase === 'ended'")
    finally:
        viewer.context.close()


def test_a_blocked_microphone_says_what_to_do_and_the_call_can_be_declined(
    open_ui: PageFactory,
) -> None:
    """When the browser refuses the microphone the prompt says how to allow it, nothing is
    sent, and Decline still ends the agent's call as declined."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customer = open_ui("/")
    customer_join(customer, code)
    customer.evaluate(
        "() => { navigator.mediaDevices.getUserMedia = () => "
        "Promise.reject(new DOMException('blocked', 'NotAllowedError')); }"
    )
    by_id(agent, "call-start-audio").click()
    by_id(customer, "call-accept").click()
    expect(by_id(customer, "call-message")).to_contain_text("Allow it in the browser")
    wait_call(customer, "call.phase === 'incoming' && call.error === 'permission_denied'")
    by_id(customer, "call-decline").click()
    expect(by_id(agent, "call-status")).to_have_text("Chris Park declined the call.")


def test_the_call_model_reads_call_state_stats_and_errors(open_ui: PageFactory) -> None:
    """call_model.js (pure): the page's phase from call_state (rejoining a call this page held),
    which links to open and close (a peer on a new seat afresh), who is polite, getStats read as
    loss/RTT/relay, and getUserMedia errors as keys."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const m = await import("/ui/common/call/call_model.js");
            const state = (you, here, me, st = "active") => ({
                call_id: "c", media: "video", state: st, you, here, ice_servers: [],
                participants: [
                    { id: "agent", role: "agent", name: "A", state: "joined" },
                    { id: "0a1b2c3d4e5f", role: "customer", name: "K", state: me },
                    { id: "ffeeddccbbaa", role: "customer", name: "L", state: "joined" },
                ],
            });
            const stats = [
                { id: "t", type: "transport", selectedCandidatePairId: "p" },
                { id: "p", type: "candidate-pair", localCandidateId: "l",
                  remoteCandidateId: "r", currentRoundTripTime: 0.04 },
                { id: "l", type: "local-candidate", candidateType: "relay" },
                { id: "r", type: "remote-candidate", candidateType: "host" },
                { id: "v", type: "inbound-rtp", kind: "video", packetsReceived: 90,
                  packetsLost: 10, framesDecoded: 30 },
                { id: "a", type: "inbound-rtp", kind: "audio", packetsReceived: 100,
                  packetsLost: 0, jitterBufferDelay: 4800, jitterBufferEmittedCount: 96000 },
            ];
            const error = (name) => m.mediaErrorKey(new DOMException("x", name));
            return {
                incoming: m.viewOf(state("0a1b2c3d4e5f", false, "invited")).phase,
                active: m.viewOf(state("0a1b2c3d4e5f", true, "joined")).phase,
                elsewhere: m.viewOf(state("0a1b2c3d4e5f", false, "joined")).phase,
                declined: m.viewOf(state("0a1b2c3d4e5f", false, "declined")).phase,
                ended: m.viewOf(state("agent", true, "left", "ended")).phase,
                peers: m.viewOf(state("0a1b2c3d4e5f", true, "joined")).peers.map((p) => p.id),
                links: m.linkChanges(["agent", "gone"], [{ id: "agent" }, { id: "new" }]),
                reseated: m.linkChanges(new Map([["agent", 1], ["k", 2]]),
                    [{ id: "agent", seat: 2 }, { id: "k", seat: 2 }]),
                rejoining: [m.viewOf(state("0a1b2c3d4e5f", false, "away"), "c"),
                    m.viewOf(state("0a1b2c3d4e5f", false, "away"))]
                    .map((v) => [v.phase, v.rejoining]),
                polite: [m.isPolite("0a1b2c3d4e5f", "agent"), m.isPolite("agent", "0a1b2c3d4e5f")],
                quality: m.qualityOf(stats),
                turn: [m.hasTurn([{ urls: ["stun:x"] }]), m.hasTurn([{ urls: "turn:x" }])],
                errors: ["NotAllowedError", "NotFoundError", "NotReadableError", "TypeError"]
                    .map(error),
            };
        }"""
    )  # fmt: skip
    assert (result["incoming"], result["active"]) == ("incoming", "active")
    assert (result["elsewhere"], result["declined"], result["ended"]) == (
        "elsewhere",
        "idle",
        "ended",
    )
    assert result["peers"] == ["agent", "ffeeddccbbaa"]  # a mesh: the other customer too
    assert result["links"] == {"open": ["new"], "close": ["gone"]}
    # A peer back on a new seat gets a fresh link; a page that held the call rejoins it.
    assert result["reseated"] == {"open": ["agent"], "close": ["agent"]}
    assert result["rejoining"] == [["active", True], ["idle", False]]
    assert result["polite"] == [True, False]
    quality = result["quality"]
    assert (quality["rttMs"], quality["lossPct"], quality["relayed"]) == (40, 5, True)
    assert (quality["jitterBufferMs"], quality["grade"]) == (50, "fair")
    assert result["turn"] == [False, True]
    assert result["errors"] == ["permission_denied", "no_device", "device_in_use", "failed"]


def test_a_three_party_call_is_a_mesh(open_ui: PageFactory) -> None:
    """With two customers in the session both are rung; once both answer every page has a
    connected link to each of the other two and plays both their videos; one customer
    hanging up leaves the agent and the other customer talking."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    first = open_ui("/")
    customer_join(first, code, name="Chris Park")
    second_code = invite_code(agent)
    close_invite(agent)
    second = open_ui("/")
    customer_join(second, second_code, name="Lee Second")

    by_id(agent, "call-start-video").click()
    for customer in (first, second):
        expect(by_id(customer, "call-prompt")).to_be_visible(timeout=10_000)
        by_id(customer, "call-accept").click()
    two_links = (
        "call.phase === 'active' && Object.values(call.links)"
        ".filter((s) => s === 'connected' || s === 'relaying').length === 2"
    )
    for page in (agent, first, second):
        wait_call(page, two_links)
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="call-remote-video"]')]
                .filter((v) => v.videoWidth > 0 && !v.paused).length === 2""",
            timeout=15_000,
        )
    assert {peer["name"] for peer in (call_state(second) or {})["peers"]} == {
        "Alice Kim",
        "Chris Park",
    }

    by_id(second, "call-hangup").click()
    one_link = "call.phase === 'active' && Object.keys(call.links).length === 1"
    wait_call(agent, one_link)
    wait_call(first, one_link)
    wait_call(second, "call.phase === 'idle' && call.localTracks.length === 0")
