-- Files every relay node must read, whichever node received them (relay_server/store/
-- shared_files.py): an agent's favourite documents. Their bytes in pieces of up to 1 MiB
-- (bounded memory on both sides); a node keeps a copy in its own folder once it has read one.
-- added_at: pieces no account lists (a node died between storing them and committing the
-- list) are swept once they are an hour old, never an upload still running on another node.
CREATE TABLE shared_files (
    name text NOT NULL,
    piece integer NOT NULL,
    data bytea NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, piece)
);
