-- The web app: password hashes and browser sessions. Timestamps are Unix milliseconds (UTC).

-- argon2id hashes as PHC strings. A user without a row (created by the CLI) cannot sign in
-- until `linkedgrow users set-password` gives them one.
CREATE TABLE user_passwords (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Only a SHA-256 hash of each session token is kept, so a copy of the database signs no one in.
-- `csrf_token` is the synchronizer token every form of the session must send back.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
