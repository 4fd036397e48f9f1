-- When an authorization code was presented again after its first use
-- (docs/identity.md): a code presented twice revokes what its first
-- exchange issued, even when the second comes before that session is
-- recorded on the code.
ALTER TABLE oauth_codes ADD COLUMN reused_at INTEGER;
