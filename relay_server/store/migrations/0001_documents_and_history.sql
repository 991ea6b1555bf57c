-- The relay's durable state on PostgreSQL (relay_server/store/postgres.py).
--
-- documents: every table of the store interface (accounts, tokens, live sessions, chat:<id>,
-- notes, invitations, reservations, outbox, options, audit, whiteboards, favourites, ...) as
-- JSON documents keyed by (table, id). One document table, not one SQL table per domain: the
-- domains keep their own in-memory indexes and ask the store only for "a whole table" (at
-- start) and "one document by id", which the primary key serves; chat and whiteboard tables
-- are made per session at run time, which a fixed SQL schema per domain would not express.
-- json, not jsonb: no query looks inside a document, and json stores the text as sent (no
-- parse into jsonb's binary form on every commit, key order kept, and a chat message's
-- \u0000 accepted, which jsonb refuses).
CREATE TABLE documents (
    tbl text NOT NULL,
    id bigint NOT NULL,
    doc json NOT NULL,
    PRIMARY KEY (tbl, id)
);

-- history_records: every ended session (the TinyDB store's history/YYYY-MM.jsonl lines), with
-- its search words as a tsvector (the same words the in-memory index uses: lower-case words
-- and CJK bigrams, stored as exact lexemes) under a GIN index for the history's text search.
CREATE TABLE history_records (
    seq bigserial PRIMARY KEY,
    session_id text NOT NULL,
    shard text NOT NULL,
    record json NOT NULL,
    search tsvector NOT NULL
);
CREATE INDEX history_records_session ON history_records (session_id);
CREATE INDEX history_records_shard ON history_records (shard, seq);
CREATE INDEX history_records_search ON history_records USING gin (search);

-- history_notes: notes edited after a session ended (history/notes.jsonl); the last one wins.
CREATE TABLE history_notes (
    seq bigserial PRIMARY KEY,
    session_id text NOT NULL,
    edit json NOT NULL
);
