"""The viewer's pure parts: the ticket trailer, platform guessing, received file names."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from relay_server.viewer.builds import ViewerBuilds, build_file_name, platform_from_user_agent
from suite.viewer.app import ViewerBridge, message_page, viewer_url
from suite.viewer.received_files import ReceivedFiles
from suite.viewer.redeem import Seat
from suite.viewer.self_delete import SelfDeleter
from suite.viewer.ticket_trailer import (
    MAX_PAYLOAD_BYTES,
    TRAILER_MAGIC,
    TrailerError,
    encode_trailer,
    parse_trailer,
    read_trailer,
)

PYINSTALLER_COOKIE = b"MEI\014\013\012\013\016"


def test_a_trailer_round_trips_through_a_file(tmp_path: Path) -> None:
    """The ticket appended to an executable is read back from the file's end."""
    program = tmp_path / "viewer"
    program.write_bytes(b"\x7fELF" + b"\0" * 50_000 + PYINSTALLER_COOKIE + b"archive-end")
    with program.open("ab") as file:
        file.write(encode_trailer("https://relay.example:8470", "t" * 43))
    payload = read_trailer(program)
    assert payload == {"v": 1, "relay_url": "https://relay.example:8470", "ticket": "t" * 43}


def test_the_trailer_never_holds_the_bootloaders_cookie() -> None:
    """PyInstaller's bootloader searches backwards for its cookie: the trailer must not hold it."""
    trailer = encode_trailer("http://a\x0c\x0b\n\x0b\x0e", "MEI\014\013\012\013\016")
    assert PYINSTALLER_COOKIE not in trailer
    assert trailer.endswith(TRAILER_MAGIC)


@pytest.mark.parametrize(
    "tail",
    [
        b"",
        b"no trailer here",
        b"{}" + (2).to_bytes(4, "little") + TRAILER_MAGIC,  # not the ticket's fields
        b"xx" + (2).to_bytes(4, "little") + TRAILER_MAGIC,  # not JSON
        b"{}" + (10**6).to_bytes(4, "little") + TRAILER_MAGIC,  # length past the file
        b'{"v":2,"relay_url":"u","ticket":"t"}' + (36).to_bytes(4, "little") + TRAILER_MAGIC,
    ],
)
def test_a_missing_or_damaged_trailer_is_a_clear_error(tail: bytes) -> None:
    """Anything but a valid version-1 ticket raises TrailerError with a reason."""
    with pytest.raises(TrailerError):
        parse_trailer(tail)


def test_an_oversized_ticket_is_refused_when_written() -> None:
    with pytest.raises(TrailerError):
        encode_trailer("http://" + "a" * MAX_PAYLOAD_BYTES, "t")


@pytest.mark.parametrize(
    ("user_agent", "platform"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140", "windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605", "macos"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156", "linux"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari", None),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15", None),
        ("curl/8.0", None),
    ],
)
def test_platform_from_user_agent(user_agent: str, platform: str | None) -> None:
    """Desktop systems map to a build; phones and tablets to none (the browser viewer)."""
    assert platform_from_user_agent(user_agent) == platform


def test_viewer_builds_lists_what_the_folder_holds(tmp_path: Path) -> None:
    (tmp_path / build_file_name("linux")).write_bytes(b"x")
    (tmp_path / build_file_name("windows")).write_bytes(b"y")
    builds = ViewerBuilds(tmp_path)
    assert builds.available() == ["linux", "windows"]
    assert builds.find("windows").download_name == "RemoteSales-Viewer.exe"
    assert builds.find("macos") is None and builds.find("../etc") is None
    assert ViewerBuilds(None).available() == []


def test_self_deleter_removes_its_target_once_and_only_when_armed(tmp_path: Path) -> None:
    """Disarmed (relay unreachable) it keeps the file; armed it removes it once."""
    target = tmp_path / "viewer"
    target.write_bytes(b"x")
    deleter = SelfDeleter(target)
    assert deleter.delete() and target.exists()  # not armed yet
    deleter.enabled = True
    assert deleter.delete() and not target.exists()
    target.write_bytes(b"again")
    assert deleter.delete() and target.exists()  # once only
    assert SelfDeleter(None).delete()  # from source: nothing to remove


class RecordingWindow:
    """The pywebview window's two methods the bridge uses (the edge of the program)."""

    def __init__(self) -> None:
        self.destroyed = threading.Event()
        self.fullscreen_toggles = 0

    def destroy(self) -> None:
        self.destroyed.set()

    def toggle_fullscreen(self) -> None:
        self.fullscreen_toggles += 1


def test_the_bridge_closes_the_window_after_the_end_notice_once(tmp_path: Path) -> None:
    """session_over closes the window after the grace period; a second report changes nothing."""
    bridge = ViewerBridge(0.05, ReceivedFiles(tmp_path), started=0.0)
    window = RecordingWindow()
    bridge.attach(window)
    bridge.toggle_fullscreen()
    assert window.fullscreen_toggles == 1
    bridge.session_over("ended")
    bridge.session_over("lost")
    assert bridge.over_kind == "ended"
    assert window.destroyed.wait(5)


def test_the_viewer_url_carries_the_session_in_the_fragment_only() -> None:
    url = viewer_url("https://relay.example/", Seat("S1", "tok/+=", "Alice"))
    page, _, fragment = url.partition("#")
    assert page == "https://relay.example/view/native"
    assert fragment == "rs-native=1&session_id=S1&customer_token=tok%2F%2B%3D"


def test_message_pages_escape_their_text() -> None:
    html = message_page("<t>", ("a <b>", "ko"), None)
    assert "<b>" not in html and "a &lt;b&gt;" in html and "<script" not in html
