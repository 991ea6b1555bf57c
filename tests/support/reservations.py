"""Reservations (A11) through the relay's HTTP API: book one, upload a material, find the
next daylight-saving change of a time zone."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.api import Api


def wall_clock_in(minutes: float, zone: str = "Asia/Seoul") -> str:
    """The wall-clock time ``minutes`` from now in ``zone``, as the booking form sends it."""
    local = datetime.now(ZoneInfo(zone)) + timedelta(minutes=minutes)
    return local.replace(tzinfo=None, microsecond=0).isoformat(timespec="minutes")


def booking(**overrides: Any) -> dict[str, Any]:
    """A valid booking 5 minutes ahead (open at once: the window opens 15 minutes before)."""
    body: dict[str, Any] = {
        "title": "Zephyr quartz pricing",
        "start": wall_clock_in(5),
        "duration_minutes": 30,
        "time_zone": "Asia/Seoul",
        "agenda": ["Prices", "Delivery"],
        "invitees": [
            {"email": "kim@example.com", "name": "Kim Customer", "language": "ko"},
            {"email": "lee@example.com", "name": "Lee Buyer", "language": "en"},
        ],
    }
    body.update(overrides)
    return body


def book(api: Api, token: str, **overrides: Any) -> dict[str, Any]:
    status, body, _ = api.request("POST", "/api/reservations", booking(**overrides), token)
    assert status == 201, body
    return body["reservation"]


def book_and_open(api: Api, token: str, **overrides: Any) -> tuple[dict[str, Any], str]:
    """Book a reservation and open it at once (the agent's Open): the reservation as booked
    and its waiting session's id."""
    reservation = book(api, token, **overrides)
    status, opened, _ = api.request(
        "POST", f"/api/reservations/{reservation['id']}/open", {}, token
    )
    assert status == 200, opened
    return reservation, str(opened["support"]["session_id"])


def upload_material(
    api: Api, token: str, reservation_id: str, name: str, data: bytes, sha256: str = ""
) -> tuple[int, dict[str, Any]]:
    """PUT one material file; returns (status, body)."""
    query = urllib.parse.urlencode(
        {"name": name, "sha256": sha256 or hashlib.sha256(data).hexdigest()}
    )
    request = urllib.request.Request(
        f"{api.base_url}/api/reservations/{reservation_id}/materials?{query}",
        data=data,
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def next_dst_start(zone: str) -> datetime:
    """The local midnight (naive, a wall-clock time) of the next day from tomorrow on whose
    UTC offset grows in ``zone``: the spring-forward date."""
    tz = ZoneInfo(zone)
    day = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    day += timedelta(days=1)
    for _ in range(400):
        after = (day + timedelta(days=1)).replace(tzinfo=tz)
        if after.utcoffset() > day.replace(tzinfo=tz).utcoffset():  # type: ignore[operator]
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone} has no daylight saving change within a year")


def meeting(api: Api, link_url: str, wait_s: float = 0) -> tuple[int, dict[str, Any]]:
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(link_url).query)["meet"][0]
    path = f"/api/meetings/{secret}" + (f"?wait_s={wait_s}" if wait_s else "")
    status, body, _ = api.request("GET", path)
    return status, body


def secret_of(link_url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(link_url).query)["meet"][0]


def elapsed_since(started: float) -> float:
    return time.monotonic() - started
