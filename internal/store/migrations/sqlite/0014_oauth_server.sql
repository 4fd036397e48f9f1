-- The OAuth 2.1 authorization server of each app (docs/identity.md):
-- registered public clients (RFC 7591; clients known by a metadata
-- document are fetched, not stored) and authorization codes, stored
-- hashed, single use, bound to client, redirect URI, PKCE challenge,
-- resource and user; session_id is the session the exchange created, so
-- that a replayed code can revoke it.
CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX oauth_clients_app ON oauth_clients(app_id);
CREATE TABLE oauth_codes (
    hash         BLOB PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    resource     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    session_id   TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX oauth_codes_expiry ON oauth_codes(expires_at);
