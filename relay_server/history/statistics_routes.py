"""HTTP routes of the usage statistics (AD3), for admins only (an agent's token is 403).

``GET /api/admin/statistics`` answers a period's numbers as JSON; ``.../export.xlsx`` the
same as a workbook. Both compute from the history's in-memory index (no archive file is read)
and count the reservations service's records (A11). Contract in docs/protocol.md, *Usage
statistics*.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import bottle

from relay_server.accounts.fields import USERNAME_RE
from relay_server.admin import rules
from relay_server.errors import Refused
from relay_server.history.statistics import (
    StatisticsQuery,
    compute,
    parse_statistics_query,
    reservation_counts,
)
from relay_server.reservations.model import Reservation
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import error_reply, json_route

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def install_statistics_routes(
    app: bottle.Bottle,
    relay: Relay,
    clock: Callable[[], float],
    reservations: Callable[[], Iterable[Reservation]],
) -> None:
    """Add the statistics API to the relay's Bottle ``app``.

    Args:
        reservations: every reservation the relay holds (``Reservations.every``, A11).
    """
    route = json_route()

    def admin() -> None:
        header = bottle.request.get_header("Authorization")
        rules.require_admin(bearer_principal(relay.accounts, header, clock()).role)

    def params() -> dict[str, str]:
        query = bottle.request.query
        return {name: query.getunicode(name) or "" for name in query}

    def statistics_query() -> StatisticsQuery:
        values = params()
        agent = values.get("agent", "").strip()
        if agent and not USERNAME_RE.match(agent):
            raise Refused("bad_request", "'agent' must be an agent's ID")
        try:
            return parse_statistics_query(values, agent or None)
        except ValueError as error:
            raise Refused("bad_request", str(error)) from None

    def statistics() -> dict[str, Any]:
        admin()
        query = statistics_query()
        started = time.perf_counter()
        names = {a["username"]: a.get("name") or a["username"] for a in relay.accounts.list()}
        relay.history.catch_up()  # what other relay nodes archived since
        found = compute(relay.history.shards, query, names)
        found["reservations"] = reservation_counts(reservations(), query, clock())
        found["computed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return found

    @app.get("/api/admin/statistics")
    @route
    def usage_statistics():
        return {"statistics": statistics()}

    @app.get("/api/admin/statistics/export.xlsx")
    def statistics_export():
        try:
            found = statistics()
        except Refused as refused:
            return error_reply(refused)
        lang = params().get("lang", "en")
        # Imported here: openpyxl (and numpy) cost the relay's start ~0.2 s, for a rare export.
        from relay_server.history.statistics_export import statistics_xlsx

        body = statistics_xlsx(found, lang if lang in ("en", "ko") else "en")
        name = f"statistics-{found['from']}-{found['to']}.xlsx"
        return bottle.HTTPResponse(
            body,
            200,
            {
                "Content-Type": XLSX_TYPE,
                "Content-Length": str(len(body)),
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
