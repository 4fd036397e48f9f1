-- User verification flows (docs/identity.md): a configuration link opened
-- in a browser (kind 'link', for the session's user), or a sign-in of the
-- OAuth authorization server (kind 'authorize', for whoever the app names,
-- with the authorization request), waits for the app to confirm who is
-- logged in there. Pending until the app confirms (a one-time return
-- code, stored hashed) or names another user (failed); used once; ten
-- minutes; an authorization is then decided once on the consent page.
CREATE TABLE verifications (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    session_id  TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    request     TEXT NOT NULL,
    return_hash BLOB UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX verifications_session ON verifications(session_id);
CREATE INDEX verifications_expiry ON verifications(expires_at);
