-- A user's active sessions are counted in stripes, rows of session_counts
-- whose sum bounds from above the user's sessions neither revoked nor
-- expired (docs/scaling.md). On PostgreSQL a creation increments one
-- stripe chosen at random, so that creations for one user no longer wait
-- for one another's row lock; near the limit a creation locks all of them
-- and counts exactly. Revocations, evictions and refreshes change stripe 0.
-- The counts kept until now in users.live_sessions become stripe 0. The
-- key leads with user_id, so that deleting a user finds its stripes; one
-- index only, as a user's first session writes a stripe.
CREATE TABLE session_counts (
    app_id  TEXT COLLATE "C" NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stripe  INTEGER NOT NULL,
    live    BIGINT NOT NULL,
    PRIMARY KEY (user_id, app_id, stripe)
);
INSERT INTO session_counts (app_id, user_id, stripe, live) SELECT app_id, id, 0, live_sessions FROM users;
ALTER TABLE users DROP COLUMN live_sessions;
