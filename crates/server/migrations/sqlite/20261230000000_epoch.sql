-- Backups and restore (docs/operations.md, « Backups and restore »). `epoch` names this copy of
-- the database: 128 random bits in lowercase hex, made here and again by each restore
-- (`arobase-server restore` or `new-epoch`), which also writes `restored_ms`. Phones that see a
-- new epoch re-send what they hold, others' operations included (a relay).
INSERT INTO server_meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));

-- The device that relayed an operation of another device after a restore (NULL: pushed by its
-- own device), kept for audit.
ALTER TABLE ops ADD COLUMN relayed_by TEXT REFERENCES devices (id);
