-- Webhooks: subscriptions, the outbox of events, the queue of deliveries and their attempts.
-- The same tables as the SQLite schema; see there for what each column means.

CREATE TABLE webhooks (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by_key   TEXT REFERENCES api_keys(id) ON DELETE SET NULL,
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    reads_posts      BOOLEAN NOT NULL,
    reads_ideas      BOOLEAN NOT NULL,
    reads_profile    BOOLEAN NOT NULL,
    description      TEXT,
    secret           TEXT NOT NULL,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason  TEXT,
    failing_since    BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, seq);
CREATE INDEX webhooks_by_key ON webhooks (created_by_key) WHERE created_by_key IS NOT NULL;

-- The outbox: one row per event, written in the transaction of the change it describes.
-- In PostgreSQL a sequence number is drawn when a row is inserted, not when its transaction
-- commits, so a cursor over `seq` could pass an event whose transaction commits late; the
-- dispatcher therefore takes the events not yet fanned out (`dispatched_at IS NULL`).
CREATE TABLE webhook_events (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type           TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    dispatched_at  BIGINT
);
CREATE INDEX webhook_events_undispatched ON webhook_events (seq) WHERE dispatched_at IS NULL;

-- The queue: one row per (event, subscription); `claim`/`claimed_until` is a lease.
CREATE TABLE webhook_messages (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_seq        BIGINT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claim            TEXT,
    claimed_until    BIGINT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX webhook_messages_queue ON webhook_messages (webhook_id, next_attempt_at, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_messages_held ON webhook_messages (webhook_id)
    WHERE state = 'pending' AND claimed_until IS NOT NULL;
CREATE INDEX webhook_messages_done ON webhook_messages (updated_at) WHERE state <> 'pending';

-- The attempt log, shown by GET /webhooks/{id}/deliveries; kept 30 days.
CREATE TABLE webhook_deliveries (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    webhook_id   TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    message_seq  BIGINT NOT NULL,
    event_id     TEXT NOT NULL,
    type         TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);
