"""``--hub`` and ``--hub-password-file``: what they accept and the errors they give."""

from __future__ import annotations

import pytest

from relay_server.hub.choice import PASSWORD_ENV, HubChoice, parse_hub


@pytest.mark.parametrize(
    ("hub", "password_file", "problem"),
    [
        ("memcached://x", None, "give local or redis://"),
        ("redis://:secret@127.0.0.1:6379/0", None, "no password in the URL"),
        ("redis://127.0.0.1:notaport/0", None, "not a Redis URL"),
        ("local", "pw", "is for a Redis hub"),
        ("redis://127.0.0.1:6379/0", "/nonexistent/pw", "--hub-password-file"),
    ],
)
def test_a_bad_hub_choice_is_refused_with_its_reason(hub, password_file, problem, tmp_path):
    """Each malformed --hub is refused with a message naming the problem."""
    from pathlib import Path

    path = Path(password_file) if password_file == "/nonexistent/pw" else None
    if password_file == "pw":
        path = tmp_path / "pw"
        path.write_text("x\n")
    with pytest.raises(ValueError, match=problem):
        parse_hub(hub, path)


def test_the_hub_is_local_by_default_and_redis_reads_its_password_file(tmp_path, monkeypatch):
    """No --hub is the local hub; a Redis URL takes its password from the file's first line,
    else from the environment."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    assert parse_hub(None) == HubChoice("local")
    secret = tmp_path / "pw"
    secret.write_text("s3cret\nignored\n")
    url = "redis://127.0.0.1:6379/0"
    assert parse_hub(url, secret) == HubChoice("redis", url, "s3cret")
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert parse_hub(url).password == "from-env"
