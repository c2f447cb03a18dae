-- The association's side (docs/operations.md): town status (pending, verified, rejected), device
-- administrators, operator-issued (recovery) invitations, operators with their enrolment links
-- and browser tokens, access requests, and the append-only audit log. Mirrored for PostgreSQL.
--
-- `towns` and `invites` are rebuilt (SQLite cannot drop a UNIQUE or NOT NULL constraint), the
-- documented way: copy, drop, rename. Migrations run with foreign keys off, which SQLite only
-- allows outside a transaction; `SqliteStorage::connect` turns them off around the migrator and
-- checks every reference (`PRAGMA foreign_key_check`) before turning them back on.

-- A commune has at most one space that is not rejected (a rejected one waits for its purge while
-- the commune is claimed again): a partial unique index instead of UNIQUE (commune_code).
CREATE TABLE towns_new (
    id           INTEGER PRIMARY KEY NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    created_ms   INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'verified'
                 CHECK (status IN ('pending', 'verified', 'rejected')),
    verified_ms  INTEGER,
    rejected_ms  INTEGER
) STRICT;
-- Spaces made before operators existed were all let in: verified.
INSERT INTO towns_new (id, commune_code, created_ms, last_seq, status, verified_ms)
SELECT id, commune_code, created_ms, last_seq, 'verified', created_ms FROM towns;
DROP TABLE towns;
ALTER TABLE towns_new RENAME TO towns;
CREATE UNIQUE INDEX towns_one_live_space ON towns (commune_code) WHERE status <> 'rejected';
CREATE INDEX towns_by_status ON towns (status, rejected_ms);

-- Administrators: the device that created the space (invited by nobody), those admitted by an
-- operator (recovery, replacement), and mayors.
ALTER TABLE devices ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
UPDATE devices SET admin = 1 WHERE invited_by IS NULL OR role = 'maire';

CREATE TABLE operators (
    id         INTEGER PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT,
    created_ms INTEGER NOT NULL,
    removed_ms INTEGER,
    -- The operator the server makes for itself at start while nobody has enrolled.
    bootstrap  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- An invitation is made by a device of the town, or by an operator (a recovery invitation, which
-- admits an administrator).
CREATE TABLE invites_new (
    id              INTEGER PRIMARY KEY NOT NULL,
    town_id         INTEGER NOT NULL REFERENCES towns (id),
    created_by      TEXT REFERENCES devices (id),
    operator_id     INTEGER REFERENCES operators (id),
    grants_admin    INTEGER NOT NULL DEFAULT 0,
    secret_hash     TEXT NOT NULL UNIQUE,
    code_prefix     TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    code_expires_ms INTEGER NOT NULL,
    link_expires_ms INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    used_ms         INTEGER,
    used_by         TEXT REFERENCES devices (id),
    CHECK (created_by IS NOT NULL OR operator_id IS NOT NULL)
) STRICT;
INSERT INTO invites_new (id, town_id, created_by, secret_hash, code_prefix, code_hash, created_ms,
                         code_expires_ms, link_expires_ms, attempts, used_ms, used_by)
SELECT id, town_id, created_by, secret_hash, code_prefix, code_hash, created_ms, code_expires_ms,
       link_expires_ms, attempts, used_ms, used_by FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
CREATE INDEX invites_by_prefix ON invites (code_prefix, created_ms);
CREATE INDEX invites_by_town ON invites (town_id, link_expires_ms);
CREATE INDEX invites_by_creator ON invites (created_by);

-- One-time links printed by `arobase-server operator add` (only the secret's SHA-256 is kept).
CREATE TABLE operator_enrolments (
    id          INTEGER PRIMARY KEY NOT NULL,
    operator_id INTEGER NOT NULL REFERENCES operators (id),
    secret_hash TEXT NOT NULL UNIQUE,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER
) STRICT;

-- Operators' browser tokens, apart from devices' so that neither can ever stand for the other.
CREATE TABLE operator_tokens (
    id          INTEGER PRIMARY KEY NOT NULL,
    operator_id INTEGER NOT NULL REFERENCES operators (id),
    token_hash  TEXT NOT NULL UNIQUE,
    device_name TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
) STRICT;

-- A claim for a commune that has a space. `token_hash` is the requester's future device token:
-- the device row is made with it when an operator lets the request in (`device_id`).
CREATE TABLE access_requests (
    id         INTEGER PRIMARY KEY NOT NULL,
    town_id    INTEGER NOT NULL REFERENCES towns (id),
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'joined', 'replaced', 'refused')),
    decided_ms INTEGER,
    decided_by INTEGER REFERENCES operators (id),
    device_id  TEXT REFERENCES devices (id)
) STRICT;
CREATE INDEX access_requests_by_town ON access_requests (town_id, status);
CREATE INDEX access_requests_by_status ON access_requests (status, created_ms);

-- Append-only. The town is kept as plain values (no foreign key): entries outlive erasure.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY NOT NULL,
    at_ms        INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    operator_id  INTEGER REFERENCES operators (id),
    action       TEXT NOT NULL,
    town_id      INTEGER,
    commune_code TEXT,
    commune_name TEXT,
    detail       TEXT
) STRICT;

CREATE INDEX devices_last_seen ON devices (revoked_ms, last_seen_ms);
