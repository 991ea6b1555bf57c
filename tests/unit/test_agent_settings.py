"""The agent's local settings: defaults, validation, atomic TinyDB file."""

from __future__ import annotations

import json

import pytest

from suite.agent.app.errors import SettingsError
from suite.agent.app.settings import CONFIG_DIR_ENV, DEFAULTS, LocalSettings, config_dir


def test_defaults_without_a_file(tmp_path):
    """A new folder gives the defaults and writes nothing until something changes."""
    settings = LocalSettings(tmp_path / "new")
    assert settings.get() == DEFAULTS
    assert not (tmp_path / "new" / "settings.json").exists()


def test_update_is_stored_and_survives_reopening(tmp_path):
    """A partial change merges over the rest and is read back by a new instance."""
    settings = LocalSettings(tmp_path)
    messages = [{"key": "/price", "text": "Our price for {customer} is ..."}]
    after = settings.update({"relay_url": "https://relay.example.com", "short_messages": messages})
    assert after["relay_url"] == "https://relay.example.com"
    assert after["verify_tls"] is True
    settings.close()
    again = LocalSettings(tmp_path).get()
    assert again["short_messages"] == messages
    on_disk = json.loads((tmp_path / "settings.json").read_text())
    assert on_disk["settings"]["1"]["relay_url"] == "https://relay.example.com"
    assert not list(tmp_path.glob(".*.tmp")), "the temporary file of the atomic write is left"


BAD = [
    ({"colour": "red"}, "unknown setting"),
    ({"verify_tls": "yes"}, "'verify_tls' must be true or false"),
    ({"relay_url": 5}, "'relay_url' must be a string"),
    ({"network": []}, "'network' must be an object"),
    ({"favourites": {}}, "'favourites' must be a list"),
    ({"short_messages": [{"key": "/a"}]}, "short_messages[0]"),
    ({"short_messages": [{"key": "", "text": "x"}]}, "short_messages[0].key"),
    ({"short_messages": [{"key": "a b", "text": "x"}]}, "spaces"),
    ({"short_messages": [{"key": "/a", "text": "x"}, {"key": "/a", "text": "y"}]}, "used twice"),
    ({"short_messages": [{"key": "/a", "text": ""}]}, "short_messages[0].text"),
    ({"remote_support": []}, "'remote_support' must be an object"),
    ({"remote_support": {"quality": 0}}, "'remote_support.quality' must be a whole number 10-100"),
    ({"remote_support": {"quality": 70.5}}, "'remote_support.quality' must be a whole number"),
    ({"remote_support": {"lossless": 1}}, "'remote_support.lossless' must be true or false"),
    ({"remote_support": {"codec": "gif"}}, "'remote_support.codec' must be one of jpeg, webp"),
    ({"remote_support": {"colors": "16"}}, "'remote_support.colors' must be one of full, 65k"),
    ({"remote_support": {"max_fps": 0}}, "'remote_support.max_fps' must be a number 1-60"),
    ({"remote_support": {"speed": "fast"}}, "'remote_support' has no option 'speed'"),
    ({"received_files_folder": "Received"}, "'received_files_folder' must be a full path"),
    ({"received_files_folder": 3}, "'received_files_folder' must be a string"),
    ({"idle_logout_minutes": -1}, "'idle_logout_minutes' must be a whole number of minutes 0-1440"),
    ({"idle_logout_minutes": 1441}, "'idle_logout_minutes' must be a whole number of minutes"),
    ({"idle_logout_minutes": 2.5}, "'idle_logout_minutes' must be a whole number of minutes"),
    ({"idle_logout_minutes": "30"}, "'idle_logout_minutes' must be a whole number of minutes"),
    ({"idle_logout_minutes": True}, "'idle_logout_minutes' must be a whole number of minutes"),
    ({"attention": []}, "'attention' must be an object"),
    ({"attention": {"sound": "yes"}}, "'attention.sound' must be true or false"),
    ({"attention": {"notifications": 1}}, "'attention.notifications' must be true or false"),
    ({"attention": {"volume": 101}}, "'attention.volume' must be a whole number 0-100"),
    ({"attention": {"volume": 50.5}}, "'attention.volume' must be a whole number 0-100"),
    ({"attention": {"volume": True}}, "'attention.volume' must be a whole number 0-100"),
    ({"attention": {"flash": True}}, "'attention' has no option 'flash'"),
    ({"remote_support": {"preset": "sharp"}}, "'remote_support.preset' must be one of sharp_text"),
    ({"text_size": 120}, "'text_size' must be one of 90, 100, 115, 130"),
    ({"text_size": True}, "'text_size' must be one of"),
    ({"idle_lock_minutes": -5}, "'idle_lock_minutes' must be a whole number of minutes 0-1440"),
    ({"presenting_desktop": []}, "'presenting_desktop' must be an object"),
    ({"presenting_desktop": {"hide_wallpaper": "yes"}}, "'presenting_desktop.hide_wallpaper'"),
    ({"presenting_desktop": {"icons": False}}, "'presenting_desktop' has no option 'icons'"),
]


def test_remote_support_options_are_kept():
    """The A8 options the Remote support tab saves pass the checks as they are."""
    from suite.agent.app.settings import validate  # noqa: PLC0415

    validate({"remote_support": {
        "lossless": False, "quality": 85, "codec": "webp", "colors": "256", "max_fps": 12.5,
    }})  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_changes_are_refused_and_nothing_is_written(tmp_path, change, message):
    """Unknown keys and wrong shapes raise SettingsError naming the problem; the file is kept."""
    settings = LocalSettings(tmp_path)
    settings.update({"username": "alice"})
    before = (tmp_path / "settings.json").read_bytes()
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        settings.update(change)
    assert (tmp_path / "settings.json").read_bytes() == before


def test_config_dir_override(monkeypatch, tmp_path):
    """REMOTESALES_CONFIG_DIR replaces the platform's config folder."""
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    assert config_dir() == tmp_path / "cfg"
    monkeypatch.delenv(CONFIG_DIR_ENV)
    assert config_dir().name == "RemoteSales"


def test_unknown_keys_from_a_newer_version_are_kept_but_hidden(tmp_path):
    """A file written by a newer app keeps its extra keys on disk; get() shows only known ones."""
    (tmp_path / "settings.json").write_text(
        json.dumps({"settings": {"1": {"username": "bob", "future": 1}}})
    )
    settings = LocalSettings(tmp_path)
    assert "future" not in settings.get()
    settings.update({"remember_id": True})
    on_disk = json.loads((tmp_path / "settings.json").read_text())["settings"]["1"]
    assert on_disk == {"username": "bob", "future": 1, "remember_id": True}
