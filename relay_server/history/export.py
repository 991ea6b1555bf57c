"""History exports to .xlsx (A10, AD2) with openpyxl's write-only mode.

Rows go straight to openpyxl's temporary files, so memory stays flat whatever the number of
sessions; the routes stream the finished file to the client. Sheet 1 has one row per session
(real Excel date-times in the reader's time zone, durations as Excel durations), sheet 2 every
chat message. Every text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is stored as text with Excel's quote prefix, never as a formula (CSV/Excel injection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from relay_server.history.index import customer_names

MAX_EXPORT_SESSIONS = 20_000
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
DURATION_FORMAT = "[h]:mm:ss"
# Records between two pauses, where the relay serves its sockets: ~3 ms of openpyxl each.
PAUSE_EVERY = 2

HEADERS: dict[str, dict[str, Any]] = {
    "en": {
        "sessions": "Sessions",
        "transcripts": "Transcripts",
        "session": [
            "Start", "End", "Duration", "Agent", "Customers", "Notes", "Files", "Messages",
            "Presented", "Control", "Session ID",
        ],
        "transcript": ["Session ID", "Time", "From", "Name", "Message"],
        "yes": "yes",
        "no": "no",
        "roles": {"agent": "agent", "customer": "customer"},
    },
    "ko": {
        "sessions": "상담 내역",
        "transcripts": "대화 내용",
        "session": [
            "시작", "종료", "상담 시간", "상담원", "고객", "상담 일지", "파일", "메시지 수",
            "화면 공유", "원격 제어", "세션 ID",
        ],
        "transcript": ["세션 ID", "시각", "보낸 사람", "이름", "메시지"],
        "yes": "예",
        "no": "아니요",
        "roles": {"agent": "상담원", "customer": "고객"},
    },
}  # fmt: skip
SESSION_WIDTHS = [20, 20, 11, 18, 24, 50, 36, 10, 10, 10, 24]
TRANSCRIPT_WIDTHS = [24, 20, 11, 18, 80]


def write_xlsx(
    path: Path,
    records: Iterable[dict[str, Any]],
    tz_offset_min: int = 0,
    lang: str = "en",
    pause: Callable[[], None] = lambda: None,
) -> int:
    """Write the records' workbook to ``path``; returns the number of sessions written.

    Args:
        tz_offset_min: the reader's offset from UTC in minutes (Seoul: 540); Excel date-times
            carry no time zone, so they are written as the reader's wall-clock time.
        pause: called every few records (the relay yields to its other greenlets there).
    """
    words = HEADERS.get(lang, HEADERS["en"])
    book = Workbook(write_only=True)
    sessions = book.create_sheet(words["sessions"])
    transcripts = book.create_sheet(words["transcripts"])
    offset = timedelta(minutes=tz_offset_min)
    bold = Font(bold=True)

    def prepare(sheet: Any, headers: list[str], widths: list[int]) -> None:
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths):
            sheet.column_dimensions[_column(index)].width = width
        row = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = bold
            row.append(cell)
        sheet.append(row)

    def text(sheet: Any, value: Any) -> WriteOnlyCell:
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value or ""))[:MAX_CELL_CHARS]
        cell = WriteOnlyCell(sheet, value=value)
        if value.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # openpyxl took "=..." for a formula
            cell.quotePrefix = True  # and Excel shows it as typed text
        return cell

    def when(sheet: Any, seconds: Any) -> WriteOnlyCell | None:
        if not isinstance(seconds, int | float):
            return None
        moment = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None) + offset
        cell = WriteOnlyCell(sheet, value=moment)
        cell.number_format = DATE_FORMAT
        return cell

    prepare(sessions, words["session"], SESSION_WIDTHS)
    prepare(transcripts, words["transcript"], TRANSCRIPT_WIDTHS)
    count = 0
    messages_written = 0
    for record in records:
        started = record.get("started_at") or record.get("created_at")
        duration = WriteOnlyCell(sessions, value=timedelta(seconds=record.get("duration_s") or 0))
        duration.number_format = DURATION_FORMAT
        agent = (record.get("agent") or {}).get("name") or record.get("agent_username", "")
        files = "\n".join(
            f"{f.get('name')} ({f.get('size')} bytes, {f.get('sender')})"
            for f in record.get("files") or ()
        )
        yes_no = (words["no"], words["yes"])
        sessions.append(
            [
                when(sessions, started),
                when(sessions, record.get("ended_at")),
                duration,
                text(sessions, agent),
                text(sessions, ", ".join(customer_names(record))),
                text(sessions, record.get("notes", "")),
                text(sessions, files),
                record.get("message_count") or 0,
                yes_no[bool(record.get("presentations"))],
                yes_no[bool(record.get("control_grants"))],
                text(sessions, record.get("id", "")),
            ]
        )
        for message in record.get("messages") or ():
            role = str(message.get("role", ""))
            transcripts.append(
                [
                    text(transcripts, record.get("id", "")),
                    when(transcripts, message.get("sent_at")),
                    words["roles"].get(role, role),
                    text(transcripts, message.get("name", "")),
                    text(transcripts, message.get("text", "")),
                ]
            )
            messages_written += 1
        count += 1
        if count % PAUSE_EVERY == 0:
            pause()
    sessions.auto_filter.ref = f"A1:{_column(len(SESSION_WIDTHS) - 1)}{count + 1}"
    transcripts.auto_filter.ref = f"A1:{_column(len(TRANSCRIPT_WIDTHS) - 1)}{messages_written + 1}"
    book.save(path)
    return count


def _column(index: int) -> str:
    return chr(ord("A") + index)
