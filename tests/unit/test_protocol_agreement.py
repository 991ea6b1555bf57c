"""docs/protocol.md, suite/protocol/ and ui/common/protocol.js list the same contract."""

from __future__ import annotations

import re
from pathlib import Path

from suite.protocol import CloseCode, ErrorCode, MessageType

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
