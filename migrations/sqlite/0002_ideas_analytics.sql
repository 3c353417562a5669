-- Ideas, per-post daily metrics, and idempotency records. Timestamps are Unix milliseconds (UTC).

-- The backlog a writer keeps before a post exists. `tags` is a JSON array of strings.
-- `post_id` links the post the idea became; deleting that post unlinks it again.
CREATE TABLE ideas (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    notes       TEXT,
    tags        TEXT NOT NULL DEFAULT '[]',
    post_id     TEXT REFERENCES posts(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX ideas_user_seq ON ideas (user_id, seq);
CREATE INDEX ideas_post ON ideas (post_id) WHERE post_id IS NOT NULL;

-- One row per post and UTC day, as LinkedIn's member post analytics report them
-- (IMPRESSION, MEMBERS_REACHED, REACTION, COMMENT, RESHARE). The publisher upserts them.
CREATE TABLE post_metrics (
    post_id          TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day              TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    impressions      INTEGER NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    members_reached  INTEGER NOT NULL DEFAULT 0 CHECK (members_reached >= 0),
    reactions        INTEGER NOT NULL DEFAULT 0 CHECK (reactions >= 0),
    comments         INTEGER NOT NULL DEFAULT 0 CHECK (comments >= 0),
    reposts          INTEGER NOT NULL DEFAULT 0 CHECK (reposts >= 0),
    PRIMARY KEY (post_id, day)
) WITHOUT ROWID;
CREATE INDEX post_metrics_user_day ON post_metrics (user_id, day);
CREATE INDEX posts_user_published ON posts (user_id, published_at) WHERE published_at IS NOT NULL;

-- Idempotency-Key records: one per API key and client-chosen key. `status` is NULL while the
-- first request runs; then the response to replay. Rows older than 24 hours are purged.
CREATE TABLE idempotency_keys (
    api_key_id   TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER,
    headers      TEXT,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
