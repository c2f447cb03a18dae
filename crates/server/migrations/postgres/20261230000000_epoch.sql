-- Backups and restore, as in migrations/sqlite/: the database's epoch (128 bits in lowercase hex:
-- an MD5 of random input) and who relayed an operation.
INSERT INTO server_meta (key, value)
VALUES ('epoch', md5(random()::text || clock_timestamp()::text));

ALTER TABLE ops ADD COLUMN relayed_by TEXT REFERENCES devices (id);
