-- A user's active sessions are counted in stripes, rows of session_counts
-- whose sum bounds from above the user's sessions neither revoked nor
-- expired (docs/scaling.md). SQLite's single writer needs one stripe;
-- PostgreSQL spreads a user's concurrent creations over several. The
-- counts kept until now in users.live_sessions become stripe 0.
CREATE TABLE session_counts (
    app_id  TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stripe  INTEGER NOT NULL,
    live    INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id, stripe)
);
CREATE INDEX session_counts_user ON session_counts(user_id);
INSERT INTO session_counts (app_id, user_id, stripe, live) SELECT app_id, id, 0, live_sessions FROM users;
ALTER TABLE users DROP COLUMN live_sessions;
