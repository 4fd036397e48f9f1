-- Sessions pages keep a fifth of their space free, so that an extension
-- (an UPDATE of expires_at and updated_at, no indexed column) can write the
-- row's new version on the same page and touch no index: PostgreSQL's
-- heap-only tuple update (docs/scaling.md). Pages written from now on.
ALTER TABLE sessions SET (fillfactor = 80);
