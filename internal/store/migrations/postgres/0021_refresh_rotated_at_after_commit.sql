-- A rotation's time is now written once its transaction has committed, so
-- that a refresh arriving after it, however soon, is told from one that
-- raced it (docs/identity.md, "Refresh"). Until then the row holds none,
-- which now means "being rotated": rows that hold none from before this
-- migration were rotated long ago, and say so.
UPDATE session_refresh_history SET rotated_at = 0 WHERE rotated_at IS NULL;
