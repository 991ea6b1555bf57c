"""Ended sessions written straight into a relay data folder's history archive, as the relay
appends them (docs/architecture.md, *The history*): for statistics over a known past."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from relay_server.history.history import shard_of


def history_record(
    session_id: str,
    agent: str,
    started: datetime,
    duration_s: float = 600.0,
    customer: str = "Kim Customer",
    presentations: int = 0,
    control_grants: int = 0,
    files: int = 0,
    calls: int = 0,
) -> dict[str, Any]:
    """One archived session of ``agent`` starting at ``started`` (an aware datetime)."""
    start = started.timestamp()
    return {
        "v": 1,
        "id": session_id,
        "agent_username": agent,
        "agent": {"name": agent.title()},
        "state": "ended",
        "customer_name": customer,
        "created_at": start - 10,
        "started_at": start,
        "ended_at": start + duration_s,
        "ended_by": "agent",
        "duration_s": duration_s,
        "message_count": 0,
        "messages": [],
        "notes": "",
        "files": [
            {"id": f"{session_id}-f{n}", "name": f"quote-{n}.pdf", "size": 10, "sender": "agent"}
            for n in range(files)
        ],
        "presentations": presentations,
        "control_grants": control_grants,
        "calls": calls,
    }


def write_history(data_dir: Path, records: Iterable[dict[str, Any]]) -> None:
    """Append ``records`` to the month files of ``data_dir/history`` (the relay must not run)."""
    folder = data_dir / "history"
    folder.mkdir(exist_ok=True)
    for record in sorted(records, key=lambda r: r["ended_at"]):
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with open(folder / f"{shard_of(record['ended_at'])}.jsonl", "a", encoding="utf-8") as out:
            out.write(line)


def seoul(text: str) -> datetime:
    """A wall-clock time in Seoul ("2025-01-06 10:30") as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Seoul"))
