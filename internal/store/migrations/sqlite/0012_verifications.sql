-- User verification flows (docs/identity.md): a configuration link opened
-- in a browser waits for the app to confirm who is logged in there.
-- Pending until the app confirms (a one-time return code, stored hashed)
-- or names another user (failed); used once; ten minutes.
CREATE TABLE verifications (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    return_hash BLOB UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX verifications_session ON verifications(session_id);
CREATE INDEX verifications_expiry ON verifications(expires_at);
