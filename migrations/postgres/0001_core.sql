-- Users, API keys, posts, ideas, figures, idempotency records, the web app's passwords and
-- sessions, server secrets and LinkedIn connections: the same tables and columns as the SQLite
-- schema after its migrations, in PostgreSQL's types. Timestamps are Unix milliseconds (UTC).

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'business')),
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    created_at  BIGINT NOT NULL
);
-- Emails are unique in any case, as SQLite's COLLATE NOCASE made them: look them up by lower().
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Only a SHA-256 hash of each secret is kept; `prefix` is for display. `seq` orders keys made in
-- the same millisecond as they were made (SQLite's rowid).
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- `seq` gives the creation order, also within one millisecond. The publisher's columns:
--   linkedin_urn   the post on LinkedIn once published
--   failure_*      why a failed post failed
--   due_at         when the publisher next acts on a scheduled post (scheduledAt, a retry, or
--                  the end of the lease of the attempt that holds it)
--   claim          the attempt holding the post, set with the lease before a request is sent
--   in_doubt       an earlier request may have reached LinkedIn without our knowing the answer
--   retry_since    the first of a run of retryable failures, for the one-hour cap
CREATE TABLE posts (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content          TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('draft', 'scheduled', 'published', 'failed')),
    scheduled_at     BIGINT,
    published_at     BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    linkedin_urn     TEXT,
    failure_code     TEXT,
    failure_message  TEXT,
    failure_at       BIGINT,
    due_at           BIGINT,
    claim            TEXT,
    in_doubt         BOOLEAN NOT NULL DEFAULT FALSE,
    retry_since      BIGINT
);
CREATE INDEX posts_user_seq ON posts (user_id, seq);
CREATE INDEX posts_user_status_seq ON posts (user_id, status, seq);
CREATE INDEX posts_user_published ON posts (user_id, published_at) WHERE published_at IS NOT NULL;
-- The publisher's one question: what is due next?
CREATE INDEX posts_due ON posts (due_at) WHERE status = 'scheduled';

-- Per-user, per-status post counts, kept by a trigger so that a list's `total` does not cost
-- a scan of every post the user has.
CREATE TABLE post_counts (
    user_id  TEXT NOT NULL,
    status   TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (user_id, status)
);

CREATE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE post_counts SET n = n - 1 WHERE user_id = OLD.user_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO post_counts (user_id, status, n) VALUES (NEW.user_id, NEW.status, 1)
            ON CONFLICT (user_id, status) DO UPDATE SET n = post_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER posts_count_insert_delete AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_count();
CREATE TRIGGER posts_count_status AFTER UPDATE OF status ON posts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION posts_count();

-- A post created as scheduled is due at its scheduledAt. (Updates set `due_at` and clear the
-- failure themselves, so that what they return is what is stored.)
CREATE FUNCTION posts_due_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'scheduled' THEN
        NEW.due_at := NEW.scheduled_at;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER posts_due_insert BEFORE INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_due_insert();

-- The backlog a writer keeps before a post exists. `tags` is a JSON array of strings (text, as
-- in SQLite). `post_id` links the post the idea became; deleting that post unlinks it again.
CREATE TABLE ideas (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    notes       TEXT,
    tags        TEXT NOT NULL DEFAULT '[]',
    post_id     TEXT REFERENCES posts(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ideas_user_seq ON ideas (user_id, seq);
CREATE INDEX ideas_post ON ideas (post_id) WHERE post_id IS NOT NULL;

-- One row per post and UTC day, as LinkedIn's member post analytics report them.
CREATE TABLE post_metrics (
    post_id          TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day              TEXT NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    impressions      BIGINT NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    members_reached  BIGINT NOT NULL DEFAULT 0 CHECK (members_reached >= 0),
    reactions        BIGINT NOT NULL DEFAULT 0 CHECK (reactions >= 0),
    comments         BIGINT NOT NULL DEFAULT 0 CHECK (comments >= 0),
    reposts          BIGINT NOT NULL DEFAULT 0 CHECK (reposts >= 0),
    PRIMARY KEY (post_id, day)
);
-- The per-day sums of a user's figures from the index alone (an index-only scan).
CREATE INDEX post_metrics_user_day ON post_metrics (user_id, day)
    INCLUDE (post_id, impressions, members_reached, reactions, comments, reposts);

-- Idempotency-Key records: one per API key and client-chosen key. `status` is NULL while the
-- first request runs; then the response to replay. Rows older than 24 hours are purged.
CREATE TABLE idempotency_keys (
    api_key_id   TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER,
    headers      TEXT,
    body         BYTEA,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- argon2id hashes as PHC strings.
CREATE TABLE user_passwords (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Only a SHA-256 hash of each session token is kept.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Secrets every instance shares (the key of the signed-out forms' CSRF cookie); never logged.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- One LinkedIn member per user; `token` sealed with the server's key, never in clear.
CREATE TABLE linkedin_accounts (
    user_id            TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    member_sub         TEXT NOT NULL,
    member_name        TEXT NOT NULL,
    picture_url        TEXT,
    token              TEXT NOT NULL,
    token_expires_at   BIGINT,
    scopes             TEXT NOT NULL,
    needs_reconnect    BOOLEAN NOT NULL DEFAULT FALSE,
    connected_at       BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    -- linkedin.token_expiring is sent once per token: the expiry it was sent for.
    expiry_warned_for  BIGINT
);

-- The `state` of an OAuth round trip: only its hash, bound to the session that started it.
CREATE TABLE linkedin_oauth_states (
    state_hash    TEXT PRIMARY KEY,
    session_hash  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at    BIGINT NOT NULL
);
