-- Each client's standing (domain::standing: stage, current session, whether the next
-- session needs booking), kept on the row so that the console's clients list and
-- Today read one page by index instead of computing every client's timeline on every
-- view. Renewed in the transaction of every change that marks the client due, and by
-- the engine's tick once `standing_until` (the instant it next changes) has passed;
-- the default makes every existing row stale, so the first tick fills them in.
ALTER TABLE clients ADD COLUMN stage TEXT NOT NULL DEFAULT 'pre_treatment';
ALTER TABLE clients ADD COLUMN in_series BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN final_session BOOLEAN NOT NULL DEFAULT 0;
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

-- Search by name or email: a trigram index finds any substring of 3 or more characters
-- (any case) without reading every client. Kept by triggers, so every writer of
-- clients keeps it. Keyed by the client's id, not its rowid: VACUUM may renumber the
-- rowids of a table without an INTEGER PRIMARY KEY. Finding a row by an UNINDEXED
-- column reads the whole index, so a rename or an erasure costs that; searches do not.
CREATE VIRTUAL TABLE clients_search USING fts5(
    client_id UNINDEXED,
    name,
    email,
    tokenize = 'trigram'
);
INSERT INTO clients_search (client_id, name, email) SELECT id, name, email FROM clients;
CREATE TRIGGER clients_search_insert AFTER INSERT ON clients BEGIN
    INSERT INTO clients_search (client_id, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, email ON clients BEGIN
    DELETE FROM clients_search WHERE client_id = old.id;
    INSERT INTO clients_search (client_id, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients BEGIN
    DELETE FROM clients_search WHERE client_id = old.id;
END;
