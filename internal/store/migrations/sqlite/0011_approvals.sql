-- Approvals of calls to actions that need the user's confirmation
-- (docs/activity-and-approvals.md): bound to the user, the tool and a
-- digest of the request, pending until decided or expired, used once.
CREATE TABLE approvals (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    integration TEXT NOT NULL,
    action      TEXT NOT NULL,
    digest      TEXT NOT NULL,
    summary     TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    decided_at  INTEGER
);
CREATE INDEX approvals_user ON approvals(app_id, user_id, digest);
CREATE INDEX approvals_expiry ON approvals(expires_at);
