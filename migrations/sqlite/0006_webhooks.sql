-- Webhooks: subscriptions, the outbox of events, the queue of deliveries and their attempts.

-- A subscription. `events` is '*' or a comma-separated list of event types; the three `reads_*`
-- columns are the read scopes a key needs to see and manage it (and, for '*', the kinds of
-- events it receives). The secret is sealed with the server's key, never stored in the clear.
CREATE TABLE webhooks (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by_key   TEXT REFERENCES api_keys(id) ON DELETE SET NULL,
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    reads_posts      INTEGER NOT NULL,
    reads_ideas      INTEGER NOT NULL,
    reads_profile    INTEGER NOT NULL,
    description      TEXT,
    secret           TEXT NOT NULL,
    disabled         INTEGER NOT NULL DEFAULT 0,
    disabled_reason  TEXT,
    failing_since    INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, seq);
CREATE INDEX webhooks_by_key ON webhooks (created_by_key) WHERE created_by_key IS NOT NULL;

-- The outbox: one row per event, written in the transaction of the change it describes, only
-- when some subscription wants it. `body` is the exact JSON every delivery sends. A change that
-- emits events pays for every page it dirties, so these tables carry as few indexes as the
-- queries need: the events are one b-tree (no rowid), the queue's rows are found by `seq`.
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- The queue: one row per (event, subscription). `claim`/`claimed_until` is a lease: a worker
-- that dies leaves the message due again once the lease runs out.
CREATE TABLE webhook_messages (
    seq              INTEGER PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claim            TEXT,
    claimed_until    INTEGER,
    updated_at       INTEGER NOT NULL
);
-- A webhook's queue in order; the messages held (a new message is not, so it skips this one);
-- the finished ones, for the purge.
CREATE INDEX webhook_messages_queue ON webhook_messages (webhook_id, next_attempt_at, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_messages_held ON webhook_messages (webhook_id)
    WHERE state = 'pending' AND claimed_until IS NOT NULL;
CREATE INDEX webhook_messages_done ON webhook_messages (updated_at) WHERE state <> 'pending';

-- The attempt log, shown by GET /webhooks/{id}/deliveries; kept 30 days.
CREATE TABLE webhook_deliveries (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    webhook_id   TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    message_seq  INTEGER NOT NULL,
    event_id     TEXT NOT NULL,
    type         TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);

-- linkedin.token_expiring is sent once per token: the expiry it was sent for.
ALTER TABLE linkedin_accounts ADD COLUMN expiry_warned_for INTEGER;
