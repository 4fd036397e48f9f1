-- A user's active sessions are counted in stripes, rows of session_counts
-- whose sum bounds from above the user's sessions neither revoked nor
-- expired (docs/scaling.md). SQLite's single writer needs one stripe;
-- PostgreSQL spreads a user's concurrent creations over several. The
-- counts kept until now in users.live_sessions become stripe 0. The key
-- leads with user_id, so that deleting a user finds its stripes, and the
-- table lives in its key's b-tree (a user's first session writes a stripe).
CREATE TABLE session_counts (
    app_id  TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stripe  INTEGER NOT NULL,
    live    INTEGER NOT NULL,
    PRIMARY KEY (user_id, app_id, stripe)
) WITHOUT ROWID;
INSERT INTO session_counts (app_id, user_id, stripe, live) SELECT app_id, id, 0, live_sessions FROM users;
ALTER TABLE users DROP COLUMN live_sessions;
