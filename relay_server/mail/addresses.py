"""E-mail addresses and recipient lists: checked before anything is queued (pure).

Only bare addresses (``kim@example.com``): no display names, comments or quoted local parts,
which is where header tricks hide. A domain may be international (stored IDNA-encoded).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from relay_server.errors import Refused

MAX_ADDRESS_CHARS = 254  # RFC 5321's path limit less the angle brackets
MAX_LOCAL_CHARS = 64
MAX_RECIPIENTS = 200  # per request; a bigger list is refused whole
LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be mailed, or None when it can."""
    if not address:
        return "empty"
    if CONTROL_RE.search(address):
        return "line breaks and control characters are not allowed"
    if len(address) > MAX_ADDRESS_CHARS:
        return f"longer than {MAX_ADDRESS_CHARS} characters"
    if address.count("@") != 1:
        return "an address has one @, like kim@example.com"
    local, domain = address.split("@")
    if not local or len(local) > MAX_LOCAL_CHARS or not LOCAL_RE.match(local):
        return "the part before @ has characters an address cannot have"
    try:
        ascii_domain = _ascii(domain)
    except UnicodeError:
        return "the domain after @ is not a valid name"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(LABEL_RE.match(label) for label in labels):
        return "the domain after @ is not a valid name, like example.com"
    return None


def normalized(address: str) -> str:
    """``address`` with its domain IDNA-encoded (call after :func:`address_problem`)."""
    local, domain = address.split("@")
    return f"{local}@{_ascii(domain).lower()}"


def _ascii(domain: str) -> str:
    """The domain IDNA-encoded; an ASCII one as it is (the codec would only check its labels'
    lengths, which ``LABEL_RE`` checks too), at a tenth of the cost: an invitation request
    checks up to 50 addresses in the relay's loop."""
    return domain if domain.isascii() else domain.encode("idna").decode("ascii")


def check_recipients(
    recipients: Any,
    languages: tuple[str, ...],
    max_recipients: int = MAX_RECIPIENTS,
    between: Callable[[], None] = lambda: None,
) -> list[tuple[str, str]]:
    """``[(address, lang)]`` from a request's ``recipients`` list of ``{address, lang}``.

    Every entry is checked before anything is queued: one bad address refuses the whole list
    (and names every bad one), so a sender never has to guess which mails went. ``between``
    runs before each entry (the relay's route: its step may yield the event loop there).

    Raises:
        Refused: ``bad_request`` (not a list, an entry not an object, an unknown language),
            ``no_recipients``, ``too_many_recipients`` (over ``max_recipients``, with
            ``max_recipients``), ``bad_address`` (``bad_addresses``: ``[{index, address,
            reason}]``; an address listed twice is one of them).
    """
    if not isinstance(recipients, list):
        raise Refused("bad_request", "'recipients' must be a list of {address, lang}")
    if not recipients:
        raise Refused("no_recipients", "give at least one e-mail address")
    if len(recipients) > max_recipients:
        raise Refused(
            "too_many_recipients",
            f"at most {max_recipients} recipients at once; this request has {len(recipients)}",
            details={"max_recipients": max_recipients},
        )
    checked: list[tuple[str, str]] = []
    bad: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(recipients):
        between()
        if not isinstance(entry, dict):
            raise Refused("bad_request", "each recipient is an object {address, lang}")
        address, lang = entry.get("address"), entry.get("lang", languages[0])
        if lang not in languages:
            raise Refused("bad_request", "'lang' is one of " + ", ".join(languages))
        if not isinstance(address, str):
            bad.append({"index": index, "address": "", "reason": "must be text"})
            continue
        address = address.strip()
        problem = address_problem(address)
        if problem:
            bad.append({"index": index, "address": address[:MAX_ADDRESS_CHARS], "reason": problem})
            continue
        address = normalized(address)
        if address.lower() in seen:
            bad.append({"index": index, "address": address, "reason": "listed twice"})
            continue
        seen.add(address.lower())
        checked.append((address, lang))
    if bad:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise Refused(
            "bad_address",
            f"'{first['address']}': {first['reason']}{more}",
            details={"bad_addresses": bad},
        )
    return checked
