"""--store, --data and --store-password-file: which store the relay opens, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_server.store.choice import PASSWORD_ENV, parse_choice


def test_data_alone_means_tinydb_in_that_folder():
    """Without --store, --data is the TinyDB folder, as before the store interface."""
    choice = parse_choice(None, Path("here"))
    assert (choice.kind, choice.folder, choice.password) == ("tinydb", Path("here"), None)
    assert parse_choice("tinydb:./elsewhere", Path("here")).folder == Path("elsewhere")


def test_a_postgresql_url_keeps_data_for_the_files_and_reads_the_password_file(tmp_path):
    """The URL is the database, --data the local files; the password comes from its file."""
    secret = tmp_path / "password"
    secret.write_text("s3cret\nignored\n")
    choice = parse_choice("postgresql://relay@db:5432/relay", tmp_path / "data", secret)
    assert (choice.kind, choice.target) == ("postgresql", "postgresql://relay@db:5432/relay")
    assert (choice.folder, choice.password) == (tmp_path / "data", "s3cret")


def test_the_password_may_come_from_the_environment(monkeypatch):
    """$REMOTESALES_STORE_PASSWORD when there is no password file."""
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert parse_choice("postgres://relay@db/relay", Path("d")).password == "from-env"


@pytest.mark.parametrize(
    ("store", "password_file", "message"),
    [
        ("postgresql://relay:secret@db/relay", None, "no password in the URL"),
        ("mysql://relay@db/relay", None, "give tinydb:<folder> or postgresql://"),
        ("tinydb:", None, "needs a folder"),
        ("tinydb:./data", Path("pw"), "for a PostgreSQL store"),
        ("postgresql://relay@db/relay", Path("/nonexistent/pw"), "--store-password-file"),
    ],
)
def test_bad_choices_are_refused_with_the_reason(store, password_file, message):
    """A password in the URL (process lists show it), another scheme, an empty folder, a
    password file for TinyDB or one that cannot be read: a ValueError saying so."""
    with pytest.raises(ValueError, match=message):
        parse_choice(store, Path("data"), password_file)
