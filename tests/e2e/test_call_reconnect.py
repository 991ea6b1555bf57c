"""A call survives its pages' sockets (CH9): a reload of either page, a dropped socket and a
relay restart bring the same call back with fresh peer connections, in real Chromium with
fake media devices through the real relay."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.support.calls import REMOTE_VIDEO_PLAYS, call_state, wait_call, wait_stats
from tests.support.ui_pages import PageFactory, agent_login, by_id, customer_join, start_support

pytestmark = pytest.mark.e2e

CONNECTED = (
    "call.phase === 'active' && !call.rejoining && "
    "Object.values(call.links).some((s) => s === 'connected' || s === 'relaying')"
)
FLOWING = "b.framesDecoded > a.framesDecoded && b.audioPackets > a.audioPackets"
BACK_WITHIN_MS = 15_000  # "a few seconds" on a quiet machine; the suite's machine is shared


def _in_call(agent: Page, customer: Page) -> tuple[str, str]:
    """The agent calls, the customer answers, media flows; returns (call id, customer id)."""
    by_id(agent, "call-start-video").click()
    expect(by_id(customer, "call-prompt")).to_be_visible(timeout=10_000)
    by_id(customer, "call-accept").click()
    for page in (agent, customer):
        wait_call(page, CONNECTED)
    state = call_state(agent) or {}
    return state["callId"], state["peers"][0]["id"]


def _seat(page: Page, peer: str) -> int:
    """The seat of ``peer`` that ``page``'s link to it was opened for."""
    return (call_state(page) or {})["seats"][peer]


def _media_back(call: tuple[Page, Page, str, str], watcher: Page, peer: str, seat: int) -> float:
    """``peer`` came back: ``watcher`` has a fresh link to it (a seat above ``seat``) and both
    pages of ``call`` (agent, customer, call id, customer id) play the other's video again in
    the same call, with frames and audio flowing; returns the seconds until both played."""
    agent, customer, call_id, customer_id = call
    started = time.monotonic()
    wait_call(watcher, f"call.seats[{peer!r}] > {seat}", timeout_ms=BACK_WITHIN_MS)
    for page in (agent, customer):
        wait_call(page, f"{CONNECTED} && call.callId === {call_id!r}", timeout_ms=BACK_WITHIN_MS)
        page.wait_for_function(REMOTE_VIDEO_PLAYS, timeout=BACK_WITHIN_MS)
    seconds = time.monotonic() - started
    wait_stats(agent, customer_id, FLOWING)
    wait_stats(customer, "agent", FLOWING)
    return seconds


def test_a_reload_or_a_dropped_socket_keeps_the_call(open_ui: PageFactory) -> None:
    """Reloading the customer's page, then the agent's, then dropping the customer's socket:
    each time the page takes its place in the same call again (rejoin_call), both remote
    videos play again and frames and audio flow; the peer saw the other side away meanwhile."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customer = open_ui("/")
    customer_join(customer, code)
    call_id, customer_id = _in_call(agent, customer)
    call = (agent, customer, call_id, customer_id)
    by_id(customer, "call-mute").click()  # kept over the reload
    wait_call(agent, "call.peers.some((p) => p.muted)")

    seat = _seat(agent, customer_id)
    customer.reload()
    back = _media_back(call, agent, customer_id, seat)
    print(f"customer reload: back in {back:.2f} s")
    wait_call(customer, "call.muted && call.held !== null")
    expect(by_id(customer, "call-mute")).to_have_attribute("aria-pressed", "true")
    by_id(customer, "call-mute").click()

    seat = _seat(customer, "agent")
    agent.reload()
    print(f"agent reload: back in {_media_back(call, customer, 'agent', seat):.2f} s")

    seat = _seat(agent, customer_id)
    customer.evaluate("window.__rsTest.dropSocket()")
    print(f"dropped socket: back in {_media_back(call, agent, customer_id, seat):.2f} s")

    by_id(agent, "call-hangup").click()
    wait_call(customer, "call.phase === 'ended' && call.localTracks.length === 0")
    customer.reload()  # an ended call is not taken up again
    customer.wait_for_function("() => window.__rsTest.state().status === 'online'")
    wait_call(customer, "call.held === null && call.localTracks.length === 0")


def test_a_relay_restart_resumes_the_call(open_ui: PageFactory, relay) -> None:
    """The relay restarts (its calls live in memory): the pages reconnect, the agent's page sets
    the call up again with its id, the customer's page takes its place, and media flows again
    on fresh peer connections."""
    agent = open_ui("/agent")
    agent_login(agent)
    code = start_support(agent)
    customer = open_ui("/")
    customer_join(customer, code)
    call_id, customer_id = _in_call(agent, customer)
    call = (agent, customer, call_id, customer_id)

    seat = _seat(agent, customer_id)
    relay.restart(same_port=True)
    print(f"relay restart: back in {_media_back(call, agent, customer_id, seat):.2f} s")
    assert "call set up again after a restart" in relay.log_text()
    peers = (call_state(customer) or {})["peers"]
    assert [(p["id"], p["state"]) for p in peers] == [("agent", "joined")]

    by_id(customer, "call-hangup").click()
    wait_call(agent, "call.phase === 'ended'")
