-- What a node needs to know of a shared file besides its bytes, on its first piece
-- (relay_server/store/shared_files.py): a chat file's transfer (name, size, sha256, sender),
-- which the node that takes its session over lists and serves (relay_server/files/kept.py);
-- a photo's sha256, its address's version and ETag (relay_server/accounts/photos.py).
ALTER TABLE shared_files ADD COLUMN meta jsonb;
