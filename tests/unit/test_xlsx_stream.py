"""The streaming .xlsx writer of the history export, read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from relay_server.history.export import ExportError, export, job_lines
from relay_server.history.history import History
from relay_server.history.index import HistoryQuery
from relay_server.history.xlsx_stream import MAX_CELL_CHARS, write_workbook

T0 = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC


def record(n: int = 1, **extra) -> dict:
    return {
        "id": f"s{n}",
        "agent_username": "alice",
        "agent": {"name": "Alice Kim"},
        "participants": [{"role": "customer", "name": "Kim Customer"}],
        "started_at": T0,
        "ended_at": T0 + 3725,
        "duration_s": 3725.0,
        "message_count": 2,
        "messages": [
            {"role": "customer", "name": "Kim Customer", "text": "견적서", "sent_at": T0 + 5},
            {"role": "agent", "name": "Alice Kim", "text": "on its way", "sent_at": T0 + 9},
        ],
        "notes": "call back",
        "files": [{"name": "a.pdf", "size": 10, "sender": "agent"}],
        "presentations": 1,
        "control_grants": 0,
        **extra,
    }


def read_back(records: list[dict], **options):
    out = io.BytesIO()
    count = write_workbook(out, records, **options)
    return count, load_workbook(io.BytesIO(out.getvalue()))


def test_types_sheets_header_and_filters():
    """Dates are date-times in the reader's time, durations timedeltas, counts numbers, with a
    frozen bold header, filters over the rows written and column widths on both sheets."""
    count, book = read_back([record(1), record(2)], tz_offset_min=540)
    assert count == 2
    sessions, transcripts = book.worksheets
    assert (sessions.title, transcripts.title) == ("Sessions", "Transcripts")
    assert sessions.freeze_panes == transcripts.freeze_panes == "A2"
    assert (sessions.auto_filter.ref, transcripts.auto_filter.ref) == ("A1:K3", "A1:E5")
    assert sessions["A1"].value == "Start" and sessions["A1"].font.b
    assert sessions.column_dimensions["F"].width == 50
    row = [cell.value for cell in sessions[2]]
    assert row[0] == datetime(2026, 5, 29, 5, 26, 40)  # 20:26:40 UTC in Seoul
    assert row[1] == datetime(2026, 5, 29, 6, 28, 45)
    assert row[2] == timedelta(hours=1, minutes=2, seconds=5)
    assert row[3:] == [
        "Alice Kim", "Kim Customer", "call back", "a.pdf (10 bytes, agent)", 2, "yes", "no", "s1",
    ]  # fmt: skip
    assert [c.value for c in transcripts[2]][1:] == [
        datetime(2026, 5, 29, 5, 26, 45), "customer", "Kim Customer", "견적서",
    ]  # fmt: skip
    assert transcripts["A5"].value == "s2"


def test_korean_headers_and_an_empty_export():
    """lang=ko names sheets and headers in Korean; no records is a header-only workbook."""
    count, book = read_back([], lang="ko")
    assert count == 0
    assert [sheet.title for sheet in book.worksheets] == ["상담 내역", "대화 내용"]
    assert book.worksheets[0]["B1"].value == "종료"
    assert book.worksheets[0].auto_filter.ref == "A1:K1"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_looks_like_a_formula_is_text(start):
    """A text beginning with = + - @ tab or CR is a quote-prefixed string, never a formula."""
    text = f'{start}HYPERLINK("http://x","y")'
    _, book = read_back([record(notes=text)])
    cell = book.worksheets[0]["F2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert book.worksheets[0]["D2"].quotePrefix is False


def test_xml_is_escaped_and_invalid_characters_removed():
    """Markup stays literal text; control characters, lone surrogates and U+FFFF are dropped,
    tab, newline and carriage return are kept."""
    text = '<b>&amp;</b> "q"\x00\x01\x1f\ud800\uffff a\tb\nc\rd  '
    _, book = read_back([record(notes=text, agent={"name": "A & <B>"})])
    sheet = book.worksheets[0]
    assert sheet["F2"].value == '<b>&amp;</b> "q" a\tb\nc\rd  '
    assert sheet["D2"].value == "A & <B>"


def test_a_huge_cell_is_cut_at_excels_limit():
    """A text over 32,767 characters is cut to 32,767 (Excel refuses longer cells)."""
    _, book = read_back([record(notes="x" * (MAX_CELL_CHARS + 500))])
    assert len(book.worksheets[0]["F2"].value) == MAX_CELL_CHARS


def test_missing_and_odd_values_leave_cells_empty():
    """A record without times, messages or agent gives empty cells, not a broken row."""
    odd = {"id": "odd", "messages": [{"text": "hi"}, "not a message"], "duration_s": "x"}
    _, book = read_back([odd])
    row = [cell.value for cell in book.worksheets[0][2]]
    assert row[0] is None and row[2] == timedelta(0) and row[10] == "odd"
    assert [c.value for c in book.worksheets[1][2]] == ["odd", None, None, None, "hi"]


class Pipe(io.RawIOBase):
    """A write-only stream that cannot seek or tell, like the child's stdout."""

    def __init__(self):
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:
        self.data += chunk
        return len(chunk)


def test_a_pipe_gets_a_valid_workbook():
    """Written to an unseekable stream (the child's stdout), the zip is still whole."""
    pipe = Pipe()
    write_workbook(pipe, [record(n) for n in range(3)])
    data = bytes(pipe.data)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert load_workbook(io.BytesIO(data)).worksheets[0].max_row == 4


def test_the_child_reads_records_where_the_relay_says_with_edited_notes(tmp_path):
    """export() reads each record at its location, with the notes edited after the end."""
    history = History(tmp_path / "history")
    for n in (1, 2):
        history.add(record(n))
    history.set_notes("s1", "=1+1", "alice", T0 + 9000)
    job = b"".join(job_lines(history.locations(history.find(HistoryQuery()))))
    lines = job.splitlines(keepends=True)  # as the child reads its stdin
    out = io.BytesIO()
    assert export(tmp_path / "history", lines, out, 0, "en") == 2
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    assert [sheet["K2"].value, sheet["K3"].value] == ["s2", "s1"]
    assert (sheet["F3"].value, sheet["F3"].data_type) == ("=1+1", "s")


def test_a_wrong_location_fails_before_anything_is_written(tmp_path):
    """A location that holds another record (or none) is an error, and out stays empty."""
    history = History(tmp_path / "history")
    history.add(record(1))
    shard = history.shards[0].name
    out = io.BytesIO()
    bad = [f'{{"shard":"{shard}","offset":1,"length":20,"id":"s1"}}\n'.encode()]
    with pytest.raises(ExportError, match="no record of s1"):
        export(tmp_path / "history", bad, out, 0, "en")
    for line in (b'{"shard":"../x","offset":0,"length":5,"id":"s1"}\n', b"[1]\n"):
        with pytest.raises(ExportError, match="not a record location"):
            export(tmp_path / "history", [line], out, 0, "en")
    assert out.getvalue() == b""
