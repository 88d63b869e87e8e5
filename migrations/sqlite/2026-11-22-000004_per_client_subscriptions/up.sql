-- A push subscription belongs to the client that registered it: the same endpoint
-- registered by another client is that client's own row, never a takeover of this
-- one. SQLite cannot change a UNIQUE constraint in place, so the table is rebuilt
-- (nothing references it by foreign key). UNIQUE (client_id, endpoint) also serves
-- the per-client lookups the old push_subscriptions_client index served.
CREATE TABLE push_subscriptions_new (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    expiration_time TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP,
    disabled_reason TEXT,
    UNIQUE (client_id, endpoint)
);
INSERT INTO push_subscriptions_new
    (id, client_id, endpoint, p256dh, auth, expiration_time, created_at, updated_at,
     disabled_at, disabled_reason)
SELECT id, client_id, endpoint, p256dh, auth, expiration_time, created_at, updated_at,
       disabled_at, disabled_reason
FROM push_subscriptions;
DROP TABLE push_subscriptions;
ALTER TABLE push_subscriptions_new RENAME TO push_subscriptions;
