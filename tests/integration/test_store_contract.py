"""The store interface's contract, run against both implementations: TinyDB in a folder and
PostgreSQL (a throwaway server, the `engine` mark): the same calls give the same results."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from relay_server.store import Store, StoreError, TinyDBStore

pytestmark = pytest.mark.engine  # the PostgreSQL half starts a server

Opener = Callable[[], Store]


@pytest.fixture(params=["tinydb", "postgresql"])
def open_store(request, tmp_path: Path) -> Iterator[Opener]:
    """A function that opens the same store again each time it is called (closing is the
    test's: a store left open is closed after it)."""
    opened: list[Store] = []
    if request.param == "tinydb":

        def make() -> Store:
            return TinyDBStore(tmp_path / "data")
    else:
        from relay_server.store.postgres import PostgresStore

        server = request.getfixturevalue("postgres")
        database = server.create_database("contract")

        def make() -> Store:
            return PostgresStore(server.url(database), tmp_path / "files", server.password)

    def opener() -> Store:
        store = make()
        opened.append(store)
        return store

    yield opener
    for store in opened:
        try:
            store.close()
        except Exception:
            pass


def _reopen(store: Store, open_store: Opener) -> Store:
    store.close()
    return open_store()


def test_ids_count_from_one_per_table_and_reads_come_in_id_order(open_store):
    """Each table's ids start at 1 and increase; all() lists in id order, get() finds by id."""
    store = open_store()
    assert [store.insert("chat:a", {"n": n}) for n in range(3)] == [1, 2, 3]
    assert store.insert("accounts", {"username": "ann"}) == 1
    assert [(d.doc_id, d["n"]) for d in store.all("chat:a")] == [(1, 0), (2, 1), (3, 2)]
    assert store.get("chat:a", 2) == {"n": 1} and store.get("chat:a", 9) is None
    assert store.all("never") == [] and not store.has_table("never")
    assert store.tables() == ["accounts", "chat:a"]


def test_update_merges_fields_and_refuses_a_missing_document(open_store):
    """update() sets the given top-level fields and keeps the others; a missing id is a
    KeyError."""
    store = open_store()
    doc_id = store.insert("outbox", {"state": "queued", "to": ["a@x"], "tries": 0})
    store.update("outbox", doc_id, {"state": "sent", "tries": 1})
    assert store.get("outbox", doc_id) == {"state": "sent", "to": ["a@x"], "tries": 1}
    with pytest.raises(KeyError):
        store.update("outbox", 99, {"state": "sent"})


def test_synced_changes_come_back_after_reopening(open_store):
    """Inserts, updates, removes and a dropped table are all there after close and reopen,
    Korean, nested values, floats and a NUL character included; ids go on after the highest."""
    store = open_store()
    first = store.insert("chat:s", {"text": "견적서를 보내 주세요", "sent_at": 1.5})
    store.insert("chat:s", {"text": "a\x00b", "file": {"id": "f", "size": 3}})
    store.update("chat:s", first, {"text": "edited"})
    gone = store.insert("accounts", {"username": "gone"})
    store.insert("accounts", {"username": "kept"})
    store.remove("accounts", gone)
    store.insert("chat:old", {"text": "dropped"})
    store.drop_table("chat:old")
    store.sync()
    again = _reopen(store, open_store)
    assert [dict(d) for d in again.all("chat:s")] == [
        {"text": "edited", "sent_at": 1.5},
        {"text": "a\x00b", "file": {"id": "f", "size": 3}},
    ]
    assert [d["username"] for d in again.all("accounts")] == ["kept"]
    assert not again.has_table("chat:old")
    assert again.insert("chat:s", {"text": "third"}) == 3
    assert again.insert("chat:old", {"text": "new"}) == 1, "a dropped table starts again at 1"


def test_sync_is_the_durability_barrier(open_store):
    """appended moves with every change, synced catches up when sync() returns."""
    store = open_store()
    before = store.synced
    store.insert("notes", {"session_id": "s", "notes": "x"})
    assert store.appended > store.synced == before
    reached = store.sync()
    assert store.synced == store.appended == reached


def test_find_returns_the_lowest_id_a_predicate_accepts(open_store):
    """find() is the one predicate query (an account by user name): the first match or None."""
    store = open_store()
    for name in ("ann", "bob", "bob"):
        store.insert("accounts", {"username": name})
    found = store.find("accounts", lambda d: d["username"] == "bob")
    assert found is not None and found.doc_id == 2
    assert store.find("accounts", lambda d: d["username"] == "eve") is None


def test_one_relay_per_folder_and_ready_while_open(open_store):
    """A TinyDB folder's second opener is refused with a clear StoreError (several nodes share
    a PostgreSQL database instead); the open store says it is ready."""
    store = open_store()
    assert store.check() is None
    if store.kind == "postgresql":
        second = open_store()  # another node on the same database
        assert second.check() is None
        return
    with pytest.raises(StoreError, match="in use by another"):
        open_store()


def test_two_nodes_on_one_database_share_ids_tokens_and_row_claims(open_store):
    """Two stores on one database never pick one id for a shared table, find each other's
    tokens on use (and notice one removed), and only one of them claims a row."""
    one = open_store()
    if one.kind != "postgresql":
        pytest.skip("one process per TinyDB folder")
    two = open_store()
    ids = [one.insert("tokens", {"token_hash": "a"}), two.insert("tokens", {"token_hash": "b"})]
    ids.append(one.insert("tokens", {"token_hash": "c"}))
    two.insert("outbox", {"id": "m"})
    one.sync()
    two.sync()
    assert len(set(ids)) == 3, ids
    assert sorted(d["token_hash"] for d in one.all("tokens")) == ["a", "c"]  # its own copy
    found = one.lookup("tokens", "token_hash", "b")
    assert found is not None and found["token_hash"] == "b"
    two.remove("tokens", found.doc_id)
    two.sync()
    assert one.lookup("tokens", "token_hash", "b", fresh=True) is None
    mail = two.lookup("outbox", "id", "m")
    assert mail is not None
    assert one.claim("outbox", mail.doc_id, 60) is True
    assert two.claim("outbox", mail.doc_id, 60) is False
    assert one.claim("outbox", mail.doc_id, 60) is True  # renewed by its holder
    assert one.claim("outbox", 999_999, 60) is False  # no such row


def test_an_existing_tinydb_data_folder_opens_unchanged(tmp_path):
    """A data folder written before the store interface (relay.json + journal) opens: its
    documents, ids and the journal's changes are all read."""
    (tmp_path / "relay.json").write_text(
        json.dumps({
            "meta": {"1": {"schema_version": 1}},
            "accounts": {"1": {"username": "alice", "role": "agent"}},
            "chat:s1": {"1": {"text": "hello"}, "4": {"text": "later"}},
        })
    )  # fmt: skip
    (tmp_path / "journal.jsonl").write_text(
        json.dumps({"t": "chat:s1", "op": "u", "id": 1, "d": {"text": "hello, edited"}}) + "\n"
    )
    store = TinyDBStore(tmp_path)
    assert store.find("accounts", lambda d: d["username"] == "alice") == {
        "username": "alice", "role": "agent"
    }  # fmt: skip
    assert [(d.doc_id, d["text"]) for d in store.all("chat:s1")] == [
        (1, "hello, edited"), (4, "later")
    ]  # fmt: skip
    assert store.insert("chat:s1", {"text": "next"}) == 5
    store.close()


def test_a_node_reads_again_the_shared_rows_another_changed(open_store):
    """``on_commit`` names the watched rows a commit changed; ``refresh`` of those rows on the
    other store shows the change, a removal included, and keeps its own pending change; a
    claim of a node named in ``take_from`` (dead) is taken over."""
    one = open_store()
    if one.kind != "postgresql":
        pytest.skip("one process per TinyDB folder: nothing to read again")
    two = open_store()
    committed: list[dict[str, list[int]]] = []
    one.on_commit(["options"], committed.append)
    a = one.insert("options", {"key": "a", "value": 1})
    b = one.insert("options", {"key": "b", "value": 1})
    one.insert("audit", {"key": "a"})  # not watched
    one.sync()
    assert committed == [{"options": [a, b]}]
    assert [d["value"] for d in two.all("options")] == [1, 1]  # two's copy
    one.update("options", a, {"value": 2})
    one.remove("options", b)
    c = one.insert("options", {"key": "c", "value": 3})
    one.sync()
    assert sorted(committed[-1]["options"]) == sorted([a, b, c])
    assert [d["value"] for d in two.all("options")] == [1, 1]  # not read again yet
    two.update("options", a, {"value": 9})  # two's own change, not yet committed
    two.refresh("options", committed[-1]["options"])
    assert [(d["key"], d["value"]) for d in two.all("options")] == [("a", 9), ("c", 3)]
    two.sync()
    one.refresh("options", None)  # everything
    assert [(d["key"], d["value"]) for d in one.all("options")] == [("a", 9), ("c", 3)]
    assert one.claim("options", c, 60) is True
    assert two.claim("options", c, 60) is False
    assert two.claim("options", c, 60, take_from=["someone else"]) is False
    assert two.claim("options", c, 60, take_from=[one.node_id]) is True  # one is dead
    assert one.claim("options", c, 60) is False


def test_a_node_fenced_out_of_a_session_writes_none_of_its_rows(open_store):
    """Once another node fenced a session (took it over), the old owner's commit writes none
    of that session's rows (new, changed, removed, its table dropped, its live_sessions and
    whiteboards rows)
    and names the session to ``on_fenced``; its other rows, and other sessions', are written
    in the same commit."""
    one = open_store()
    if one.kind != "postgresql":
        pytest.skip("one process per TinyDB folder: no other node to fence it")
    two = open_store()
    fenced: list[set[str]] = []
    one.on_fenced(fenced.append)
    kept = one.insert("chat:s1", {"text": "before"})
    gone = one.insert("chat:s1", {"text": "to remove"})
    one.insert("chat:s3", {"text": "whole table"})
    live = one.insert("live_sessions", {"id": "s1", "state": "open"})
    board = one.insert("whiteboards", {"session_id": "s1", "state": "open", "number": 1})
    one.sync()
    assert fenced == []
    two.fence(["s1", "s3", "s1"])  # one statement for many (a name twice is one fence)
    two.fence([])
    one.update("chat:s1", kept, {"text": "after the takeover"})
    one.remove("chat:s1", gone)
    one.insert("chat:s1", {"text": "new"})
    one.update("live_sessions", live, {"state": "stale"})
    one.update("whiteboards", board, {"number": 7})
    one.drop_table("chat:s3")
    one.insert("chat:s2", {"text": "another session"})
    one.insert("audit", {"what": "shared row"})
    one.sync()
    assert fenced == [{"s1", "s3"}]
    three = open_store()  # what the database holds
    assert [d["text"] for d in three.all("chat:s1")] == ["before", "to remove"]
    assert [d["text"] for d in three.all("chat:s3")] == ["whole table"]
    assert [d["state"] for d in three.all("live_sessions")] == ["open"]
    assert [d["number"] for d in three.all("whiteboards")] == [1]
    assert [d["text"] for d in three.all("chat:s2")] == ["another session"]
    assert [d["what"] for d in three.all("audit")] == ["shared row"]
    # The new owner writes them.
    two.update("chat:s1", kept, {"text": "by the new owner"})
    two.remove("chat:s1", gone)
    two.sync()
    four = open_store()
    assert [d["text"] for d in four.all("chat:s1")] == ["by the new owner"]


def test_lookup_many_finds_many_keys_and_fresh_reads_what_another_node_changed(open_store):
    """lookup_many gives each found value's first document (lowest id), none for the values
    absent; with ``fresh`` it reads the database: rows another node changed or removed come
    as they are there, while a change of this node not yet committed stays this node's."""
    one = open_store()
    first = one.insert("live_sessions", {"id": "s1", "state": "open"})
    one.insert("live_sessions", {"id": "s2", "state": "open"})
    one.insert("live_sessions", {"id": "s1", "state": "a later copy"})
    one.sync()
    found = one.lookup_many("live_sessions", "id", ["s1", "s2", "nope"])
    assert {k: (d.doc_id, d["state"]) for k, d in found.items()} == {
        "s1": (first, "open"), "s2": (2, "open")}  # fmt: skip
    assert one.lookup_many("live_sessions", "id", []) == {}
    if one.kind != "postgresql":
        return  # one process per TinyDB folder: no other node to change rows
    two = open_store()
    assert set(two.lookup_many("live_sessions", "id", ["s1", "s2"])) == {"s1", "s2"}
    one.update("live_sessions", first, {"state": "taken"})
    one.remove("live_sessions", 2)
    one.insert("live_sessions", {"id": "s4", "state": "new elsewhere"})
    one.sync()
    cached = two.lookup_many("live_sessions", "id", ["s1", "s2", "s4"])
    assert {k: d["state"] for k, d in cached.items()} == {
        "s1": "open", "s2": "open", "s4": "new elsewhere"}  # fmt: skip
    two.update("live_sessions", 3, {"state": "ours, not committed"})
    fresh = two.lookup_many("live_sessions", "id", ["s1", "s2", "s4"], fresh=True)
    assert {k: d["state"] for k, d in fresh.items()} == {"s1": "taken", "s4": "new elsewhere"}
    assert two.get("live_sessions", 2) is None  # removed there: gone here too


def test_reload_reads_many_tables_again_in_one_go(open_store):
    """reload(tables) replaces this node's copies by the database's (another node wrote
    them), a table never read included; a table with a change of this node not yet
    committed keeps this node's copy. One process per TinyDB folder: nothing changes."""
    one = open_store()
    one.insert("chat:a", {"text": "first"})
    one.sync()
    if one.kind != "postgresql":
        one.reload(["chat:a", "chat:b"])
        assert [d["text"] for d in one.all("chat:a")] == ["first"]
        return
    two = open_store()
    assert [d["text"] for d in two.all("chat:a")] == ["first"]
    two.insert("chat:c", {"text": "two's, not committed"})
    one.insert("chat:a", {"text": "second"})
    one.insert("chat:b", {"text": "elsewhere"})
    one.insert("chat:c", {"text": "one's"})
    one.sync()
    assert [d["text"] for d in two.all("chat:a")] == ["first"]  # its old copy
    two.reload(["chat:a", "chat:b", "chat:c", "chat:a"])
    assert [d["text"] for d in two.all("chat:a")] == ["first", "second"]
    assert [d["text"] for d in two.all("chat:b")] == ["elsewhere"]
    assert [d["text"] for d in two.all("chat:c")] == ["two's, not committed"]
    assert two.insert("chat:a", {"text": "third"}) == 3  # ids go on from the reloaded rows


def test_a_node_whose_claim_another_took_writes_none_of_those_rows(open_store):
    """A node that claimed a row (a mail it sends) and stalled: once another node took the
    claim (it adopted the mail: the first node counts as dead), the first node's commit
    writes neither its change nor its removal of that row, its other rows are written, and
    its copy of the row becomes the database's. After the taker's claim expires the first
    node writes again."""
    one = open_store()
    if one.kind != "postgresql":
        pytest.skip("one process per TinyDB folder: no other node to claim its rows")
    two = open_store()
    taken = one.insert("outbox", {"id": "m1", "state": "queued"})
    other = one.insert("outbox", {"id": "m2", "state": "queued"})
    one.sync()
    assert one.claim("outbox", taken, 600) and one.claim("outbox", other, 600)
    one.update("outbox", taken, {"state": "sending"})  # not committed yet: the stall
    one.remove("outbox", other)  # its own claim: written
    adopted = two.lookup("outbox", "id", "m1")
    assert adopted is not None
    assert two.claim("outbox", taken, 600, take_from=[one.node_id]) is True
    two.update("outbox", taken, {"state": "sent", "node": "two"})
    two.sync()
    one.sync()  # wakes: its "sending" is not written over the taker's "sent"
    three = open_store()
    assert [(d["id"], d["state"]) for d in three.all("outbox")] == [("m1", "sent")]
    assert one.get("outbox", taken) == {"id": "m1", "state": "sent", "node": "two"}
    one.remove("outbox", taken)
    one.sync()
    assert open_store().get("outbox", taken) is not None  # two's claim still holds it
    assert two.claim("outbox", taken, 0.01) is True  # two's claim about to expire
    time.sleep(0.05)
    one.remove("outbox", taken)
    one.sync()
    assert open_store().get("outbox", taken) is None


def test_ready_while_a_takeover_holds_every_connection_of_the_pool(postgres, tmp_path):
    """A node taking hundreds of sessions over can hold every connection of its pool; the
    readiness check asks the database on a connection of its own, so the balancer does not
    mark a busy node down (store/readiness.py)."""
    from relay_server.store.postgres import POOL_MAX, PostgresStore

    store = PostgresStore(
        postgres.url(postgres.create_database("busy")), tmp_path / "files", postgres.password
    )
    held = [store.pool.getconn(timeout=10) for _ in range(POOL_MAX)]
    try:
        started = time.monotonic()
        assert store.check() is None
        assert time.monotonic() - started < 1.5
    finally:
        for conn in held:
            store.pool.putconn(conn)
        store.close()
