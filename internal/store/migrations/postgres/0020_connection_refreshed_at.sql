-- When a refresh stored a connection's access token, so that a token the
-- provider made to live less than the refresh margin is due halfway through
-- its life rather than the moment it arrives (docs/oauth-refresh.md).
-- Credentials stored any other way (a connect, an import) have none: their
-- life is not known.
ALTER TABLE connections ADD COLUMN refreshed_at BIGINT;
