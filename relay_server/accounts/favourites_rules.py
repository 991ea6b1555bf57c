"""What an agent's favourites may hold (A9, CH7): links and documents (pure).

Favourite links are ``{id, title, url}``: ``url`` is an explicit ``http://`` or ``https://``
address with a host and no user name, as ``ui/common/chat/linkify.js`` links it, so a link
card never carries anything the chat would not link. Favourite documents are files kept on the
relay for the agent, under a per-agent quota. Folders and programs are paths on the agent's
own PC and never reach the relay (``suite/agent/app/local_favourites.py``).
Each check names what is wrong (``FavouritesError``); nothing here touches the store.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse
from typing import Any

MAX_LINKS = 100
MAX_TITLE_CHARS = 120
MAX_URL_CHARS = 2048  # linkify.js MAX_URL_CHARS
MAX_DOCUMENTS = 20
MAX_DOCUMENTS_BYTES = 200 * 1024 * 1024  # all of an agent's documents together
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Whitespace, controls, and the characters linkify.js ends a URL at: such a URL would not be a
# link in the chat either.
_URL_STOP = re.compile(r"[\s<>\"'`\x00-\x1f\x7f\u00a0\u3000]")


class FavouritesError(Exception):
    """Refused favourites; ``code`` is the API error code, the message says what is wrong."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _bad(message: str) -> FavouritesError:
    return FavouritesError("bad_request", message)


def new_id() -> str:
    return secrets.token_urlsafe(9)


def check_url(url: Any, where: str = "url") -> str:
    """The URL as it will be linked.

    Raises:
        FavouritesError: ``bad_url`` naming the rule it breaks.
    """
    if not isinstance(url, str) or not url:
        raise FavouritesError("bad_url", f"'{where}' must be an http:// or https:// address")
    if len(url) > MAX_URL_CHARS:
        raise FavouritesError("bad_url", f"'{where}' must be at most {MAX_URL_CHARS} characters")
    if not re.match(r"^https?://", url, re.IGNORECASE) or _URL_STOP.search(url):
        raise FavouritesError(
            "bad_url", f"'{where}' must start with http:// or https:// and have no spaces"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise FavouritesError("bad_url", f"'{where}' is not a valid address") from None
    if not host:
        raise FavouritesError("bad_url", f"'{where}' has no host name")
    if parts.username is not None or parts.password is not None:
        raise FavouritesError(
            "bad_url", f"'{where}' must not hold a user name (it would read as another site)"
        )
    return url


def check_title(title: Any, where: str = "title") -> str:
    if not isinstance(title, str) or not title.strip():
        raise _bad(f"'{where}' must not be empty")
    if len(title) > MAX_TITLE_CHARS:
        raise _bad(f"'{where}' must be at most {MAX_TITLE_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in title):
        raise _bad(f"'{where}' must be one line of text")
    return title.strip()


def check_links(value: Any) -> list[dict[str, str]]:
    """The agent's whole list of links, in the agent's order (add, rename, reorder, remove are
    all a new list); an item without ``id`` gets a new one.

    Raises:
        FavouritesError: ``bad_request`` or ``bad_url`` naming the item; ``too_many_favourites``.
    """
    if not isinstance(value, list):
        raise _bad("'links' must be a list of {title, url}")
    if len(value) > MAX_LINKS:
        raise FavouritesError(
            "too_many_favourites",
            f"at most {MAX_LINKS} favourite links (this list has {len(value)})",
        )
    clean: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"links[{index}]"
        if not isinstance(item, dict) or not {"title", "url"} <= set(item) <= {
            "id",
            "title",
            "url",
        }:
            raise _bad(f"{where} must be an object with 'title' and 'url' (and 'id')")
        link_id = item.get("id") or new_id()
        if not isinstance(link_id, str) or not _ID_RE.match(link_id) or link_id in seen:
            raise _bad(f"{where}.id must be a unique id of 1-32 letters, digits, - or _")
        seen.add(link_id)
        clean.append(
            {
                "id": link_id,
                "title": check_title(item["title"], f"{where}.title"),
                "url": check_url(item["url"], f"{where}.url"),
            }
        )
    return clean


def check_document_room(documents: list[dict[str, Any]], size: int) -> None:
    """May one more document of ``size`` bytes be kept?

    Raises:
        FavouritesError: ``favourites_full`` with the count or the bytes left.
    """
    if len(documents) >= MAX_DOCUMENTS:
        raise FavouritesError(
            "favourites_full",
            f"at most {MAX_DOCUMENTS} favourite documents; remove one to add another",
        )
    used = sum(d["size"] for d in documents)
    if used + size > MAX_DOCUMENTS_BYTES:
        left_mib = max(0, MAX_DOCUMENTS_BYTES - used) / 1024 / 1024
        raise FavouritesError(
            "favourites_full",
            f"favourite documents may take {MAX_DOCUMENTS_BYTES // 1024 // 1024} MiB together; "
            f"{left_mib:.1f} MiB are left",
        )


def reorder(items: list[dict[str, Any]], ids: Any) -> list[dict[str, Any]]:
    """``items`` in the order of ``ids`` (every id exactly once).

    Raises:
        FavouritesError: ``bad_request`` when ``ids`` is not a permutation of the items' ids.
    """
    by_id = {item["id"]: item for item in items}
    if (
        not isinstance(ids, list)
        or len(ids) != len(by_id)
        or not all(isinstance(i, str) for i in ids)
        or set(ids) != set(by_id)
    ):
        raise _bad("'order' must list every document id exactly once")
    return [by_id[i] for i in ids]
