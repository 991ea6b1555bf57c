"""The one-time viewer program saves a file the agent sent (P4 in the one-time viewer), and
the whiteboard as a BMP (CH3).

The program's bridge (``ViewerBridge.receive_file``, what the page calls for Download) with its
real relay client against a real relay: the agent app's uploader sends, the viewer program
streams the file into its folder, checks it, and never overwrites.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from suite.files.client import FileTransferClient, FileTransferError
from suite.viewer.app import ViewerBridge
from suite.viewer.received_files import ReceivedFiles
from tests.support.conversation import start_conversation
from tests.support.whiteboard import get_bmp, open_whiteboard, rect, update


def test_the_viewer_program_saves_what_the_agent_sent(relay, tmp_path: Path) -> None:
    talk = start_conversation(relay)
    try:
        agent = FileTransferClient(relay.url, f"Bearer {talk.token}")
        viewer_files = FileTransferClient(relay.url, f"Customer {talk.joined['customer_token']}")
        folder = tmp_path / "Downloads" / "RemoteSales"
        bridge = ViewerBridge(60, ReceivedFiles(folder), started=0.0, files=viewer_files)
        data = bytes(range(256)) * 4096  # 1 MiB
        source = tmp_path / "offer.pdf"
        source.write_bytes(data)
        first = agent.send(talk.session_id, source)
        assert first["sha256"] == hashlib.sha256(data).hexdigest()

        saved = Path(bridge.receive_file(first))
        assert saved == folder / "offer.pdf"
        assert saved.read_bytes() == data
        second = agent.send(talk.session_id, source)
        assert Path(bridge.receive_file(second)).name == "offer (1).pdf", "never overwrites"
        assert sorted(p.name for p in folder.iterdir()) == ["offer (1).pdf", "offer.pdf"]

        # What the page passes is checked before anything is fetched.
        for bad in (None, "x", {**first, "id": "../x"}, {**first, "sha256": "00"},
                    {**first, "size": -1}, {**first, "name": ""}):  # fmt: skip
            with pytest.raises(ValueError):
                bridge.receive_file(bad)
        # Another session's transfer id: the relay refuses, nothing is kept.
        with pytest.raises(FileTransferError):
            bridge.receive_file({**first, "id": "A" * 22})
        assert sorted(p.name for p in folder.iterdir()) == ["offer (1).pdf", "offer.pdf"]
        # A program without a relay connection says so.
        with pytest.raises(ValueError, match="no relay connection"):
            ViewerBridge(60, ReceivedFiles(folder), started=0.0).receive_file(first)
    finally:
        talk.agent.close()
        talk.customer.close()


def test_the_viewer_program_saves_the_whiteboard_as_bmp_and_says_where(
    relay, tmp_path: Path
) -> None:
    """``ViewerBridge.save_whiteboard_bmp`` (Save as BMP in the program) writes the relay's BMP
    into the received-files folder as whiteboard-<n>.bmp, never overwriting, and returns the
    path; a bad board number and a session without a board are refused and leave nothing."""
    talk = start_conversation(relay)
    try:
        authorization = f"Customer {talk.joined['customer_token']}"
        viewer_files = FileTransferClient(relay.url, authorization)
        folder = tmp_path / "Downloads" / "RemoteSales"
        bridge = ViewerBridge(
            60,
            ReceivedFiles(folder),
            started=0.0,
            files=viewer_files,
            relay_url=relay.url,
            session_id=talk.session_id,
        )
        with pytest.raises(FileTransferError) as refused:
            bridge.save_whiteboard_bmp(1)
        assert refused.value.code == "whiteboard_not_found"
        assert not folder.exists() or not any(folder.iterdir()), "nothing kept"

        opened = open_whiteboard(talk.agent, [talk.customer])
        update(talk.agent, opened["board"], rect("r1"))
        talk.customer.recv_type("whiteboard_updated")
        status, relay_bmp = get_bmp(relay.url, talk.session_id, authorization)
        assert status == 200 and relay_bmp.startswith(b"BM")
        first = Path(bridge.save_whiteboard_bmp(opened["board"]))
        assert first == folder / f"whiteboard-{opened['board']}.bmp"
        assert first.read_bytes() == relay_bmp
        second = Path(bridge.save_whiteboard_bmp(opened["board"]))
        assert second.name == f"whiteboard-{opened['board']} (1).bmp", "never overwrites"

        for bad in (0, -1, True, "1", None, 1.5):
            with pytest.raises(ValueError, match="number"):
                bridge.save_whiteboard_bmp(bad)  # type: ignore[arg-type]
        assert len(list(folder.iterdir())) == 2
        with pytest.raises(ValueError, match="no relay connection"):
            ViewerBridge(60, ReceivedFiles(folder), started=0.0).save_whiteboard_bmp(1)
    finally:
        talk.agent.close()
        talk.customer.close()
