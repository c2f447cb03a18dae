-- The action atlas (docs/network.md, « L'atlas des actions »): examples of done priorities a
-- town's administrator publishes, which operators moderate before other towns see them. The
-- bands and the status are the ids of `diagnostic::network::atlas`. Mirrored for PostgreSQL.
-- Erasing or purging a town deletes its examples (`purge_town`).
CREATE TABLE atlas_examples (
    id             INTEGER PRIMARY KEY NOT NULL,
    town_id        INTEGER NOT NULL REFERENCES towns (id),
    -- The device that sent it (kept for the town's export; never shown to other towns).
    device_id      TEXT NOT NULL REFERENCES devices (id),
    campaign       TEXT NOT NULL,
    question       TEXT NOT NULL,
    what           TEXT NOT NULL,
    partner        TEXT NOT NULL,
    cost           TEXT NOT NULL,
    duration       TEXT NOT NULL,
    contact_role   TEXT NOT NULL,
    public_contact TEXT,
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'published', 'refused')),
    refusal        TEXT,
    created_ms     INTEGER NOT NULL,
    decided_ms     INTEGER,
    decided_by     INTEGER REFERENCES operators (id)
) STRICT;

CREATE INDEX atlas_by_town ON atlas_examples (town_id, status);
CREATE INDEX atlas_by_status ON atlas_examples (status, question, created_ms);
