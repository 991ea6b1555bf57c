"""The store: journal replay, torn lines, atomic checkpoints, one process per data folder."""

from __future__ import annotations

import json
import os

import pytest

from relay_server.store import SCHEMA_VERSION, StoreError, TinyDBStore


def _crash(store: TinyDBStore) -> None:
    """Drop the store as a killed process would: no checkpoint, lock released."""
    os.close(store.journal._fd)
    os.close(store._lock_fd)


def test_synced_changes_survive_a_crash(tmp_path):
    store = TinyDBStore(tmp_path)
    first = store.insert("chat:s", {"text": "one"})
    store.insert("chat:s", {"text": "two"})
    store.update("chat:s", first, {"text": "one, edited"})
    store.insert("accounts", {"username": "a"})
    store.remove("accounts", 1)
    store.sync()
    _crash(store)
    reopened = TinyDBStore(tmp_path)
    assert [d["text"] for d in reopened.all("chat:s")] == ["one, edited", "two"]
    assert reopened.all("accounts") == []
    assert (tmp_path / "journal.jsonl").stat().st_size == 0, "opening checkpoints the replay"
    assert reopened.insert("chat:s", {"text": "three"}) == 3, "ids go on after a replay"
    assert reopened.get("chat:s", 3)["text"] == "three"
    reopened.close()


def test_unsynced_changes_are_not_on_disk(tmp_path):
    store = TinyDBStore(tmp_path)
    store.insert("chat:s", {"text": "never synced"})
    _crash(store)
    assert TinyDBStore(tmp_path).all("chat:s") == []


def test_a_torn_last_journal_line_is_skipped(tmp_path):
    store = TinyDBStore(tmp_path)
    store.insert("chat:s", {"text": "whole"})
    store.sync()
    _crash(store)
    with open(tmp_path / "journal.jsonl", "ab") as journal:
        journal.write(b'{"t":"chat:s","op":"i","id":2,"d":{"te')
    reopened = TinyDBStore(tmp_path)
    assert [d["text"] for d in reopened.all("chat:s")] == ["whole"]
    reopened.close()


def test_damage_before_the_last_line_is_an_error(tmp_path):
    (tmp_path / "journal.jsonl").write_bytes(b'garbage\n{"t":"x","op":"i","id":1,"d":{}}\n')
    with pytest.raises(ValueError):
        TinyDBStore(tmp_path)


def test_checkpoint_writes_valid_json_and_empties_the_journal(tmp_path):
    store = TinyDBStore(tmp_path, checkpoint_bytes=1)
    store.insert("chat:s", {"text": "héllo"})
    store.sync()
    assert store.needs_checkpoint
    store.checkpoint()
    data = json.loads((tmp_path / "relay.json").read_text())
    assert data["meta"]["1"]["schema_version"] == SCHEMA_VERSION
    assert data["chat:s"]["1"]["text"] == "héllo"
    assert not list(tmp_path.glob(".*.tmp"))
    store.close()


def test_one_process_per_data_folder(tmp_path):
    store = TinyDBStore(tmp_path)
    with pytest.raises(StoreError, match="in use by another process"):
        TinyDBStore(tmp_path)
    store.close()
    TinyDBStore(tmp_path).close()


def test_a_newer_schema_is_refused(tmp_path):
    (tmp_path / "relay.json").write_text(
        json.dumps({"meta": {"1": {"schema_version": SCHEMA_VERSION + 1}}})
    )
    with pytest.raises(StoreError, match="use a newer relay"):
        TinyDBStore(tmp_path)


def test_writes_make_no_tinydb_table_per_chat_and_a_made_one_forgets_its_queries(tmp_path):
    from tinydb import Query

    store = TinyDBStore(tmp_path)
    for n in range(3):
        doc_id = store.insert(f"chat:s{n}", {"text": "hi"})
        store.update(f"chat:s{n}", doc_id, {"text": "hello"})
    # A TinyDB Table (with its query cache) per session's chat would live as long as the
    # session: objects the collector scans (docs/performance.md, "Middle passes").
    assert not [name for name in store.db._tables if name.startswith("chat:")]
    store.insert("accounts", {"username": "a"})
    store.insert("accounts", {"username": "b"})
    store.remove("accounts", 1)  # makes TinyDB's Table for it
    table = store.db.table("accounts")
    assert [d["username"] for d in table.search(Query().username == "c")] == []
    store.insert("accounts", {"username": "c"})
    assert [d["username"] for d in table.search(Query().username == "c")] == ["c"]
    store.update("accounts", 3, {"username": "d"})
    assert [d["username"] for d in table.search(Query().username == "d")] == ["d"]
    store.close()
