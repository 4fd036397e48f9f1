-- live_sessions bounds from above the user's active sessions (neither
-- revoked nor expired), so that creating a session under the app's
-- max_sessions_per_user reads one row instead of the user's sessions
-- (docs/scaling.md). Every create, revocation and eviction changes it in
-- the same transaction; expiry needs no write, so it can only overstate,
-- and it is recounted exactly when it reaches the limit. It starts at the
-- sessions not revoked, expired ones included.
ALTER TABLE users ADD COLUMN live_sessions BIGINT NOT NULL DEFAULT 0;
UPDATE users SET live_sessions = (SELECT COUNT(*) FROM sessions s WHERE s.user_id = users.id AND s.revoked_at IS NULL);
