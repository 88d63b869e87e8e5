-- A clinic's protocol overrides (JSON; NULL = the default protocol).
ALTER TABLE clinics ADD COLUMN protocol_overrides TEXT;

-- One client per email address per clinic. Preferences live on the row; tokens are
-- stored only as SHA-256 hashes behind public ids.
CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    locale TEXT NOT NULL,
    planned_sessions INTEGER NOT NULL,
    reminder_time TEXT NOT NULL,
    push_enabled BOOLEAN NOT NULL,
    email_enabled BOOLEAN NOT NULL,
    spf_reminders TEXT NOT NULL,
    muted TEXT NOT NULL,
    invitation_status TEXT NOT NULL,
    invitation_error TEXT,
    invitation_token_id TEXT UNIQUE,
    invitation_token_hash TEXT,
    invitation_expires_at TIMESTAMP,
    access_token_id TEXT UNIQUE,
    access_token_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (clinic_id, email)
);
CREATE INDEX clients_clinic_page ON clients (clinic_id, id);

-- One session per client and date.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    date DATE NOT NULL,
    marked_final BOOLEAN NOT NULL,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (client_id, date)
);

-- A browser's push endpoint belongs to one client at a time.
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    expiration_time TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX push_subscriptions_client ON push_subscriptions (client_id);

-- The first answer to a POST carrying an Idempotency-Key, replayed on retries.
CREATE TABLE idempotency_keys (
    clinic_id TEXT NOT NULL REFERENCES clinics(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clinic_id, idempotency_key)
);
