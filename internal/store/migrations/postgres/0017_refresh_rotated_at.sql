-- When each refresh token was rotated away, so that a refresh that arrived
-- before then is told from a reuse (docs/identity.md, "Refresh"). Rows
-- written before this migration have none and count as rotated long ago.
ALTER TABLE session_refresh_history ADD COLUMN rotated_at BIGINT;
