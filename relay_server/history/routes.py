"""HTTP routes of the history (A10, AD2): an agent's own sessions, the admin's of everyone.

``/api/history...`` answers the calling agent's own sessions only (another agent's session is
``403 not_your_session``); ``/api/admin/history...`` answers an admin everyone's, with an
``agent`` filter (an agent gets ``403 not_admin``). Exports are built by a child process
(``export_process.py``) and streamed as it writes them. Contract in docs/protocol.md,
*History*.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from itertools import islice
from typing import Any

import bottle

from relay_server.accounts.fields import USERNAME_RE
from relay_server.accounts.registry import Principal
from relay_server.admin import rules
from relay_server.errors import Refused
from relay_server.history.export import MAX_EXPORT_SESSIONS, job_lines
from relay_server.history.export_process import ExportRunner
from relay_server.history.history import MAX_PER_PAGE
from relay_server.history.index import HistoryQuery, parse_query
from relay_server.history.xlsx_stream import HEADERS
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import error_reply, json_route

logger = logging.getLogger(__name__)

DEFAULT_PER_PAGE = 25
MAX_PAGE = 10_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What the detail view shows of a record (the rest, like codes and tokens' ids, stays inside).
DETAIL_FIELDS = (
    "id", "agent_username", "agent", "customer_name", "participants", "created_at",
    "started_at", "ended_at", "ended_by", "ended_by_admin", "duration_s", "message_count",
    "messages", "notes", "notes_updated_at", "files", "presentations", "control_grants",
    "recordings",
)  # fmt: skip


def install_history_routes(app: bottle.Bottle, relay: Relay, clock: Callable[[], float]) -> None:
    """Add the history API to the relay's Bottle ``app``."""
    history = relay.history
    exports = ExportRunner(relay.store.folder, database=_export_database(relay))
    # Exports before the child process were built in here; a relay stopped mid-export left them.
    for stale in (relay.store.folder / "history" / "exports").glob("*.xlsx"):
        stale.unlink(missing_ok=True)
    route = json_route()

    def caller() -> Principal:
        return bearer_principal(relay.accounts, bottle.request.get_header("Authorization"), clock())

    def admin() -> Principal:
        found = caller()
        rules.require_admin(found.role)
        return found

    def params() -> dict[str, str]:
        query = bottle.request.query
        return {name: query.getunicode(name) or "" for name in query}

    def query_for(agent: str | None) -> HistoryQuery:
        try:
            return parse_query(params(), agent)
        except ValueError as error:
            raise Refused("bad_request", str(error)) from None

    def admin_query() -> HistoryQuery:
        agent = params().get("agent", "").strip()
        if agent and not USERNAME_RE.match(agent):
            raise Refused("bad_request", "'agent' must be an agent's ID")
        return query_for(agent or None)

    def page() -> dict[str, Any]:
        values = params()
        number = _int(values, "page", 1, 1, MAX_PAGE)
        per_page = _int(values, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        return {"page": number, "per_page": per_page}

    def detail(session_id: str, username: str | None) -> dict[str, Any]:
        summary = history.summary(session_id)
        if summary is None:
            raise Refused("session_not_found", "no such ended session")
        if username is not None and summary.agent_username != username:
            raise Refused("not_your_session", "this session is another agent's")
        record = history.record(session_id) or {}
        view = {name: record[name] for name in DETAIL_FIELDS if name in record}
        view.setdefault("recordings", [])
        return {"session": view}

    def export(who: Callable[[], HistoryQuery]) -> Any:
        try:
            query = who()
            values = params()
            tz_offset = _int(values, "tz_offset_min", 0, -14 * 60, 14 * 60)
            lang = values.get("lang", "en")
            lang = lang if lang in HEADERS else "en"  # headers in English for another language
            found = list(islice(history.find(query), MAX_EXPORT_SESSIONS + 1))
            if len(found) > MAX_EXPORT_SESSIONS:
                raise Refused(
                    "export_too_large",
                    f"more than {MAX_EXPORT_SESSIONS} sessions match; choose a shorter period",
                )
            # Built by a child process (export_process.py): chat keeps its pace meanwhile.
            body = exports.start(job_lines(history.locations(found)), tz_offset, lang)
        except Refused as refused:
            return error_reply(refused)
        stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(clock() + tz_offset * 60))
        return bottle.HTTPResponse(
            body,
            200,
            {
                "Content-Type": XLSX_TYPE,
                "Content-Disposition": f'attachment; filename="history-{stamp}.xlsx"',
                "Cache-Control": "no-store",
            },
        )

    # -- the agent's own history (A10) ----------------------------------------------------

    @app.get("/api/history")
    @route
    def my_history():
        me = caller()
        return history.page(query_for(me.username), **page())

    @app.get("/api/history/export.xlsx")
    def my_export():
        return export(lambda: query_for(caller().username))

    @app.get("/api/history/<session_id>")
    @route
    def my_session(session_id: str):
        return detail(session_id, caller().username)

    # -- everyone's, for admins (AD2) -----------------------------------------------------

    @app.get("/api/admin/history")
    @route
    def usage_history():
        admin()
        return history.page(admin_query(), **page())

    @app.get("/api/admin/history/export.xlsx")
    def usage_export():
        return export(lambda: (admin(), admin_query())[1])

    @app.get("/api/admin/history/<session_id>")
    @route
    def usage_session(session_id: str):
        admin()
        return detail(session_id, None)


def _int(values: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Refused("bad_request", f"'{name}' must be a whole number") from None
    if not low <= value <= high:
        raise Refused("bad_request", f"'{name}' must be between {low} and {high}")
    return value


def _export_database(relay: Relay) -> tuple[str, str | None] | None:
    """Where the export child reads records on a PostgreSQL store (else the month files)."""
    if relay.store.kind != "postgresql":
        return None
    from relay_server.store.postgres import PostgresStore

    assert isinstance(relay.store, PostgresStore)
    return relay.store.url, relay.store.password
