"""The relay's side of the history export: one child process per export, streamed out.

:class:`ExportRunner` starts ``export-history`` (:mod:`relay_server.history.export`) with the
sessions' record locations on its stdin and hands its stdout to the HTTP response in chunks.
The child does all the work (reading the month files, building the workbook) in its own
interpreter, at a lower priority: the relay's event loop only moves 64 KiB chunks.

- At most ``max_running`` exports run at once relay-wide; one more is ``429 export_busy``.
- A child that fails before its first byte is ``500 export_failed`` (its stderr logged); one
  that fails later cuts the response short (no final chunk: clients see a truncated download,
  never a complete-looking file).
- A client that goes away mid-download closes the response's iterator: the child is killed.

The child writes nothing to disk but an anonymous temporary file (sheet 1's rows), which the
system removes when it exits, killed or not.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import gevent
from gevent import subprocess

from relay_server.errors import Refused

logger = logging.getLogger(__name__)

MAX_RUNNING_EXPORTS = 2
CHUNK_BYTES = 64 * 1024
BUSY_RETRY_S = 10.0


def export_command() -> list[str]:
    """How to start ``export-history``: the one-file build is its own interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "export-history"]
    return [sys.executable, "-m", "relay_server", "export-history"]


class ExportRunner:
    """Runs the history exports of one relay.

    Args:
        data_dir: the relay's data folder (the child reads ``history/`` in it).
        max_running: exports at once; one more is refused.
        command: the child's command before its arguments (tests give a failing one).
        database: a PostgreSQL store's ``(url, password)``: the child reads the records there
            (the password through its environment, never its arguments).
    """

    def __init__(
        self,
        data_dir: Path,
        max_running: int = MAX_RUNNING_EXPORTS,
        command: list[str] | None = None,
        database: tuple[str, str | None] | None = None,
    ):
        self.data_dir = data_dir.resolve()
        self.max_running = max_running
        self.command = command or export_command()
        self.database = database
        self.running = 0

    def start(self, job: Iterable[bytes], tz_offset_min: int, lang: str) -> ExportBody:
        """Start an export of ``job`` (its stdin) and wait for its first bytes.

        Returns:
            the response body: the workbook's bytes as the child writes them; its ``close()``
            stops the child if it still runs.

        Raises:
            Refused: ``export_busy`` (``max_running`` already run), ``export_failed``.
        """
        if self.running >= self.max_running:
            raise Refused(
                "export_busy",
                f"{self.max_running} exports are being built; try again in a minute",
                retry_after_s=BUSY_RETRY_S,
            )
        self.running += 1
        try:
            child, errors = self._spawn(tz_offset_min, lang)
        except BaseException:
            self.running -= 1
            raise
        feeder = gevent.spawn(_feed, child, job)
        try:
            first = child.stdout.read(CHUNK_BYTES)
            if not first:
                child.wait()
                raise Refused("export_failed", _failure(child.returncode, errors))
        except BaseException:
            _finish(child, feeder, errors)
            self.running -= 1
            raise
        return ExportBody(self, child, feeder, errors, first)

    def _spawn(self, tz_offset_min: int, lang: str) -> tuple[subprocess.Popen, object]:
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _finish
        store_args: list[str] = []
        env = None
        if self.database is not None:
            url, password = self.database
            store_args = ["--store", url]
            if password is not None:
                env = {**os.environ, "REMOTESALES_STORE_PASSWORD": password}
        try:
            child = subprocess.Popen(
                [*self.command, "--data", str(self.data_dir), *store_args,
                 "--tz-offset-min", str(tz_offset_min), "--lang", lang],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env,
            )  # fmt: skip
        except OSError as error:
            errors.close()
            logger.error("history export could not start: %s", error)
            raise Refused(
                "export_failed", "the export could not start; see the relay's log"
            ) from None
        return child, errors


class ExportBody:
    """The response body of one export: the child's bytes as it writes them.

    The WSGI server calls :meth:`close` in every case (sent, failed, the client gone, or never
    started), which stops the child and frees the export's place: a generator's ``finally``
    would not run for a body that was never iterated.
    """

    def __init__(self, runner: ExportRunner, child: subprocess.Popen, feeder, errors, first: bytes):
        self._runner = runner
        self._child, self._feeder, self._errors = child, feeder, errors
        self._first = first
        self._started = time.monotonic()
        self._sent = 0
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        chunk = self._first
        while chunk:
            self._sent += len(chunk)
            yield chunk
            chunk = self._child.stdout.read(CHUNK_BYTES)
        if self._child.wait() != 0:
            message = _failure(self._child.returncode, self._errors)
            logger.error("history export cut short after %d bytes: %s", self._sent, message)
            # Raising ends the response without its last chunk: the client sees it cut.
            raise RuntimeError(f"history export failed: {message}")
        logger.info(
            "history exported",
            extra={"bytes": self._sent, "seconds": round(time.monotonic() - self._started, 2)},
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._child.poll() is None:
            logger.info("history export stopped: the client went away after %d bytes", self._sent)
        _finish(self._child, self._feeder, self._errors)
        self._runner.running -= 1


def _feed(child: subprocess.Popen, job: Iterable[bytes]) -> None:
    try:
        for chunk in job:
            child.stdin.write(chunk)
            gevent.sleep(0)  # the job is made in the event loop: let chat in between
        child.stdin.close()
    except OSError:  # the child died first; its exit status tells why
        pass


def _finish(child: subprocess.Popen, feeder: gevent.Greenlet, errors) -> None:
    """Kill the child if it still runs, reap it, close its pipes and its stderr file."""
    if child.poll() is None:
        child.kill()
    child.wait()
    feeder.kill()
    for pipe in (child.stdin, child.stdout):
        try:
            pipe.close()
        except OSError:
            pass
    errors.close()


def _failure(status: int | None, errors) -> str:
    """The child's exit in one line, with the last line it wrote on stderr (logged)."""
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    last = lines[-1] if lines else ""
    logger.error("history export exited with %s: %s", status, last or "(no message)")
    return "the export could not be built; see the relay's log"
