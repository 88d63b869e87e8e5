-- Back to one plaintext unsubscribe token per client. Only hashes were kept, so every
-- client gets a new token: links in emails sent since the upgrade stop working.
ALTER TABLE clients ADD COLUMN unsubscribe_token TEXT;
UPDATE clients SET unsubscribe_token = lower(hex(randomblob(32)));
CREATE UNIQUE INDEX clients_unsubscribe_token ON clients (unsubscribe_token);
DROP TABLE unsubscribe_tokens;

-- Back to one row per endpoint: where several clients registered the same endpoint,
-- the most recently updated registration stays (as the old upsert would have left it).
CREATE TABLE push_subscriptions_old (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    expiration_time TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP,
    disabled_reason TEXT
);
INSERT INTO push_subscriptions_old
    (id, client_id, endpoint, p256dh, auth, expiration_time, created_at, updated_at,
     disabled_at, disabled_reason)
SELECT id, client_id, endpoint, p256dh, auth, expiration_time, created_at, updated_at,
       disabled_at, disabled_reason
FROM push_subscriptions p
WHERE NOT EXISTS (
    SELECT 1 FROM push_subscriptions q
    WHERE q.endpoint = p.endpoint
      AND (q.updated_at > p.updated_at OR (q.updated_at = p.updated_at AND q.id > p.id))
);
DROP TABLE push_subscriptions;
ALTER TABLE push_subscriptions_old RENAME TO push_subscriptions;
CREATE INDEX push_subscriptions_client ON push_subscriptions (client_id);
