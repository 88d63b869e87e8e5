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

-- Unsubscribe links: only a SHA-256 of each token is stored, as for every other token.
-- Each reminder email gets a token of its own (`smpu_{id}_{secret}`, looked up by id
-- and checked in constant time), issued as the email is built, so the raw token is
-- never kept; links in earlier emails keep working until the client is erased.
CREATE TABLE unsubscribe_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX unsubscribe_tokens_client ON unsubscribe_tokens (client_id);
-- Links already sent carry the old plaintext token, which has no id: it is kept by
-- its hash, under the id `legacy_` + the hash's first 16 hex digits, which is how the
-- lookup finds it. smp_sha256_hex is registered on every SQLite connection the
-- service opens (db::DbManager); apply this with `smp-aftercare migrate`.
INSERT INTO unsubscribe_tokens (id, client_id, token_hash, created_at)
SELECT 'legacy_' || substr(smp_sha256_hex(unsubscribe_token), 1, 16), id,
       smp_sha256_hex(unsubscribe_token), created_at
FROM clients
WHERE unsubscribe_token IS NOT NULL;
DROP INDEX clients_unsubscribe_token;
ALTER TABLE clients DROP COLUMN unsubscribe_token;
