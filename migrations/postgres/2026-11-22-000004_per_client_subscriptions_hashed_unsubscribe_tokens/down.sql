-- Back to one plaintext unsubscribe token per client. Only hashes were kept, so every
-- client gets a new token: links in emails sent since the upgrade stop working.
ALTER TABLE clients ADD COLUMN unsubscribe_token TEXT;
UPDATE clients SET unsubscribe_token = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX clients_unsubscribe_token ON clients (unsubscribe_token);
DROP TABLE unsubscribe_tokens;

-- Back to one row per endpoint: where several clients registered the same endpoint,
-- the most recently updated registration stays (as the old upsert would have left it).
DELETE FROM push_subscriptions p
WHERE EXISTS (
    SELECT 1 FROM push_subscriptions q
    WHERE q.endpoint = p.endpoint
      AND (q.updated_at > p.updated_at OR (q.updated_at = p.updated_at AND q.id > p.id))
);
CREATE INDEX push_subscriptions_client ON push_subscriptions (client_id);
ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_client_id_endpoint_key;
ALTER TABLE push_subscriptions ADD CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint);
