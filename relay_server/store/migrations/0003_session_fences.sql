-- Several relay nodes (relay_server/store/postgres.py, docs/architecture.md, *Fencing*).
--
-- session_fences: the node that took a live session over last. A node's commit writes a
-- session's rows (its chat:<id> table, its live_sessions row) only while no other node is
-- named here; the write locks the fence row (FOR SHARE), so a takeover that names itself
-- here waits for a commit in progress and every later commit of the old owner skips them.
CREATE TABLE session_fences (
    session_id text PRIMARY KEY,
    node text NOT NULL
);
