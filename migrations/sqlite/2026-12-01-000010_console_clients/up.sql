-- The protocol page's change history: who changed the clinic's protocol, when, and
-- the protocol in effect before and after (the complete documents, so the history
-- reads the same after a release changes the built-in default).
CREATE TABLE protocol_changes (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    -- "staff", "api_key" or "cli", with the id and name as they were then (a removed
    -- staff member or revoked key still shows who it was).
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    before_protocol TEXT NOT NULL,
    after_protocol TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX protocol_changes_clinic ON protocol_changes (clinic_id, created_at);
