-- When a registered client first completed an authorization (a session
-- recorded on one of its codes). An app at its bound of registered
-- clients makes room by deleting its oldest client that never did
-- (docs/identity.md), so registrations nobody uses cannot fill it for good.
-- Clients registered before this migration count as used: which of them
-- completed an authorization was not recorded, and deleting one in use
-- would break its user's sign-in.
ALTER TABLE oauth_clients ADD COLUMN used_at INTEGER;
CREATE INDEX oauth_clients_unused ON oauth_clients(app_id, created_at, id) WHERE used_at IS NULL;
UPDATE oauth_clients SET used_at = created_at;
