-- Notes staff keep on a client: free text, or a record that someone contacted the
-- client (`kind` = 'contacted', with an optional text). Who wrote it is kept by id and
-- by name as it was then (a removed staff member still shows who it was). Erased with
-- the client (the foreign key cascades).
CREATE TABLE client_notes (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id TEXT,
    author_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX client_notes_client ON client_notes (client_id, created_at);
