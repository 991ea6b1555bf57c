"""The one JSON decoder for what clients send: websocket text frames and HTTP request bodies.

``json.loads`` alone trusts its input too much for a server: ``"[" * 100000`` makes its C
scanner recurse until ``RecursionError`` (which no caller expected, so the relay answered 500),
``NaN`` and ``Infinity`` are accepted though they are not JSON, and ``1e999`` becomes an
infinite float. :func:`loads` refuses all of these with :class:`JsonRefused`, and a body over
its size limit before parsing a byte of it.

Pure: no sockets, no logging.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

MAX_JSON_DEPTH = 32  # objects and arrays inside each other; the protocol needs 3 at most


class JsonRefused(ValueError):
    """Text that :func:`loads` will not decode; ``too_large`` tells an oversize body apart."""

    def __init__(self, message: str, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of the range of a number")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
# An escaped UTF-16 surrogate: a pair decodes to one character, a lone one to a string that
# cannot be encoded as UTF-8 again (the relay could store it but never send it on).
_NOT_BRACKET_BYTES = bytes(byte for byte in range(256) if byte not in b"[]{}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def loads(
    data: str | bytes | bytearray, max_bytes: int | None = None, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Decode one JSON document from a client.

    Args:
        data: the text, or its UTF-8 bytes.
        max_bytes: refuse longer input before decoding it (for ``str``, its length in
            characters, a lower bound of its size in bytes).
        max_depth: refuse objects and arrays nested deeper than this.

    Raises:
        JsonRefused: over ``max_bytes`` (``too_large``), not UTF-8, not JSON (also ``NaN``,
            ``Infinity``, numbers out of range, integers over 4,300 digits), nested too deep,
            or holding a string with a lone surrogate (``"\\ud800"``).
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise JsonRefused(f"over {max_bytes} bytes", too_large=True)
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused("not UTF-8 text") from None
    try:
        value = _DECODER.decode(data)
    except RecursionError:
        raise JsonRefused(f"nested deeper than {max_depth} levels") from None
    except ValueError as error:
        raise JsonRefused(f"not valid JSON ({_short(error)})") from None
    # Cheap for what clients really send: fewer opening brackets than the limit cannot nest
    # deeper than it, and the bracket skeleton settles most others; only odd documents (deep,
    # or brackets inside strings) are walked.
    if (
        data.count("[") + data.count("{") > max_depth
        and not _skeleton_within(data, max_depth)
        and _depth_over(value, max_depth)
    ):
        raise JsonRefused(f"nested deeper than {max_depth} levels")
    if _SURROGATE_ESCAPE.search(data):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonRefused("text with a lone UTF-16 surrogate (\\ud800-\\udfff)") from None
    return value


def _skeleton_within(text: str, max_depth: int) -> bool:
    """True when the brackets of ``text`` surely nest at most ``max_depth`` deep.

    The skeleton is the text's bracket bytes (UTF-8 never hides one inside a multi-byte
    character); each pass deletes every ``[]`` and then every ``{}``, which takes away at
    least one level and at most two, so a skeleton gone in ``max_depth // 2`` passes proves
    the depth. C-speed work, no Python loop per bracket (a 500-point stroke: ~10 µs). False
    means "not proved" (deep, or brackets inside strings): the caller walks the value.
    """
    skeleton = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_BYTES)
    for _ in range(max_depth // 2):
        if not skeleton:
            return True
        skeleton = skeleton.replace(b"[]", b"").replace(b"{}", b"")
    return not skeleton


def _depth_over(value: Any, max_depth: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``max_depth`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _short(error: ValueError) -> str:
    """The decoder's reason without the position (which repeats what the client sent)."""
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    return str(error).partition(":")[0][:80]  # int(): "Exceeds the limit (4300 digits) ..."
