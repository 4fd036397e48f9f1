-- Integrations and connections. An integration's definition is one JSON
-- value; its OAuth2 client secret is sealed in a column of its own, with the
-- id of the key that sealed it, so that rotation and the start-up key check
-- find values by key without decrypting. A connection's credentials are
-- sealed (AAD binds app, user and connection) and NULL once revoked.
CREATE TABLE integrations (
    app_id        TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    slug          TEXT NOT NULL,
    definition    TEXT NOT NULL,
    client_secret TEXT,
    secret_key_id TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (app_id, slug)
);
CREATE INDEX integrations_page ON integrations(app_id, created_at, slug);
CREATE INDEX integrations_key ON integrations(secret_key_id);

CREATE TABLE connections (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    integration TEXT NOT NULL,
    status      TEXT NOT NULL,
    fields      TEXT NOT NULL,
    credentials TEXT,
    key_id      TEXT,
    refreshable INTEGER NOT NULL,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (app_id, user_id, integration),
    FOREIGN KEY (app_id, integration) REFERENCES integrations(app_id, slug) ON DELETE CASCADE
);
CREATE INDEX connections_page ON connections(app_id, created_at, id);
CREATE INDEX connections_user_page ON connections(app_id, user_id, created_at, id);
CREATE INDEX connections_integration_page ON connections(app_id, integration, created_at, id);
CREATE INDEX connections_user ON connections(user_id);
CREATE INDEX connections_key ON connections(key_id);
