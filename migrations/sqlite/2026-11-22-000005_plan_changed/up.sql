-- A same-day correction (kind plan_changed) is a second message on a day that already
-- had one. The unique key gains `correction`: at most one regular message and one
-- correction per client, local date, channel and target, whoever plans them. SQLite
-- cannot change a table constraint in place, so the table is rebuilt (indexes too).
CREATE TABLE deliveries_new (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    local_date DATE NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    payload TEXT NOT NULL,
    send_at TIMESTAMP NOT NULL,
    stale_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    leased_by TEXT,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    correction BOOLEAN NOT NULL DEFAULT 0,
    UNIQUE (client_id, local_date, channel, target, correction)
);
INSERT INTO deliveries_new (
    id, client_id, local_date, channel, target, kind, idempotency_key, title, body, payload,
    send_at, stale_at, status, attempts, next_attempt_at, lease_until, leased_by, last_error,
    sent_at, created_at, updated_at, correction
)
SELECT
    id, client_id, local_date, channel, target, kind, idempotency_key, title, body, payload,
    send_at, stale_at, status, attempts, next_attempt_at, lease_until, leased_by, last_error,
    sent_at, created_at, updated_at, 0
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
-- The dispatcher's claim: due rows by status and time.
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_client_history ON deliveries (client_id, local_date);
