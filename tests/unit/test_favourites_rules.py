"""The rules of an agent's favourites (A9, CH7) and of remote print, without a relay."""

from __future__ import annotations

import pytest

from relay_server.accounts.favourites_rules import (
    MAX_DOCUMENTS,
    MAX_DOCUMENTS_BYTES,
    FavouritesError,
    check_document_room,
    check_url,
    reorder,
)
from suite.agent.app.errors import SettingsError
from suite.agent.app.settings import validate
from suite.protocol.sharing import link_problem, printable_type

GOOD = [
    "https://shop.example/",
    "http://10.0.0.5:8080/a?b=c#d",
    "HTTPS://Shop.Example/가격",
    "https://[::1]/x",
]
BAD = [
    "javascript:alert(1)",
    "data:text/html,x",
    "file:///etc/passwd",
    "https:/x.example",
    "https://user@bank.example/",
    "https://a.example/with space",
    "https://a.example/\u3000",
    "hxxp://a.example",
    "https://",
]


@pytest.mark.parametrize("url", GOOD)
def test_urls_the_chat_links_are_accepted(url):
    """The relay and the protocol accept what linkify.js links."""
    assert check_url(url) == url
    assert link_problem(url) is None


@pytest.mark.parametrize("url", BAD)
def test_urls_the_chat_would_not_link_are_refused(url):
    """Other schemes, user names, spaces and missing hosts are refused by both checks."""
    with pytest.raises(FavouritesError) as refused:
        check_url(url)
    assert refused.value.code == "bad_url"
    assert link_problem(url) is not None


def test_the_document_quota_counts_documents_and_bytes():
    """The 21st document, or one that passes 200 MiB together, is refused with what is left."""
    full = [{"id": str(i), "size": 1} for i in range(MAX_DOCUMENTS)]
    with pytest.raises(FavouritesError, match="at most 20"):
        check_document_room(full, 1)
    big = [{"id": "a", "size": MAX_DOCUMENTS_BYTES - 1024 * 1024}]
    check_document_room(big, 1024 * 1024)
    with pytest.raises(FavouritesError, match="1.0 MiB are left"):
        check_document_room(big, 1024 * 1024 + 1)


def test_reorder_needs_every_id_once():
    """An order that drops, repeats or invents an id is refused."""
    items = [{"id": "a"}, {"id": "b"}]
    assert reorder(items, ["b", "a"]) == [{"id": "b"}, {"id": "a"}]
    for ids in (["a"], ["a", "a"], ["a", "c"], "ab", [1, 2]):
        with pytest.raises(FavouritesError):
            reorder(items, ids)


def test_printable_types_come_from_the_name():
    """PDF and browser images print; anything else does not."""
    assert printable_type("Offer.PDF") == "application/pdf"
    assert printable_type("a.jpeg") == "image/jpeg"
    assert printable_type("a.svg") is None and printable_type("pdf") is None


def test_local_favourites_are_checked_before_they_are_stored():
    """Folders and programs need an id, a kind, a title and a full path."""
    good = {"id": "f1", "kind": "folder", "title": "Brochures", "path": "/home/a/Brochures"}
    validate({"favourites": [good, {**good, "id": "p1", "kind": "program", "path": "C:\\x.exe"}]})
    for bad in (
        {**good, "kind": "url"},
        {**good, "path": "relative/dir"},
        {**good, "title": ""},
        {**good, "extra": 1},
    ):
        with pytest.raises(SettingsError):
            validate({"favourites": [bad]})
    with pytest.raises(SettingsError, match="used twice"):
        validate({"favourites": [good, good]})
