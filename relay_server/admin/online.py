"""Who is online now (the admin site's *Online*, AD5): agents signed in, sessions waiting
and in progress, with their customers and durations (pure).

The routes pass the live sessions, who has a chat socket open in each, the signed-in accounts
with their last activity, and the time; nothing here reads a socket or the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from relay_server.sessions.access_codes import format_code
from relay_server.sessions.supports import AGENT_PARTICIPANT_ID, SessionState, SupportSession

MAX_SESSIONS_SHOWN = 500  # a page an admin can read; the counts are always whole


def session_entry(
    session: SupportSession, online: set[str], icons_enabled: bool, now: float
) -> dict[str, Any]:
    """One live session as the *Online* page shows it."""
    since = session.started_at if session.started_at is not None else session.created_at
    waiting = session.state is SessionState.WAITING
    code_live = session.code is not None and (session.code_expires_at or 0) > now
    return {
        "session_id": session.id,
        "state": str(session.state),
        "agent_username": session.agent_username,
        "agent_name": session.agent.get("name", session.agent_username),
        "agent_online": AGENT_PARTICIPANT_ID in online,
        "code": format_code(session.code) if code_live and session.code else None,
        "code_expires_at": session.code_expires_at if code_live else None,
        "icon": session.icon if icons_enabled else None,
        "created_at": session.created_at,
        "started_at": session.started_at,
        # Waiting: how long the agent has waited; in session: how long the meeting has run.
        "duration_s": round(max(0.0, now - since), 1),
        "customers": [
            {"name": c.name or "", "joined_at": c.joined_at, "online": c.id in online}
            for c in session.customers
        ],
        "waiting": waiting,
    }


def online_view(
    sessions: Iterable[SupportSession],
    online_of: Callable[[str], set[str]],
    signed_in: dict[str, float | None],
    accounts: Callable[[str], dict[str, Any] | None],
    icons_enabled: bool,
    now: float,
) -> dict[str, Any]:
    """The ``GET /api/admin/online`` answer (docs/protocol.md, *Admin site*).

    Args:
        sessions: the live sessions.
        online_of: a session id → the participant ids with a chat socket open.
        signed_in: username → last activity (``Accounts.signed_in``).
        accounts: username → the account (for names and roles), or None.
    """
    entries = [session_entry(s, online_of(s.id), icons_enabled, now) for s in sessions]
    entries.sort(key=lambda entry: (entry["waiting"], -entry["duration_s"]))
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_agent.setdefault(entry["agent_username"], []).append(entry)
    agents: list[dict[str, Any]] = []
    for username in sorted(set(signed_in) | set(by_agent)):
        account = accounts(username)
        if account is None or account.get("role") != "agent":
            continue  # admins are not the floor's agents
        theirs = by_agent.get(username, [])
        status = "signed_in"
        if any(not e["waiting"] for e in theirs):
            status = "in_session"
        elif theirs:
            status = "waiting"
        agents.append(
            {
                "username": username,
                "name": account.get("name") or username,
                "status": status,
                "signed_in": username in signed_in,
                "last_active_at": signed_in.get(username),
                "sessions": [e["session_id"] for e in theirs],
            }
        )
    order = {"in_session": 0, "waiting": 1, "signed_in": 2}
    agents.sort(key=lambda agent: (order[agent["status"]], agent["name"].lower()))
    counts = {
        "agents": len(agents),
        "waiting": sum(e["waiting"] for e in entries),
        "in_session": sum(not e["waiting"] for e in entries),
        "customers": sum(len(e["customers"]) for e in entries),
    }
    return {
        "now": now,
        "counts": counts,
        "agents": agents,
        "sessions": entries[:MAX_SESSIONS_SHOWN],
    }
