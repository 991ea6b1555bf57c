"""What the agent app imports before its main window: not the presenter, recorder or codecs.

The main window's local API (suite.agent.app.local_api) only needs the recordings' folder and
names; PyAV, numpy and the presenter's loop are for presenting and recording, in the presenter
child process. Imported at start they cost about half of the app's import time (frozen and
from an image, every library is read from disk first: docs/builds.md).
"""

from __future__ import annotations

import subprocess
import sys

from tests.support.relay import REPO_ROOT

NOT_AT_START = ("av", "numpy", "suite.agent.presenter.loop", "suite.recording.recorder")


def test_the_main_windows_modules_do_not_load_the_presenter_or_codecs() -> None:
    probe = (
        "import sys, suite.agent.app.local_api, suite.agent.app.local_server\n"
        f"print(' '.join(m for m in {NOT_AT_START!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [], result.stdout


def test_the_proxy_password_store_looks_up_the_keyring_on_first_use_only() -> None:
    """keyring's backend discovery (every package's entry points; on Linux ldconfig and gcc
    for the macOS backend) is not on the start path: only a proxy password's read or save, or
    the network settings' listing, looks it up (docs/builds.md, "Profile of the start")."""
    probe = (
        "import sys, tempfile\n"
        "from pathlib import Path\n"
        "from suite.agent.app.settings import LocalSettings\n"
        "from suite.agent.app.network_settings import AgentNetwork\n"
        "network = AgentNetwork(LocalSettings(Path(tempfile.mkdtemp())))\n"
        "network.policy()\n"
        "print('keyring' in sys.modules)\n"
        "print(network.passwords.kind in ('keyring', 'file'), 'keyring' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"], result.stdout
