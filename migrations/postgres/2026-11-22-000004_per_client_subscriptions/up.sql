-- A push subscription belongs to the client that registered it: the same endpoint
-- registered by another client is that client's own row, never a takeover of this
-- one. UNIQUE (client_id, endpoint) also serves the per-client lookups the old
-- push_subscriptions_client index served.
ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_endpoint_key;
ALTER TABLE push_subscriptions
    ADD CONSTRAINT push_subscriptions_client_id_endpoint_key UNIQUE (client_id, endpoint);
DROP INDEX push_subscriptions_client;
