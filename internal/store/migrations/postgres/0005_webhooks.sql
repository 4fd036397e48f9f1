-- The webhook outbox: one row per event, written in the transaction of the
-- change it reports (only for apps with a webhook), delivered by the worker
-- at least once, in seq order per user. body is the exact JSON sent.
-- locked_until and lease are the claim of the worker delivering a row.
CREATE TABLE webhook_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT COLLATE "C" NOT NULL UNIQUE,
    app_id          TEXT COLLATE "C" NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id         TEXT COLLATE "C" NOT NULL,
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    lease           TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    finished_at     BIGINT
);
CREATE INDEX webhook_events_due ON webhook_events(next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX webhook_events_user ON webhook_events(app_id, user_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_events_finished ON webhook_events(finished_at) WHERE status <> 'pending';
CREATE INDEX webhook_events_app ON webhook_events(app_id, seq);
