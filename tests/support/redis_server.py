"""A throwaway Redis server for tests and benchmarks: ``redis-server`` from the Debian package
(scripts/test installs ``redis-server``) as the current user, in a temporary folder, on a free
loopback port, with a password (``requirepass``) as in production; no system service, nothing
saved to disk.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

START_TIMEOUT_S = 15.0


def redis_missing() -> str | None:
    """Why Redis cannot run here, or None."""
    if shutil.which("redis-server") is None:
        return "Redis (Debian package redis-server) is not installed"
    return None


@dataclass
class RedisServer:
    folder: Path
    port: int
    password_file: Path
    process: subprocess.Popen[bytes]

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, db: int = 0) -> str:
        """The URL without the password (the relay reads the password file)."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def hub_args(self, db: int = 0) -> tuple[str, ...]:
        return ("--hub", self.url(db), "--hub-password-file", str(self.password_file))

    def client(self, db: int = 0):  # a redis.Redis, for tests that look inside
        import redis

        return redis.Redis.from_url(self.url(db), password=self.password, decode_responses=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def run_redis(databases: int = 16) -> Iterator[RedisServer]:
    """Start redis-server on a free loopback port in a temporary folder; stop it after.

    ``databases``: how many numbered databases it has (Redis's default 16); the suite's
    ``--relay-hub redis`` run gives every relay it starts a database of its own."""
    folder = Path(tempfile.mkdtemp(prefix="redis-"))
    password = secrets.token_urlsafe(16)
    password_file = folder / "password"
    password_file.write_text(password + "\n")
    port = free_port()
    config = folder / "redis.conf"
    config.write_text(
        f'port {port}\nbind 127.0.0.1\ndir {folder}\nsave ""\nappendonly no\n'
        f"requirepass {password}\nlogfile {folder / 'redis.log'}\ndaemonize no\n"
        f"databases {databases}\n"
    )
    process = subprocess.Popen(["redis-server", str(config)], stdout=subprocess.DEVNULL)
    server = RedisServer(folder, port, password_file, process)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(server: RedisServer) -> None:
    import redis

    deadline = time.monotonic() + START_TIMEOUT_S
    client = server.client()
    while True:
        if server.process.poll() is not None:
            log = server.folder / "redis.log"
            raise RuntimeError(f"redis-server exited: {log.read_text() if log.exists() else ''}")
        try:
            if client.ping():
                return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)  # polling a starting server: there is no event to wait on
