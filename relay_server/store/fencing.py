"""The SQL that keeps a node that stalled past its lease (a frozen VM, SIGSTOP) from writing
over another node's work when it wakes (relay_server/store/postgres.py, docs/architecture.md,
*Fencing*). Two kinds of rows are guarded, each in the same statement as the write (no extra
round trip), each by locking the guard's row (``FOR SHARE``) so that a takeover waits for a
commit in progress:

- a live session's rows (its ``chat:<id>`` / ``whiteboard:<id>`` tables, its ``live_sessions``
  and ``whiteboards`` rows): written only while ``session_fences`` names no other node (a node
  names itself there when it takes the session over or restores it at its start);
- rows of a table whose rows nodes claim (``Store.claim``: the mail outbox): written only while
  no other node holds a live claim on the row in ``row_claims`` (a node that adopted a dead
  node's mail claims it, taking the dead node's claim).
"""

from __future__ import annotations

# A session's rows: written only while no other node took the session over since.
NOT_FENCED = (
    "NOT EXISTS (SELECT 1 FROM (SELECT node FROM session_fences WHERE session_id = u.sid "
    "FOR SHARE) f WHERE f.node <> %(node)s)"
)
FENCED_UPSERT = (
    "INSERT INTO documents (tbl, id, doc) SELECT u.tbl, u.id, u.doc::json "
    "FROM unnest(%(tbl)b::text[], %(id)b::bigint[], %(doc)b::text[], %(sid)b::text[]) "
    f"AS u(tbl, id, doc, sid) WHERE {NOT_FENCED} "
    "ON CONFLICT (tbl, id) DO UPDATE SET doc = excluded.doc"
)
FENCED_DELETE = (
    "DELETE FROM documents d "
    "USING unnest(%(tbl)b::text[], %(id)b::bigint[], %(sid)b::text[]) AS u(tbl, id, sid) "
    f"WHERE d.tbl = u.tbl AND d.id = u.id AND {NOT_FENCED}"
)
FENCED_DROP = (
    "DELETE FROM documents d USING unnest(%(tbl)b::text[], %(sid)b::text[]) AS u(tbl, sid) "
    f"WHERE d.tbl = u.tbl AND {NOT_FENCED}"
)
FENCE = (
    "INSERT INTO session_fences (session_id, node) "
    "SELECT s, %(node)s FROM unnest(%(sids)s::text[]) AS s "
    "ON CONFLICT (session_id) DO UPDATE SET node = excluded.node"
)
FENCED_SESSIONS = "SELECT session_id FROM session_fences WHERE session_id = ANY(%s) AND node <> %s"

# A claimed row: written only while no other node holds a live claim on it.
NOT_CLAIMED = (
    "NOT EXISTS (SELECT 1 FROM (SELECT node, until FROM row_claims "
    "WHERE tbl = u.tbl AND id = u.id FOR SHARE) c "
    "WHERE c.node <> %(node)s AND c.until > now())"
)
CLAIMED_UPSERT = (
    "INSERT INTO documents (tbl, id, doc) SELECT u.tbl, u.id, u.doc::json "
    "FROM unnest(%(tbl)b::text[], %(id)b::bigint[], %(doc)b::text[]) AS u(tbl, id, doc) "
    f"WHERE {NOT_CLAIMED} "
    "ON CONFLICT (tbl, id) DO UPDATE SET doc = excluded.doc"
)
CLAIMED_DELETE = (
    "DELETE FROM documents d USING unnest(%(tbl)b::text[], %(id)b::bigint[]) AS u(tbl, id) "
    f"WHERE d.tbl = u.tbl AND d.id = u.id AND {NOT_CLAIMED}"
)
CLAIMED_BY_OTHERS = (
    "SELECT c.tbl, c.id FROM row_claims c "
    "JOIN unnest(%(tbl)b::text[], %(id)b::bigint[]) AS u(tbl, id) "
    "ON c.tbl = u.tbl AND c.id = u.id WHERE c.node <> %(node)s AND c.until > now()"
)
