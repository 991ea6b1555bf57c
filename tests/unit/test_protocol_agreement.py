"""docs/protocol.md, suite/protocol/ and ui/common/protocol.js list the same contract: message
types, fields and which may be left out, limits, close and error codes; and no code outside
suite/protocol spells a message type as a string."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from suite import strokes
from suite.protocol import (
    CLIENT_MESSAGES,
    RELAY_MESSAGES,
    CloseCode,
    ErrorCode,
    MessageType,
    SendChat,
    field_specs,
)
from suite.protocol import base as protocol_base
from suite.protocol import calls as protocol_calls
from suite.protocol import control as protocol_control
from suite.protocol import screen as protocol_screen
from suite.protocol import sharing as protocol_sharing
from suite.protocol import wrong_node as protocol_wrong_node
from suite.protocol.session_reservation import FIELD_NAMES as RESERVATION_FIELDS

ROOT = Path(__file__).resolve().parents[2]


def _doc() -> str:
    return (ROOT / "docs" / "protocol.md").read_text()


def _doc_message_types() -> set[str]:
    """Message types named in the first column of the doc's message tables."""
    sections = (
        "### Client → relay",
        "### Relay → client",
        "### Presentation request",
        "### Screen",
    )
    types = set()
    in_section = False
    for line in _doc().splitlines():
        if line.startswith("### "):
            in_section = line.startswith(sections)
        elif in_section and line.startswith("| `"):
            first_cell = line.split("|")[1]
            types.update(re.findall(r"`([a-z_]+)`", first_cell))
    return types


def _doc_close_codes() -> dict[int, str]:
    return {int(m[1]): m[2] for m in re.finditer(r"^\| (\d{4}) \| ([a-z_]+) \|", _doc(), re.M)}


def _js_object(name: str) -> dict[str, str]:
    text = (ROOT / "ui" / "common" / "protocol.js").read_text()
    body = re.search(rf"export const {name} = Object\.freeze\(\{{(.*?)\}}\)", text, re.S)
    assert body, f"protocol.js has no frozen {name}"
    return dict(re.findall(r"^\s*([A-Z_]+): \"?([a-z_0-9]+)\"?,", body.group(1), re.M))


def test_message_types_agree():
    python = {str(t) for t in MessageType}
    assert _doc_message_types() == python
    assert set(_js_object("MessageType").values()) == python
    assert {k: v for k, v in _js_object("MessageType").items()} == {
        t.name: str(t) for t in MessageType
    }


def test_close_codes_agree():
    python = {int(c): c.name.lower() for c in CloseCode}
    assert _doc_close_codes() == python
    assert {int(v): k.lower() for k, v in _js_object("CloseCode").items()} == python


def test_error_codes_are_documented():
    section = _doc().split("### Error codes in `error`")[1].split("###")[0]
    assert set(re.findall(r"`([a-z_]+)`", section)) == {str(c) for c in ErrorCode}


def test_protocol_versions_agree():
    from suite.protocol import PROTOCOL_VERSION

    js = (ROOT / "ui" / "common" / "protocol.js").read_text()
    assert f"export const PROTOCOL_VERSION = {PROTOCOL_VERSION};" in js
    assert f"Protocol version: **{PROTOCOL_VERSION}**" in _doc()


def test_session_reservation_fields_agree():
    """`session.reservation`: the dataclass, protocol.js and the doc's `session` paragraph name
    the same fields (the doc's `{...}` and the agent's `invited` and `invitees`)."""
    assert set(_js_object("SessionReservationField").values()) == set(RESERVATION_FIELDS)
    paragraph = re.search(r"`reservation`: the\s+booked meeting.*?`invited`", _doc(), re.S)
    assert paragraph, "docs/protocol.md no longer describes session.reservation"
    listed = re.search(r"`\{([a-z_, ]+)\}`", paragraph.group(0))
    assert listed
    documented = {name.strip() for name in listed.group(1).split(",")} | {"invited", "invitees"}
    assert documented == set(RESERVATION_FIELDS)


# -- fields: doc tables <-> dataclasses --------------------------------------------------------

MESSAGE_SECTIONS = (
    "### Client → relay",
    "### Relay → client",
    "### Presentation request",
    "### Screen",
)


def _strip_parentheses(text: str) -> str:
    """Drop "(...)" asides, nested ones too: they describe a field, they do not name one."""
    while True:
        stripped = re.sub(r"\([^()]*\)", "", text)
        if stripped == text:
            return text
        text = stripped


def _doc_rows() -> list[tuple[list[str], str, str]]:
    """(types, direction, fields cell) of every row of the message tables.

    direction is "client", "relay" or "both" (``client → relay → others``).
    """
    rows = []
    section, columns = None, []
    for line in _doc().splitlines():
        if line.startswith("### "):
            section = line if line.startswith(MESSAGE_SECTIONS) else None
            columns = []
        elif section and line.startswith("| type |"):
            columns = [cell.strip() for cell in _cells(line)]
        elif line.startswith("| ") and not line.startswith("| `"):
            columns = []  # another table's header (the HTTP routes of the files section)
        elif section and columns and line.startswith("| `"):
            cells = dict(zip(columns, (c.strip() for c in _cells(line)), strict=True))
            types = re.findall(r"`([a-z_]+)`", cells["type"])
            if "direction" in cells:
                arrows = cells["direction"].split("→")
                direction = {2: "relay" if "relay" in arrows[0] else "client", 3: "both"}[
                    len(arrows)
                ]
            else:
                direction = "relay" if section.startswith("### Relay") else "client"
            rows.append((types, direction, cells["fields"]))
    return rows


def _cells(line: str) -> list[str]:
    """The cells of a table row; ``\\|`` is a pipe inside a cell (GitHub's table rule)."""
    return [c.replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _doc_fields(cell: str) -> tuple[dict[str, bool], set[str]]:
    """({field: optional}, fields the relay adds) named in a fields cell."""
    relay_adds: set[str] = set()
    if "relay adds" in cell:
        cell, added = cell.split("relay adds", 1)
        relay_adds = set(re.findall(r"`([a-z_]+)`", added))
    cell = _strip_parentheses(cell)
    cell = re.sub(r"for (`[a-z_]+`/?)+:", "", cell)  # "for `down`/`up`:" qualifies, not names
    fields = {name: bool(mark) for name, mark in re.findall(r"`([a-z_]+)(\??)[^`]*`", cell)}
    return fields, relay_adds


def _check_fields(cls, doc_fields: dict[str, bool], check_optional: bool) -> None:
    specs = field_specs(cls)
    assert set(specs) == set(doc_fields), f"{cls.__name__} vs the doc row of {cls.type}"
    if check_optional:
        for name, spec in specs.items():
            if doc_fields[name]:
                assert spec.optional, f"the doc says {cls.type}.{name} may be left out"
            if not spec.optional:
                assert not doc_fields[name], f"{cls.__name__}.{name} is required"


def test_every_message_type_has_a_model_and_every_model_a_doc_row():
    """Each type is a client dataclass, a relay dataclass or both, and the doc has its row."""
    assert set(CLIENT_MESSAGES) | set(RELAY_MESSAGES) == {str(t) for t in MessageType}
    documented = {(t, d) for types, d, _ in _doc_rows() for t in types}
    for message_type in CLIENT_MESSAGES:
        assert {(message_type, "client"), (message_type, "both")} & documented, message_type
    for message_type in RELAY_MESSAGES:
        assert {(message_type, "relay"), (message_type, "both")} & documented, message_type


def test_doc_fields_agree_with_the_dataclasses():
    """Every row's fields (and which may be left out) are its dataclass's wire fields."""
    checked = 0
    for types, direction, cell in _doc_rows():
        fields, relay_adds = _doc_fields(cell)
        for message_type in types:
            if direction in ("client", "both"):
                _check_fields(CLIENT_MESSAGES[message_type], fields, check_optional=True)
                checked += 1
            if direction in ("relay", "both"):
                relayed = dict(fields, **dict.fromkeys(relay_adds, False))
                _check_fields(RELAY_MESSAGES[message_type], relayed, direction == "relay")
                checked += 1
    assert checked >= len(MessageType)


def test_a_changed_doc_row_is_caught():
    """The comparison above can fail: a field missing from a row is reported."""
    fields, _ = _doc_fields("`client_id` (1–64 chars, unique per sender)")
    with pytest.raises(AssertionError):
        _check_fields(SendChat, fields, check_optional=True)


def test_the_doc_lists_fields_in_every_tables_shape():
    """The cell parser reads the doc's notations: asides, "for x:", nested objects, "?"."""
    assert _doc_fields(
        "`action` (`down`, `up`, `text`); for `down`/`up`: `key`, `code` (DOM, ≤ 32 chars), "
        "`modifiers` (subset of `shift`); for `text`: `text` (1–256 chars)"
    ) == ({"action": False, "key": False, "code": False, "modifiers": False, "text": False}, set())
    assert _doc_fields("`id`, `points?` (the last ones); relay adds `author`") == (
        {"id": False, "points": True},
        {"author"},
    )
    assert _doc_fields("`you {role, name}`, `strokes`: `[{author, id}]`")[0] == {
        "you": False,
        "strokes": False,
    }


# -- limits: doc <-> Python <-> protocol.js ----------------------------------------------------


def _js_constants() -> dict[str, int]:
    text = (ROOT / "ui" / "common" / "protocol.js").read_text()
    return {m[1]: int(m[2]) for m in re.finditer(r"^export const ([A-Z_]+) = (\d+);", text, re.M)}


PYTHON_LIMITS = {
    name: getattr(module, name)
    for module in (
        protocol_base,
        protocol_calls,
        protocol_control,
        protocol_screen,
        protocol_sharing,
        protocol_wrong_node,
        strokes,
    )
    for name in dir(module)
    if name.startswith(("MAX_", "MIN_")) and isinstance(getattr(module, name), int)
}


def test_js_limits_carry_the_python_names_and_values():
    """protocol.js mirrors the limits a page checks, under their Python names."""
    js = {k: v for k, v in _js_constants().items() if k.startswith(("MAX_", "MIN_"))}
    for name in ("MAX_CHAT_CHARS", "MAX_CLIENT_ID_CHARS", "MAX_NAME_CHARS"):
        assert name in js, f"protocol.js lacks {name}"
    assert {k: PYTHON_LIMITS.get(k) for k in js} == js


def test_doc_limits_agree_with_the_field_specs():
    """Every "(a–b chars)" or "≤ n chars" of a doc row is the bound of that field's spec."""
    checked = 0
    for types, direction, cell in _doc_rows():
        if direction == "relay":
            continue
        for name, aside in re.findall(r"`([a-z_]+)\??` \(([^()]*)\)", cell):
            span = re.search(r"(\d[\d,]*)–(\d[\d,]*) chars", aside)
            most = re.search(r"≤ (\d[\d,]*) chars", aside)
            for message_type in types:
                spec = field_specs(CLIENT_MESSAGES[message_type])[name]
                if span:
                    low, high = (int(g.replace(",", "")) for g in span.groups())
                    assert (spec.low, spec.high) == (low, high), f"{message_type}.{name}"
                    checked += 1
                elif most:
                    assert spec.high == int(most[1].replace(",", "")), f"{message_type}.{name}"
                    checked += 1
    assert checked >= 3  # send_chat's client_id and text, key_input's text


def test_doc_prose_limits_agree_with_python():
    """The limits the doc states in prose are the Python constants."""
    doc = _doc()
    assert f"Frames larger than {protocol_base.MAX_FRAME_BYTES // 1024} KiB" in doc
    assert f"({protocol_base.MAX_SCREEN_FRAME_BYTES // 2**20} MiB on the screen channel)" in doc
    assert f"`name` (≤ {protocol_base.MAX_NAME_CHARS} chars)" in doc
    assert f"wheel steps, ±{protocol_control.MAX_WHEEL_STEPS}" in doc
    assert f"at most {strokes.MAX_STROKES} strokes, {strokes.MAX_POINTS_PER_STROKE:,} points" in doc
    assert f"{strokes.MAX_POINTS_PER_MESSAGE} points per message" in doc
    assert f"widths {strokes.MIN_WIDTH_PX}–{strokes.MAX_WIDTH_PX}" in doc


def test_error_codes_agree_with_js():
    """protocol.js has the ErrorCode object, with Python's names and values."""
    assert _js_object("ErrorCode") == {c.name: str(c) for c in ErrorCode}


# -- no message-type strings outside suite/protocol ---------------------------------------------

SCANNED = ("suite", "relay_server")
SEND_LIKE = re.compile(r"send|broadcast|encode|ProtocolError|ErrorMessage")


def _bare_type_strings(tree: ast.AST, types: set[str]) -> list[tuple[int, str, str]]:
    """(line, string, how) of each message-type string used as one."""

    def is_type(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Constant) and node.value in types

    def literals(node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return list(node.elts)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("frozenset", "set"):
            return [e for arg in node.args for e in literals(arg)]
        return [node]

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "type" and is_type(value):
                    found.append((node.lineno, value.value, 'the value of "type"'))
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                for element in literals(operand):
                    if is_type(element):
                        found.append((node.lineno, element.value, "compared"))
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if SEND_LIKE.search(name):
                for arg in (*node.args, *(k.value for k in node.keywords)):
                    if is_type(arg):
                        found.append((node.lineno, arg.value, f"an argument of {name}()"))
            if name in ("frozenset", "set"):
                elements = literals(node)
                if elements and all(is_type(e) for e in elements):
                    found.append((node.lineno, elements[0].value, "a set of types"))
    for node in getattr(tree, "body", []):  # module constants (not enum members of classes)
        if isinstance(node, ast.Assign) and is_type(node.value):
            targets = [ast.unparse(t) for t in node.targets]
            if any(t.isupper() for t in targets):
                found.append((node.lineno, node.value.value, f"the constant {targets[0]}"))
    return found


def test_no_bare_message_type_strings_outside_suite_protocol():
    """Message types are spelled only in suite/protocol: elsewhere MessageType or a model."""
    types = {str(t) for t in MessageType}
    offenders = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.is_relative_to(ROOT / "suite" / "protocol"):
                continue
            tree = ast.parse(path.read_text(), str(path))
            for line, value, how in _bare_type_strings(tree, types):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {value!r} as {how}")
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        'channel.send_message("present_start", screen_w=1)',
        'body = {"type": "undo_stroke"}',
        'if kind == "capture_credit": pass',
        'if kind in ("stroke_points", "stroke_end"): pass',
        'CONTROL_MESSAGES = frozenset({"control_state", "mouse_input"})',
        'CAPTURE_CREDIT = "capture_credit"',
        'raise ProtocolError(code, "no", "renew_code")',
    ],
)
def test_the_scan_finds_each_kind_of_bare_type(source):
    """The scan above can fail: each way a type string was used before is found."""
    assert _bare_type_strings(ast.parse(source), {str(t) for t in MessageType})


def test_the_scan_leaves_other_strings_alone():
    """HTTP bodies' "error" keys, log levels and X cursor fonts are not message types."""
    source = (
        'reply = {"error": {"code": "x"}}\n'
        'details = body.get("error")\n'
        'choices = ["debug", "error"]\n'
        'font = display.open_font("cursor")\n'
        "if kind == MessageType.CURSOR: pass\n"
    )
    assert _bare_type_strings(ast.parse(source), {str(t) for t in MessageType}) == []
