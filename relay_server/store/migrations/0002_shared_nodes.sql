-- Several relay nodes on one database (relay_server/store/postgres.py, docs/architecture.md).
--
-- table_ids: the next free document id of each shared table. A node reserves ids in blocks
-- (one round trip per block), so two nodes inserting into one table (tokens, the outbox, live
-- sessions) never pick the same id. Tables of one session (chat:<id>, ...) are written only
-- by the session's owner and need no block.
CREATE TABLE table_ids (
    tbl text PRIMARY KEY,
    next_id bigint NOT NULL
);

-- row_claims: a row one node works on for a while (a mail being sent): taken atomically with
-- INSERT ... ON CONFLICT DO UPDATE ... WHERE the claim is this node's or has expired, and only
-- while the row itself exists, so a mail another node has sent and removed is never taken.
CREATE TABLE row_claims (
    tbl text NOT NULL,
    id bigint NOT NULL,
    node text NOT NULL,
    until timestamptz NOT NULL,
    PRIMARY KEY (tbl, id)
);

-- Read on use: a token or an account another node wrote is found by its key.
CREATE INDEX documents_token_hash ON documents ((doc->>'token_hash')) WHERE tbl = 'tokens';
CREATE INDEX documents_username ON documents ((doc->>'username')) WHERE tbl = 'accounts';
CREATE INDEX documents_live_session ON documents ((doc->>'id')) WHERE tbl = 'live_sessions';
CREATE INDEX documents_notes_session ON documents ((doc->>'session_id')) WHERE tbl = 'notes';
