"""Favourite folders and programs in the real agent desktop app under Xvfb (A9, CH7): the chat
window's Favourites menu opens them on the agent's PC through the platform opener, and a
customer's message with a path opens nothing.

The app runs with a recording `xdg-open` first on its PATH (the test's stand-in for the desktop's
opener): each call appends its argument to a file the test reads.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite.agent.app.settings import LocalSettings
from tests.support.agent_app import AgentApp
from tests.support.cdp import by_test_id
from tests.support.desktop_flow import (
    ACCESS_CODE_JS,
    driving,
    main_page,
    open_support_window,
    private_display,
    sign_in,
)
from tests.support.shots import keep_shot, reviewers_folder
from tests.support.waiting import wait_until
from tests.support.xvfb import Xvfb

pytestmark = pytest.mark.e2e

SHOTS = reviewers_folder("favourites-print")
KOREAN_JS = (
    "(() => { const s = document.querySelector('#language-select'); s.value = 'ko';"
    " s.dispatchEvent(new Event('change')); })()"
)


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    yield from private_display()


def recording_opener(folder: Path) -> tuple[Path, Path]:
    """A fake `xdg-open` in `folder` that appends its argument to a log; (bin folder, log)."""
    folder.mkdir(parents=True)
    log = folder / "opened.log"
    script = folder / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder, log


def opened(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_the_favourites_menu_opens_folders_and_programs_and_a_customer_path_opens_nothing(
    xvfb, relay, tmp_path, browser, artifacts_dir: Path
):
    """Open on a favourite folder and a favourite program runs the opener with their stored
    paths; a path a customer writes in the chat stays text and runs nothing."""
    from tests.support.ui_pages import customer_join, open_page

    brochures = tmp_path / "Brochures"
    brochures.mkdir()
    program = tmp_path / "bin" / "calculator"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    settings = LocalSettings(tmp_path / "config")
    settings.update(
        {
            "favourites": [
                {"id": "f1", "kind": "folder", "title": "Brochures", "path": str(brochures)},
                {"id": "p1", "kind": "program", "title": "Calculator", "path": str(program)},
            ]
        }
    )
    settings.close()
    opener_dir, log = recording_opener(tmp_path / "opener")
    path_env = f"{opener_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    app = AgentApp(xvfb, tmp_path, relay_url=relay.url, extra_env={"PATH": path_env}).start()
    with driving(app, artifacts_dir, "desktop-favourites") as windows:
        main = main_page(app)
        windows.pages.append(main)
        sign_in(main)
        main.wait_for_selector(by_test_id("settings-button"))
        main.click(by_test_id("settings-button"))
        main.click(by_test_id("tab-favourites"))
        main.wait_for("document.querySelectorAll('[data-testid=fav-local-item]').length === 2")
        main.evaluate("document.querySelector('[data-testid=fav-local]').scrollIntoView()")
        keep_shot(
            main.screenshot(artifacts_dir / "desktop_settings_favourites_local_en.png"), SHOTS
        )
        main.click("#settings-panel [data-back-home]")

        chat = open_support_window(app, main, windows.pages)
        code = chat.wait_for(ACCESS_CODE_JS)
        customer = open_page(browser, relay.url + "/")
        windows.customers.append(customer)
        customer_join(customer, code, name="Chris Park")
        # A customer's message with a path is text: nothing in it can open anything here.
        for text in (str(brochures), f"file://{brochures}", f"open {program}"):
            customer.get_by_test_id("chat-input").fill(text)
            customer.get_by_test_id("chat-input").press("Enter")
        chat.wait_for(
            "[...document.querySelectorAll('[data-testid=chat-text]')]"
            f".some((n) => n.textContent === {('open ' + str(program))!r})"
        )
        assert chat.evaluate("document.querySelectorAll('#chat-panel a.rs-msg__link').length") == 0
        chat.click(by_test_id("chat-text"))
        chat.wait_for_selector(by_test_id("fav-menu-button"))
        chat.click(by_test_id("fav-menu-button"))
        chat.wait_for("document.querySelectorAll('[data-testid=fav-open]').length === 2")
        keep_shot(chat.screenshot(artifacts_dir / "desktop_chat_favourites_menu_en.png"), SHOTS)
        assert opened(log) == []
        chat.click("[data-testid=fav-open][aria-label='Open: Brochures']")
        wait_until(lambda: opened(log) == [str(brochures)], "the opener got the folder")
        chat.click("[data-testid=fav-open][aria-label='Open: Calculator']")
        wait_until(lambda: opened(log) == [str(brochures), str(program)], "and the program")
        chat.wait_for(
            "document.querySelector('[data-testid=fav-menu-status]').textContent"
            " === 'Opened Calculator on your PC.'"
        )
        chat.evaluate(KOREAN_JS)
        chat.wait_for(
            "document.querySelector('[data-testid=fav-menu-button]').textContent.includes('즐겨찾기')"
        )
        keep_shot(chat.screenshot(artifacts_dir / "desktop_chat_favourites_menu_ko.png"), SHOTS)
        main.evaluate(KOREAN_JS)
        main.click(by_test_id("settings-button"))
        main.click(by_test_id("tab-favourites"))
        main.evaluate("document.querySelector('[data-testid=fav-local]').scrollIntoView()")
        main.wait_for(
            "document.querySelector('[data-testid=tab-favourites]').textContent === '즐겨찾기'"
        )
        keep_shot(
            main.screenshot(artifacts_dir / "desktop_settings_favourites_local_ko.png"), SHOTS
        )
