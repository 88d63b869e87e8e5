DROP TABLE idempotency_keys;
DROP TABLE push_subscriptions;
DROP TABLE sessions;
DROP TABLE clients;
ALTER TABLE clinics DROP COLUMN protocol_overrides;
