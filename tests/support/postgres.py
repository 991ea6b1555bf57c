"""A throwaway PostgreSQL server for tests and benchmarks: ``initdb`` + ``postgres`` from the
Debian package (scripts/test installs ``postgresql``), as the current user, in a temporary
folder, on a free loopback port, its unix socket in that folder; no system service.
PostgreSQL refuses to run as root: under root (CI containers) it runs as the package's
``postgres`` user (else ``nobody``), which then owns the folder.

Password authentication (scram) as in production: the relay gets the URL without the
password and ``--store-password-file``. Start one per test module or session (``initdb``
takes a couple of seconds) and give each test its own database (:meth:`create_database`).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port

START_TIMEOUT_S = 30.0
USER = "relay"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_major)
    return Path(found[-1]).parent if found else None


def _major(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot run here, or None."""
    if postgres_bin() is None:
        return "PostgreSQL (Debian package postgresql) is not installed"
    return None


@dataclass
class PostgresServer:
    folder: Path
    port: int
    password_file: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    databases: list[str] = field(default_factory=list)

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = "postgres") -> str:
        """The database's URL without its password (the relay reads the password file)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def store_args(self, database: str) -> tuple[str, ...]:
        return ("--store", self.url(database), "--store-password-file", str(self.password_file))

    def create_database(self, prefix: str = "relay", template: str | None = None) -> str:
        """A new empty database (or a copy of the database ``template``, which nobody may be
        connected to); returns its name."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        self.sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        self.databases.append(name)
        return name

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(database), password=self.password, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, immediate: bool = False) -> None:
        """Stop the server: a fast shutdown (SIGINT; SIGTERM's "smart" one would wait for
        clients), or with ``immediate`` (SIGQUIT) no shutdown checkpoint either, for a server
        whose files are deleted next (seconds of disk writes saved on a loaded machine)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _as_user(folder: Path) -> list[str]:
    """The command prefix that drops root for PostgreSQL (after giving it ``folder``)."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        for path in (folder, *folder.rglob("*")):
            os.chown(path, user.pw_uid, user.pw_gid)
        return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    raise RuntimeError("running as root and no postgres or nobody user to run PostgreSQL as")


@contextmanager
def running_postgres(durable: bool = True) -> Iterator[PostgresServer]:
    """Start a fresh cluster in a new folder of /tmp (which a dropped-root server can reach,
    unlike pytest's 0700 folders); stopped and its files removed on exit.

    ``durable=False`` turns ``fsync`` and ``synchronous_commit`` off: a commit is as visible
    and as atomic, only not flushed to the disk before the answer; for the test suite's
    server, which no test expects to survive the machine's crash (benchmarks keep the
    default: production's commit cost)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError(postgres_missing() or "no PostgreSQL")
    folder = Path(tempfile.mkdtemp(prefix="relay-postgres-"))
    data = folder / "cluster"
    password_file = folder / "password"
    password_file.write_text(secrets.token_urlsafe(12) + "\n")
    password_file.chmod(0o600)
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    as_user = _as_user(folder)
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256",
         f"--pwfile={password_file}", "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    port = free_port()
    speed = [] if durable else ["-c", "fsync=off", "-c", "synchronous_commit=off"]
    log_path = folder / "postgres.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*as_user, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}",
             "-c", "max_connections=50", "-c", "shared_buffers=32MB", *speed],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    server = PostgresServer(folder, port, password_file, process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"postgres exited at start:\n{server.log_text()}")
            try:
                server.sql("SELECT 1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not start:\n{server.log_text()}") from None
                time.sleep(0.1)  # polling the server's readiness, not a fixed wait
        yield server
    finally:
        server.stop(immediate=True)
        shutil.rmtree(folder, ignore_errors=True)
