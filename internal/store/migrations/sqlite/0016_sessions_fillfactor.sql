-- PostgreSQL's migration 0016 leaves free space in sessions pages for
-- extensions; SQLite has no such setting. This keeps the two engines'
-- migration numbers the same.
SELECT 1;
