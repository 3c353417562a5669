-- Publishing to LinkedIn: connected accounts, single-use OAuth states, and what the publisher
-- keeps on each post. Timestamps are Unix milliseconds (UTC). Runs with foreign keys off (the
-- store turns them off around migrations), as SQLite's procedure for rebuilding a table asks.

-- One LinkedIn member per user. `token` is the access token sealed with the server's key
-- (ChaCha20-Poly1305: nonce and ciphertext, bound to the user); it is never stored in clear.
CREATE TABLE linkedin_accounts (
    user_id           TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    member_sub        TEXT NOT NULL,
    member_name       TEXT NOT NULL,
    picture_url       TEXT,
    token             TEXT NOT NULL,
    token_expires_at  INTEGER,
    scopes            TEXT NOT NULL,
    needs_reconnect   INTEGER NOT NULL DEFAULT 0,
    connected_at      INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- The `state` of an OAuth round trip: only its hash, bound to the session that started it,
-- taken (deleted) by the callback, so it works once, and only until it expires.
CREATE TABLE linkedin_oauth_states (
    state_hash    TEXT PRIMARY KEY,
    session_hash  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at    INTEGER NOT NULL
);

-- Posts, rebuilt: the status `failed`, and the publisher's columns.
--   linkedin_urn   the post on LinkedIn once published (urn:li:share:… or urn:li:ugcPost:…)
--   failure_*      why a failed post failed
--   due_at         when the publisher next acts on a scheduled post: its scheduledAt, the time
--                  of a retry, or the end of the lease of the attempt that holds it
--   claim          the attempt holding the post, set (with the lease) before a request is sent
--                  and cleared with its outcome; one left behind means the attempt's holder died
--   in_doubt       an earlier request may have reached LinkedIn without our knowing the answer
--   retry_since    the first of a run of retryable failures, for the one-hour cap
CREATE TABLE posts_new (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content          TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('draft', 'scheduled', 'published', 'failed')),
    scheduled_at     INTEGER,
    published_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    linkedin_urn     TEXT,
    failure_code     TEXT,
    failure_message  TEXT,
    failure_at       INTEGER,
    due_at           INTEGER,
    claim            TEXT,
    in_doubt         INTEGER NOT NULL DEFAULT 0,
    retry_since      INTEGER
);
INSERT INTO posts_new (seq, id, user_id, content, status, scheduled_at, published_at,
                       created_at, updated_at, version, due_at)
    SELECT seq, id, user_id, content, status, scheduled_at, published_at,
           created_at, updated_at, version,
           CASE WHEN status = 'scheduled' THEN scheduled_at END
    FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;

CREATE INDEX posts_user_seq ON posts (user_id, seq);
CREATE INDEX posts_user_status_seq ON posts (user_id, status, seq);
CREATE INDEX posts_user_published ON posts (user_id, published_at) WHERE published_at IS NOT NULL;
-- The publisher's one question: what is due next?
CREATE INDEX posts_due ON posts (due_at) WHERE status = 'scheduled';

CREATE TRIGGER posts_count_insert AFTER INSERT ON posts BEGIN
    INSERT INTO post_counts (user_id, status, n) VALUES (NEW.user_id, NEW.status, 1)
        ON CONFLICT (user_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER posts_count_delete AFTER DELETE ON posts BEGIN
    UPDATE post_counts SET n = n - 1 WHERE user_id = OLD.user_id AND status = OLD.status;
END;
CREATE TRIGGER posts_count_status AFTER UPDATE OF status ON posts
    WHEN OLD.status <> NEW.status BEGIN
    UPDATE post_counts SET n = n - 1 WHERE user_id = OLD.user_id AND status = OLD.status;
    INSERT INTO post_counts (user_id, status, n) VALUES (NEW.user_id, NEW.status, 1)
        ON CONFLICT (user_id, status) DO UPDATE SET n = n + 1;
END;

-- A post created as scheduled is due at its scheduledAt. (Updates set `due_at` and clear the
-- failure themselves, so that what they return is what is stored.)
CREATE TRIGGER posts_due_insert AFTER INSERT ON posts WHEN NEW.status = 'scheduled' BEGIN
    UPDATE posts SET due_at = NEW.scheduled_at WHERE seq = NEW.seq;
END;
