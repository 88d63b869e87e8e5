DROP TABLE deliveries;
ALTER TABLE push_subscriptions DROP COLUMN disabled_reason;
ALTER TABLE push_subscriptions DROP COLUMN disabled_at;
DROP INDEX clients_unsubscribe_token;
DROP INDEX clients_next_plan_at;
ALTER TABLE clients DROP COLUMN unsubscribe_token;
ALTER TABLE clients DROP COLUMN next_plan_at;
