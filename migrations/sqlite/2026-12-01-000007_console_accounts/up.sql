-- The clinic console: staff accounts, emailed sign-in links, server-side sessions,
-- named API keys and the audit log, plus the clinic settings the console edits.

-- Clinic settings: Reply-To of client email (NULL: the clinic's email), and the
-- defaults onboarding gives a new client.
ALTER TABLE clinics ADD COLUMN reply_to TEXT;
ALTER TABLE clinics ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE clinics ADD COLUMN reminder_time TEXT NOT NULL DEFAULT '08:00';

-- A person who signs in to a clinic's console. One address may belong to accounts
-- at several clinics (a practitioner working at two); each is its own row.
CREATE TABLE staff (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP,
    UNIQUE (clinic_id, email)
);
CREATE INDEX staff_email ON staff (email);

-- Emailed one-time sign-in links (`smpl_{id}_{secret}`): only the SHA-256 of the
-- token is kept; `used_at` makes each single use.
CREATE TABLE staff_sign_in_links (
    id TEXT PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX staff_sign_in_links_staff ON staff_sign_in_links (staff_id);

-- Server-side console sessions; the cookie carries `smps_{id}_{secret}`, stored hashed.
CREATE TABLE staff_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Named API keys for integrations (`smpk_{id}_{secret}`, stored hashed), any number
-- per clinic; a revoked key keeps its row so the console can show it.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_clinic ON api_keys (clinic_id, created_at);

-- The single key each clinic had moves here, under the same id and hash, so keys in
-- use keep working. The old columns stay (SQLite cannot drop a UNIQUE column without
-- rebuilding `clinics`, which every client row references) and are emptied.
INSERT INTO api_keys (id, clinic_id, name, key_hash, created_at, created_by)
SELECT api_key_id, id, 'First key', api_key_hash, COALESCE(key_issued_at, created_at),
       'command line'
FROM clinics
WHERE api_key_id IS NOT NULL AND api_key_hash IS NOT NULL;
UPDATE clinics SET api_key_id = NULL, api_key_hash = NULL, key_issued_at = NULL;

-- Who did what, when. The actor's and the subject's names are copied in, so the log
-- reads the same after a staff member is removed; erasing a client blanks the
-- subject label of their entries.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics(id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT,
    subject_label TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_clinic_at ON audit_log (clinic_id, at, id);
CREATE INDEX audit_log_subject ON audit_log (subject_kind, subject_id);
