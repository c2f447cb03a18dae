-- The association's side (docs/operations.md): town status (pending, verified, rejected), device
-- administrators, operator-issued (recovery) invitations, operators with their enrolment links
-- and browser tokens, access requests, and the append-only audit log. Mirrors, for PostgreSQL,
-- migrations/sqlite/ (same tables, same columns; BIGINT for INTEGER).

-- A commune has at most one space that is not rejected (a rejected one waits for its purge while
-- the commune is claimed again): a partial unique index instead of UNIQUE (commune_code).
ALTER TABLE towns DROP CONSTRAINT towns_commune_code_key;
ALTER TABLE towns
    ADD COLUMN status TEXT NOT NULL DEFAULT 'verified'
        CHECK (status IN ('pending', 'verified', 'rejected')),
    ADD COLUMN verified_ms BIGINT,
    ADD COLUMN rejected_ms BIGINT;
-- Spaces made before operators existed were all let in: verified.
UPDATE towns SET verified_ms = created_ms;
CREATE UNIQUE INDEX towns_one_live_space ON towns (commune_code) WHERE status <> 'rejected';
CREATE INDEX towns_by_status ON towns (status, rejected_ms);

-- Administrators: the device that created the space (invited by nobody), those admitted by an
-- operator (recovery, replacement), and mayors.
ALTER TABLE devices ADD COLUMN admin BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE devices SET admin = TRUE WHERE invited_by IS NULL OR role = 'maire';

CREATE TABLE operators (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    created_ms BIGINT NOT NULL,
    removed_ms BIGINT,
    -- The operator the server makes for itself at start while nobody has enrolled.
    bootstrap  BOOLEAN NOT NULL DEFAULT FALSE
);

-- An invitation is made by a device of the town, or by an operator (a recovery invitation, which
-- admits an administrator).
ALTER TABLE invites
    ALTER COLUMN created_by DROP NOT NULL,
    ADD COLUMN operator_id BIGINT REFERENCES operators (id),
    ADD COLUMN grants_admin BOOLEAN NOT NULL DEFAULT FALSE,
    ADD CHECK (created_by IS NOT NULL OR operator_id IS NOT NULL);
CREATE INDEX invites_by_town ON invites (town_id, link_expires_ms);
CREATE INDEX invites_by_creator ON invites (created_by);

-- One-time links printed by `arobase-server operator add` (only the secret's SHA-256 is kept).
CREATE TABLE operator_enrolments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators (id),
    secret_hash TEXT NOT NULL UNIQUE,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL,
    used_ms     BIGINT
);

-- Operators' browser tokens, apart from devices' so that neither can ever stand for the other.
CREATE TABLE operator_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators (id),
    token_hash  TEXT NOT NULL UNIQUE,
    device_name TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    revoked_ms  BIGINT
);

-- A claim for a commune that has a space. `token_hash` is the requester's future device token:
-- the device row is made with it when an operator lets the request in (`device_id`).
CREATE TABLE access_requests (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    town_id    BIGINT NOT NULL REFERENCES towns (id),
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'joined', 'replaced', 'refused')),
    decided_ms BIGINT,
    decided_by BIGINT REFERENCES operators (id),
    device_id  TEXT REFERENCES devices (id)
);
CREATE INDEX access_requests_by_town ON access_requests (town_id, status);
CREATE INDEX access_requests_by_status ON access_requests (status, created_ms);

-- Append-only. The town is kept as plain values (no foreign key): entries outlive erasure.
CREATE TABLE audit_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    operator_id  BIGINT REFERENCES operators (id),
    action       TEXT NOT NULL,
    town_id      BIGINT,
    commune_code TEXT,
    commune_name TEXT,
    detail       TEXT
);

CREATE INDEX devices_last_seen ON devices (revoked_ms, last_seen_ms);
