-- The deployment's one VAPID key pair: every replica signs with it, so a browser that
-- subscribed through one replica accepts pushes sent by any other. One row (id 1),
-- created on first start under the primary key's uniqueness.
CREATE TABLE vapid_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
