"""Helpers for the favourites tests (A9, CH7): raw uploads of favourite documents, a tiny PDF."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

FAVOURITES = "/api/me/favourites"


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """One HTTP request to 127.0.0.1:`port` with any body; (status, JSON body or {})."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {}
    return response.status, parsed if isinstance(parsed, dict) else {}


def upload_document(
    relay, token: str, name: str, data: bytes, content_type: str = "application/pdf"
) -> tuple[int, dict[str, Any]]:
    """``POST /api/me/favourites/documents?name=...`` with the bytes as the body."""
    query = urllib.parse.urlencode({"name": name})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    return http_request(relay.port, "POST", f"{FAVOURITES}/documents?{query}", data, headers)


def pdf_bytes(text: str = "Price list") -> bytes:
    """A small valid one-page PDF showing `text` (built by hand: no PDF library needed)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
