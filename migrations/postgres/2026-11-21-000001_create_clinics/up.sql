-- Clinics own clients. A clinic authenticates with one API key; only a SHA-256 hash
-- of it is stored, looked up by its public key id.
CREATE TABLE clinics (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    api_key_id TEXT UNIQUE,
    api_key_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    key_issued_at TIMESTAMP
);
