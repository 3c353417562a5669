-- Secrets the server keeps across restarts, shared by every instance that uses this database:
-- the key that signs the signed-out forms' CSRF cookie. Made at the first start that needs it.
-- Whoever can read this table can forge those cookies (not sessions), so it is never logged.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
