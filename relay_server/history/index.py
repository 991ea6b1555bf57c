"""The history's in-memory index (pure): session summaries, filters and full-text search.

Each ended session is archived once (``archive.py``); here it is a compact :class:`Summary`
(what the list shows and filters on) in a :class:`Shard` (one month of the archive), and its
notes and transcript are words in the shard's inverted index.

Text is indexed as Lucene's CJK bigram analyser does: a run of Latin letters or digits is one
lower-case word; a run of Hangul, kana or Han characters becomes its overlapping character
pairs (a lone character is itself), so ``견적서를`` is ``견적 적서 서를`` and the query ``견적서``
(``견적 적서``) finds it without a Korean dictionary. A query matches a session holding every
token of it (AND). Postings are local ordinals (the record's place in its shard's file) in
``array('I')``: 4 bytes a posting, saved and loaded as raw bytes (``archive.py``).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

MAX_TOKEN_CHARS = 40
MAX_QUERY_TOKENS = 16


# Hangul jamo, kana, compatibility jamo, CJK ideographs, Hangul syllables.
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u4e00-\u9fff\uac00-\ud7a3"
_RUN_RE = re.compile(f"[{_CJK}]+|[^\\W{_CJK}]+")
_CJK_RE = re.compile(f"[{_CJK}]")


def tokens(text: str) -> set[str]:
    """The search tokens of ``text``: lower-case words, and bigrams of CJK runs."""
    found: set[str] = set()
    for run in _RUN_RE.findall(unicodedata.normalize("NFC", text).casefold()):
        if len(run) == 1 or not _CJK_RE.match(run):
            if len(run) <= MAX_TOKEN_CHARS:
                found.add(run)
        else:
            found.update([run[i : i + 2] for i in range(len(run) - 1)])
    return found


def record_text(record: dict[str, Any], notes: str | None = None) -> Iterator[str]:
    """The searchable text of an archived record: its notes and every chat message."""
    yield record.get("notes", "") if notes is None else notes
    for message in record.get("messages") or ():
        text = message.get("text")
        if isinstance(text, str):
            yield text


def record_tokens(record: dict[str, Any], notes: str | None = None) -> set[str]:
    return tokens("\n".join(record_text(record, notes)))


@dataclass(slots=True)
class Summary:
    """What the history list shows and filters on; the rest stays in the archive file."""

    id: str
    agent_username: str
    agent_name: str
    customers: str  # the customers' names, ", " between them
    started_at: float
    ended_at: float
    duration_s: float
    message_count: int
    file_count: int
    presented: bool
    controlled: bool
    offset: int  # where the record's line starts in its shard's file
    length: int
    # A call connected (CH9). Last and defaulted: a snapshot row saved before it existed has
    # one column less and reads as no call, which its record (without ``calls``) also says.
    called: bool = False

    # The order of the snapshot's rows (archive.py writes lists, not dicts: 3x smaller).
    FIELDS = (
        "id", "agent_username", "agent_name", "customers", "started_at", "ended_at",
        "duration_s", "message_count", "file_count", "presented", "controlled", "offset",
        "length", "called",
    )  # fmt: skip

    def row(self) -> list[Any]:
        return [getattr(self, name) for name in self.FIELDS]

    def view(self) -> dict[str, Any]:
        """The ``session`` object of ``GET /api/history`` (docs/protocol.md)."""
        return {
            "id": self.id,
            "agent_username": self.agent_username,
            "agent_name": self.agent_name,
            "customers": self.customers,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "message_count": self.message_count,
            "file_count": self.file_count,
            "presented": self.presented,
            "controlled": self.controlled,
        }


def customer_names(record: dict[str, Any]) -> list[str]:
    """Every customer of a record: its participants (several customers) or its one customer."""
    names: list[str] = []
    for person in record.get("participants") or ():
        if isinstance(person, dict) and person.get("role", "customer") == "customer":
            name = person.get("name")
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    if not names and record.get("customer_name"):
        names.append(str(record["customer_name"]))
    return names


def summarize(record: dict[str, Any], offset: int, length: int) -> Summary:
    started = record.get("started_at") or record.get("created_at") or 0.0
    ended = record.get("ended_at") or started
    agent = record.get("agent") or {}
    return Summary(
        id=str(record["id"]),
        agent_username=str(record.get("agent_username", "")),
        agent_name=str(agent.get("name") or record.get("agent_username", "")),
        customers=", ".join(customer_names(record)),
        started_at=float(started),
        ended_at=float(ended),
        duration_s=float(record.get("duration_s") or 0.0),
        message_count=int(record.get("message_count") or len(record.get("messages") or ())),
        file_count=len(record.get("files") or ()),
        presented=bool(record.get("presentations")),
        controlled=bool(record.get("control_grants")),
        offset=offset,
        length=length,
        called=bool(record.get("calls")),
    )


@dataclass
class Shard:
    """One month of the archive: its summaries in file order and their inverted index.

    ``frozen`` postings come from a snapshot (slices of one array); ``tail`` ones were added
    since (records appended, notes edited).
    """

    name: str
    summaries: list[Summary] = field(default_factory=list)
    frozen: dict[str, tuple[int, int]] = field(default_factory=dict)
    frozen_postings: array = field(default_factory=lambda: array("I"))
    tail: dict[str, array] = field(default_factory=dict)
    covered_bytes: int = 0  # how much of the file the snapshot covered
    end_bytes: int = 0  # the file's size as far as it is indexed
    snapshot_count: int = 0
    # Sets of local ordinals, so the common filters are set operations in C, not a Python
    # loop over every summary: listed (a customer joined), per agent, and per flag.
    listed: set[int] = field(default_factory=set)
    by_agent: dict[str, set[int]] = field(default_factory=dict)
    flags: dict[str, set[int]] = field(default_factory=lambda: {"presented": set(), "files": set()})
    min_started: float = float("inf")
    max_started: float = float("-inf")

    def __post_init__(self) -> None:
        for local, summary in enumerate(self.summaries):
            self._file(local, summary)

    @classmethod
    def from_columns(
        cls,
        name: str,
        columns: Sequence[Sequence[Any]],
        frozen: dict[str, tuple[int, int]],
        frozen_postings: array,
    ) -> Shard:
        """A shard from a snapshot's columns (one sequence per :attr:`Summary.FIELDS`).

        The relay's start builds every month this way: the summaries and the filter sets are
        made by C loops (``map``, ``compress``) instead of one Python call per session, which
        took a third of the start at 100,000 sessions (docs/performance.md).
        """
        shard = cls(name, frozen=frozen, frozen_postings=frozen_postings)
        shard.summaries = summaries = list(map(Summary, *columns))
        if not summaries:
            return shard
        column = dict(zip(Summary.FIELDS, columns, strict=True))
        every = range(len(summaries))
        shard.listed = set(compress(every, column["customers"]))
        shard.flags = {
            "presented": set(compress(every, column["presented"])),
            "files": set(compress(every, column["file_count"])),
        }
        by_agent: dict[str, set[int]] = {}
        for local, agent in enumerate(column["agent_username"]):
            found = by_agent.get(agent)
            if found is None:
                found = by_agent[agent] = set()
            found.add(local)
        shard.by_agent = by_agent
        shard.min_started = min(column["started_at"])
        shard.max_started = max(column["started_at"])
        return shard

    def _file(self, local: int, summary: Summary) -> None:
        if summary.customers:
            self.listed.add(local)
        self.by_agent.setdefault(summary.agent_username, set()).add(local)
        if summary.presented:
            self.flags["presented"].add(local)
        if summary.file_count:
            self.flags["files"].add(local)
        self.min_started = min(self.min_started, summary.started_at)
        self.max_started = max(self.max_started, summary.started_at)

    def add(self, summary: Summary, words: Iterable[str]) -> int:
        local = len(self.summaries)
        self.summaries.append(summary)
        self._file(local, summary)
        self.add_words(local, words)
        return local

    def add_words(self, local: int, words: Iterable[str]) -> None:
        for word in words:
            postings = self.tail.get(word)
            if postings is None:
                postings = self.tail[word] = array("I")
            if not postings or postings[-1] != local:
                postings.append(local)

    def postings(self, word: str) -> Sequence[int]:
        span = self.frozen.get(word)
        tail = self.tail.get(word)
        if span is None:
            return tail or ()
        start, count = span
        frozen = memoryview(self.frozen_postings)[start : start + count]
        if not tail:
            return frozen
        return list(frozen) + list(tail)

    def matching(self, words: list[str]) -> set[int] | None:
        """Local ordinals holding every word; None when ``words`` is empty (no text query)."""
        if not words:
            return None
        lists = sorted((self.postings(w) for w in words), key=len)
        if not lists[0]:
            return set()
        found = set(lists[0])
        for more in lists[1:]:
            found.intersection_update(more)
            if not found:
                break
        return found

    def merged_postings(self) -> tuple[dict[str, tuple[int, int]], array]:
        """Frozen and tail postings as one sorted array per word (for a new snapshot)."""
        words = set(self.frozen) | set(self.tail)
        spans: dict[str, tuple[int, int]] = {}
        out = array("I")
        for word in sorted(words):
            merged = sorted(set(self.postings(word)))
            spans[word] = (len(out), len(merged))
            out.extend(merged)
        return spans, out


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A validated history search (``GET /api/history`` parameters, docs/protocol.md)."""

    agent: str | None = None  # username; None = everyone (the admin's usage history)
    since: float | None = None  # started at or after (epoch seconds)
    until: float | None = None  # started before
    customer: str = ""  # part of a customer's name, any case
    text: str = ""  # words in the notes or the transcript
    presented: bool | None = None
    files: bool | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None

    @property
    def words(self) -> list[str]:
        return sorted(tokens(self.text))[:MAX_QUERY_TOKENS]


def candidates(
    shard: Shard,
    query: HistoryQuery,
    words: list[str],
    stale: Callable[[Shard], set[int]] = lambda shard: set(),
    recheck: Callable[[Shard, int], bool] = lambda shard, local: True,
    matching: Callable[[Shard, list[str]], set[int] | None] | None = None,
) -> set[int]:
    """The local ordinals of ``shard`` that ``query`` matches.

    The agent, the flags and the words are set operations; only the rarer filters (dates
    that cut through the month, customer name, duration) look at summaries one by one.
    ``stale`` names sessions whose indexed words may be out of date (edited notes); a text
    match among them must pass ``recheck``. ``matching`` replaces the shard's own inverted
    index for the words (the PostgreSQL archive's full-text search).
    """
    found = shard.listed
    if query.agent is not None:
        found = found & shard.by_agent.get(query.agent, set())
    for flag, wanted in (("presented", query.presented), ("files", query.files)):
        if wanted is True:
            found = found & shard.flags[flag]
        elif wanted is False:
            found = found - shard.flags[flag]
    if words:
        matched = shard.matching(words) if matching is None else matching(shard, words)
        found = found & (matched or set())
        for local in found & stale(shard):
            if not recheck(shard, local):
                found = found - {local}
    summaries = shard.summaries
    since, until = query.since, query.until
    if (since is not None and shard.min_started < since) or (
        until is not None and shard.max_started >= until
    ):
        low = since if since is not None else float("-inf")
        high = until if until is not None else float("inf")
        found = {n for n in found if low <= summaries[n].started_at < high}
    if query.customer:
        part = query.customer.casefold()
        found = {n for n in found if part in summaries[n].customers.casefold()}
    if query.min_duration_s is not None or query.max_duration_s is not None:
        low = query.min_duration_s if query.min_duration_s is not None else float("-inf")
        high = query.max_duration_s if query.max_duration_s is not None else float("inf")
        found = {n for n in found if low <= summaries[n].duration_s <= high}
    return found if found is not shard.listed else set(found)


def _shards_in_range(shards: Sequence[Shard], query: HistoryQuery) -> list[Shard]:
    """The shards, newest first, that can hold a session ``query``'s dates allow."""
    kept = []
    for shard in reversed(shards):
        if query.since is not None and shard.max_started < query.since:
            continue
        if query.until is not None and shard.min_started >= query.until:
            continue
        kept.append(shard)
    return kept


def search(
    shards: Sequence[Shard],
    query: HistoryQuery,
    stale: Callable[[Shard], set[int]] = lambda shard: set(),
    recheck: Callable[[Shard, int], bool] = lambda shard, local: True,
    matching: Callable[[Shard, list[str]], set[int] | None] | None = None,
) -> Iterator[Summary]:
    """Every summary ``query`` matches, newest first (shards newest last, records in file
    order, which is the order they ended in).

    A session no customer joined (cancelled while waiting) is archived but never listed.
    """
    words = query.words
    if query.text and not words:
        return  # only punctuation: nothing can match
    for shard in _shards_in_range(shards, query):
        found = candidates(shard, query, words, stale, recheck, matching)
        for local in sorted(found, reverse=True):
            yield shard.summaries[local]


def search_page(
    shards: Sequence[Shard],
    query: HistoryQuery,
    page: int,
    per_page: int,
    stale: Callable[[Shard], set[int]] = lambda shard: set(),
    recheck: Callable[[Shard, int], bool] = lambda shard, local: True,
    matching: Callable[[Shard, list[str]], set[int] | None] | None = None,
) -> tuple[list[Summary], int]:
    """One page of :func:`search` and the total, sorting only the months the page touches."""
    words = query.words
    if query.text and not words:
        return [], 0
    start, end = (page - 1) * per_page, page * per_page
    shown: list[Summary] = []
    total = 0
    for shard in _shards_in_range(shards, query):
        found = candidates(shard, query, words, stale, recheck, matching)
        if total < end and total + len(found) > start:
            ordered = sorted(found, reverse=True)
            first = max(0, start - total)
            last = min(len(ordered), end - total)
            shown.extend(shard.summaries[n] for n in ordered[first:last])
        total += len(found)
    return shown, total


def parse_query(params: dict[str, str], agent: str | None) -> HistoryQuery:
    """A :class:`HistoryQuery` from HTTP query parameters.

    Raises:
        ValueError: a parameter with a precise message (the routes answer 400 bad_request).
    """
    return HistoryQuery(
        agent=agent,
        since=_number(params, "from"),
        until=_number(params, "to"),
        customer=_text(params, "customer", 120),
        text=_text(params, "q", 200),
        presented=_flag(params, "presented"),
        files=_flag(params, "files"),
        min_duration_s=_number(params, "min_duration_s"),
        max_duration_s=_number(params, "max_duration_s"),
    )


def _number(params: dict[str, str], name: str) -> float | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"'{name}' must be a number of seconds, not {raw[:20]!r}") from None
    if not 0 <= value < 1e11:
        raise ValueError(f"'{name}' is out of range")
    return value


def _flag(params: dict[str, str], name: str) -> bool | None:
    raw = params.get(name, "").strip().lower()
    if raw in ("", "any"):
        return None
    if raw in ("yes", "true", "1"):
        return True
    if raw in ("no", "false", "0"):
        return False
    raise ValueError(f"'{name}' must be yes, no or any")


def _text(params: dict[str, str], name: str, limit: int) -> str:
    raw = " ".join(params.get(name, "").split())
    if len(raw) > limit:
        raise ValueError(f"'{name}' may be at most {limit} characters")
    return raw
