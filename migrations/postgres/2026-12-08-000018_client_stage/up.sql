-- Each client's standing (domain::standing: stage, current session, whether the next
-- session needs booking), kept on the row so that the console's clients list and
-- Today read one page by index instead of computing every client's timeline on every
-- view. Renewed in the transaction of every change that marks the client due, and by
-- the engine's tick once `standing_until` (the instant it next changes) has passed;
-- the default makes every existing row stale, so the first tick fills them in.
ALTER TABLE clients ADD COLUMN stage TEXT NOT NULL DEFAULT 'pre_treatment';
ALTER TABLE clients ADD COLUMN in_series BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN final_session BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN booking TEXT;
ALTER TABLE clients ADD COLUMN standing_until TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE INDEX clients_standing_until ON clients (standing_until);

-- The list's order (name, id) within a clinic, alone and under each kind of filter;
-- each also counts its filter's clients without reading the table.
CREATE INDEX clients_by_name ON clients (clinic_id, name, id);
CREATE INDEX clients_by_stage ON clients (clinic_id, stage, name, id);
CREATE INDEX clients_by_series ON clients (clinic_id, in_series, name, id);
CREATE INDEX clients_by_final ON clients (clinic_id, final_session, name, id, stage);
CREATE INDEX clients_by_booking ON clients (clinic_id, booking, name, id);
CREATE INDEX clients_by_invitation ON clients (clinic_id, invitation_status, invitation_expires_at);

-- Search by name or email: trigram indexes find `lower(...) LIKE '%text%'` for any text
-- of 3 or more characters without reading every client.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX clients_name_trgm ON clients USING gin (lower(name) gin_trgm_ops);
CREATE INDEX clients_email_trgm ON clients USING gin (lower(email) gin_trgm_ops);
