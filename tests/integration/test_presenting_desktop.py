"""The desktop while presenting (A8): the X11 wallpaper and openbox's outlines, before, during
and after, on a private Xvfb (suite/agent/app/presenting_desktop.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from suite.agent.app.presenting_desktop import PLAIN_BACKGROUND, PresentingDesktop
from tests.support.waiting import wait_until
from tests.support.wallpaper import photo_like, root_pixels, root_pixmap_property, set_wallpaper
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

W, H = 640, 400
PLAIN_BGR = [PLAIN_BACKGROUND & 0xFF, (PLAIN_BACKGROUND >> 8) & 0xFF, PLAIN_BACKGROUND >> 16]


@pytest.fixture(scope="module")
def display() -> Iterator[Xvfb]:
    with Xvfb(W, H) as xvfb:
        add_local_xauth_entry(xvfb)
        yield xvfb


@pytest.fixture(autouse=True)
def x_environment(display, monkeypatch) -> None:
    """python-xlib reads the Xauthority file from this process's environment."""
    monkeypatch.setenv("DISPLAY", display.display)
    monkeypatch.setenv("XAUTHORITY", str(display.xauthority))


def _desktop(env: dict[str, str], folder: Path, **options: bool) -> PresentingDesktop:
    return PresentingDesktop(lambda: options, folder, env)


def test_wallpaper_is_plain_while_presenting_and_back_after(display, tmp_path) -> None:
    """A feh-style root pixmap wallpaper becomes a plain colour on begin() (its properties
    removed) and comes back pixel for pixel on end(); a second end() changes nothing."""
    env = display.env()
    picture = photo_like(W, H)
    pixmap = set_wallpaper(env, picture)
    before = root_pixels(env)
    assert np.array_equal(before[..., :3], picture[..., :3])

    desktop = _desktop(env, tmp_path, hide_wallpaper=True)
    desktop.begin()
    during = root_pixels(env)
    assert (during[..., :3] == PLAIN_BGR).all()
    assert root_pixmap_property(env) is None
    assert json.loads((tmp_path / "presenting-desktop.json").read_text())["x11_wallpaper"]

    desktop.end()
    after = root_pixels(env)
    assert np.array_equal(after, before)
    assert root_pixmap_property(env) == pixmap
    assert not (tmp_path / "presenting-desktop.json").exists()
    desktop.end()
    assert np.array_equal(root_pixels(env), before)


def test_a_run_that_died_while_presenting_is_put_back_at_the_next_start(display, tmp_path):
    """What begin() changed is kept on disk; a new PresentingDesktop's recover() puts the
    wallpaper back (the app died while presenting and starts again)."""
    env = display.env()
    set_wallpaper(env, photo_like(W, H, seed=3))
    before = root_pixels(env)
    _desktop(env, tmp_path, hide_wallpaper=True).begin()  # and never end()
    assert not np.array_equal(root_pixels(env), before)
    _desktop(env, tmp_path, hide_wallpaper=True).recover()
    assert np.array_equal(root_pixels(env), before)


def test_without_the_option_or_a_known_wallpaper_nothing_changes(display, tmp_path) -> None:
    """hide_wallpaper off leaves the wallpaper; a root without _XROOTPMAP_ID (nothing the app
    could put back) is left alone even with it on."""
    env = display.env()
    set_wallpaper(env, photo_like(W, H, seed=5))
    before = root_pixels(env)
    desktop = _desktop(env, tmp_path, hide_wallpaper=False)
    desktop.begin()
    assert np.array_equal(root_pixels(env), before)
    desktop.end()

    subprocess.run(["xsetroot", "-solid", "#804020"], env=env, check=True)
    # xsetroot leaves the properties of the old pixmap: remove them as a fresh desktop has none.
    subprocess.run(["xprop", "-root", "-remove", "_XROOTPMAP_ID"], env=env, check=True)
    subprocess.run(["xprop", "-root", "-remove", "ESETROOT_PMAP_ID"], env=env, check=True)
    solid = root_pixels(env)
    desktop = _desktop(env, tmp_path, hide_wallpaper=True)
    desktop.begin()
    assert np.array_equal(root_pixels(env), solid)
    assert not (tmp_path / "presenting-desktop.json").exists()
    desktop.end()


@pytest.mark.skipif(not shutil.which("openbox"), reason="openbox is not installed")
def test_openbox_resizes_in_outline_while_presenting(display, tmp_path) -> None:
    """With outlines on, the running openbox's rc.xml says drawContents no during the
    presentation (openbox reconfigured, still running) and its own value again after."""
    env = display.env()
    rc = tmp_path / "rc.xml"
    rc.write_text(
        '<?xml version="1.0"?>\n<openbox_config xmlns="http://openbox.org/3.4/rc">\n'
        "  <resize>\n    <drawContents>yes</drawContents>\n  </resize>\n</openbox_config>\n"
    )
    openbox = subprocess.Popen(
        ["openbox", "--sm-disable", "--config-file", str(rc)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def config_published() -> bool:
            out = subprocess.run(
                ["xprop", "-root", "_OB_CONFIG_FILE"], env=env, capture_output=True, text=True
            ).stdout
            return str(rc) in out

        wait_until(config_published, "openbox publishing its rc.xml", 10)
        state = tmp_path / "state"
        state.mkdir()
        desktop = _desktop(env, state, hide_wallpaper=False, outlines_while_moving=True)
        desktop.begin()
        assert "<drawContents>no</drawContents>" in rc.read_text()
        desktop.end()
        assert "<drawContents>yes</drawContents>" in rc.read_text()
        assert openbox.poll() is None, "openbox survived its reconfigurations"
    finally:
        openbox.terminate()
        openbox.wait(timeout=10)


@pytest.mark.skipif(not shutil.which("gsettings"), reason="gsettings is not installed")
def test_gnome_picture_options_are_none_while_presenting(tmp_path) -> None:
    """On GNOME (XDG_CURRENT_DESKTOP) the background's picture-options is 'none' between
    begin() and end(), and the agent's own value again after (a keyfile GSettings backend in
    a temporary folder stands in for the desktop's dconf)."""
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_CURRENT_DESKTOP": "ubuntu:GNOME", "GSETTINGS_BACKEND": "keyfile",
    }  # fmt: skip

    def picture_options() -> str:
        return subprocess.run(
            ["gsettings", "get", "org.gnome.desktop.background", "picture-options"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    subprocess.run(
        ["gsettings", "set", "org.gnome.desktop.background", "picture-options", "spanned"],
        env=env, check=True,
    )  # fmt: skip
    state = tmp_path / "state"
    state.mkdir()
    desktop = PresentingDesktop(lambda: {"hide_wallpaper": True}, state, env)
    desktop.begin()
    assert picture_options() == "'none'"
    desktop.end()
    assert picture_options() == "'spanned'"
