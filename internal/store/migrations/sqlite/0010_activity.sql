-- The activity log: what was done with each user's integrations, and how it
-- ended (docs/activity-and-approvals.md). Rows arrive in batches from the
-- activity writer and are purged by age; no value, body, header or
-- credential of a call is ever stored.
CREATE TABLE activity (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL,
    user_id         TEXT NOT NULL DEFAULT '',
    session_id      TEXT NOT NULL DEFAULT '',
    api_key_id      TEXT NOT NULL DEFAULT '',
    client          TEXT NOT NULL,
    integration     TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL DEFAULT '',
    path            TEXT NOT NULL DEFAULT '',
    upstream_status INTEGER NOT NULL DEFAULT 0,
    outcome         TEXT NOT NULL,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    duration_us     INTEGER NOT NULL DEFAULT 0,
    request_id      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX activity_app ON activity(app_id, created_at, id);
CREATE INDEX activity_app_user ON activity(app_id, user_id, created_at, id);
