-- A push subscription belongs to the client that registered it: the same endpoint
-- registered by another client is that client's own row, never a takeover of this
-- one. UNIQUE (client_id, endpoint) also serves the per-client lookups the old
-- push_subscriptions_client index served.
ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_endpoint_key;
ALTER TABLE push_subscriptions
    ADD CONSTRAINT push_subscriptions_client_id_endpoint_key UNIQUE (client_id, endpoint);
DROP INDEX push_subscriptions_client;

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
-- lookup finds it.
INSERT INTO unsubscribe_tokens (id, client_id, token_hash, created_at)
SELECT 'legacy_' || substr(encode(sha256(convert_to(unsubscribe_token, 'UTF8')), 'hex'), 1, 16),
       id, encode(sha256(convert_to(unsubscribe_token, 'UTF8')), 'hex'), created_at
FROM clients
WHERE unsubscribe_token IS NOT NULL;
DROP INDEX clients_unsubscribe_token;
ALTER TABLE clients DROP COLUMN unsubscribe_token;
