-- When the planner next looks at a client (NULL: never, e.g. no channel). Indexed so
-- a planning tick costs O(due clients), not O(clients).
ALTER TABLE clients ADD COLUMN next_plan_at TIMESTAMP;
-- The capability in reminder emails' one-click unsubscribe link (email only).
ALTER TABLE clients ADD COLUMN unsubscribe_token TEXT;
CREATE INDEX clients_next_plan_at ON clients (next_plan_at);
CREATE UNIQUE INDEX clients_unsubscribe_token ON clients (unsubscribe_token);

-- A push endpoint the push service reported gone (404/410) is kept but not used.
ALTER TABLE push_subscriptions ADD COLUMN disabled_at TIMESTAMP;
ALTER TABLE push_subscriptions ADD COLUMN disabled_reason TEXT;

-- One row per reminder message. `target` is the push subscription id or 'email':
-- the unique key (client, local date, channel, target) is the promise of at most
-- one message per channel and device per local day, whoever plans it and however
-- often.
CREATE TABLE deliveries (
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
    UNIQUE (client_id, local_date, channel, target)
);
-- The dispatcher's claim: due rows by status and time.
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_client_history ON deliveries (client_id, local_date);
