-- A client's subscribable calendar (.ics at /calendar/{token}.ics): at most one
-- active feed per client. The token (`smpf_{id}_{secret}`) is shown once; only its
-- SHA-256 is stored, behind its public id. Rotating replaces the row (the old URL
-- stops working), revoking deletes it; erasing the client removes it.
CREATE TABLE calendar_feeds (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    token_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
