"""The JSON object a relay HTTP route reads from its request body, size-capped first.

Shared by the API routes (``http_api.py``), the file routes and the one-time viewer routes, so
each refuses an oversized, malformed or non-object body the same way.
"""

from __future__ import annotations

import json
from typing import Any

import bottle

from relay_server.errors import Refused


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body).

    Raises:
        Refused: 413 ``too_large`` over ``max_bytes`` (read no further), 400 ``bad_request``
            for a body that is not JSON or not an object.
    """
    if bottle.request.content_length > max_bytes:
        raise Refused(413, "too_large", f"request body over {max_bytes} bytes")
    raw = bottle.request.body.read(max_bytes + 1)
    if len(raw) > max_bytes:  # a chunked body has no Content-Length to check first
        raise Refused(413, "too_large", f"request body over {max_bytes} bytes")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise Refused(400, "bad_request", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "bad_request", "the request body must be a JSON object")
    return data
