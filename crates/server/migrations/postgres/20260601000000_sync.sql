-- Sync: the official commune list, towns (one space per commune), their devices, invitations and
-- the append-only operation log. Times are Unix milliseconds. Mirrors, for PostgreSQL,
-- migrations/sqlite/ (same tables, same columns; BIGINT for INTEGER).

-- Loaded from @etalab/decoupage-administratif (see src/communes.rs); `search_name` is the name
-- lowercased without accents or punctuation, `postal_codes` is space-separated with a space at
-- both ends so that `LIKE '% 42%'` finds a prefix of any of them.
CREATE TABLE communes (
    code             TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    search_name      TEXT NOT NULL,
    departement      TEXT NOT NULL,
    departement_name TEXT,
    region           TEXT NOT NULL,
    postal_codes     TEXT NOT NULL,
    population       BIGINT NOT NULL,
    epci_code        TEXT,
    epci_name        TEXT,
    siren            TEXT
);

-- `last_seq` is the town's operation counter: a push takes its sequence numbers from it inside
-- its transaction, so that within a town sequence order is commit order.
CREATE TABLE towns (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commune_code TEXT NOT NULL UNIQUE REFERENCES communes (code),
    created_ms   BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL DEFAULT 0
);

-- Only the SHA-256 of a token is kept. A removed device keeps its row (its operations name it,
-- and it must be told it was removed rather than that its token is unknown).
CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    town_id      BIGINT NOT NULL REFERENCES towns (id),
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT,
    revoked_ms   BIGINT,
    invited_by   TEXT REFERENCES devices (id)
);
CREATE INDEX devices_by_town ON devices (town_id, created_ms);

-- One invitation admits one device, by its link (secret_hash) or its short code (code_prefix
-- identifies the invitation, code_hash checks the whole code, attempts counts wrong codes).
CREATE TABLE invites (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    town_id         BIGINT NOT NULL REFERENCES towns (id),
    created_by      TEXT NOT NULL REFERENCES devices (id),
    secret_hash     TEXT NOT NULL UNIQUE,
    code_prefix     TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    code_expires_ms BIGINT NOT NULL,
    link_expires_ms BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    used_ms         BIGINT,
    used_by         TEXT REFERENCES devices (id)
);
CREATE INDEX invites_by_prefix ON invites (code_prefix, created_ms);

-- The log. Never updated nor deleted. `base` is the comma-separated ids the operation replaces;
-- `sent_wall_ms` is the wall time as the device sent it (it differs from wall_ms when clamped).
CREATE TABLE ops (
    id           TEXT PRIMARY KEY NOT NULL,
    town_id      BIGINT NOT NULL REFERENCES towns (id),
    seq          BIGINT NOT NULL,
    device_id    TEXT NOT NULL REFERENCES devices (id),
    campaign     TEXT NOT NULL,
    question     TEXT NOT NULL,
    option_id    TEXT,
    comment      TEXT,
    wall_ms      BIGINT NOT NULL,
    counter      BIGINT NOT NULL,
    base         TEXT NOT NULL,
    sent_wall_ms BIGINT NOT NULL,
    received_ms  BIGINT NOT NULL,
    UNIQUE (town_id, seq)
);
