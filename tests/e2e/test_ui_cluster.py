"""The customer's relay page behind HAProxy in front of three relay nodes on one database: a
join by code that reaches a node which does not hold the session (409 wrong_node) is retried
by the page with the session's id and lands on its node; with the hub gone the page says so
in the customer's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.cluster import Cluster, running_cluster
from tests.support.haproxy import haproxy_missing
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import by_id, customer_join, page_errors, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.engine,
    pytest.mark.skipif(haproxy_missing() is not None, reason=str(haproxy_missing())),
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

SHOTS = reviewers_folder("pg-nodes")
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
JOINS_TO_SEE_WRONG_NODE = 8  # round robin over 3 nodes: 2 in 3 joins land elsewhere


@pytest.fixture(scope="module")
def cluster(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("ui-cluster"), postgres) as running:
        yield running


def customer_page(browser: Browser, cluster: Cluster, viewport: dict, locale: str) -> Page:
    # The balancer's certificate is signed by the tests' CA, which Chromium does not know.
    context = browser.new_context(viewport=viewport, locale=locale, ignore_https_errors=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.rs_errors = errors  # type: ignore[attr-defined]
    page.goto(cluster.proxy.url + "/")
    return page


def keep(page: Page, name: str) -> None:
    keep_shot(screenshot(page, f"cluster-{name}"), SHOTS, f"{name}.png")


def test_the_customer_page_follows_wrong_node_to_the_sessions_node(
    browser: Browser, cluster: Cluster
) -> None:
    """Sessions made through the balancer; the customer page's join by code lands on any node,
    and one that lands elsewhere (409 wrong_node in HAProxy's log) still joins: the page asks
    again with ?session=, which the balancer routes to the session's node."""
    api = cluster.api()
    token = api.login(ALICE.username, ALICE.password)
    for attempt in range(JOINS_TO_SEE_WRONG_NODE):
        support = api.new_support(token)
        # The page's requests before its join are a fixed number: a multiple of 3 sent every
        # join to the node that made the session. A changing number of extra ones between
        # breaks that beat whatever the page loads.
        for _ in range(attempt % 3):
            api.request("GET", "/api/waiting")
        viewport, locale = (LAPTOP, "en-US") if attempt % 2 == 0 else (PHONE, "ko-KR")
        page = customer_page(browser, cluster, viewport, locale)
        try:
            customer_join(page, support["code"], name="Chris Park")
            keep(page, f"joined-{'laptop-en' if attempt % 2 == 0 else 'phone-ko'}")
            assert page_errors(page) == []
        finally:
            page.context.close()
        if " 409 " in cluster.proxy.log_text() and attempt >= 1:
            break
    log = cluster.proxy.log_text()
    assert any("/api/join" in line and " 409 " in line for line in log.splitlines()), log[-3000:]


def test_with_the_hub_gone_the_page_says_to_try_again(browser: Browser, cluster: Cluster) -> None:
    """Redis stopped: a join answers 503 hub_unavailable, and the page shows that the relay is
    briefly unavailable (English and Korean), not a generic failure. Runs last: it stops Redis."""
    api = cluster.api()
    token = api.login(ALICE.username, ALICE.password)
    code = api.new_support(token)["code"]
    pages = [
        customer_page(browser, cluster, LAPTOP, "en-US"),
        customer_page(browser, cluster, PHONE, "ko-KR"),
    ]
    try:
        for page in pages:
            by_id(page, "code-input").fill(code)
            by_id(page, "name-input").fill("Chris Park")
        cluster.redis.stop()
        expected = {
            "en-US": "The relay is briefly unavailable. Try again in a moment.",
            "ko-KR": "서버를 잠시 사용할 수 없습니다. 잠시 후 다시 시도하세요.",
        }
        for page, (locale, text), name in zip(
            pages, expected.items(), ("hub-down-laptop-en", "hub-down-phone-ko"), strict=True
        ):
            by_id(page, "join-button").click()
            expect(page.get_by_text(text)).to_be_visible()
            keep(page, name)
            assert page_errors(page) == [], locale
    finally:
        for page in pages:
            page.context.close()
