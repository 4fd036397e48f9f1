-- The refresh of OAuth2 access tokens. One refresher at a time per
-- connection, whichever node it runs on: refresh_lease names the holder and
-- refresh_locked_until ends its claim, so that a crashed holder's lease
-- lapses. refresh_failures counts transient failures in a row (the provider
-- unreachable or failing); a success after some is a recovery.
ALTER TABLE connections ADD COLUMN refresh_lease TEXT;
ALTER TABLE connections ADD COLUMN refresh_locked_until BIGINT;
ALTER TABLE connections ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;
-- The background refresher walks connected rows by expiry.
CREATE INDEX connections_refresh_due ON connections(expires_at, id) WHERE status = 'connected' AND expires_at IS NOT NULL;
