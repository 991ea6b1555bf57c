"""The history store: tokens, search and filters, the archive's files and snapshots."""

from __future__ import annotations

import json

import pytest

from relay_server.history.history import History, shard_of
from relay_server.history.index import HistoryQuery, parse_query, tokens

DAY = 86_400.0
T0 = 1_780_000_000.0  # 2026-05-28


def record(n: int, agent: str = "alice", **extra) -> dict:
    started = T0 + n * 3600
    return {
        "id": f"s{n}",
        "agent_username": agent,
        "agent": {"name": agent.title()},
        "customer_name": f"Customer {n}",
        "created_at": started - 60,
        "started_at": started,
        "ended_at": started + 600,
        "duration_s": 600.0,
        "messages": [
            {
                "id": 1,
                "role": "customer",
                "name": f"Customer {n}",
                "text": "hello",
                "sent_at": started,
            },
        ],
        "message_count": 1,
        "notes": "",
        "files": [],
        "presentations": 0,
        "control_grants": 0,
        **extra,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send the Brochure, please!", {"send", "the", "brochure", "please"}),
        ("견적서를 보내 주세요", {"견적", "적서", "서를", "보내", "주세", "세요"}),
        ("A4용지 3박스", {"a4", "용지", "3", "박스"}),
        ("네", {"네"}),
        ("...!!", set()),
    ],
)
def test_tokens_are_words_and_hangul_bigrams(text, expected):
    """Latin words are lower-cased whole words; Hangul runs become character pairs."""
    assert tokens(text) == expected


def test_search_finds_notes_and_transcript_words_newest_first(tmp_path):
    """A text query matches sessions holding every token, in notes or transcript, newest first."""
    history = History(tmp_path)
    history.add(record(1, notes="고객이 견적서를 요청함"))
    history.add(record(2, messages=[{"id": 1, "role": "agent", "text": "Zephyr pricing"}]))
    history.add(record(3, notes="Zephyr and 견적서"))

    def ids(**query) -> list[str]:
        return [s.id for s in history.find(HistoryQuery(**query))]

    assert ids() == ["s3", "s2", "s1"]
    assert ids(text="zephyr") == ["s3", "s2"]
    assert ids(text="견적서") == ["s3", "s1"]
    assert ids(text="zephyr 견적서") == ["s3"]
    assert ids(text="nothing") == []
    assert ids(text="!!") == []


def test_filters_by_agent_date_customer_use_and_duration(tmp_path):
    """Every filter narrows the list; sessions no customer joined are never listed."""
    history = History(tmp_path)
    history.add(record(1, presentations=2))
    history.add(record(2, agent="bob", files=[{"name": "a.pdf", "size": 3}]))
    history.add(record(3, duration_s=30.0, customer_name="김고객"))
    history.add(record(4, customer_name="", started_at=None))

    def ids(**query) -> list[str]:
        return [s.id for s in history.find(HistoryQuery(**query))]

    assert ids() == ["s3", "s2", "s1"]
    assert ids(agent="bob") == ["s2"]
    assert ids(presented=True) == ["s1"]
    assert ids(files=True) == ["s2"]
    assert ids(files=False, presented=False) == ["s3"]
    assert ids(min_duration_s=60) == ["s2", "s1"]
    assert ids(max_duration_s=60) == ["s3"]
    assert ids(customer="김") == ["s3"]
    assert ids(customer="CUSTOMER 2") == ["s2"]
    assert ids(since=T0 + 2 * 3600) == ["s3", "s2"]
    assert ids(until=T0 + 2 * 3600) == ["s1"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "'from' must be a number"),
        ({"presented": "maybe"}, "'presented' must be yes, no or any"),
        ({"q": "x" * 201}, "'q' may be at most 200"),
        ({"to": "-5"}, "'to' is out of range"),
    ],
)
def test_bad_query_parameters_are_refused_with_a_reason(params, message):
    """A malformed query parameter raises ValueError naming the parameter."""
    with pytest.raises(ValueError, match=message):
        parse_query(params, "alice")


def test_reopened_history_uses_its_snapshot_and_the_tail(tmp_path):
    """After close (snapshot) and more appends, a reopened history has every session."""
    history = History(tmp_path)
    for n in range(5):
        history.add(record(n, notes=f"word{n}"))
    history.close()
    assert list(tmp_path.glob("*.snapshot.json"))
    again = History(tmp_path)
    again.add(record(7, notes="word7"))
    again.archive.close()  # no snapshot of the newest: it is read from the file's tail
    third = History(tmp_path)
    assert len(third) == 6
    assert [s.id for s in third.find(HistoryQuery(text="word7"))] == ["s7"]
    assert [s.id for s in third.find(HistoryQuery(text="word2"))] == ["s2"]
    assert third.record("s2")["notes"] == "word2"


def test_a_torn_last_line_is_cut_and_a_damaged_one_skipped(tmp_path):
    """A record half-written when the relay died is dropped; the rest loads and appends go on."""
    history = History(tmp_path)
    history.add(record(1))
    history.add(record(2))
    history.archive.close()
    path = tmp_path / f"{shard_of(T0)}.jsonl"
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(lines[0] + b"\n" + b"{not json\n" + lines[1][:40])
    reopened = History(tmp_path)
    assert [s.id for s in reopened.find(HistoryQuery())] == ["s1"]
    reopened.add(record(3))
    assert [s.id for s in History(tmp_path).find(HistoryQuery())] == ["s3", "s1"]


def test_a_damaged_snapshot_only_costs_a_reindex(tmp_path):
    """A snapshot that does not fit its file is ignored and the file indexed again."""
    history = History(tmp_path)
    history.add(record(1, notes="alpha"))
    history.close()
    meta = tmp_path / f"{shard_of(T0)}.snapshot.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "postings": 999}))
    assert [s.id for s in History(tmp_path).find(HistoryQuery(text="alpha"))] == ["s1"]


def test_edited_notes_are_searched_by_their_new_words_only(tmp_path):
    """Notes edited after the end: the new words find the session, the old ones no longer do."""
    history = History(tmp_path)
    history.add(record(1, notes="call on Tuesday"))
    history.set_notes("s1", "ordered three units", "alice", T0 + DAY)
    for reopened in (history, History(tmp_path)):
        assert [s.id for s in reopened.find(HistoryQuery(text="ordered"))] == ["s1"]
        assert list(reopened.find(HistoryQuery(text="tuesday"))) == []
        assert reopened.notes("s1")["notes"] == "ordered three units"


def test_pages_cross_months_newest_first_with_the_total(tmp_path):
    """A page is cut from the months it touches, newest first, and the total counts all."""
    history = History(tmp_path)
    for n in range(7):  # 20 days apart: four months
        history.add(record(n, started_at=T0 + n * 20 * DAY, ended_at=T0 + n * 20 * DAY + 60))
    pages = [history.page(HistoryQuery(), page, 3) for page in (1, 2, 3)]
    assert [[s["id"] for s in p["sessions"]] for p in pages] == [
        ["s6", "s5", "s4"],
        ["s3", "s2", "s1"],
        ["s0"],
    ]
    assert {p["total"] for p in pages} == {7}
    later = HistoryQuery(since=T0 + 30 * DAY, until=T0 + 90 * DAY)
    assert [s["id"] for s in history.page(later, 1, 10)["sessions"]] == ["s4", "s3", "s2"]
    history.add(record(2, started_at=T0 + 40 * DAY, ended_at=T0 + 40 * DAY + 90))  # again
    assert history.page(HistoryQuery(), 1, 10)["total"] == 7  # listed once


def _varied(history: History) -> None:
    """Sessions of two agents over three months, with and without customers, files and
    presentations, two archived twice (in the same month, in a later one) and one with notes
    edited after the end."""
    for n in range(12):
        history.add(
            record(
                n,
                agent=("alice", "bob")[n % 2],
                started_at=T0 + n * 5 * DAY,
                ended_at=T0 + n * 5 * DAY + 60 * n,
                duration_s=60.0 * n,
                customer_name="" if n == 3 else f"Customer {n}",
                files=[{"name": "a.pdf"}] if n % 3 == 0 else [],
                presentations=n % 2,
                notes=f"topic{n % 4} 견적서{n}",
            )
        )
    history.add(record(7, started_at=T0 + 36 * DAY, ended_at=T0 + 36 * DAY, notes="again"))
    history.add(record(2, started_at=T0 + 70 * DAY, ended_at=T0 + 70 * DAY, notes="later"))
    history.set_notes("s5", "rewritten later", "bob", T0 + 90 * DAY)


QUERIES = [
    HistoryQuery(),
    HistoryQuery(agent="alice"),
    HistoryQuery(presented=True),
    HistoryQuery(files=False, agent="bob"),
    HistoryQuery(text="topic1"),
    HistoryQuery(text="rewritten"),
    HistoryQuery(text="again"),
    HistoryQuery(text="later"),
    HistoryQuery(text="견적서"),
    HistoryQuery(since=T0 + 20 * DAY, until=T0 + 40 * DAY),
    HistoryQuery(min_duration_s=300, customer="customer 1"),
]


def _answers(history: History) -> list:
    return [[s.view() for s in history.find(query)] for query in QUERIES]


def test_a_start_from_snapshots_answers_as_indexing_the_files(tmp_path, caplog):
    """The columnar snapshots give the same summaries, filters and words as a full index of
    the files, with nothing indexed from the files."""
    history = History(tmp_path)
    _varied(history)
    expected = _answers(history)
    history.close()
    with caplog.at_level("INFO", logger="relay_server.history.history"):
        assert _answers(History(tmp_path)) == expected
    assert "(0 indexed from the files)" in caplog.text
    for snapshot in tmp_path.glob("*.snapshot.json"):
        snapshot.unlink()
    assert _answers(History(tmp_path)) == expected


def test_a_snapshot_of_the_earlier_row_format_is_still_read(tmp_path, caplog):
    """A version-1 snapshot (rows) loads without indexing the files again."""
    history = History(tmp_path)
    _varied(history)
    expected = _answers(history)
    history.close()
    for shard in history.shards:  # as the relay before the columns wrote them
        meta = json.loads((tmp_path / f"{shard.name}.snapshot.json").read_text())
        del meta["columns"]
        meta.update(v=1, rows=[s.row() for s in shard.summaries])
        (tmp_path / f"{shard.name}.snapshot.json").write_text(json.dumps(meta))
        (tmp_path / f"{shard.name}.postings").write_bytes(shard.frozen_postings.tobytes())
    with caplog.at_level("INFO", logger="relay_server.history.history"):
        assert _answers(History(tmp_path)) == expected
    assert "(0 indexed from the files)" in caplog.text


def test_a_torn_line_after_the_snapshot_is_cut(tmp_path):
    """Records appended after the snapshot are indexed from the file; a torn last one is cut."""
    history = History(tmp_path)
    _varied(history)
    history.close()
    again = History(tmp_path)
    again.add(record(40, started_at=T0 + 56 * DAY, ended_at=T0 + 56 * DAY, notes="late"))
    again.archive.close()
    path = tmp_path / f"{shard_of(T0 + 56 * DAY)}.jsonl"
    size = path.stat().st_size
    with open(path, "ab") as file:
        file.write(b'{"id":"s41","agent_user')
    reopened = History(tmp_path)
    assert [s.id for s in reopened.find(HistoryQuery(text="late"))] == ["s40"]
    assert path.stat().st_size == size
    assert reopened.notes("s5")["notes"] == "rewritten later"
