"""The usage statistics (AD3) as an .xlsx workbook: one sheet per chart, the numbers as numbers.

Small (a year is ~370 day rows, an agent a row, 7 x 24 hours), so it is built in memory with
openpyxl's normal mode. Durations are Excel durations, dates Excel dates; text that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a text cell with Excel's quote
prefix, never a formula (an agent's name is the admin's input, not ours), as in ``export.py``.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from relay_server.history.export import DURATION_FORMAT, FORMULA_STARTS, MAX_CELL_CHARS

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "summary": "Summary",
        "days": "Per day",
        "agents": "Per agent",
        "features": "Features used",
        "hours": "Busiest hours",
        "reservations": "Reservations",
        "period": "Period",
        "time_zone": "Time zone",
        "agent": "Agent",
        "everyone": "all agents",
        "sessions": "Sessions",
        "total": "Total duration",
        "average": "Average duration",
        "date": "Date",
        "id": "ID",
        "feature": "Feature",
        "share": "Share of sessions",
        "weekday": "Day",
        "status": "Status",
        "count": "Reservations",
        "none": "No reservations yet",
        "feature_names": {
            "presented": "Screen sharing", "controlled": "Remote control",
            "files": "Files", "called": "Calls",
        },
        "statuses": {
            "kept": "Kept", "cancelled": "Cancelled", "missed": "Missed", "upcoming": "Upcoming",
        },
        "weekdays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    },
    "ko": {
        "summary": "요약",
        "days": "일별",
        "agents": "상담원별",
        "features": "기능 사용",
        "hours": "붐비는 시간대",
        "reservations": "예약",
        "period": "기간",
        "time_zone": "시간대",
        "agent": "상담원",
        "everyone": "모든 상담원",
        "sessions": "상담 수",
        "total": "총 상담 시간",
        "average": "평균 상담 시간",
        "date": "날짜",
        "id": "ID",
        "feature": "기능",
        "share": "상담 중 비율",
        "weekday": "요일",
        "status": "상태",
        "count": "예약 수",
        "none": "아직 예약이 없습니다",
        "feature_names": {
            "presented": "화면 공유", "controlled": "원격 제어", "files": "파일", "called": "통화",
        },
        "statuses": {
            "kept": "진행됨", "cancelled": "취소됨", "missed": "진행 안 됨", "upcoming": "예정",
        },
        "weekdays": ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"],
    },
}  # fmt: skip


def statistics_xlsx(stats: dict[str, Any], lang: str = "en") -> bytes:
    """The workbook of :func:`relay_server.history.statistics.compute`'s result (plus its
    ``reservations``), headers in ``lang`` (``en`` or ``ko``)."""
    words = WORDS.get(lang, WORDS["en"])
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, headers: list[str], widths: list[int]) -> Any:
        found = book.create_sheet(title)
        found.append(headers)
        for index, width in enumerate(widths, start=1):
            found.column_dimensions[get_column_letter(index)].width = width
            found.cell(1, index).font = bold
        found.freeze_panes = "A2"
        return found

    def text(target: Any, row: int, column: int, value: Any) -> None:
        cell = target.cell(row, column)
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value or ""))[:MAX_CELL_CHARS]
        cell.value = value
        if value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True

    def duration(target: Any, row: int, column: int, seconds: float) -> None:
        cell = target.cell(row, column, timedelta(seconds=round(seconds)))
        cell.number_format = DURATION_FORMAT

    book.remove(book.active)
    summary = book.create_sheet(words["summary"])
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 22, 40
    period = f"{stats['from']} – {stats['to']}"
    rows = [
        (words["period"], period),
        (words["time_zone"], stats["tz"]),
        (words["agent"], stats["agent"] or words["everyone"]),
        (words["sessions"], stats["sessions"]),
    ]
    for number, (label, value) in enumerate(rows, start=1):
        summary.cell(number, 1, label).font = bold
        if isinstance(value, int):
            summary.cell(number, 2, value)
        else:
            text(summary, number, 2, value)
    for number, (label, key) in enumerate(
        ((words["total"], "total_duration_s"), (words["average"], "average_duration_s")),
        start=len(rows) + 1,
    ):
        summary.cell(number, 1, label).font = bold
        duration(summary, number, 2, stats[key])

    columns = [words["date"], words["sessions"], words["total"], words["average"]]
    days = sheet(words["days"], columns, [14, 10, 16, 16])
    for number, day in enumerate(stats["days"], start=2):
        cell = days.cell(number, 1, date.fromisoformat(day["date"]))
        cell.number_format = DATE_FORMAT
        days.cell(number, 2, day["sessions"])
        duration(days, number, 3, day["total_duration_s"])
        duration(days, number, 4, day["average_duration_s"])

    columns = [words["agent"], words["id"], words["sessions"], words["total"], words["average"]]
    agents = sheet(words["agents"], columns, [24, 18, 10, 16, 16])
    for number, agent in enumerate(stats["agents"], start=2):
        text(agents, number, 1, agent["name"])
        text(agents, number, 2, agent["username"])
        agents.cell(number, 3, agent["sessions"])
        duration(agents, number, 4, agent["total_duration_s"])
        duration(agents, number, 5, agent["average_duration_s"])

    columns = [words["feature"], words["sessions"], words["share"]]
    features = sheet(words["features"], columns, [20, 10, 18])
    for number, (key, value) in enumerate(stats["features"].items(), start=2):
        features.cell(number, 1, words["feature_names"].get(key, key))
        features.cell(number, 2, value["sessions"])
        features.cell(number, 3, value["share"]).number_format = PERCENT_FORMAT

    columns = [words["weekday"], *[f"{h:02d}" for h in range(24)]]
    hours = sheet(words["hours"], columns, [12, *[5] * 24])
    for number, counts in enumerate(stats["hours"], start=2):
        hours.cell(number, 1, words["weekdays"][number - 2]).font = bold
        for hour, count in enumerate(counts, start=2):
            hours.cell(number, hour, count)

    reservations = sheet(words["reservations"], [words["status"], words["count"]], [16, 14])
    counts = stats.get("reservations")
    if counts is None:
        reservations.cell(2, 1, words["none"])
    else:
        for number, (key, count) in enumerate(counts.items(), start=2):
            reservations.cell(number, 1, words["statuses"].get(key, key))
            reservations.cell(number, 2, count)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
