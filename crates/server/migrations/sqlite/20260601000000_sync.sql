-- Sync: the official commune list, towns (one space per commune), their devices, invitations and
-- the append-only operation log. Times are Unix milliseconds. Mirrored for PostgreSQL in
-- migrations/postgres/ (same tables, same columns).

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
    population       INTEGER NOT NULL,
    epci_code        TEXT,
    epci_name        TEXT,
    siren            TEXT
) STRICT;

-- `last_seq` is the town's operation counter: a push takes its sequence numbers from it inside
-- its transaction, so that within a town sequence order is commit order.
CREATE TABLE towns (
    id           INTEGER PRIMARY KEY NOT NULL,
    commune_code TEXT NOT NULL UNIQUE REFERENCES communes (code),
    created_ms   INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Only the SHA-256 of a token is kept. A removed device keeps its row (its operations name it,
-- and it must be told it was removed rather than that its token is unknown).
CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    town_id      INTEGER NOT NULL REFERENCES towns (id),
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER,
    revoked_ms   INTEGER,
    invited_by   TEXT REFERENCES devices (id)
) STRICT;
CREATE INDEX devices_by_town ON devices (town_id, created_ms);

-- One invitation admits one device, by its link (secret_hash) or its short code (code_prefix
-- identifies the invitation, code_hash checks the whole code, attempts counts wrong codes).
CREATE TABLE invites (
    id              INTEGER PRIMARY KEY NOT NULL,
    town_id         INTEGER NOT NULL REFERENCES towns (id),
    created_by      TEXT NOT NULL REFERENCES devices (id),
    secret_hash     TEXT NOT NULL UNIQUE,
    code_prefix     TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    code_expires_ms INTEGER NOT NULL,
    link_expires_ms INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    used_ms         INTEGER,
    used_by         TEXT REFERENCES devices (id)
) STRICT;
CREATE INDEX invites_by_prefix ON invites (code_prefix, created_ms);

-- The log. Never updated nor deleted. `base` is the comma-separated ids the operation replaces;
-- `sent_wall_ms` is the wall time as the device sent it (it differs from wall_ms when clamped).
CREATE TABLE ops (
    id           TEXT PRIMARY KEY NOT NULL,
    town_id      INTEGER NOT NULL REFERENCES towns (id),
    seq          INTEGER NOT NULL,
    device_id    TEXT NOT NULL REFERENCES devices (id),
    campaign     TEXT NOT NULL,
    question     TEXT NOT NULL,
    option_id    TEXT,
    comment      TEXT,
    wall_ms      INTEGER NOT NULL,
    counter      INTEGER NOT NULL,
    base         TEXT NOT NULL,
    sent_wall_ms INTEGER NOT NULL,
    received_ms  INTEGER NOT NULL,
    UNIQUE (town_id, seq)
) STRICT;
