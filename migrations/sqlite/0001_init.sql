-- Users, API keys and posts. Timestamps are Unix milliseconds (UTC).
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'business')),
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    created_at  INTEGER NOT NULL
);

-- Only a SHA-256 hash of each secret is kept; `prefix` is for display.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- `seq` gives the true creation order, also within one millisecond.
CREATE TABLE posts (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    scheduled_at  INTEGER,
    published_at  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX posts_user_seq ON posts (user_id, seq);
CREATE INDEX posts_user_status_seq ON posts (user_id, status, seq);

-- Per-user, per-status post counts, kept by triggers so that a list's `total`
-- does not cost a scan of every post the user has.
CREATE TABLE post_counts (
    user_id  TEXT NOT NULL,
    status   TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (user_id, status)
) WITHOUT ROWID;

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
