"""The agent app starts Chromium in the agent's chosen language, so that what Chromium draws
itself (a date field's "연도. 월. 일.") matches the pages; no choice keeps the system's."""

from __future__ import annotations

import pytest

from suite.agent.app.shell import chromium_language_flags


@pytest.mark.parametrize(
    ("language", "flags"),
    [("ko", ["--lang=ko"]), ("en", ["--lang=en"]), ("", []), ("fr", []), ("ko --x", [])],
)
def test_the_chosen_language_becomes_chromiums_locale(language: str, flags: list[str]) -> None:
    """Korean or English chosen: Chromium's --lang; nothing (or anything else): no switch."""
    assert chromium_language_flags(language) == flags
