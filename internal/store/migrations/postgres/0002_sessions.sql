-- Sessions, their rotated refresh tokens (kept for reuse detection) and
-- their single-use configuration codes. dead_at is when a session stops
-- being usable in any way (expiry, end of its refresh life, revocation);
-- the purge deletes by it.
CREATE TABLE sessions (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    app_id             TEXT COLLATE "C" NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id            TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash         BYTEA NOT NULL UNIQUE,
    refresh_hash       BYTEA UNIQUE,
    refreshable        BOOLEAN NOT NULL,
    ttl_seconds        BIGINT NOT NULL,
    redirect_uri       TEXT NOT NULL,
    settings           TEXT NOT NULL,
    theme              TEXT NOT NULL,
    custom_settings    TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    refresh_expires_at BIGINT,
    revoked_at         BIGINT,
    dead_at            BIGINT NOT NULL
);
CREATE INDEX sessions_user_live ON sessions(app_id, user_id, created_at, id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_app_live ON sessions(app_id, created_at, id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_dead ON sessions(dead_at);

CREATE TABLE session_refresh_history (
    hash       BYTEA PRIMARY KEY,
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE INDEX session_refresh_history_session ON session_refresh_history(session_id);

CREATE TABLE configuration_codes (
    hash       BYTEA PRIMARY KEY,
    app_id     TEXT COLLATE "C" NOT NULL,
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX configuration_codes_session ON configuration_codes(session_id);
