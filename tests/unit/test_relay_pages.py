"""The relay's pages: their module preloads, revalidated by ETag, and rebuilt when a file
of their module graph changes."""

from __future__ import annotations

import os

import bottle
import pytest

from relay_server.web.pages import PageFiles


def _get(pages: PageFiles, path: str, etag: str = "") -> bottle.HTTPResponse:
    bottle.request.bind({"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": etag})
    return pages.reply(path)


@pytest.fixture
def ui(tmp_path):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(
        '<head>\n  <script type="module" src="/ui/page/main.js"></script>\n</head>\n'
    )
    (tmp_path / "page" / "main.js").write_text('import "./a.js";\n')
    (tmp_path / "page" / "a.js").write_text("export const a = 1;\n")
    return tmp_path


def test_a_page_names_its_modules_and_answers_304_while_unchanged(ui) -> None:
    """The page carries a link per module, an ETag and no-cache; the same ETag gets a 304."""
    pages = PageFiles(ui)
    first = _get(pages, "page/index.html")
    assert first.status_code == 200
    assert b'<link rel="modulepreload" href="/ui/page/a.js" />' in first.body
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["Content-Type"] == "text/html; charset=utf-8"
    again = _get(pages, "page/index.html", first.headers["ETag"])
    assert again.status_code == 304 and not again.body


def test_a_changed_module_rebuilds_the_page(ui) -> None:
    """A module that starts importing another (a development edit) shows at the next load."""
    pages = PageFiles(ui)
    first = _get(pages, "page/index.html")
    (ui / "page" / "b.js").write_text("export const b = 2;\n")
    a = ui / "page" / "a.js"
    a.write_text('import "./b.js";\nexport const a = 1;\n')
    stat = a.stat()
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = _get(pages, "page/index.html", first.headers["ETag"])
    assert second.status_code == 200
    assert b'href="/ui/page/b.js"' in second.body
    assert second.headers["ETag"] != first.headers["ETag"]
