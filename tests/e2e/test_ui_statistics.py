"""Usage statistics (AD3) on /admin in real Chromium (in Seoul's time zone) against a real relay
whose history holds a known January: the charts hold the relay's numbers, the tables beside
them too, the canvases are drawn, no CSP refusal; in Korean at 1920x1080 the Excel export
downloads and reads back."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Page, expect

from tests.support.history_records import history_record, seoul, write_history
from tests.support.relay import ALICE, BOB, ROOT, RelayProcess, add_agent
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.ui_pages import by_id, close_pages, screenshot

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("statistics")
WIDE = {"width": 1280, "height": 800}
FULL_HD = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def relay(tmp_path_factory) -> Iterator[RelayProcess]:
    """One relay for the module: January 2025 in Seoul, alice 4 sessions, bob 2; and bob's
    session at 23:30 UTC on Monday 3 February (Tuesday 08:30 in Seoul)."""
    work = tmp_path_factory.mktemp("statistics")
    data = work / "data"
    data.mkdir()
    for agent in (ALICE, BOB, ROOT):
        add_agent(data, agent)
    write_history(
        data,
        [
            history_record("a1", "alice", seoul("2025-01-06 10:00"), 600, presentations=1),
            history_record("a2", "alice", seoul("2025-01-06 10:40"), 1200, files=1, calls=1),
            history_record("a3", "alice", seoul("2025-01-08 15:10"), 1800, control_grants=1),
            history_record("a4", "alice", seoul("2025-01-20 11:00"), 900),
            history_record("b1", "bob", seoul("2025-01-07 09:30"), 300, presentations=1),
            history_record("b2", "bob", seoul("2025-01-07 16:00"), 600),
            history_record("b3", "bob", datetime(2025, 2, 3, 23, 30, tzinfo=UTC), 600),
        ],
    )
    process = RelayProcess(data, work)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def open_admin(browser, relay, request) -> Iterator:
    """Open /admin#statistics in Seoul's time zone, signed in as root; CSP reports collected."""
    pages: list[Page] = []

    def open_admin(viewport: dict[str, int], locale: str = "en-US") -> Page:
        context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Seoul")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.rs_errors = errors  # type: ignore[attr-defined]
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.rs_csp = refused  # type: ignore[attr-defined]
        pages.append(page)
        page.goto(relay.url + "/admin#statistics")
        by_id(page, "login-username").fill(ROOT.username)
        by_id(page, "login-password").fill(ROOT.password)
        by_id(page, "login-button").click()
        expect(by_id(page, "statistics-form")).to_be_visible()
        return page

    yield open_admin
    close_pages(pages, request, "admin page")


def keep(page: Page, name: str) -> None:
    """A screenshot in test-artifacts/, copied to the shots folder when it exists."""
    keep_shot(screenshot(page, name), SHOTS)


def show_january(page: Page) -> None:
    by_id(page, "statistics-from").fill("2025-01-01")
    by_id(page, "statistics-to").fill("2025-01-31")
    by_id(page, "statistics-show").click()
    expect(by_id(page, "statistics-tile-sessions")).to_contain_text("6")


def chart(page: Page, name: str) -> dict:
    """The labels and datasets Chart.js holds for one card's canvas."""
    return page.evaluate(
        """(name) => {
          const canvas = document.querySelector(`[data-testid="statistics-chart-${name}"]`);
          const found = globalThis.Chart.getChart(canvas);
          return { labels: found.data.labels, data: found.data.datasets.map((d) => d.data) };
        }""",
        name,
    )


def test_the_admin_sees_charts_of_real_numbers(open_admin) -> None:
    """The charts hold the relay's numbers (per day, per agent, feature shares), the tables
    and the heat map show them, the day chart's canvas is really drawn, and no CSP refusal."""
    page = open_admin(WIDE)
    show_january(page)
    days = chart(page, "days")
    assert len(days["labels"]) == 31
    sessions_per_day = days["data"][0]
    assert sessions_per_day[5:8] == [2, 2, 1] and sessions_per_day[19] == 1
    assert sum(sessions_per_day) == 6
    assert days["data"][1][5] == 15  # 6 January: (600 + 1200) / 2 s = 15 minutes
    assert days["data"][1][0] is None  # no session on 1 January: a gap, not zero
    agents = chart(page, "agents")
    assert agents == {"labels": [ALICE.name, BOB.name], "data": [[4, 2]]}
    features = chart(page, "features")
    assert features["labels"] == ["Screen sharing", "Remote control", "Files", "Calls"]
    assert features["data"] == [[33.3, 16.7, 16.7, 16.7]]
    assert page.locator('[data-testid="statistics-chart-reservations"]').is_hidden()
    expect(by_id(page, "statistics-no-reservations")).to_contain_text("No reservations yet")
    agent_rows = by_id(page, "statistics-table-agents").locator("tbody tr")
    expect(agent_rows.first).to_contain_text(f"{ALICE.name}4")
    expect(agent_rows.first).to_contain_text("1 h 15 min")  # alice's 4,500 s
    heat = by_id(page, "statistics-heatmap")
    monday = heat.locator("tbody tr").first
    expect(monday.locator("td").nth(10)).to_have_text("2")
    expect(monday.locator("td").nth(10)).to_have_class("stats-heat__cell stats-heat__cell--5")
    expect(by_id(page, "statistics-status")).to_contain_text("Asia/Seoul")
    canvas = Image.open(io.BytesIO(by_id(page, "statistics-chart-days").screenshot()))
    colours = canvas.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 20, "the day chart's canvas is blank"
    page.evaluate("window.scrollTo(0, 0)")
    keep(page, "statistics-1280-en")
    assert page.rs_csp == []  # type: ignore[attr-defined]


def test_korean_at_full_hd_and_the_export_reads_back(open_admin) -> None:
    """In Korean the cards, charts and tables speak Korean; the Excel export downloads with
    Korean sheet names and the same numbers."""
    page = open_admin(FULL_HD, locale="ko-KR")
    page.get_by_test_id("language-select").select_option("ko")
    show_january(page)
    expect(page.locator("#statistics-title")).to_have_text("이용 통계")
    assert chart(page, "features")["labels"] == ["화면 공유", "원격 제어", "파일", "통화"]
    expect(by_id(page, "statistics-heatmap").locator("tbody th").first).to_have_text("월")
    keep(page, "statistics-1920-ko")
    with page.expect_download() as download:
        by_id(page, "statistics-export").click()
    saved = download.value
    assert saved.suggested_filename == "statistics-2025-01-01-2025-01-31.xlsx"
    book = load_workbook(io.BytesIO(Path(saved.path()).read_bytes()))
    assert book.sheetnames[:3] == ["요약", "일별", "상담원별"]
    agents = list(book["상담원별"].iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[2]) for row in agents] == [("alice", 4), ("bob", 2)]
    expect(by_id(page, "statistics-status")).to_contain_text("statistics-2025-01-01")


def test_a_late_utc_session_counts_on_the_next_day_in_seoul(open_admin) -> None:
    """The page sends the browser's zone: 23:30 UTC on 3 February counts on 4 February (in
    Tuesday's 8 o'clock cell), and the page names the zone."""
    page = open_admin(WIDE)
    by_id(page, "statistics-from").fill("2025-02-01")
    by_id(page, "statistics-to").fill("2025-02-28")
    by_id(page, "statistics-show").click()
    expect(by_id(page, "statistics-tile-sessions")).to_contain_text("1")
    expect(by_id(page, "statistics-status")).to_contain_text("Days and hours in Asia/Seoul.")
    assert chart(page, "days")["data"][0][2:4] == [0, 1]  # in UTC it would be [1, 0]
    tuesday = by_id(page, "statistics-heatmap").locator("tbody tr").nth(1)
    expect(tuesday.locator("td").nth(8)).to_have_text("1")


def test_the_page_rules_in_chromium(open_admin) -> None:
    """statistics_model.js: presets end today, a reversed period is no query, durations read
    as people say them, and the busiest hour is always the darkest level."""
    page = open_admin(WIDE)
    found = page.evaluate(
        """async () => {
          const m = await import("/ui/admin/statistics_model.js");
          const { i18n } = await import("/ui/common/i18n.js");
          const t = (key, params) => i18n.t(key, params);
          return {
            preset: m.presetRange("30", new Date(2026, 2, 31)),
            leap: m.presetRange("365", new Date(2024, 11, 31)),
            reversed: m.statisticsQuery({ from: "2026-02-01", to: "2026-01-31" }),
            query: m.statisticsQuery({ from: "2026-01-01", to: "2026-01-31", agent: " bob ",
                                       tz: "Asia/Seoul" }, { lang: "ko" }),
            durations: [0, 65, 1800, 5 * 3600 + 125, 3_600_000].map(
              (s) => m.compactDuration(s, t, "en")),
            levels: [0, 1, 5, 9, 10].map((n) => m.heatLevel(n, 10)),
            gap: m.chartSeries({ days: [{ date: "2026-01-01", sessions: 0,
              average_duration_s: 0 }], agents: [], features: {}, reservations: null })
              .days.series.average_min,
          };
        }"""
    )
    assert found["preset"] == {"from": "2026-03-02", "to": "2026-03-31"}
    assert found["leap"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert found["reversed"] is None
    assert found["query"] == "from=2026-01-01&to=2026-01-31&tz=Asia%2FSeoul&agent=bob&lang=ko"
    assert found["durations"] == ["–", "1 min 5 s", "30 min", "5 h 2 min", "1,000 h 0 min"]
    assert found["levels"] == [0, 1, 3, 5, 5]
    assert found["gap"] == [None]
