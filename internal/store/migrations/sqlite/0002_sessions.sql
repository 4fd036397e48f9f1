-- Sessions, their rotated refresh tokens (kept for reuse detection) and
-- their single-use configuration codes. dead_at is when a session stops
-- being usable in any way (expiry, end of its refresh life, revocation);
-- the purge deletes by it.
CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    app_id             TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash         BLOB NOT NULL UNIQUE,
    refresh_hash       BLOB UNIQUE,
    refreshable        INTEGER NOT NULL,
    ttl_seconds        INTEGER NOT NULL,
    redirect_uri       TEXT NOT NULL,
    settings           TEXT NOT NULL,
    theme              TEXT NOT NULL,
    custom_settings    TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    refresh_expires_at INTEGER,
    revoked_at         INTEGER,
    dead_at            INTEGER NOT NULL
);
CREATE INDEX sessions_user_live ON sessions(app_id, user_id, created_at, id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_app_live ON sessions(app_id, created_at, id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_dead ON sessions(dead_at);

CREATE TABLE session_refresh_history (
    hash       BLOB PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE INDEX session_refresh_history_session ON session_refresh_history(session_id);

CREATE TABLE configuration_codes (
    hash       BLOB PRIMARY KEY,
    app_id     TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX configuration_codes_session ON configuration_codes(session_id);
