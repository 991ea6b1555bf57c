"""A streaming .xlsx writer for the history export (A10, AD2), with no spreadsheet library.

An .xlsx file is a zip of a few XML parts (SpreadsheetML, ECMA-376): fixed ones (content
types, relationships, styles, the workbook) and one part per sheet, which is a header and then
one ``<row>`` element per row. Here the rows are formatted straight into strings and streamed
into the zip entry as they come, so a sheet is never held in memory and a cell costs about a
microsecond (openpyxl's write-only mode took ~16 µs a cell through its cell objects and lxml:
33 s of CPU for 10,000 sessions; docs/performance.md).

- **Text** is an inline string (``t="inlineStr"``): no shared-strings table to hold, and no
  cell is ever a formula, whatever it begins with. A text that begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return also gets Excel's quote prefix (shown as typed,
  kept as text when edited). Characters XML 1.0 cannot carry (control characters, lone
  surrogates, U+FFFE/U+FFFF) are removed, ``&<>`` escaped, a carriage return written as
  ``&#13;`` (XML parsers would turn it into a line feed), and a text longer than Excel's
  32,767 characters is cut there.
- **Date-times** are Excel serial numbers (days since 1899-12-30) in the reader's wall-clock
  time with a date style; **durations** fractions of a day with ``[h]:mm:ss``.
- Both sheets have a frozen header row, an auto filter over what was written and column
  widths. Sheet 1 has one row per session, sheet 2 every chat message; both come from one pass
  over the records: sheet 2 streams into the zip while sheet 1's rows wait in an anonymous
  temporary file (a tenth of the size), copied in after.

The output may be a pipe: ``zipfile`` then writes each entry's sizes after its data.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from relay_server.history.index import customer_names

MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
DURATION_FORMAT = "[h]:mm:ss"
EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial day (1900 date system)
DAY_S = 86_400
# zlib level 1: the sheets are repetitive XML; level 6 made the file ~10 % smaller for about
# three times the CPU of the whole export.
COMPRESS_LEVEL = 1
CHUNK_BYTES = 256 * 1024

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

# The cell styles of styles.xml, by their index in cellXfs.
STYLE_BOLD, STYLE_DATE, STYLE_DURATION, STYLE_QUOTED = 1, 2, 3, 4

# Not allowed in XML 1.0: C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    _XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
PACKAGE_RELS = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
    f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/worksheet" Target="worksheets/sheet2.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
)
_XF = '<xf numFmtId="{}" fontId="{}" fillId="0" borderId="0" xfId="0"{}/>'
STYLES = (
    _XML_DECL + f'<styleSheet xmlns="{_MAIN_NS}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DURATION_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    + _XF.format(0, 0, "")
    + _XF.format(0, 1, ' applyFont="1"')  # STYLE_BOLD
    + _XF.format(164, 0, ' applyNumberFormat="1"')  # STYLE_DATE
    + _XF.format(165, 0, ' applyNumberFormat="1"')  # STYLE_DURATION
    + _XF.format(0, 0, ' quotePrefix="1"')  # STYLE_QUOTED
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def clean_text(value: Any) -> str:
    """``value`` as cell text: XML-invalid characters removed, cut at Excel's limit."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return _NOT_XML_RE.sub("", text)[:MAX_CELL_CHARS]


def escape(text: str) -> str:
    """``text`` for XML content or a double-quoted attribute (str.replace scans in C; a
    translate table was 3x slower on Korean text)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
    )


def text_cell(ref: str, value: Any) -> str:
    """An inline-string cell; quote-prefixed when it would look like a formula."""
    text = clean_text(value)
    if not text:
        return ""
    style = f' s="{STYLE_QUOTED}"' if text.startswith(FORMULA_STARTS) else ""
    escaped = escape(text)
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escaped}</t></is></c>'


def number_cell(ref: str, value: float | int, style: int = 0) -> str:
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled}><v>{value!r}</v></c>'


def excel_time(seconds: Any, offset_s: float) -> float | None:
    """Epoch ``seconds`` as an Excel serial date-time in the reader's wall-clock time."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    return round((seconds + offset_s) / DAY_S + EXCEL_EPOCH_DAYS, 9)


def _column(index: int) -> str:
    return chr(ord("A") + index)  # at most 11 columns


def _sheet_start(headers: list[str], widths: list[int]) -> str:
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(widths, 1)
    )
    header = "".join(text_cell(f"{_column(i)}1", title) for i, title in enumerate(headers))
    header = header.replace(' t="inlineStr"', f' s="{STYLE_BOLD}" t="inlineStr"')
    return (
        _XML_DECL + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols>'
        f'<sheetData><row r="1">{header}</row>'
    )


def _sheet_end(columns: int, rows: int) -> str:
    return f'</sheetData><autoFilter ref="{_filter_ref(columns, rows)}"/></worksheet>'


def _filter_ref(columns: int, rows: int) -> str:
    return f"A1:{_column(columns - 1)}{rows}"


def _workbook(names: tuple[str, str], refs: tuple[str, str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(clean_text(name))}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, 1)
    )
    # Excel keeps each sheet's filter range in this hidden name as well.
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"'{name.replace(chr(39), chr(39) * 2)}'!{_absolute(ref)}</definedName>"
        for n, (name, ref) in enumerate(zip(names, refs, strict=True))
    )
    return (
        _XML_DECL + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f"<sheets>{sheets}</sheets><definedNames>{defined}</definedNames></workbook>"
    )


def _absolute(ref: str) -> str:
    first, last = ref.split(":")
    return ":".join(f"${cell[0]}${cell[1:]}" for cell in (first, last))


def write_workbook(
    out: IO[bytes],
    records: Iterable[dict[str, Any]],
    tz_offset_min: int = 0,
    lang: str = "en",
) -> int:
    """Write the records' workbook to ``out`` (a file or a pipe); returns the sessions written.

    Args:
        records: archived session records (``History.record``), in the order of the rows.
        tz_offset_min: the reader's offset from UTC in minutes (Seoul: 540); Excel date-times
            carry no time zone, so they are written as the reader's wall-clock time.
        lang: ``en`` or ``ko``: sheet names, headers, yes/no and roles.
    """
    words = HEADERS.get(lang, HEADERS["en"])
    offset_s = tz_offset_min * 60
    yes_no = (words["no"], words["yes"])
    roles = words["roles"]
    sessions = messages = 0
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as book,
        tempfile.TemporaryFile() as session_rows,
    ):
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", PACKAGE_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
        with book.open("xl/worksheets/sheet2.xml", "w") as transcript:
            transcript.write(_sheet_start(words["transcript"], TRANSCRIPT_WIDTHS).encode())
            for record in records:
                sessions += 1
                row = sessions + 1
                session_id = record.get("id", "")
                agent = (record.get("agent") or {}).get("name") or record.get("agent_username")
                files = "\n".join(
                    f"{f.get('name')} ({f.get('size')} bytes, {f.get('sender')})"
                    for f in record.get("files") or ()
                    if isinstance(f, dict)
                )
                started = excel_time(record.get("started_at") or record.get("created_at"), offset_s)
                ended = excel_time(record.get("ended_at"), offset_s)
                duration = record.get("duration_s") or 0
                if not isinstance(duration, int | float):
                    duration = 0
                cells = [
                    number_cell(f"A{row}", started, STYLE_DATE) if started is not None else "",
                    number_cell(f"B{row}", ended, STYLE_DATE) if ended is not None else "",
                    number_cell(f"C{row}", round(duration / DAY_S, 9), STYLE_DURATION),
                    text_cell(f"D{row}", agent),
                    text_cell(f"E{row}", ", ".join(customer_names(record))),
                    text_cell(f"F{row}", record.get("notes")),
                    text_cell(f"G{row}", files),
                    number_cell(f"H{row}", _whole(record.get("message_count"))),
                    text_cell(f"I{row}", yes_no[bool(record.get("presentations"))]),
                    text_cell(f"J{row}", yes_no[bool(record.get("control_grants"))]),
                    text_cell(f"K{row}", session_id),
                ]
                session_rows.write(f'<row r="{row}">{"".join(cells)}</row>'.encode())
                # The session ID cell is the same in every message row but for its reference.
                id_cell = text_cell("A", session_id)[len('<c r="A"') :]
                lines = []
                for message in record.get("messages") or ():
                    if not isinstance(message, dict):
                        continue
                    messages += 1
                    n = messages + 1
                    sent = excel_time(message.get("sent_at"), offset_s)
                    role = str(message.get("role", ""))
                    lines.append(
                        f'<row r="{n}">'
                        + (f'<c r="A{n}"{id_cell}' if id_cell else "")
                        + (number_cell(f"B{n}", sent, STYLE_DATE) if sent is not None else "")
                        + text_cell(f"C{n}", roles.get(role, role))
                        + text_cell(f"D{n}", message.get("name"))
                        + text_cell(f"E{n}", message.get("text"))
                        + "</row>"
                    )
                if lines:
                    transcript.write("".join(lines).encode())
            transcript.write(_sheet_end(len(TRANSCRIPT_WIDTHS), messages + 1).encode())
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_sheet_start(words["session"], SESSION_WIDTHS).encode())
            session_rows.seek(0)
            shutil.copyfileobj(session_rows, sheet, CHUNK_BYTES)
            sheet.write(_sheet_end(len(SESSION_WIDTHS), sessions + 1).encode())
        refs = (
            _filter_ref(len(SESSION_WIDTHS), sessions + 1),
            _filter_ref(len(TRANSCRIPT_WIDTHS), messages + 1),
        )
        book.writestr("xl/workbook.xml", _workbook((words["sessions"], words["transcripts"]), refs))
    return sessions


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
